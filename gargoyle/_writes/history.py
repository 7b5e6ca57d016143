"""The history of every switch: who changed what, when, from which state to which.

The public path is :mod:`gargoyle.history`.

Every write, whatever its path (panel, JSON API, admin, commands, model API, fixtures),
sends :data:`gargoyle.signals.switch_changed` once; each one becomes a
:class:`SwitchChange` in the same transaction. :func:`restore` puts a switch back into a
recorded state, :func:`undo` reverts one change alone; both are recorded in turn.
"""

from __future__ import annotations

import contextlib
import contextvars
import copy
from collections.abc import Iterator
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from gargoyle import signals
from gargoyle._authoring.fields import describe_condition
from gargoyle._authoring.registry import default_registry
from gargoyle._storage import values
from gargoyle._storage.change import SwitchChange
from gargoyle._storage.switch import Switch
from gargoyle._storage.transactions import write_transaction
from gargoyle._writes.attribution import made_by
from gargoyle.constants import EXCLUDE

_restoring: contextvars.ContextVar[SwitchChange | None] = contextvars.ContextVar("gargoyle_restoring", default=None)
_recorded: contextvars.ContextVar[list[SwitchChange] | None] = contextvars.ContextVar("gargoyle_recorded", default=None)


def describe(before: dict[str, Any] | None, after: dict[str, Any] | None, restored_from: int | None = None) -> str:
    """A one-line account of a change, for people, e.g. ``"status Disabled → Global"``.

    Names exactly what changed: ``"added User: Percent 10% (0-10)"``, ``"added exclude IP
    Address: 10.0.0.0/8"``, ``"removed IP Address: 127.0.0.1"``, ``"renamed a → b"``,
    ``"label changed to “New”"``, ``"description changed"``; several parts are joined with
    ``"; "``. Conditions are named through the registered condition sets (group label, field
    label and the field's ``display()``), or by their stored
    namespace and field name when no registered set stores them.

    :param before: the stored fields before the change, or ``None`` for an addition.
    :param after: the stored fields after it, or ``None`` for a deletion.
    :param restored_from: the id of the change a rollback restored (``"restores #14: ..."``).
    """
    text = _describe(before, after)
    if restored_from is not None:
        text = str(_("restores #%(id)s: %(what)s") % {"id": restored_from, "what": text})
    return text


def _describe(before: Any, after: Any) -> str:
    if not isinstance(before, (dict, type(None))) or not isinstance(after, (dict, type(None))):
        return str(_("a change whose recorded states cannot be read"))
    if before is None:
        return str(_("added (%(status)s)") % {"status": _status(after)})
    if after is None:
        return str(_("deleted"))
    parts = []
    if before.get("key") != after.get("key"):
        parts.append(str(_("renamed %(old)s → %(new)s") % {"old": before.get("key"), "new": after.get("key")}))
    if before.get("status") != after.get("status"):
        parts.append(str(_("status %(old)s → %(new)s") % {"old": _status(before), "new": _status(after)}))
    if before.get("label") != after.get("label"):
        label = after.get("label")
        parts.append(str(_("label changed to “%(label)s”") % {"label": label} if label else _("label cleared")))
    if before.get("description") != after.get("description"):
        parts.append(str(_("description changed") if after.get("description") else _("description cleared")))
    if before.get("value") != after.get("value"):
        parts.extend(_condition_parts(before.get("value"), after.get("value")))
    return "; ".join(parts) or str(_("no change"))


def _condition_parts(old: Any, new: Any) -> list[str]:
    old_conditions, new_conditions = _conditions(old), _conditions(new)
    if old_conditions == new_conditions:  # the same conditions, stored otherwise (or unreadable)
        return [str(_("conditions changed"))]
    parts = []
    for entry in new_conditions:
        if entry not in old_conditions:
            template = _("added exclude %(condition)s") if entry[2] == EXCLUDE else _("added %(condition)s")
            parts.append(str(template % {"condition": condition_name(*_unpack(entry))}))
    for entry in old_conditions:
        if entry not in new_conditions:
            template = _("removed exclude %(condition)s") if entry[2] == EXCLUDE else _("removed %(condition)s")
            parts.append(str(template % {"condition": condition_name(*_unpack(entry))}))
    return parts


_Entry = tuple[str, str, str, str]


