"""``status/bulk/`` and ``history/undo/bulk/``: several switches at once, as the admin's
actions do.

All or nothing: one transaction, refused as a whole (nothing written) when a key or a change
is unknown, the status is not one, a permission is missing, or (for undo) one change cannot
be undone alone. Each switch whose status changes gets its own history entry.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from gargoyle._storage.switch import Switch
from gargoyle._storage.validation import validate_status
from gargoyle._web.api import STATUS_TEXTS, _change_ids, _param, _writing, switch_payloads
from gargoyle._web.auth import ApiError, api_view, message_of, require
from gargoyle._web.history_api import recorded_change, require_undo_permissions
from gargoyle._writes.undo import UndoRefused, undo
from gargoyle.constants import GLOBAL

#: The most keys (or changes) one request may name: Django refuses a request with more
#: fields than ``DATA_UPLOAD_MAX_NUMBER_FIELDS`` (1,000 by default), the others included.
MAX_KEYS = 900


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
        # Locked in one order: two bulk requests over the same switches cannot deadlock.
        locked = Switch.objects.select_for_update().filter(key__in=keys).order_by("pk")
        switches = {switch.key: switch for switch in locked.load()}
        missing = [key for key in keys if key not in switches]
        if missing:
            raise ApiError(404, _("key: there is no switch %(key)r.") % {"key": missing[0]})
        for key in keys:
            switch = switches[key]
            if switch.status != new_status:
                switch.status = new_status
                switch.save()
    stored = Switch.objects.filter(key__in=keys).order_by("key").load()
    return {"switches": switch_payloads(stored), **_change_ids(recorded)}


@api_view("POST", "gargoyle.change_switch", repeatable=("id",))
def bulk_undo(request: HttpRequest) -> dict[str, Any]:
    """Undo each change ``id`` (the field repeated), newest first, all or none: a 400 naming
    the first that cannot be undone alone, a 403 for a missing permission."""
    ids = _fields(request, "id", _("id: name at least one change."))
    changes = [recorded_change(change_id) for change_id in ids]
    for change in changes:
        require_undo_permissions(request, change)
    with _writing(request) as recorded:
        undone = []
        for change in sorted(changes, key=lambda change: -change.pk):
            try:
                undone.append(undo(change, request=request))
            except UndoRefused as refusal:  # the whole transaction rolls back
                raise ApiError(400, f"{change.switch_key}: {message_of(refusal)}") from None
    keys = {switch.key for switch in undone if switch is not None}
    return {
        "switches": switch_payloads(Switch.objects.filter(key__in=keys).order_by("key").load()),
        **_change_ids(recorded),
    }


def _keys(request: HttpRequest) -> list[str]:
    """The ``key`` fields as sent (a key may hold spaces), each once, in order."""
    return _fields(request, "key", _("key: name at least one switch."))


def _fields(request: HttpRequest, name: str, none: Any) -> list[str]:
    """The repeated field ``name``, each value once, blanks dropped; a 400 when there are
    none or too many."""
    values = list(dict.fromkeys(value for value in request.POST.getlist(name) if value.strip()))
    if not values:
        raise ApiError(400, none)
    if len(values) > MAX_KEYS:
        raise ApiError(400, _("%(field)s: at most %(max)d at once.") % {"field": name, "max": MAX_KEYS})
    return values
