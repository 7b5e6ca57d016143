"""The JSON API's scheduled changes: ``schedules/``, ``schedules/add/``, ``schedules/edit/``
and ``schedules/cancel/`` (docs/json-api.rst, docs/schedules.rst).

Scheduling a change takes the permission the change itself takes (``change_switch``; and
``set_global`` to schedule Global); the schedule is made in the caller's name, and applied
in it.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, QueryDict
from django.utils.translation import gettext_lazy as _

from gargoyle._storage.schedule import ADD_CONDITION, PENDING, REMOVE_CONDITION, SET_PERCENT, STATUS, ScheduledChange
from gargoyle._web.api import STATUS_TEXTS, _condition_field, _get_switch, _mode, _param
from gargoyle._web.auth import ApiError, api_view, require
from gargoyle._writes.schedules import cancel, describe_action, edit, schedule
from gargoyle.constants import EXCLUDE, GLOBAL, REQUIRE
from gargoyle.schedules import parse_moment

#: How many resolved schedules of a switch ``schedules/?key=`` lists besides the pending ones.
RESOLVED_SHOWN = 10


def schedule_payload(found: ScheduledChange) -> dict[str, Any]:
    """A schedule as the panel shows it: :meth:`ScheduledChange.as_row` plus ``summary``."""
    return {**found.as_row(), "summary": describe_action(found.action, found.arguments)}


@api_view("GET", None)
def schedules(request: HttpRequest) -> dict[str, Any]:
    """The pending schedules (of switch ``key`` when given, with its latest resolved ones),
    and the site's time zone, in which the panel shows them besides the viewer's."""
    key = request.GET.get("key")
    pending = ScheduledChange.objects.filter(state=PENDING).order_by("due_at", "pk")
    found = list(pending.filter(switch_key=key) if key else pending)
    if key:
        resolved = ScheduledChange.objects.filter(switch_key=key).exclude(state=PENDING)
        found += list(resolved.order_by("-resolved_at", "-pk")[:RESOLVED_SHOWN])
    return {"schedules": [schedule_payload(item) for item in found], "siteTimeZone": settings.TIME_ZONE}


def _action(request: HttpRequest) -> tuple[str, dict[str, Any]]:
    """The action and its arguments from the request's fields (as the matching endpoint takes them)."""
    data: QueryDict = request.POST
    action = _param(data, "action")
    if action == STATUS:
        text = _param(data, "status")
        if text not in STATUS_TEXTS:
            raise ApiError(400, _("status: %(status)r is not a switch status (1 to 4).") % {"status": text})
        if int(text) == GLOBAL:
            require(request, "gargoyle.set_global")
        return action, {"status": int(text)}
    if action not in (ADD_CONDITION, REMOVE_CONDITION, SET_PERCENT):
        raise ApiError(
            400,
            _("action: %(action)r is not status, add_condition, remove_condition or set_percent.") % {"action": action},
        )
    set_id, name, field = _condition_field(data)
    arguments: dict[str, Any] = {"condition_set": set_id, "field": name}
    if action == REMOVE_CONDITION:
        return action, {**arguments, "condition": _param(data, "value")}
    arguments["condition"] = field.validate(data)
    if action == ADD_CONDITION:
        mode = _mode(data)
        arguments["exclude"] = mode == EXCLUDE
        if mode == REQUIRE:
            arguments["required"] = True
    return action, arguments


def _moment(request: HttpRequest) -> Any:
    return parse_moment(_param(request.POST, "due"), request.POST.get("zone") or None)


@api_view("POST", "gargoyle.change_switch")
def add_schedule(request: HttpRequest) -> dict[str, Any]:
    """Schedule a change of switch ``key`` at ``due`` (ISO 8601; a wall-clock time in ``zone``,
    default the site's): ``action`` and the fields of the matching endpoint."""
    key = _get_switch(_param(request.POST, "key")).key
    action, arguments = _action(request)
    return schedule_payload(schedule(key, action, arguments, _moment(request), user=request.user))


@api_view("POST", "gargoyle.change_switch")
def edit_schedule(request: HttpRequest) -> dict[str, Any]:
    """Move pending schedule ``id`` to ``due`` (in ``zone``), and with ``action``, change what it does."""
    schedule_id = _schedule_id(request)
    action, arguments = _action(request) if request.POST.get("action") else (None, None)
    due = _moment(request) if request.POST.get("due") else None
    if action is None and _is_global(schedule_id):
        require(request, "gargoyle.set_global")  # confirming a Global schedule takes the right to make one
    return schedule_payload(edit(schedule_id, due_at=due, action=action, arguments=arguments, user=request.user))


@api_view("POST", "gargoyle.change_switch")
def cancel_schedule(request: HttpRequest) -> dict[str, Any]:
    """Cancel pending schedule ``id``."""
    return schedule_payload(cancel(_schedule_id(request), user=request.user))


def _schedule_id(request: HttpRequest) -> int:
    text = _param(request.POST, "id")
    if not text.isascii() or not text.isdigit() or len(text) > 18:
        raise ApiError(400, _("id: %(id)r is not a schedule id.") % {"id": text})
    return int(text)


def _is_global(schedule_id: int) -> bool:
    found = ScheduledChange.objects.filter(pk=schedule_id).values_list("action", "arguments").first()
    return found is not None and found[0] == STATUS and found[1].get("status") == GLOBAL
