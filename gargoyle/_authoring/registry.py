"""The registry of condition sets: which kinds of conditions switches may hold.

A :class:`~gargoyle.manager.SwitchManager` holds one. The process-wide manager holds
:data:`default_registry`, which the storage and write layers also read (to validate a
switch's conditions, to describe a change) without importing the manager above them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from gargoyle._authoring.condition_sets import ConditionSet
from gargoyle._authoring.fields import Field


class ConditionSets(Protocol):
    """What knows the registered condition sets: a registry, or the manager holding one."""

    def get_condition_set_by_id(self, condition_set_id: str) -> ConditionSet: ...

    def get_condition_sets(self) -> list[ConditionSet]: ...

    def namespaces(self) -> dict[str, list[ConditionSet]]: ...


class ConditionRegistry:
    """Registered condition sets by id, in registration order."""

    def __init__(self) -> None:
        self._sets: dict[str, ConditionSet] = {}

    def __repr__(self) -> str:
        return repr(list(self._sets.values()))

    def register(self, condition_set: ConditionSet | type[ConditionSet]) -> None:
        """Add a condition set (an instance, or a class built without arguments); replaces its id."""
        instance = condition_set() if isinstance(condition_set, type) else condition_set
        self._sets[instance.get_id()] = instance

    def unregister(self, condition_set: ConditionSet | type[ConditionSet] | str) -> bool:
        """Remove a condition set given as instance, class or id; whether it was registered."""
        if isinstance(condition_set, str):
            condition_set_id = condition_set
        elif isinstance(condition_set, type):
            condition_set_id = condition_set().get_id()
        else:
            condition_set_id = condition_set.get_id()
        return self._sets.pop(condition_set_id, None) is not None

    def get_condition_set_by_id(self, condition_set_id: str) -> ConditionSet:
        """The set with this id; ``KeyError`` (``TypeError`` for an unhashable id) if none."""
        return self._sets[condition_set_id]

    def get_condition_sets(self) -> list[ConditionSet]:
        return list(self._sets.values())

    def get_all_conditions(self) -> Iterator[tuple[str, str, Field]]:
        """``(condition_set_id, group_label, field)``: sets by group label, fields as declared."""
        for condition_set in sorted(self._sets.values(), key=lambda s: str(s.get_group_label())):
            group = str(condition_set.get_group_label())
            for field in condition_set.fields.values():
                yield condition_set.get_id(), group, field

    def namespaces(self) -> dict[str, list[ConditionSet]]:
        """``{namespace: [condition set, ...]}``: where each set's conditions are stored."""
        found: dict[str, list[ConditionSet]] = {}
        for condition_set in self._sets.values():
            found.setdefault(condition_set.get_namespace(), []).append(condition_set)
        return found


#: The process-wide manager's registry (``gargoyle.register`` adds to it).
default_registry = ConditionRegistry()

__all__ = ["ConditionRegistry", "ConditionSets", "default_registry"]
