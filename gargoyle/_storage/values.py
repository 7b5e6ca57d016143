"""The stored ``value`` of a switch: ``{namespace: {field_name: [[mode, condition], ...]}}``.

Pure functions that read and edit that structure, and the validation shared by the model,
the importer, the system checks and the snapshot compiler.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from gargoyle.constants import EXCLUDE, INCLUDE, REQUIRE

if TYPE_CHECKING:
    from gargoyle._authoring.condition_sets import ConditionSet
    from gargoyle._authoring.fields import Field

MODES = (INCLUDE, EXCLUDE, REQUIRE)
# "%(condition)s is already <participle>"
MODE_PARTICIPLES = {INCLUDE: _("included"), EXCLUDE: _("excluded"), REQUIRE: _("required")}
FIX = _("restore an earlier state from the switch's history, or clear them with Switch.clear_conditions().")


def iter_conditions(value: Any) -> Iterator[tuple[str, str, str, str]]:
    """Yield ``(namespace, field_name, mode, condition)`` for every well-formed entry."""
    if not isinstance(value, dict):
        return
    for namespace, fields in value.items():
        if not isinstance(fields, dict):
            continue
        for field_name, entries in fields.items():
            for entry in entries if isinstance(entries, list) else ():
                if isinstance(entry, (list, tuple)) and len(entry) == 2:
                    yield namespace, field_name, entry[0], entry[1]


def _entries(value: Any, namespace: str, field_name: str) -> list[Any]:
    """The stored entries of one field, after checking the structure around them."""
    if not isinstance(value, dict):
        raise ValidationError(_("value: the stored conditions are corrupt; %(fix)s"), params={"fix": FIX})
    fields = value.get(namespace, {})
    entries = fields.get(field_name, []) if isinstance(fields, dict) else None
    if not isinstance(entries, list) or not all(_is_pair(entry) for entry in entries):
        raise ValidationError(
            _("value: the stored %(namespace)s %(field)s conditions are corrupt; %(fix)s"),
            params={"namespace": namespace, "field": field_name, "fix": FIX},
        )
    return entries


def _is_pair(entry: Any) -> bool:
    return isinstance(entry, (list, tuple)) and len(entry) == 2


def add_condition(
    value: dict[str, Any], namespace: str, field_name: str, condition: str, mode: str, at: int | None = None
) -> bool:
    """Add a condition in ``mode`` (one of :data:`MODES`); return whether it was added (an
    identical one is already there).

    It goes last, or at index ``at`` of its field's list (an undo puts it back in its place).
    Raises ``ValidationError`` when the same condition is stored with another mode.
    """
    for stored_mode, stored in _entries(value, namespace, field_name):
        if stored == condition:
            if stored_mode == mode:
                return False
            raise ValidationError(
                _("%(field)s: %(condition)s is already %(mode)s; remove it first."),
                params={"field": field_name, "condition": condition, "mode": MODE_PARTICIPLES[stored_mode]},
            )
    entries = value.setdefault(namespace, {}).setdefault(field_name, [])
    entries.insert(len(entries) if at is None else at, [mode, condition])
    return True


def condition_mode(exclude: Any, required: Any) -> str:
    """The mode ``Switch.add_condition``'s ``exclude`` and ``required`` flags ask for.

    Raises ``ValidationError`` for a flag that is not a boolean ("no" would be truthy: a
    mode nobody meant) or for both flags at once.
    """
    for name, flag in (("exclude", exclude), ("required", required)):
        if not isinstance(flag, (bool, int)):
            raise ValidationError(
                _("%(name)s: pass True or False, not %(value)r."), params={"name": name, "value": flag}
            )
    if exclude and required:
        raise ValidationError(_("A condition is either excluded or required, not both."))
    return EXCLUDE if exclude else REQUIRE if required else INCLUDE


def remove_condition(value: dict[str, Any], namespace: str, field_name: str, conditions: Collection[str]) -> bool:
    """Remove a condition (include or exclude), given in any of its forms; return whether it was there."""
    entries = _entries(value, namespace, field_name)
    kept = [entry for entry in entries if condition_text(entry[1]) not in conditions]
    if len(kept) == len(entries):
        return False
    _store(value, namespace, field_name, kept)
    return True


def set_include(value: dict[str, Any], namespace: str, field_name: str, condition: str) -> bool:
    """Make ``condition`` the field's only include condition (excludes and required conditions
    stay); return whether anything changed."""
    entries = _entries(value, namespace, field_name)
    # An exclude of the same range would cancel it, so it goes; a required range is a cap
    # ("never more than half") that a rollout must not lift, so it stays, whatever its range.
    kept = [
        entry
        for entry in entries
        if entry[0] == REQUIRE or (entry[0] != INCLUDE and condition_text(entry[1]) != condition)
    ]
    wanted = [*kept, [INCLUDE, condition]]
    if [list(entry) for entry in entries] == wanted:
        return False
    value.setdefault(namespace, {})[field_name] = wanted
    return True


def condition_text(condition: Any) -> str:
    """A stored condition as text: itself, or the JSON of one that is not text (written by a
    script), which is how the panel shows it and how it is removed."""
    return condition if isinstance(condition, str) else json.dumps(condition, sort_keys=True, default=str)


def clear_conditions(value: Any, namespace: str, field_name: str | None = None) -> bool:
    """Remove every condition of a namespace, or of one of its fields, even corrupt ones."""
    if not isinstance(value, dict) or namespace not in value:
        return False
    if field_name is None:
        del value[namespace]
        return True
    if not isinstance(value[namespace], dict) or field_name not in value[namespace]:
        return False
    _store(value, namespace, field_name, [])
    return True


def _store(value: dict[str, Any], namespace: str, field_name: str, entries: list[Any]) -> None:
    if entries:
        value[namespace][field_name] = entries
        return
    del value[namespace][field_name]
    if not value[namespace]:
        del value[namespace]


def validate_shape(value: Any) -> None:
    """Raise ``ValidationError`` unless ``value`` has the stored format (any condition sets)."""
    if not isinstance(value, dict):
        raise ValidationError(
            _("value: conditions must be a JSON object, not %(type)s."), params={"type": type(value).__name__}
        )
    for namespace, fields in value.items():
        if not isinstance(fields, dict):
            raise ValidationError(
                _("value: %(namespace)s must hold an object of fields."), params={"namespace": namespace}
            )
        for field_name, entries in fields.items():
            split_by_mode(entries, f"{namespace} {field_name}")


def split_by_mode(entries: Any, where: str) -> dict[str, list[str]]:
    """A field's stored entries as condition strings by mode: ``{"i": [...], "e": [...], "r": [...]}``."""
    if not isinstance(entries, list):
        raise ValidationError(_("%(where)s: conditions must be a list."), params={"where": where})
    by_mode: dict[str, list[str]] = {mode: [] for mode in MODES}
    for entry in entries:
        if not (isinstance(entry, (list, tuple)) and len(entry) == 2 and entry[0] in MODES):
            raise ValidationError(
                _('%(where)s: %(entry)r is not an ["i", "e" or "r", condition] pair.'),
                params={"where": where, "entry": entry},
            )
        if not isinstance(entry[1], str) or "\x00" in entry[1]:
            raise ValidationError(
                _("%(where)s: conditions are strings without NUL characters."), params={"where": where}
            )
        by_mode[entry[0]].append(entry[1])
    return by_mode


