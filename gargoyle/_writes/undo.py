"""Going back: :func:`restore` a recorded state, or :func:`undo` one change alone.

A restore sets the whole switch to the state before or after a change; an undo applies the
inverse of that one change to the switch as it is now, and is refused (:class:`UndoRefused`,
with the reason) when a later change touched the same thing. Both are writes like any
other, recorded in turn with ``restored_from`` naming the change
(:func:`~gargoyle._writes.attribution.restoring`).
"""

from __future__ import annotations

import copy
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from gargoyle._storage import values
from gargoyle._storage.change import SwitchChange
from gargoyle._storage.switch import Switch
from gargoyle._storage.transactions import write_transaction
from gargoyle._writes.attribution import made_by, restoring
from gargoyle._writes.describe import Entry, condition_name, conditions, unpack


def restore(change: SwitchChange, *, state: str = "before", request: HttpRequest | None = None) -> Switch | None:
    """Put the switch back into the state ``before`` (undo) or ``after`` a recorded change.

    The switch is the one the change was made to, wherever later renames took it: restoring
    never touches another switch that has taken its key since. Restoring the state before
    an addition deletes the switch. The restore is itself recorded, as a change whose
    ``restored_from`` is ``change``.

    :param change: the recorded change.
    :param state: ``"before"`` or ``"after"``.
    :param request: the request making the restore, for the history.
    :returns: the restored switch, or ``None`` if it was deleted.
    :raises ValueError: if ``state`` is neither.
    :raises ~django.core.exceptions.ValidationError: if the state cannot be stored now
        (its key has been taken by another switch); nothing is written then.
    """
    if state not in ("before", "after"):
        raise ValueError("state is 'before' or 'after'")
    target = getattr(change, state)
    with restoring(change), made_by(request), write_transaction():
        key = current_key(change)
        current = None if key is None else Switch.objects.select_for_update().filter(key=key).first()
        if target is None:
            if current is not None:
                current.delete()
            return None
        if current is None and Switch.objects.filter(key=target["key"]).exists():
            raise ValidationError(
                _("key: %(key)r belongs to another switch now; rename or delete that one first."),
                params={"key": target["key"]},
            )
        switch = current or Switch(key=target["key"])
        for name in ("key", "label", "description", "status", "value"):
            setattr(switch, name, target[name])
        switch.save()  # renaming onto a key another switch has taken since is refused here
        return switch


def current_key(change: SwitchChange) -> str | None:
    """The key of the switch ``change`` was made to, as it is now.

    Follows the renames recorded after ``change``; ``None`` if the switch has been deleted
    since (or by ``change`` itself).
    """
    key: str | None = (change.after or {}).get("key")
    position = change.pk
    while key is not None:
        later = SwitchChange.objects.filter(pk__gt=position, before__key=key).order_by("pk").only("pk", "after")
        moved = next((c for c in later.iterator() if (c.after or {}).get("key") != key), None)
        if moved is None:
            return key
        key, position = (moved.after or {}).get("key"), moved.pk
    return None


# -- undoing one change ----------------------------------------------------------------------------


class UndoRefused(ValidationError):
    """:func:`undo` cannot revert a change alone; ``blocked_by`` is the later change in the way."""

    def __init__(self, message: Any, params: dict[str, Any] | None = None, blocked_by: int | None = None) -> None:
        super().__init__(message, params=params)
        self.blocked_by = blocked_by


class _Successors:
    """Finds the changes made to a switch after a given change, a query per key met."""

    def __init__(self, since: int) -> None:
        self.since = since
        self._by_key: dict[str, list[SwitchChange]] = {}

    def later(self, change: SwitchChange) -> list[SwitchChange]:
        """The changes made to the same switch after ``change``, oldest first.

        Follows renames; ends at a deletion (a switch added with the same key afterwards
        is another switch).
        """
        found: list[SwitchChange] = []
        key: Any = (change.after or {}).get("key")
        position = change.pk
        while isinstance(key, str):
            following = next((c for c in self._from(key) if c.pk > position), None)
            if following is None:
                break
            found.append(following)
            key, position = (following.after or {}).get("key"), following.pk
        return found

    def _from(self, key: str) -> list[SwitchChange]:
        if key not in self._by_key:
            changes = SwitchChange.objects.filter(pk__gt=self.since, before__key=key).order_by("pk")
            self._by_key[key] = list(changes.only("pk", "before", "after"))
        return self._by_key[key]


def later_changes(change: SwitchChange) -> list[SwitchChange]:
    """The changes made to the switch of ``change`` after it, oldest first.

    Follows the renames; ends at a deletion.
    """
    return _Successors(change.pk).later(change)


def _touched(name: str, later: list[SwitchChange]) -> SwitchChange | None:
    return next((c for c in later if c.before and c.after and c.before.get(name) != c.after.get(name)), None)


def _index_in(entry: Entry, fields: dict[str, Any] | None) -> int | None:
    """Where ``entry`` stood in its field's list in ``fields``, so that an undo puts it back there."""
    namespace, field_name, _mode, condition = entry
    texts = [
        values.condition_text(c)
        for n, f, _m, c in values.iter_conditions((fields or {}).get("value"))
        if (n, f) == (namespace, field_name)
    ]
    return texts.index(condition) if condition in texts else None


def _has(entry: Entry, fields: dict[str, Any] | None) -> bool:
    return entry in conditions((fields or {}).get("value"))


_AGAIN = {
    "key": _("renamed again since, by #%(id)s"),
    "status": _("status changed again since, by #%(id)s"),
    "label": _("label changed again since, by #%(id)s"),
    "description": _("description changed again since, by #%(id)s"),
    "value": _("conditions changed again since, by #%(id)s"),
}