def _conditions(value: Any) -> list[_Entry]:
    """The stored conditions as ``(namespace, field, mode, condition text)``, in stored order."""
    found: list[_Entry] = []
    for namespace, field_name, mode, condition in values.iter_conditions(value):
        entry = (str(namespace), str(field_name), str(mode), values.condition_text(condition))
        if entry not in found:
            found.append(entry)
    return found


def _status(fields: dict[str, Any] | None) -> str:
    labels = dict(Switch.STATUS_CHOICES)
    status: Any = (fields or {}).get("status")  # a stored status, or anything a script stored
    return str(labels.get(status, status))


def _unpack(entry: _Entry) -> tuple[str, str, str]:
    return entry[0], entry[1], entry[3]


def condition_name(namespace: str, field_name: str, condition: str) -> str:
    """A stored condition as people read it, e.g. ``"User: Percent 10% (0-10)"``.

    Named by the registered condition set storing it (the process-wide registry):
    its group label, the field's label and ``display()``; by the
    stored namespace and field name when no registered set stores it.
    """
    for condition_set in default_registry.namespaces().get(namespace, ()):
        field = condition_set.fields.get(field_name)
        if field is None:
            continue
        return describe_condition(str(condition_set.get_group_label()), field, condition)
    return f"{namespace}: {field_name} {condition}"


@receiver(signals.switch_changed, dispatch_uid="gargoyle.history.record")
def record(
    sender: Any,
    switch: Switch,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    request: HttpRequest | None = None,
    **kwargs: Any,
) -> SwitchChange:
    """Store one change as a :class:`SwitchChange`.

    Connected to :data:`gargoyle.signals.switch_changed`; it takes that signal's arguments.

    :returns: the new record.
    """
    user: Any = getattr(request, "user", None)  # the site's user model, AnonymousUser, or None
    authenticated = user is not None and user.is_authenticated
    change: SwitchChange = SwitchChange.objects.using(switch._state.db or "default").create(
        switch_key=(after or before or {}).get("key", switch.key),
        user=user if authenticated else None,
        username=user.get_username() if authenticated else "",
        summary=describe(before, after, restored_from=getattr(_restoring.get(), "pk", None)),
        before=before,
        after=after,
        restored_from=_restoring.get(),
    )
    recorded = _recorded.get()
    if recorded is not None:
        recorded.append(change)
    return change


@contextlib.contextmanager
def recording() -> Iterator[list[SwitchChange]]:
    """Collect the changes recorded inside the block (in this thread), oldest first.

    The JSON API answers each write with the id of the change it recorded this way.
    """
    recorded: list[SwitchChange] = []
    token = _recorded.set(recorded)
    try:
        yield recorded
    finally:
        _recorded.reset(token)


def changes_of(key: str) -> models.QuerySet[SwitchChange]:
    """The recorded changes of a switch, newest first.

    A rename is found under the old key and the new one.

    :param key: the switch's key.
    :returns: a queryset of :class:`SwitchChange`.
    """
    changes: models.QuerySet[SwitchChange] = SwitchChange.objects.filter(
        models.Q(switch_key=key) | models.Q(before__key=key) | models.Q(after__key=key)
    ).select_related("user")
    return changes


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
    with _restored_from(change), made_by(request), write_transaction():
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


@contextlib.contextmanager
def _restored_from(change: SwitchChange) -> Iterator[None]:
    token = _restoring.set(change)
    try:
        yield
    finally:
        _restoring.reset(token)


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


def _index_in(entry: _Entry, fields: dict[str, Any] | None) -> int | None:
    """Where ``entry`` stood in its field's list in ``fields``, so that an undo puts it back there."""
    namespace, field_name, _mode, condition = entry
    texts = [
        values.condition_text(c)
        for n, f, _m, c in values.iter_conditions((fields or {}).get("value"))
        if (n, f) == (namespace, field_name)
    ]
    return texts.index(condition) if condition in texts else None


def _has(entry: _Entry, fields: dict[str, Any] | None) -> bool:
    return entry in _conditions((fields or {}).get("value"))


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
        old, new = _conditions(before.get("value")), _conditions(after.get("value"))
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
                    params={"condition": condition_name(*_unpack(entry)), "id": again.pk},
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
    with _restored_from(change), made_by(request), write_transaction():
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
            values.add_condition(stored, namespace, field_name, condition, exclude=mode == EXCLUDE, at=at)
        if plan["remove"] or plan["add"]:
            current.value = stored
        current.save()
        return current