def resolve_fields(
    value: Any, namespaces: Mapping[str, list[ConditionSet]]
) -> Iterator[tuple[list[ConditionSet], str, Field, Any]]:
    """Walk a stored value, yielding ``(condition sets, field name, field, entries)``.

    Raises ``ValidationError`` for a value that is not the stored format, a namespace no
    registered condition set owns, or a field none of them declares.
    """
    if not isinstance(value, dict):
        raise ValidationError(
            _("The stored conditions are not a JSON object (got %(type)s)."), params={"type": type(value).__name__}
        )
    for namespace, fields in value.items():
        sets = namespaces.get(namespace)
        if not sets:
            raise ValidationError(
                _("No registered condition set stores conditions under %(namespace)r."), params={"namespace": namespace}
            )
        if not isinstance(fields, dict):
            raise ValidationError(_("%(namespace)s: expected an object of fields."), params={"namespace": namespace})
        for field_name, entries in fields.items():
            field = next((s.fields[field_name] for s in sets if field_name in s.fields), None)
            if field is None:
                raise ValidationError(
                    _("%(namespace)s has no field %(field)r."), params={"namespace": namespace, "field": field_name}
                )
            yield sets, field_name, field, entries


def validate_value(value: Any, namespaces: Mapping[str, list[ConditionSet]], switch_key: str = "") -> None:
    """Raise ``ValidationError`` unless every stored condition is one its field accepts."""
    for _sets, field_name, field, entries in resolve_fields(value, namespaces):
        conditions = [condition for stored in split_by_mode(entries, field_name).values() for condition in stored]
        for condition in conditions:
            field.clean(condition)
        field.matcher(conditions, switch_key)
