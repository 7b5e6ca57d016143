"""Saying what a change to a switch did, for people, e.g. ``"status Disabled → Global"``.

The history records each change with this text (:func:`describe`); the JSON API and the
panel describe every entry afresh from its recorded states. :func:`conditions` reads a
stored value as the entries that an undo adds back and removes.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from gargoyle._authoring.fields import describe_condition
from gargoyle._authoring.registry import default_registry
from gargoyle._storage import values
from gargoyle._storage.switch import Switch
from gargoyle.constants import EXCLUDE, INCLUDE, REQUIRE


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
    old_conditions, new_conditions = conditions(old), conditions(new)
    if old_conditions == new_conditions:  # the same conditions, stored otherwise (or unreadable)
        return [str(_("conditions changed"))]
    parts = []
    for entry in new_conditions:
        if entry not in old_conditions:
            template = ADDED.get(entry[2], ADDED[INCLUDE])
            parts.append(str(template % {"condition": condition_name(*unpack(entry))}))
    for entry in old_conditions:
        if entry not in new_conditions:
            template = REMOVED.get(entry[2], REMOVED[INCLUDE])
            parts.append(str(template % {"condition": condition_name(*unpack(entry))}))
    return parts


# What a history entry says of a condition added or removed, by its mode.
ADDED = {
    INCLUDE: _("added %(condition)s"),
    EXCLUDE: _("added exclude %(condition)s"),
    REQUIRE: _("added required %(condition)s"),
}
REMOVED = {
    INCLUDE: _("removed %(condition)s"),
    EXCLUDE: _("removed exclude %(condition)s"),
    REQUIRE: _("removed required %(condition)s"),
}


Entry = tuple[str, str, str, str]


def conditions(value: Any) -> list[Entry]:
    """The stored conditions as ``(namespace, field, mode, condition text)``, in stored order."""
    found: list[Entry] = []
    for namespace, field_name, mode, condition in values.iter_conditions(value):
        entry = (str(namespace), str(field_name), str(mode), values.condition_text(condition))
        if entry not in found:
            found.append(entry)
    return found


def _status(fields: dict[str, Any] | None) -> str:
    labels = dict(Switch.STATUS_CHOICES)
    status: Any = (fields or {}).get("status")  # a stored status, or anything a script stored
    return str(labels.get(status, status))


def unpack(entry: Entry) -> tuple[str, str, str]:
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
