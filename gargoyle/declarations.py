"""Switches declared in the settings (``GARGOYLE_SWITCHES``), compared with the stored ones.

``manage.py sync_switches`` is a thin layer over this module: :func:`parse` validates the
setting, :func:`plan` compares each declaration with the stored switch, and :func:`apply`
writes what the plan says, in one transaction, recorded in the history as made by
``sync_switches``.

A declaration has the shape of one switch of an export (:ref:`export-format`), so an
exported switch can be pasted in: ``status`` (required), and any of ``label``,
``description`` and ``value``. A field it leaves out is not managed: a new switch gets it
empty (or from ``GARGOYLE_SWITCH_DEFAULTS``), and a stored switch keeps its own.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error
from django.core.exceptions import ValidationError
from django.utils.translation import gettext

from gargoyle._authoring.fields import text_problem
from gargoyle._authoring.registry import ConditionSets
from gargoyle._conf import DEFAULTS
from gargoyle._storage import values
from gargoyle._storage.change import VIA_SYNC
from gargoyle._storage.transactions import write_transaction
from gargoyle._storage.validation import validate_description, validate_key, validate_label, validate_status
from gargoyle._writes.attribution import Automation, acting_for, made_by
from gargoyle._writes.describe import conditions
from gargoyle.constants import DISABLED, GLOBAL, INHERIT, SELECTIVE
from gargoyle.models import Switch

__all__ = [
    "DIFFERS",
    "FIELDS",
    "IN_SYNC",
    "MISSING",
    "SETTING",
    "STATUS_NAMES",
    "Change",
    "Declaration",
    "InvalidDeclarations",
    "Plan",
    "Problem",
    "SwitchPlan",
    "apply",
    "check_declared_switches",
    "find_problems",
    "parse",
    "plan",
    "read_setting",
]

#: The setting that holds the declarations.
SETTING = "GARGOYLE_SWITCHES"
#: The fields a declaration may give, besides ``key``: those of an exported switch.
FIELDS = ("label", "description", "status", "value")
#: The status names a declaration may give instead of a number (as ``switch_schedules`` takes them).
STATUS_NAMES = {"disabled": DISABLED, "selective": SELECTIVE, "global": GLOBAL, "inherit": INHERIT}
#: ``SwitchPlan.state`` of a declared switch that is not stored.
MISSING = "missing"
#: ``SwitchPlan.state`` of a stored switch whose declared fields are as declared.
IN_SYNC = "in_sync"
#: ``SwitchPlan.state`` of a stored switch that differs from its declaration.
DIFFERS = "differs"

# The order in which a plan lists a switch's fields.
_SHOWN = ("status", "label", "description", "value")
# GARGOYLE_SWITCH_DEFAULTS's entries, which people may carry over by mistake.
_DEFAULTS_ONLY = {"is_active", "initial_status"}


@dataclass(frozen=True)
class Problem:
    """Why a declaration cannot be used: ``key`` is ``None`` for the setting as a whole."""

    key: Any
    message: str

    def __str__(self) -> str:
        where = SETTING if self.key is None else f"{SETTING}[{self.key!r}]"
        return f"{where}: {self.message}"


class InvalidDeclarations(ValueError):
    """The setting cannot be used (raised by :func:`parse`); ``problems`` lists every :class:`Problem`."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(problem) for problem in problems))


@dataclass(frozen=True)
class Declaration:
    """One valid declaration: the key, and the fields it manages (``status`` as a number)."""

    key: str
    fields: Mapping[str, Any]


@dataclass(frozen=True)
class Change:
    """A field whose stored value (``old``; ``None`` for a switch not stored) is not the declared one (``new``)."""

    field: str
    old: Any
    new: Any


@dataclass(frozen=True)
class SwitchPlan:
    """One declared switch compared with the stored one.

    ``state`` is :data:`MISSING`, :data:`DIFFERS` or :data:`IN_SYNC`; ``changes`` the fields
    that differ (all the fields a new switch gets, for a missing one); ``write`` whether
    :func:`apply` creates or updates it.
    """

    key: str
    state: str
    changes: tuple[Change, ...]
    write: bool


@dataclass(frozen=True)
class Plan:
    """Every declared switch by key, and the stored keys that are not declared (left alone)."""

    switches: tuple[SwitchPlan, ...]
    not_declared: tuple[str, ...]

    def count(self, state: str) -> int:
        """How many declared switches are in ``state`` (:data:`MISSING`, :data:`IN_SYNC`, :data:`DIFFERS`)."""
        return sum(1 for switch in self.switches if switch.state == state)

    @property
    def writes(self) -> int:
        """How many switches :func:`apply` writes."""
        return sum(1 for switch in self.switches if switch.write)