def _undo_plan(change: SwitchChange, later: list[SwitchChange]) -> dict[str, Any]:
    """What undoing ``change`` writes: ``{"delete": True}``, ``{"readd": fields}`` or, for the
    switch as it is now, the fields to set and the conditions to remove and add.

    :raises UndoRefused: naming the reason (and the later change in the way).
    """
    before, after = change.before, change.after
    if not isinstance(before, (dict, type(None))) or not isinstance(after, (dict, type(None))):
        raise UndoRefused(_("the recorded states of #%(id)s cannot be read."), params={"id": change.pk})
    if before == after:
        raise UndoRefused(_("#%(id)s changed nothing to undo."), params={"id": change.pk})
    if before is None:
        if later:
            raise UndoRefused(
                _("the switch has changed since, by #%(id)s; undoing its addition would delete that too."),
                params={"id": later[0].pk},
                blocked_by=later[0].pk,
            )
        return {"delete": True}
    if after is None:
        _check_free(before.get("key"))
        return {"readd": before}
    if later and later[-1].after is None:
        raise UndoRefused(
            _("the switch was deleted since, by #%(id)s."), params={"id": later[-1].pk}, blocked_by=later[-1].pk
        )
    plan: dict[str, Any] = {"set": {}, "remove": [], "add": []}
    for name in ("key", "status", "label", "description"):
        if before.get(name) == after.get(name):
            continue
        again = _touched(name, later)
        if again is not None:
            raise UndoRefused(_AGAIN[name], params={"id": again.pk}, blocked_by=again.pk)
        plan["set"][name] = before.get(name)
    if "key" in plan["set"]:
        _check_free(before.get("key"))
    if before.get("value") != after.get("value"):
        old, new = conditions(before.get("value")), conditions(after.get("value"))
        if old == new:  # stored otherwise, or unreadable: the value goes back whole
            again = _touched("value", later)
            if again is not None:
                raise UndoRefused(_AGAIN["value"], params={"id": again.pk}, blocked_by=again.pk)
            plan["set"]["value"] = before.get("value")
        for entry in [e for e in new if e not in old] + [e for e in old if e not in new]:
            again = next((c for c in later if _has(entry, c.before) != _has(entry, c.after)), None)
            if again is not None:
                raise UndoRefused(
                    _("%(condition)s changed again since, by #%(id)s."),
                    params={"condition": condition_name(*unpack(entry)), "id": again.pk},
                    blocked_by=again.pk,
                )
            plan["remove" if entry in new else "add"].append(entry)
    return plan


def _check_free(key: Any) -> None:
    if Switch.objects.filter(key=key).exists():
        raise UndoRefused(
            _("key: %(key)r belongs to another switch now; rename or delete that one first."), params={"key": key}
        )


def undo_refusal(change: SwitchChange, later: list[SwitchChange] | None = None) -> UndoRefused | None:
    """Why :func:`undo` would refuse ``change`` now, or ``None`` if it can undo it.

    :param later: the changes made to its switch since (:func:`later_changes`), if known.
    """
    try:
        _undo_plan(change, later_changes(change) if later is None else later)
    except UndoRefused as refusal:
        return refusal
    return None


def undo_refusals(changes: list[SwitchChange]) -> dict[int, UndoRefused | None]:
    """:func:`undo_refusal` of each of ``changes`` (e.g. a page of a switch's history), by id."""
    if not changes:
        return {}
    successors = _Successors(min(change.pk for change in changes))
    return {change.pk: undo_refusal(change, successors.later(change)) for change in changes}


def undo(change: SwitchChange, request: HttpRequest | None = None) -> Switch | None:
    """Revert ``change`` alone, keeping what was changed since.

    Applies the inverse of that one change to the switch as it is now: the status, label,
    description or key go back, conditions it added are removed and those it removed come
    back; undoing an addition deletes the switch, undoing a deletion adds it again. The
    undo is recorded as a change whose ``restored_from`` is ``change``.

    :param change: the recorded change.
    :param request: the request making the undo, for the history.
    :returns: the switch, or ``None`` if undoing deleted it.
    :raises UndoRefused: (a ``ValidationError``) naming the reason when a later change
        touched the same thing, e.g. ``"status changed again since, by #17"``, or the key
        belongs to another switch now; nothing is written then.
    """
    with restoring(change), made_by(request), write_transaction():
        later = later_changes(change)
        key = (later[-1].after if later else change.after or {}) or {}
        current = Switch.objects.select_for_update().filter(key=key.get("key")).first() if key else None
        later = later_changes(change)  # again, now that the switch is locked
        plan = _undo_plan(change, later)
        if plan.get("delete"):
            if current is not None:
                current.delete()
            return None
        if "readd" in plan:
            switch = Switch(key=plan["readd"]["key"])
            for name in ("label", "description", "status", "value"):
                setattr(switch, name, plan["readd"][name])
            switch.save(force_insert=True)
            return switch
        if current is None:
            raise UndoRefused(_("the switch was deleted since."))
        for name, value in plan["set"].items():
            setattr(current, name, value)
        if (plan["remove"] or plan["add"]) and not isinstance(current.value, dict):
            raise UndoRefused(_("the switch's stored conditions are corrupt now; restore a state instead."))
        stored = copy.deepcopy(current.value) if isinstance(current.value, dict) else {}
        for namespace, field_name, _mode, condition in plan["remove"]:
            values.remove_condition(stored, namespace, field_name, [condition])
        for entry in plan["add"]:
            namespace, field_name, mode, condition = entry
            at = _index_in(entry, change.before)
            values.add_condition(stored, namespace, field_name, condition, mode, at=at)
        if plan["remove"] or plan["add"]:
            current.value = stored
        current.save()
        return current
