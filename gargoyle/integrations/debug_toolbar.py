"""django-debug-toolbar: a *Switches* panel (``pip install "django-gargoyle[debug-toolbar]"``).

Add it to the toolbar's panels::

    DEBUG_TOOLBAR_PANELS = [*debug_toolbar.settings.PANELS_DEFAULTS,
                            "gargoyle.integrations.debug_toolbar.SwitchesPanel"]

It lists the switches the request checked, in the order it first checked them, with what
each answered and why (:func:`gargoyle.preview.explain`). It opens its own record of the
answers, so it needs no :class:`~gargoyle.middleware.SwitchExposureMiddleware` (and reads that
middleware's record when it is installed). For a user who may use :mod:`QA overrides
<gargoyle.qa>`, it adds links that force each switch of ``GARGOYLE_QA_SWITCHES`` on or off
for this browser, or clear the override (docs/debug-toolbar.rst).
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from contextvars import Token
from inspect import isawaitable
from typing import Any

from debug_toolbar.panels import Panel
from django.conf import settings
from django.http import HttpRequest, HttpResponseBase
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from gargoyle import qa
from gargoyle._conf import get_settings
from gargoyle._runtime import exposure
from gargoyle._runtime.threads import run_outside_event_loop
from gargoyle.manager import SwitchManager, gargoyle
from gargoyle.preview import explain

__all__ = ["SwitchesPanel", "describe"]

_MIDDLEWARE = ("gargoyle.middleware.SwitchOverrideMiddleware", "gargoyle.qa.SwitchOverrideMiddleware")


class SwitchesPanel(Panel):
    """The switches this request checked, their answers and reasons, and the QA controls."""

    title = _("Switches")
    template = "gargoyle/debug_toolbar/switches.html"
    is_async = True

    _record: Mapping[str, bool] = {}

    @property
    def nav_subtitle(self) -> str:
        """The side bar's line: how many switches the request checked, and how many were overridden."""
        stats = self.get_stats()
        checked = len(stats.get("checked", ()))
        overridden = sum(1 for row in stats.get("checked", ()) if row["overridden"])
        text = ngettext("%(count)d checked", "%(count)d checked", checked) % {"count": checked}
        if overridden:
            text += ", " + ngettext("%(count)d overridden", "%(count)d overridden", overridden) % {"count": overridden}
        return text

    def process_request(self, request: HttpRequest) -> Any:
        """Run the request (sync or async) with a record of its answers open."""
        # A record opened outside the toolbar (the exposure middleware placed before it) is
        # read, not shadowed; otherwise the panel opens a plain one of its own.
        opened = exposure.checked.get()
        token = None
        if opened is None:
            opened = {}
            token = exposure.checked.set(opened)
        self._record = opened
        try:
            response = super().process_request(request)
        except BaseException:
            _close(token)
            raise
        if isawaitable(response):
            return self._finish(response, token)
        _close(token)
        return response

    async def _finish(self, response: Awaitable[HttpResponseBase], token: Token[Any] | None) -> HttpResponseBase:
        try:
            return await response
        finally:
            _close(token)

    def generate_stats(self, request: HttpRequest, response: HttpResponseBase) -> None:
        """Store what :func:`describe` says of the request's answers, for the panel's display."""
        answers = {**self._record, **(getattr(request, "gargoyle_switches", None) or {})}
        self.record_stats(run_outside_event_loop(lambda: describe(gargoyle, request, answers)))


def _close(token: Token[Any] | None) -> None:
    if token is not None:
        exposure.checked.reset(token)


def describe(manager: SwitchManager, request: HttpRequest, answers: Mapping[str, bool]) -> dict[str, Any]:
    """What the panel shows for ``request``, which got ``answers`` (``{key: answer}``).

    :returns: ``{"checked": [...], "qa": {...}}``: for each switch checked, its key, label,
        answer, reason and whether an override decided it; the QA controls (or why there
        are none). Plain data: the toolbar stores it between the request and the display.
    """
    overrides = qa.overrides_of(request)
    rows = manager._current_snapshot().rows
    checked = []
    for key, answer in answers.items():
        forced_by = qa.overridden_by(key, overrides)
        checked.append(
            {
                "key": key,
                "label": (rows.get(key) or {}).get("label") or "",
                "answer": answer,
                "overridden": forced_by is not None,
                "reason": _reason(manager, request, key, forced_by, overrides),
            }
        )
    return {"checked": checked, "qa": _controls(manager, request, overrides)}


def _reason(
    manager: SwitchManager, request: HttpRequest, key: str, forced_by: str | None, overrides: Mapping[str, bool]
) -> str:
    try:
        stored = explain(manager, key, request)
    except Exception as error:  # a condition set's bug: the panel still shows the rest
        stored = str(_("It could not be explained: %(error)s") % {"error": f"{type(error).__name__}: {error}"})
    if forced_by is None:
        return stored
    state = _("on") if overrides[forced_by] else _("off")
    if forced_by == key:
        said = _("Overridden for this browser (QA): %(state)s.") % {"state": state}
    else:
        said = _("Follows %(parent)s, overridden for this browser (QA): %(state)s.") % {
            "parent": forced_by,
            "state": state,
        }
    return str(_("%(said)s Without the override: %(stored)s") % {"said": said, "stored": stored})


def _controls(manager: SwitchManager, request: HttpRequest, overrides: Mapping[str, bool]) -> dict[str, Any]:
    """The QA links for this browser, or a note saying why there are none."""
    allowed = sorted(get_settings().qa_switches)
    note: str | None = None
    if not allowed:
        note = str(_("No switch can be overridden: GARGOYLE_QA_SWITCHES is empty."))
    elif not any(path in settings.MIDDLEWARE for path in _MIDDLEWARE):
        note = str(_("SwitchOverrideMiddleware is not in MIDDLEWARE: overrides would not be applied."))
    elif not qa.may_override(getattr(request, "user", None)):
        note = _("Overriding switches takes the permission %(permission)s.") % {"permission": qa.PERMISSION}
    if note is not None:
        return {"note": note, "switches": [], "clear_url": ""}
    snapshot = manager._current_snapshot()
    switches = [
        {
            "key": key,
            "state": "" if key not in overrides else ("on" if overrides[key] else "off"),
            "known": key in snapshot.switches or key in snapshot.fallbacks,
            "on_url": qa.override_url(request, f"{key}:{qa.ON}"),
            "off_url": qa.override_url(request, f"{key}:{qa.OFF}"),
            "clear_url": qa.override_url(request, f"{key}:{qa.CLEAR}"),
        }
        for key in allowed
    ]
    return {"note": "", "switches": switches, "clear_url": qa.override_url(request, qa.CLEAR)}