# -- validating -------------------------------------------------------------------------


def find_problems(setting: Any, manager: ConditionSets | None = None) -> list[Problem]:
    """Every problem of a ``GARGOYLE_SWITCHES`` value, without reading the database.

    :param setting: the setting's value: ``{key: declaration}``.
    :param manager: what knows the condition sets (a :class:`~gargoyle.manager.SwitchManager`);
        with it, each condition must be one a registered condition set's field accepts;
        without it (the system check ``gargoyle.E028``), only the shape is checked.
    """
    if not isinstance(setting, Mapping):
        return [Problem(None, f"must be a dict of {{key: declaration}}, not {type(setting).__name__}.")]
    return [problem for key, entry in setting.items() for problem in _entry_problems(key, entry, manager)]


def parse(setting: Any, manager: ConditionSets) -> list[Declaration]:
    """The valid declarations of ``setting``, by key.

    :raises InvalidDeclarations: listing every problem, if there is any.
    """
    problems = find_problems(setting, manager)
    if problems:
        raise InvalidDeclarations(problems)
    return [_declaration(key, setting[key]) for key in sorted(setting)]


def read_setting() -> Any:
    """The setting as configured (``{}`` when it is not)."""
    return getattr(settings, SETTING, DEFAULTS["GARGOYLE_SWITCHES"])


def _entry_problems(key: Any, entry: Any, manager: ConditionSets | None) -> list[Problem]:
    found = [str(message) for message in _messages(validate_key, key)]
    if not isinstance(entry, Mapping):
        found.append(f"a declaration is a dict of {', '.join(FIELDS)}, not {type(entry).__name__}.")
        return [Problem(key, message) for message in found]
    unknown = sorted(set(entry) - {"key", *FIELDS}, key=str)
    if unknown:
        hint = " (is_active and initial_status are GARGOYLE_SWITCH_DEFAULTS's: give a status)"
        found.append(f"unknown fields {unknown}{hint if _DEFAULTS_ONLY & set(unknown) else ''}.")
    if "key" in entry and entry["key"] != key:
        found.append(f"key: {entry['key']!r} is not the key it is declared under.")
    if "status" not in entry:
        found.append(f"status: missing (give one of {', '.join(repr(name) for name in STATUS_NAMES)}, or 1 to 4).")
    else:
        found += _messages(validate_status, _status(entry["status"]))
    found += _messages(validate_label, entry.get("label"))
    found += _messages(validate_description, entry.get("description"))
    if "value" in entry:
        found += _value_problems(entry["value"], manager, key)
    return [Problem(key, str(message)) for message in found]


def _value_problems(value: Any, manager: ConditionSets | None, key: Any) -> list[str]:
    try:
        value = _as_json(value)
    except ValueError as error:
        return [f"value: {error}"]
    texts = [condition for *_, condition in values.iter_conditions(value) if isinstance(condition, str)]
    problem = next((text_problem(text) for text in texts if text_problem(text)), None)
    if problem is not None:  # a lone surrogate: no database stores it
        return [f"value: a condition {problem}"]
    if manager is None:
        return _messages(values.validate_shape, value)
    return [
        message if message.startswith("value") else f"value: {message}"
        for message in _messages(lambda: values.validate_value(value, manager.namespaces(), str(key)))
    ]


def _messages(check: Any, *arguments: Any) -> list[str]:
    try:
        check(*arguments)
    except ValidationError as error:
        return [str(message) for message in error.messages]
    return []


def _as_json(value: Any) -> Any:
    """``value`` as the database will give it back: tuples become lists; what JSON cannot
    hold (a set, NaN, a key that is not text) is refused rather than stored otherwise."""
    try:
        text = json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise ValueError(f"cannot be stored as JSON ({error}).") from None
    if _has_non_text_names(value):
        raise ValueError("the names of condition sets and fields are text.")
    return json.loads(text)


def _has_non_text_names(value: Any) -> bool:
    if isinstance(value, Mapping):
        return any(not isinstance(name, str) or _has_non_text_names(inner) for name, inner in value.items())
    return False


def _status(status: Any) -> Any:
    """A status number, from a number or a name; anything else as given, for validate_status to refuse."""
    if isinstance(status, str):
        return STATUS_NAMES.get(status.lower(), status)  # "Global", as the panel shows it, too
    return str(status) if isinstance(status, float) else status  # 1.0 is not a status (== 1)


