"""QA overrides on the hot path: the switches one browser may force on or off.

Only a switch listed in ``GARGOYLE_QA_SWITCHES`` is compiled as an :class:`OverridableSwitch`
(``gargoyle._runtime.snapshot``); every other switch stays a plain ``CompiledSwitch``, so
checking it costs exactly what it cost without the feature. An overridable switch is never
a constant: each check reads :data:`forced`, the answers this request's browser asked for
(set by :class:`gargoyle.qa.SwitchOverrideMiddleware`, None outside such a request), and
answers as the stored switch would when its key is not there. Its children (``key:child``)
ask it on every check, so they follow an override too (docs/qa-overrides.rst).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from contextvars import ContextVar
from typing import Any

from gargoyle._runtime.engine import CompiledSwitch, Rules

__all__ = ["OverridableSwitch", "forced"]

#: The answers forced for the current request: ``{key: True or False}``, or None.
forced: ContextVar[Mapping[str, bool] | None] = ContextVar("gargoyle_forced", default=None)


class OverridableSwitch(CompiledSwitch):
    """A switch of ``GARGOYLE_QA_SWITCHES``: a request's forced answer first, then its rules."""

    __slots__ = ("fixed",)

    def __init__(
        self,
        key: str,
        status: int,
        parent: CompiledSwitch | None = None,
        rules: Rules | None = None,
        problem: str | None = None,
    ):
        super().__init__(key, status, parent, rules, problem)
        # The answer it would have without an override, if it depends on nothing else; its
        # `constant` stays None, so is_active and its children always ask `evaluate`.
        self.fixed = self.constant
        self.constant = None

    def forced_answer(self) -> bool | None:
        """The answer this request's browser forced, or None (for the reason of an answer)."""
        overrides = forced.get()
        return None if overrides is None else overrides.get(self.key)

    def evaluate(self, instances: Iterable[Any], default: bool | None) -> bool | None:
        overrides = forced.get()  # inline, not forced_answer(): this is the hot path
        if overrides is not None:
            answer = overrides.get(self.key)
            if answer is not None:
                return answer
        if self.fixed is not None:
            return self.fixed
        return CompiledSwitch.evaluate(self, instances, default)
