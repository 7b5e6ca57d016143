"""``status/bulk/``: set the status of several switches at once, as the admin's actions do.

All or nothing: one transaction, refused as a whole (nothing written) when a key is unknown,
the status is not one, or it is Global and the caller lacks ``gargoyle.set_global``. Each
switch whose status changes gets its own history entry, so each can be undone alone.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from gargoyle._storage.switch import Switch
from gargoyle._storage.validation import validate_status
from gargoyle._web.api import STATUS_TEXTS, _param, _writing, switch_payloads
from gargoyle._web.auth import ApiError, api_view, require
from gargoyle.constants import GLOBAL

#: The most keys one request may name (a page of the panel holds far fewer).
MAX_KEYS = 1000


@api_view("POST", "gargoyle.change_switch", repeatable=("key",))
def bulk_status(request: HttpRequest) -> dict[str, Any]:
    """Set ``status`` on every ``key`` (the field repeated); the switches, as stored after,
    and the ids and summary of the history entries written."""
    keys = _keys(request)
    text = _param(request.POST, "status")
    if text not in STATUS_TEXTS:
        validate_status(text)  # raises, naming the field and the values
    new_status = int(text)
    if new_status == GLOBAL:
        require(request, "gargoyle.set_global")
    with _writing(request) as recorded:
        switches = {switch.key: switch for switch in Switch.objects.select_for_update().filter(key__in=keys).load()}
        missing = [key for key in keys if key not in switches]
        if missing:
            raise ApiError(404, _("key: there is no switch %(key)r.") % {"key": missing[0]})
        for key in keys:
            switch = switches[key]
            if switch.status != new_status:
                switch.status = new_status
                switch.save()
    stored = Switch.objects.filter(key__in=keys).order_by("key").load()
    return {
        "switches": switch_payloads(stored),
        "changeIds": [change.pk for change in recorded],
        "changeSummary": ngettext("%(count)d switch changed", "%(count)d switches changed", len(recorded))
        % {"count": len(recorded)},
    }


def _keys(request: HttpRequest) -> list[str]:
    """The ``key`` fields, each once, in order; a 400 when there are none or too many."""
    keys = list(dict.fromkeys(key.strip() for key in request.POST.getlist("key") if key.strip()))
    if not keys:
        raise ApiError(400, _("key: name at least one switch."))
    if len(keys) > MAX_KEYS:
        raise ApiError(400, _("key: at most %(max)d switches at once.") % {"max": MAX_KEYS})
    return keys
