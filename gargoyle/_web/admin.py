"""The switch panel, inside ``django.contrib.admin``.

The Switch admin's change list *is* the panel (``gargoyle/panel.html`` and the ES modules in
``static/gargoyle/panel/``): one row per switch with its status toggles, conditions, preview
and history. The admin gives it login, the staff check, CSRF and no-cache for free.

- The JSON API of :mod:`gargoyle.urls` is mounted under the admin as well
  (``<admin>/gargoyle/switch/api/<endpoint>/``, URL names ``admin:gargoyle_switch_api_<name>``),
  each view wrapped in ``admin_site.admin_view``: anonymous callers go to the admin login.
  The API checks every permission itself; the panel only hides what the user may not do.
- Django's add, change, delete and object-history pages redirect to the panel (the add page
  opens the "Add a switch" dialog, the others search for the switch): a raw form would
  bypass the panel's rules, e.g. the separate permission needed to make a switch Global.
- :class:`~gargoyle.history.SwitchChange` is registered read only, an audit log of every
  switch, deleted ones included, for whoever may view switches.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.http import urlencode
from django.utils.text import capfirst

from gargoyle._conf import get_settings
from gargoyle._storage.change import SwitchChange
from gargoyle._storage.switch import Switch
from gargoyle._web import api
from gargoyle._web import urls as api_urls
from gargoyle._web.auth import can_view
from gargoyle.helpers import dumps

if TYPE_CHECKING:  # generic in django-stubs only: Django's ModelAdmin cannot be subscripted
    _SwitchAdminBase = admin.ModelAdmin[Switch]
    _SwitchChangeAdminBase = admin.ModelAdmin[SwitchChange]
else:
    _SwitchAdminBase = _SwitchChangeAdminBase = admin.ModelAdmin


def _js_name(url_name: str) -> str:
    """``add-condition`` -> ``addCondition``: how the panel scripts name the endpoints."""
    first, *rest = url_name.split("-")
    return first + "".join(part.capitalize() for part in rest)


@admin.register(Switch)
class SwitchAdmin(_SwitchAdminBase):
    panel_template = "gargoyle/panel.html"

    # -- permissions ----------------------------------------------------------------------

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The legacy ``can_view`` permission of gargoyle-yplan counts too.
        return can_view(request.user)

    def has_set_global_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("gargoyle.set_global")

    def permissions(self, request: HttpRequest) -> dict[str, bool]:
        """What the panel shows to this user (the API decides what it may really do)."""
        return {
            "view": self.has_view_permission(request),
            "add": self.has_add_permission(request),
            "change": self.has_change_permission(request),
            "delete": self.has_delete_permission(request),
            "setGlobal": self.has_set_global_permission(request),
        }

    # -- URLs -----------------------------------------------------------------------------

    def api_url_name(self, name: str) -> str:
        opts = self.opts
        return f"{opts.app_label}_{opts.model_name}_api_{name}"

    def get_urls(self) -> list[URLPattern]:
        """The API's views under ``api/``, ahead of the admin's own (whose ``<object_id>/`` would catch them)."""
        mounted = [
            path(
                f"api/{pattern.pattern}",
                self.admin_site.admin_view(pattern.callback),
                name=self.api_url_name(pattern.name),
            )
            for pattern in api_urls.urlpatterns
            if isinstance(pattern, URLPattern) and pattern.name
        ]
        return mounted + super().get_urls()

    def api_urls(self) -> dict[str, str]:
        site = self.admin_site.name
        return {
            _js_name(pattern.name): reverse(f"{site}:{self.api_url_name(pattern.name)}")
            for pattern in api_urls.urlpatterns
            if isinstance(pattern, URLPattern) and pattern.name
        }

    def panel_url(self, **query: str) -> str:
        opts = self.opts
        url = reverse(f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_changelist")
        return f"{url}?{urlencode(query)}" if query else url

    # -- the panel ------------------------------------------------------------------------

    def panel_data(self, request: HttpRequest) -> dict[str, Any]:
        """What ``switches/`` would answer, plus the endpoints' URLs: the page's initial data."""
        data = {
            "switches": api.switch_payloads(Switch.objects.order_by("key").load()),
            "conditionSets": api.condition_sets(),
            "permissions": self.permissions(request),
            "urls": self.api_urls(),
            "usageCounting": get_settings().usage,
            "siteTimeZone": settings.TIME_ZONE,
        }
        # Dates and lazy strings as the API writes them, so the page compares like with like.
        written: dict[str, Any] = json.loads(dumps(data))
        return written

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        opts = self.opts
        context = {
            **self.admin_site.each_context(request),
            "title": capfirst(opts.verbose_name_plural),
            "opts": opts,
            "app_label": opts.app_label,
            "has_view_permission": True,
            "data": self.panel_data(request),
            **(extra_context or {}),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.panel_template, context)

    # -- Django's other pages lead to the panel -------------------------------------------

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: Any = None) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        return HttpResponseRedirect(self.panel_url(add="1"))

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        return self._to_panel(request, object_id)

    def delete_view(self, request: HttpRequest, object_id: str, extra_context: Any = None) -> HttpResponse:
        return self._to_panel(request, object_id)

    def history_view(self, request: HttpRequest, object_id: str, extra_context: Any = None) -> HttpResponse:
        return self._to_panel(request, object_id)

    def _to_panel(self, request: HttpRequest, object_id: str) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        return HttpResponseRedirect(self.panel_url(q=unquote(object_id)))


@admin.register(SwitchChange)
class SwitchChangeAdmin(_SwitchChangeAdminBase):
    """The history of every switch, read only."""

    list_display = ("date", "switch_key", "username", "summary", "restored_from")
    list_filter = ("date",)
    search_fields = ("switch_key", "username", "summary")
    date_hierarchy = "date"
    list_select_related = ("restored_from",)
    readonly_fields = ("switch_key", "date", "user", "username", "summary", "before", "after", "restored_from")
    fields = readonly_fields

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can_view(request.user)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return can_view(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
