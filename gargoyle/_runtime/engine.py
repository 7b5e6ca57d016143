"""Evaluating a compiled switch for some subjects: the hot path of ``is_active``.

The rules (docs/architecture.rst, "Evaluation"; docs/concepts.rst for users):

* GLOBAL is on, DISABLED off, INHERIT takes the parent's result (or the caller's default);
* a ``parent:child`` switch is off when its parent is off, and defaults to on when its
  parent is on;
* SELECTIVE is on iff no exclude condition matches, every required condition matches, and
  some include condition matches or there are no include conditions; with no conditions at
  all it is off.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from gargoyle._authoring.condition_sets import ConditionSet, compiled_matchers
from gargoyle._authoring.fields import Matcher
from gargoyle._runtime.subjects import subjects_of
from gargoyle.constants import DISABLED, GLOBAL, INHERIT, SELECTIVE


class ConditionGroup:
    """The conditions one condition set stores on one switch, with their matchers built."""

    __slots__ = ("can_execute", "condition_set", "fields", "read")

    def __init__(self, condition_set: ConditionSet, fields: Sequence[tuple[str, Matcher | None, Matcher | None]]):
        self.condition_set = condition_set
        self.fields = tuple(fields)  # (field name, include matcher, exclude matcher)
        # Bound once here rather than on every call.
        self.can_execute = condition_set.can_execute
        self.read = condition_set.get_field_value

    def judge(self, subjects: Sequence[Any]) -> bool | None:
        """False if an exclude matches a subject, True if an include does, else None."""
        can_execute, read = self.can_execute, self.read
        verdict = None
        for subject in subjects:
            if not can_execute(subject):
                continue
            for name, include, exclude in self.fields:
                value = read(subject, name)
                if exclude is not None and exclude(value):
                    return False
                if include is not None and verdict is None and include(value):
                    verdict = True
        return verdict


class LegacyConditionGroup:
    """A condition set that overrides ``is_active``/``has_active_condition`` is asked directly.

    Its ``super().is_active()`` then uses the matchers built here, for this switch.
    """

    __slots__ = ("condition_set", "conditions", "matchers")

    def __init__(self, condition_set: ConditionSet, conditions: dict[str, Any], matchers: dict[str, Any]):
        self.condition_set = condition_set
        self.conditions = conditions
        self.matchers = matchers  # field name -> (include matcher, exclude matcher)

    def judge(self, subjects: Sequence[Any]) -> bool | None:
        token = compiled_matchers.set(self.matchers)
        try:
            return self.condition_set.has_active_condition(self.conditions, [s for s in subjects if s is not None])
        finally:
            compiled_matchers.reset(token)


class Rules:
    """All condition groups of a SELECTIVE switch."""

    __slots__ = ("groups", "has_includes")

    def __init__(self, groups: Sequence[ConditionGroup | LegacyConditionGroup], has_includes: bool):
        self.groups = tuple(groups)
        self.has_includes = has_includes

    def evaluate(self, subjects: list[Any]) -> bool:
        included = False
        for group in self.groups:
            verdict = group.judge(subjects)
            if verdict is False:
                return False
            if verdict:
                included = True
        return included or not self.has_includes

    def decided_by_a_condition(self, subjects: list[Any]) -> bool:
        """Whether some condition (include or exclude) matched, so it decided the answer.

        Not on the hot path: ``gargoyle.resolution`` asks it to give an answer its reason.
        ``evaluate`` is on when no condition matched only if the switch has no includes.
        """
        return any(group.judge(subjects) is not None for group in self.groups)


class Requirement:
    """One required condition: met when it matches a subject, for any condition set of its
    namespace (each a group holding just that condition, as an include)."""

    __slots__ = ("groups",)

    def __init__(self, groups: Sequence[ConditionGroup | LegacyConditionGroup]):
        self.groups = tuple(groups)

    def met(self, subjects: Sequence[Any]) -> bool:
        return any(group.judge(subjects) for group in self.groups)


class RequiringRules(Rules):
    """The rules of a switch with required conditions (a class of its own: switches without
    any pay nothing for them)."""

    __slots__ = ("requirements",)

    def __init__(
        self,
        groups: Sequence[ConditionGroup | LegacyConditionGroup],
        has_includes: bool,
        requirements: Sequence[Requirement],
    ):
        super().__init__(groups, has_includes)
        self.requirements = tuple(requirements)

    def evaluate(self, subjects: list[Any]) -> bool:
        for requirement in self.requirements:
            if not requirement.met(subjects):
                return False
        return Rules.evaluate(self, subjects)

    def decided_by_a_condition(self, subjects: list[Any]) -> bool:
        """A required condition always decides: unmet, it turns the switch off; met, it is the
        match that let them in, unless includes also had to match and none did."""
        if not all(requirement.met(subjects) for requirement in self.requirements):
            return True
        return Rules.decided_by_a_condition(self, subjects) or not self.has_includes


class CompiledSwitch:
    """One switch, ready to evaluate: status, parent link and compiled rules.

    ``tally`` is the process's ``[off, on]`` count of its checks (``GARGOYLE_USAGE``), or None.
    """

    __slots__ = ("constant", "key", "parent", "problem", "rules", "status", "tally")

    def __init__(
        self,
        key: str,
        status: int,
        parent: CompiledSwitch | None = None,
        rules: Rules | None = None,
        problem: str | None = None,
    ):
        self.key = key
        self.status = status
        self.parent = parent
        self.rules = rules
        self.problem = problem  # why the stored conditions cannot be used, if they cannot
        self.constant = self._constant()
        self.tally: list[int] | None = None

    def _constant(self) -> bool | None:
        """The result when it depends on no subject and no default, else None."""
        inherited = None if self.parent is None else self.parent.constant
        if inherited is False or self.status == DISABLED:
            return False
        if self.status == SELECTIVE and self.rules is None and self.problem is None:
            return False
        if self.status == GLOBAL and (self.parent is None or inherited is True):
            return True
        if self.status == INHERIT and inherited is True:
            return True
        return None

    def evaluate(self, instances: Iterable[Any], default: bool | None) -> bool | None:
        """Evaluate for ``instances`` (a tuple, or :class:`Subjects` built once per call)."""
        if self.constant is not None:
            return self.constant
        if self.parent is not None:
            inherited = self.parent.evaluate(instances, None)
            if inherited is False:
                return False
            if inherited is True:
                default = True
        if self.status == GLOBAL:
            return True
        if self.status == SELECTIVE and self.problem is None:
            # Not None here: a SELECTIVE switch without rules or a problem is constant (False),
            # which mypy cannot follow; a check would cost the hot path.
            return self.rules.evaluate(subjects_of(instances))  # type: ignore[union-attr]
        return default  # INHERIT, or conditions that cannot be used (logged, in `check`)
