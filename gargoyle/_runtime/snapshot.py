"""An immutable, compiled picture of every switch, built once per change.

``build_snapshot`` turns stored rows (plus ``GARGOYLE_SWITCH_DEFAULTS`` and test
overrides) into :class:`~gargoyle._runtime.engine.CompiledSwitch` objects. A switch whose stored
conditions cannot be used is compiled with a ``problem`` and evaluates as its default.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.core.exceptions import ValidationError

from gargoyle._authoring.condition_sets import ConditionSet
from gargoyle._authoring.fields import Matcher
from gargoyle._conf import default_status
from gargoyle._runtime.engine import (
    CompiledSwitch,
    ConditionGroup,
    LegacyConditionGroup,
    Requirement,
    RequiringRules,
    Rules,
)
from gargoyle._runtime.overrides import OverridableSwitch
from gargoyle._storage import values
from gargoyle.constants import DISABLED, EXCLUDE, GLOBAL, INCLUDE, REQUIRE, SELECTIVE, STATUSES

T = TypeVar("T")

NOT_READ = object()  # the token of a snapshot built without reading a version


@dataclass(frozen=True)
class Snapshot:
    switches: Mapping[str, CompiledSwitch]  # stored switches (and test overrides)
    rows: Mapping[str, Mapping[str, Any]]  # the stored rows, by key
    fallbacks: Mapping[str, CompiledSwitch] = field(default_factory=dict)  # defaults not stored yet
    problems: Mapping[str, str] = field(default_factory=dict)
    cache_token: Any = NOT_READ
    db_version: Any = NOT_READ
    loaded: bool = False  # False until the database has been read once

    def nearest_ancestor(self, key: str) -> CompiledSwitch | None:
        """The closest existing ``parent`` of ``parent:child`` keys, if any."""
        return nearest_ancestor(key, self.switches, self.fallbacks)


def nearest_ancestor(key: str, *places: Mapping[str, T]) -> T | None:
    """What the first of ``places`` holds for the closest ancestor key (``a`` for ``a:b:c``
    when ``a:b`` is in none of them), or None."""
    while ":" in key:
        key = key.rpartition(":")[0]
        for place in places:
            if key in place:
                return place[key]
    return None


EMPTY = Snapshot(switches={}, rows={})


def build_snapshot(
    rows: Sequence[Mapping[str, Any]],
    namespaces: Mapping[str, list[ConditionSet]],
    *,
    switch_defaults: Mapping[str, Mapping[str, Any]],
    overrides: Mapping[str, bool],
    previous: Snapshot | None = None,
    tally: Callable[[str], list[int]] | None = None,
    overridable: Collection[str] = (),
    **tokens: Any,
) -> Snapshot:
    """Compile stored rows, code defaults and test overrides into a snapshot.

    A ``GARGOYLE_SWITCH_DEFAULTS`` key that is not stored yet lands in ``fallbacks``, so
    that ``is_active`` takes the unknown-key path for it (and records it once). Rules of
    rows unchanged since ``previous`` (built with the same condition sets) are reused.
    ``tally`` gives each switch its key's check counts (``GARGOYLE_USAGE``). The keys of
    ``overridable`` (``GARGOYLE_QA_SWITCHES``) are compiled as ``OverridableSwitch``.
    """
    specs: dict[str, tuple[int, Any]] = {}
    for key, default in switch_defaults.items():
        status = default_status(default) if isinstance(default, dict) else None
        specs[key] = (DISABLED if status is None else status, {})
    for row in rows:
        specs[row["key"]] = (evaluated_status(row["status"]), row["value"])
    for key, active in overrides.items():
        specs[key] = (GLOBAL if active else DISABLED, {})

    switches: dict[str, CompiledSwitch] = {}
    problems: dict[str, str] = {}
    # Parents before children, so each child links to its compiled parent.
    for key in sorted(specs, key=lambda k: k.count(":")):
        status, value = specs[key]
        rules, problem = None, None
        reused = _unchanged_rules(previous, key, status, value)
        if reused is not None:
            rules, problem = reused
            if problem is not None:
                problems[key] = problem
        elif status == SELECTIVE:  # only a selective switch's conditions decide anything
            rules, problem = try_compile_rules(key, value, namespaces)
            if problem is not None:
                problems[key] = problem
        # An override is absolute, whatever its parent says; other switches inherit.
        parent = None if key in overrides else nearest_ancestor(key, switches)
        kind = OverridableSwitch if key in overridable and key not in overrides else CompiledSwitch
        switches[key] = compiled = kind(key, status, parent, rules, problem)
        if tally is not None:
            compiled.tally = tally(key)  # the key's counts, kept across snapshots
    stored = {row["key"]: row for row in rows}
    fallbacks = {key: switches.pop(key) for key in list(switches) if key not in stored and key not in overrides}
    return Snapshot(switches=switches, rows=stored, fallbacks=fallbacks, problems=problems, **tokens)


def evaluated_status(status: Any) -> int:
    """The status a stored status is evaluated as: a status outside 1-4 counts as SELECTIVE.

    gargoyle-yplan evaluated any other number that way; keeping it changes no answer on
    upgrade, and ``manage.py check`` (``gargoyle.W008``), the panel and ``list_switches``
    report the switch.
    """
    return status if status in STATUSES else SELECTIVE


def _unchanged_rules(
    previous: Snapshot | None, key: str, status: int, value: Any
) -> tuple[Rules | None, str | None] | None:
    """The rules and problem ``previous`` compiled for this very row, if any."""
    if previous is None or status != SELECTIVE:
        return None
    row, switch = previous.rows.get(key), previous.switches.get(key)
    if row is None or switch is None or evaluated_status(row["status"]) != status or row["value"] != value:
        return None
    return switch.rules, switch.problem


def try_compile_rules(
    key: str, value: Any, namespaces: Mapping[str, list[ConditionSet]]
) -> tuple[Rules | None, str | None]:
    """``(rules, None)``, or ``(None, why)`` when the stored conditions cannot be used."""
    try:
        return compile_rules(key, value, namespaces), None
    except ValidationError as error:
        return None, "; ".join(error.messages)
    except Exception as error:  # a custom field's bug must not take other switches down
        return None, f"{type(error).__name__}: {error}"


def compile_rules(key: str, value: Any, namespaces: Mapping[str, list[ConditionSet]]) -> Rules | None:
    """Build the rules of a switch's stored conditions; None when it has none."""
    groups: dict[int, tuple[ConditionSet, list[tuple[str, Matcher | None, Matcher | None]]]] = {}
    legacy: dict[int, LegacyConditionGroup] = {}
    requirements: list[Requirement] = []
    has_includes = False
    any_condition = False
    for sets, field_name, field_type, entries in values.resolve_fields(value, namespaces):
        by_mode = values.split_by_mode(entries, field_name)
        includes, excludes, required = by_mode[INCLUDE], by_mode[EXCLUDE], by_mode[REQUIRE]
        any_condition = any_condition or bool(includes or excludes or required)
        has_includes = has_includes or bool(includes)
        owners = [condition_set for condition_set in sets if field_name in condition_set.fields]
        # Each required condition on its own: all of them must match.
        requirements.extend(one_condition(owners, field_name, field_type.matcher([c], key), c) for c in required)
        if not includes and not excludes:
            continue
        for condition_set in owners:
            include = field_type.matcher(includes, key) if includes else None
            exclude = field_type.matcher(excludes, key) if excludes else None
            if _asks_itself(condition_set):
                group = legacy.setdefault(id(condition_set), _legacy_group(condition_set, value))
                group.matchers[field_name] = (include, exclude)
                continue
            groups.setdefault(id(condition_set), (condition_set, []))[1].append((field_name, include, exclude))
    if not any_condition:
        return None
    compiled = [ConditionGroup(condition_set, fields) for condition_set, fields in groups.values()]
    if requirements:
        return RequiringRules(compiled + list(legacy.values()), has_includes, requirements)
    return Rules(compiled + list(legacy.values()), has_includes)