def _declaration(key: str, entry: Mapping[str, Any]) -> Declaration:
    fields = {name: copy.deepcopy(entry[name]) for name in FIELDS if name in entry}
    fields["status"] = _status(fields["status"])
    if "value" in fields:
        fields["value"] = _as_json(fields["value"])
    return Declaration(key, fields)


# -- comparing and writing ----------------------------------------------------------------


def plan(declarations: Iterable[Declaration], *, update: bool = False, lock: bool = False) -> Plan:
    """Compare each declaration with the stored switch.

    :param update: whether stored switches that differ are to be brought to their
        declaration (``write`` is true for them too); missing switches are always created.
    :param lock: lock the rows read (inside :func:`apply`'s transaction).
    """
    declared = list(declarations)
    switches = Switch.objects.filter(key__in=[declaration.key for declaration in declared])
    stored = {switch.key: switch for switch in (switches.select_for_update() if lock else switches)}
    others = Switch.objects.exclude(key__in=[declaration.key for declaration in declared]).order_by("key")
    return Plan(
        switches=tuple(_compare(declaration, stored.get(declaration.key), update) for declaration in declared),
        not_declared=tuple(others.values_list("key", flat=True)),
    )


def apply(declarations: Iterable[Declaration], *, update: bool = False) -> Plan:
    """Create the missing switches (and, with ``update``, update those that differ), in one
    transaction, recorded in the history as made by ``sync_switches``.

    :returns: the plan as it was found, inside the transaction, before writing.
    :raises ~django.core.exceptions.ValidationError: for a value the model refuses (nothing
        is written then; :func:`parse` finds these first).
    """
    declared = {declaration.key: declaration for declaration in declarations}
    automation = Automation(VIA_SYNC, gettext("declared in %(setting)s") % {"setting": SETTING})
    with write_transaction(), made_by(None), acting_for(automation):
        found = plan(declared.values(), update=update, lock=True)
        for switch_plan in found.switches:
            if switch_plan.write:
                _write(declared[switch_plan.key], switch_plan.state)
    return found


def _write(declaration: Declaration, state: str) -> None:
    fields = copy.deepcopy(dict(declaration.fields))
    if state == MISSING:
        Switch.objects.create(key=declaration.key, **fields)
        return
    switch = Switch.objects.select_for_update().get(key=declaration.key)
    for name, value in fields.items():
        setattr(switch, name, value)
    switch.save()  # writes only the fields that changed: one history entry


def _compare(declaration: Declaration, stored: Switch | None, update: bool) -> SwitchPlan:
    if stored is None:
        new = Switch(key=declaration.key, **copy.deepcopy(dict(declaration.fields)))  # as it will be created
        changes = tuple(
            Change(name, None, getattr(new, name)) for name in _SHOWN if getattr(new, name) or name == "status"
        )
        return SwitchPlan(declaration.key, MISSING, changes, write=True)
    changes = tuple(
        Change(name, getattr(stored, name), new)
        for name, new in sorted(declaration.fields.items(), key=lambda item: _SHOWN.index(item[0]))
        if not _same(name, getattr(stored, name), new)
    )
    if not changes:
        return SwitchPlan(declaration.key, IN_SYNC, (), write=False)
    return SwitchPlan(declaration.key, DIFFERS, changes, write=update)


def _same(name: str, old: Any, new: Any) -> bool:
    if name in ("label", "description"):
        return (old or None) == (new or None)  # no label, stored as null or as ""
    if name == "value":
        # The same conditions in another order (or repeated) answer the same: not a difference.
        return _readable(old) and set(conditions(old)) == set(conditions(new))
    return bool(old == new)


def _readable(value: Any) -> bool:
    return not _messages(values.validate_shape, value)


# -- the system check -----------------------------------------------------------------------


def check_declared_switches(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Check ``GARGOYLE_SWITCHES``'s shape: ``gargoyle.E028``, one error per problem.

    Reads no database and no condition set: a condition that no registered set accepts is
    found by ``manage.py sync_switches``, which validates each against the registered sets.
    """
    return [
        Error(
            f"Invalid switch declaration: {problem.message}",
            hint=f"settings.{SETTING}" + ("" if problem.key is None else f"[{problem.key!r}]"),
            id="gargoyle.E028",
        )
        for problem in find_problems(read_setting())
    ]
