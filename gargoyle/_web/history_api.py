"""The JSON API's history endpoints: ``history/``, ``history/restore/`` and ``history/undo/``."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from gargoyle._storage.change import SwitchChange
from gargoyle._storage.switch import Switch
from gargoyle._web.api import _change_id, _param, _saved, _writing
from gargoyle._web.auth import ApiError, api_view, message_of, require
from gargoyle._writes.describe import describe
from gargoyle._writes.history import changes_of
from gargoyle._writes.undo import UndoRefused, restore, undo, undo_refusals
from gargoyle.constants import GLOBAL

HISTORY_LIMIT = 50
MAX_ID_DIGITS = 18  # below 2**63: every database's integer column holds such an id


def change_payload(
    change: SwitchChange, refusal: UndoRefused | None = None, now: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A history entry; ``summary`` is described afresh from ``before`` and ``after`` (older
    entries stored vaguer texts), ``undoable``/``undoBlockedBy``/``undoReason`` say whether
    ``history/undo/`` can revert it alone (``refusal``: why not), ``afterIsCurrent`` whether
    its state ``after`` is the switch as it is now (``now``: its stored fields); ``via`` is
    ``"schedule"`` for a change a schedule made for ``username``, and ``note`` says which."""
    return {
        "id": change.pk,
        "date": change.date,
        "username": change.username,
        "via": change.via,
        "note": change.note,
        # A machine's note that left the switch as it was (a rollout paused) says so in words.
        "summary": change.summary
        if change.via and change.before == change.after
        else describe(change.before, change.after, restored_from=change.restored_from_id),
        "before": change.before,
        "after": change.after,
        "restoredFrom": change.restored_from_id,
        "undoable": refusal is None,
        "undoBlockedBy": None if refusal is None else refusal.blocked_by,
        "undoReason": None if refusal is None else message_of(refusal),
        "afterIsCurrent": change.after == now,
    }


@api_view("GET", None)
def history(request: HttpRequest) -> list[dict[str, Any]]:
    """The latest changes of switch ``key`` (also a deleted one), newest first."""
    key = _param(request.GET, "key")
    changes = list(changes_of(key)[:HISTORY_LIMIT])
    if not changes and not Switch.objects.filter(key=key).exists():
        raise ApiError(404, _("key: there is no switch %(key)r and no history for it.") % {"key": key})
    refusals = undo_refusals(changes)
    now = Switch.objects.filter(key=key).values("key", "label", "description", "status", "value").first()
    return [change_payload(change, refusals[change.pk], None if now is None else dict(now)) for change in changes]


@api_view("POST", "gargoyle.change_switch")
def restore_change(request: HttpRequest) -> dict[str, Any]:
    """Put a switch back into the ``state`` ("before" or "after") of change ``id``."""
    state = request.POST.get("state") or "before"
    if state not in ("before", "after"):
        raise ApiError(400, _("state: use 'before' or 'after'."))
    change = _recorded_change(request)
    target = getattr(change, state)
    if target is None:
        require(request, "gargoyle.delete_switch")  # restoring "before it was added" deletes it
    else:
        if not isinstance(target, dict) or not Switch.objects.filter(key=target.get("key")).exists():
            require(request, "gargoyle.add_switch")
        if isinstance(target, dict) and target.get("status") == GLOBAL:
            require(request, "gargoyle.set_global")
    with _writing(request) as recorded:
        switch = restore(change, state=state, request=request)
    return {**(_saved(switch) if switch else {}), **_change_id(recorded)}


def require_undo_permissions(request: HttpRequest, change: SwitchChange) -> None:
    """A 403 unless the caller may undo ``change``: deleting, adding again, leaving Global."""
    before, after = change.before, change.after
    if before is None:
        require(request, "gargoyle.delete_switch")  # undoing an addition deletes the switch
    elif isinstance(before, dict) and isinstance(after, dict | None):
        if after is None:
            require(request, "gargoyle.add_switch")  # undoing a deletion adds it again
        if before.get("status") == GLOBAL and (after or {}).get("status") != GLOBAL:
            require(request, "gargoyle.set_global")


def _recorded_change(request: HttpRequest) -> SwitchChange:
    """The history entry named by the POST field ``id``; a 404 when there is none."""
    return recorded_change(_param(request.POST, "id"))


def recorded_change(change_id: str) -> SwitchChange:
    """The history entry ``change_id`` (as posted); a 404 when there is none."""
    # ASCII digits only (int() also takes " 1", "+1" and Arabic-Indic digits), and fewer than
    # a database integer can overflow on: Django 4.2 on SQLite raises OverflowError for those.
    known = change_id.isascii() and change_id.isdigit() and len(change_id) <= MAX_ID_DIGITS
    change = SwitchChange.objects.filter(pk=int(change_id)).first() if known else None
    if change is None:
        raise ApiError(404, _("id: there is no recorded change %(id)r.") % {"id": change_id})
    return change


@api_view("POST", "gargoyle.change_switch")
def undo_change(request: HttpRequest) -> dict[str, Any]:
    """Revert change ``id`` alone (see :func:`gargoyle.history.undo`); a 400 naming the later
    change in the way when it cannot."""
    change = _recorded_change(request)
    require_undo_permissions(request, change)
    with _writing(request) as recorded:
        switch = undo(change, request=request)
    return {**(_saved(switch) if switch else {}), **_change_id(recorded)}