def one_condition(owners: list[ConditionSet], field_name: str, matcher: Matcher, condition: str) -> Requirement:
    """One condition, judged as an include of its own by each set that declares the field: a
    required condition, or any condition the preview asks about (``gargoyle.preview``)."""
    groups: list[ConditionGroup | LegacyConditionGroup] = []
    for condition_set in owners:
        if _asks_itself(condition_set):
            only = {condition_set.get_namespace(): {field_name: [[INCLUDE, condition]]}}
            groups.append(LegacyConditionGroup(condition_set, only, {field_name: (matcher, None)}))
        else:
            groups.append(ConditionGroup(condition_set, [(field_name, matcher, None)]))
    return Requirement(groups)


def _legacy_group(condition_set: ConditionSet, value: dict[str, Any]) -> LegacyConditionGroup:
    """A group for a condition set that judges itself, given its includes and excludes only.

    Required conditions are judged by the engine (:class:`Requirement`): code written for
    gargoyle-yplan would read any mode but exclude as an include.
    """
    namespace = condition_set.get_namespace()
    stored = {name: [entry for entry in entries if entry[0] != REQUIRE] for name, entries in value[namespace].items()}
    return LegacyConditionGroup(condition_set, {namespace: stored}, {})


def _asks_itself(condition_set: ConditionSet) -> bool:
    cls = type(condition_set)
    return (
        cls.is_active is not ConditionSet.is_active or cls.has_active_condition is not ConditionSet.has_active_condition
    )
