"""An answer with its reason, in OpenFeature's terms: what ``is_active`` answers, and why.

The OpenFeature provider (:mod:`gargoyle.openfeature`) and the OFREP endpoint
(:mod:`gargoyle.ofrep`) both answer through :func:`resolve`, so a switch gives the same
value and reason in-process and over HTTP. It needs no OpenFeature package. The value is
``is_active``'s own (counted and recorded like any check); the reason walks the same rules
(docs/architecture.rst, "Evaluation"):

====================  ===================================================================
Reason                When
====================  ===================================================================
``STATIC``            Global, Disabled, or Selective without conditions: the same answer for
                      everyone (also a switch forced by :class:`~gargoyle.testutils.switches`
                      or by a browser's QA override, :mod:`gargoyle.qa`)
``TARGETING_MATCH``   Selective, and a condition decided: an include or exclude matched a
                      subject, a required condition did not match (off), or the switch
                      has required conditions, every one matched, and it has no includes
``DEFAULT``           Selective and no condition matched (off, or on when it has only
                      excludes); Inherit without a parent (the caller's default); a
                      ``GARGOYLE_SWITCH_DEFAULTS`` key not stored yet
``DISABLED``          off because the parent of a ``parent:child`` switch is off
``ERROR``             the stored conditions cannot be used: the caller's default
====================  ===================================================================

A key with neither a stored switch nor a ``GARGOYLE_SWITCH_DEFAULTS`` entry resolves to the
caller's default with the error ``FLAG_NOT_FOUND``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from asgiref.sync import sync_to_async

from gargoyle._runtime.engine import CompiledSwitch
from gargoyle._runtime.overrides import OverridableSwitch
from gargoyle._runtime.subjects import Subjects, async_subjects_of, subjects_of
from gargoyle.constants import DISABLED, GLOBAL, INHERIT, SELECTIVE
from gargoyle.manager import SwitchManager, gargoyle

#: Reasons (OpenFeature's resolution reasons).
STATIC = "STATIC"
TARGETING_MATCH = "TARGETING_MATCH"
DEFAULT = "DEFAULT"
DISABLED_REASON = "DISABLED"
ERROR = "ERROR"

#: Error codes (OpenFeature's).
FLAG_NOT_FOUND = "FLAG_NOT_FOUND"
GENERAL = "GENERAL"

#: The variants: a switch has two.
ON, OFF = "on", "off"


@dataclass(frozen=True)
class Resolution:
    """A switch's answer for some subjects, and why."""

    #: The switch's key.
    key: str
    #: What ``is_active`` answers; the caller's default with an error.
    value: bool | None
    #: One of the reasons above.
    reason: str
    #: ``"on"`` or ``"off"``; None with an error.
    variant: str | None = None
    #: ``FLAG_NOT_FOUND`` or ``GENERAL``; None without an error.
    error_code: str | None = None
    #: Why, for an error.
    error_message: str | None = None
    #: The switch's status (:mod:`gargoyle.constants`); None for an unknown key.
    status: int | None = None
    #: Whether the answer comes from ``GARGOYLE_SWITCH_DEFAULTS``, no switch being stored.
    code_default: bool = False


def resolve(
    key: str, *instances: Any, default: bool | None = False, manager: SwitchManager | None = None
) -> Resolution:
    """Resolve ``key`` for ``instances`` (requests, users...), as ``is_active`` would.

    :param key: the switch's key.
    :param instances: the subjects, as for ``is_active``.
    :param default: the caller's default (for an unknown key, Inherit, or an error).
    :param manager: the manager to ask (default: the process-wide one).
    """
    manager = gargoyle if manager is None else manager
    return _resolved(manager, manager._current_snapshot(), key, Subjects(subjects_of(instances)), default)


async def aresolve(
    key: str, *instances: Any, default: bool | None = False, manager: SwitchManager | None = None
) -> Resolution:
    """:func:`resolve` for async code: requests' users are loaded without blocking the loop."""
    manager = gargoyle if manager is None else manager
    subjects = await async_subjects_of(instances)
    snapshot = await sync_to_async(manager._current_snapshot)()
    return _resolved(manager, snapshot, key, subjects, default)


def known(key: str, manager: SwitchManager | None = None) -> bool:
    """Whether ``key`` has a stored switch or a ``GARGOYLE_SWITCH_DEFAULTS`` entry."""
    snapshot = (gargoyle if manager is None else manager)._current_snapshot()
    return key in snapshot.switches or key in snapshot.fallbacks


def _resolved(manager: SwitchManager, snapshot: Any, key: str, subjects: Subjects, default: bool | None) -> Resolution:
    switch = snapshot.switches.get(key)
    reason = None
    if switch is None:
        switch, reason = snapshot.fallbacks.get(key), DEFAULT
    if switch is None:
        return Resolution(key, default, ERROR, error_code=FLAG_NOT_FOUND, error_message=f"No switch {key!r}.")
    value = manager._evaluate(switch, subjects, default)  # counted and recorded, as is_active is
    try:
        reason = reason or _reason(switch, subjects)
    except Exception as error:  # a condition set's bug: is_active answered the default (and logged it)
        message = f"{type(error).__name__}: {error}"
        return Resolution(key, default, ERROR, error_code=GENERAL, error_message=message, status=switch.status)
    if reason == ERROR:
        return Resolution(key, default, ERROR, error_code=GENERAL, error_message=switch.problem, status=switch.status)
    variant = None if value is None else (ON if value else OFF)
    code_default = key in snapshot.fallbacks
    return Resolution(key, value, reason, variant, status=switch.status, code_default=code_default)


def _reason(switch: CompiledSwitch, subjects: list[Any]) -> str:
    """Why ``switch`` answers what it does for ``subjects`` (the rules of ``CompiledSwitch.evaluate``)."""
    if isinstance(switch, OverridableSwitch) and switch.forced_answer() is not None:
        return STATIC  # a tester forced it for their browser: the same answer whoever they are
    parent_on = False
    if switch.parent is not None:
        inherited = switch.parent.evaluate(subjects, None)
        if inherited is False:
            return DISABLED_REASON
        parent_on = inherited is True
    if switch.status in (GLOBAL, DISABLED):
        return STATIC
    if switch.status == SELECTIVE:
        if switch.problem is not None:
            return ERROR
        if switch.rules is None:
            return STATIC
        return TARGETING_MATCH if switch.rules.decided_by_a_condition(subjects) else DEFAULT
    if switch.status == INHERIT and parent_on and switch.parent is not None:
        return _reason(switch.parent, subjects)
    return DEFAULT


def known_keys(manager: SwitchManager | None = None) -> Iterable[str]:
    """Every key :func:`resolve` finds: the stored switches and the code defaults, sorted."""
    snapshot = (gargoyle if manager is None else manager)._current_snapshot()
    return sorted({*snapshot.switches, *snapshot.fallbacks})
