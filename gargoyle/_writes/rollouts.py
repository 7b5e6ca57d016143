"""Progressive rollouts: starting one (``rollout_plan.py`` checks its plan), the people's
buttons (pause, resume, advance, abort) and the stage changes they and the evaluation
(``rollout_evaluation.py``) make to the switch.

The public path is :mod:`gargoyle.rollouts`; the rules are docs/rollouts.rst's:

* A running rollout is evaluated about once a minute (``EVALUATE_EVERY`` seconds divided by
  ``GARGOYLE_ROLLOUT_SPEED``), by the same due mechanism as scheduled changes: whichever
  process notices first, each evaluation inside a write transaction with the rollout's
  row locked, so two processes never both advance it.
* The guard (``guards.py``) compares the current stage's bad requests where the switch
  answered on and off. Tripped, the rollout rolls back (to 0 %, or to the previous stage and
  pauses) or pauses, as its ``on_trip`` says; the reason goes into the history, the
  ``rollout_guard_tripped`` signal, a mail to ``ADMINS`` and the log.
* Otherwise a stage widens once it was held ``hold`` seconds, exposed ``min_exposed``
  distinct subjects and both groups have the guard's minimum sample; reaching the last stage
  completes the rollout. Until then it waits: low traffic never aborts.
* A person's change to the switch while it runs pauses it, with the reason.
"""

from __future__ import annotations

import datetime
import logging
from typing import Any

from django.core.exceptions import ValidationError
from django.db import router
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from gargoyle._authoring.ranges import Percent
from gargoyle._authoring.registry import ConditionSets, default_registry
from gargoyle._conf import get_settings
from gargoyle._storage.change import VIA_ROLLOUT, SwitchChange
from gargoyle._storage.rollout import (
    ABORTED,
    ACTIVE,
    COMPLETED,
    PAUSED,
    ROLL_BACK,
    RUNNING,
    Rollout,
)
from gargoyle._storage.switch import Switch
from gargoyle._storage.transactions import write_transaction
from gargoyle._storage.validation import lookup_field
from gargoyle._writes.attribution import Automation, acting_for, made_by
from gargoyle._writes.pipeline import stored_fields, switches_changed
from gargoyle._writes.rollout_plan import clean_guard, clean_stages
from gargoyle.constants import GLOBAL, SELECTIVE

__all__ = [
    "RolloutMoved",
    "abort",
    "advance",
    "advance_stage",
    "clean_stages",
    "evaluation_interval",
    "pause",
    "resume",
    "roll_back",
    "start",
    "stop_stage",
]

logger = logging.getLogger("gargoyle")

USER_PERCENT = ("gargoyle.builtins.UserConditionSet(auth.user)", "percent")
#: Seconds between two evaluations of a running rollout (divided by GARGOYLE_ROLLOUT_SPEED).
EVALUATE_EVERY = 60.0


def speed() -> float:
    return get_settings().rollout_speed


# -- starting -------------------------------------------------------------------------------


def start(
    key: str,
    stages: Any,
    *,
    condition_set: str = USER_PERCENT[0],
    field: str = USER_PERCENT[1],
    on_trip: str = ROLL_BACK,
    max_increase: float = 0.01,
    min_requests: int = 200,
    metric: str = "",
    user: Any = None,
    registry: ConditionSets | None = None,
    using: str | None = None,
) -> Rollout:
    """Start a rollout of switch ``key`` through ``stages`` (see :func:`clean_stages`).

    The switch becomes Selective with the first stage's percent as its only include range
    of ``field`` (its other conditions stay).

    :raises ~django.core.exceptions.ValidationError: for an unknown switch, one that is
        Global or already has a rollout running or paused, a field that is not a percent,
        or bad stages or guard settings; nothing changes then.
    """
    alias = using or router.db_for_write(Rollout)
    cleaned = clean_stages(stages)
    clean_guard(on_trip, max_increase, min_requests, metric)
    found_set, found_field = lookup_field(registry or default_registry, condition_set, field)
    if not isinstance(found_field, Percent):
        raise ValidationError(_("field: %(field)r is not a percent field."), params={"field": field})
    with write_transaction(alias):
        switch = Switch.objects.using(alias).select_for_update().filter(key=key).first()
        if switch is None:
            raise ValidationError(_("key: there is no switch %(key)r."), params={"key": key})
        if switch.status == GLOBAL:
            raise ValidationError(_("key: %(key)s is Global, on for everyone already."), params={"key": key})
        if Rollout.objects.using(alias).filter(switch_key=key, state__in=ACTIVE).exists():
            raise ValidationError(_("key: %(key)s has a rollout already; end it first."), params={"key": key})
        now = timezone.now()
        rollout = Rollout.objects.using(alias).create(
            switch_key=key,
            condition_set=found_set.get_id(),
            field=field,
            stages=cleaned,
            on_trip=on_trip,
            max_increase=float(max_increase),
            min_requests=min_requests,
            metric=metric,
            stage_started_at=now,
            next_evaluation_at=now + evaluation_interval(),
            created_by=user if _signed_in(user) else None,
            created_by_name=user.get_username() if _signed_in(user) else "",
        )
        _set_percent(rollout, switch, gettext("started by %(name)s") % {"name": _by(user)}, alias)
        rollout.outcome = gettext("started: stage 1 of %(count)d, %(percent)s %%") % {
            "count": len(cleaned),
            "percent": cleaned[0]["percent"],
        }
        _stepped(rollout, alias)
        rollout.save()
        switches_changed(alias)
    return rollout


def _signed_in(user: Any) -> bool:
    return user is not None and user.is_authenticated


def evaluation_interval() -> datetime.timedelta:
    return datetime.timedelta(seconds=EVALUATE_EVERY / speed())


# -- writing the switch -----------------------------------------------------------------------


def _automation(rollout: Rollout, why: str) -> Automation:
    note = gettext("rollout #%(id)s: %(why)s") % {"id": rollout.pk, "why": why}
    return Automation(VIA_ROLLOUT, note, rollout.created_by, rollout.created_by_name)


def _set_percent(rollout: Rollout, switch: Switch, why: str, alias: str, percent: str | None = None) -> None:
    """Give the switch the percent of the current stage (or ``percent``), as the rollout."""
    with made_by(None), acting_for(_automation(rollout, why)):
        if switch.status != SELECTIVE:
            switch.status = SELECTIVE
            switch.save()
        switch.set_percent(default_registry, rollout.condition_set, rollout.field, f"0-{percent or rollout.percent}")


def _note(rollout: Rollout, why: str, alias: str) -> None:
    """A history entry for a decision that left the switch as it was (a pause, a resume)."""
    row = (
        Switch.objects.using(alias)
        .filter(key=rollout.switch_key)
        .values("key", "label", "description", "status", "value")
        .first()
    )
    if row is None:
        return
    automation = _automation(rollout, why)
    SwitchChange.objects.using(alias).create(
        switch_key=rollout.switch_key,
        user=automation.user,
        username=automation.username,
        summary=why,
        before=stored_fields(row),
        after=stored_fields(row),
        via=VIA_ROLLOUT,
        note=automation.note,
    )


# -- people's buttons -----------------------------------------------------------------------


def _locked(rollout_id: Any, alias: str, states: tuple[str, ...]) -> Rollout:
    found: Rollout | None = (
        Rollout.objects.using(alias).select_for_update().filter(pk=rollout_id).first()
        if isinstance(rollout_id, int) and not isinstance(rollout_id, bool)
        else None
    )
    if found is None:
        raise ValidationError(_("id: there is no rollout %(id)r."), params={"id": rollout_id})
    if found.state not in states:
        raise ValidationError(
            _("id: rollout %(id)s is %(state)s."), params={"id": rollout_id, "state": found.get_state_display()}
        )
    return found


def _by(user: Any) -> str:
    return user.get_username() if _signed_in(user) else gettext("a command")


def pause(rollout_id: int, *, user: Any = None, using: str | None = None) -> Rollout:
    """Pause a running rollout: it stays at its stage, and its guard stops judging.

    :raises ~django.core.exceptions.ValidationError: for an unknown rollout or one not running.
    """
    alias = using or router.db_for_write(Rollout)
    with write_transaction(alias):
        rollout = _locked(rollout_id, alias, (RUNNING,))
        stop_stage(rollout, PAUSED, gettext("paused by %(name)s") % {"name": _by(user)}, alias)
    return rollout


def resume(rollout_id: int, *, user: Any = None, using: str | None = None) -> Rollout:
    """Resume a paused rollout: its stage starts afresh (hold time and samples from now).

    :raises ~django.core.exceptions.ValidationError: for an unknown rollout or one not paused.
    """
    alias = using or router.db_for_write(Rollout)
    with write_transaction(alias):
        rollout = _locked(rollout_id, alias, (PAUSED,))
        why = gettext("resumed by %(name)s") % {"name": _by(user)}
        _restart_stage(rollout, RUNNING, why)
        _note(rollout, why, alias)
        _stepped(rollout, alias)  # what a person changed while it was paused is accepted now
        rollout.save()
        switches_changed(alias)
    return rollout


class RolloutMoved(ValidationError):
    """The rollout is no longer at the stage the caller saw (it advanced or fell back meanwhile)."""


def advance(rollout_id: int, *, user: Any = None, from_stage: int | None = None, using: str | None = None) -> Rollout:
    """Widen a running or paused rollout to its next stage now, whatever its hold and
    samples say (the last stage completes it); a paused one runs again.

    :param from_stage: the stage (from 0) the caller saw: if the rollout moved since (an
        evaluation widened it meanwhile), nothing happens and :class:`RolloutMoved` is raised,
        so that a click never lands a stage further than the person confirmed.
    :raises ~django.core.exceptions.ValidationError: for an unknown or ended rollout.
    """
    alias = using or router.db_for_write(Rollout)
    with write_transaction(alias):
        rollout = _locked(rollout_id, alias, ACTIVE)
        if from_stage is not None and from_stage != rollout.stage:
            raise RolloutMoved(
                _("stage: rollout %(id)s is at stage %(number)d of %(count)d (%(percent)s %%) now; look again."),
                params={
                    "id": rollout_id,
                    "number": rollout.stage + 1,
                    "count": len(rollout.stages),
                    "percent": rollout.percent,
                },
            )
        advance_stage(rollout, gettext("advanced by %(name)s") % {"name": _by(user)}, alias)
    return rollout


def abort(rollout_id: int, *, user: Any = None, using: str | None = None) -> Rollout:
    """End a running or paused rollout and turn the switch off for its percent (0 %).

    :raises ~django.core.exceptions.ValidationError: for an unknown or ended rollout.
    """
    alias = using or router.db_for_write(Rollout)
    with write_transaction(alias):
        rollout = _locked(rollout_id, alias, ACTIVE)
        roll_back(rollout, ABORTED, gettext("aborted by %(name)s: back to 0 %%") % {"name": _by(user)}, alias)
    return rollout


# -- stage changes ----------------------------------------------------------------------------


def _stepped(rollout: Rollout, alias: str) -> None:
    """Mark the rollout's own changes so far: any later one that is not its own pauses it."""
    rollout.last_step_at = timezone.now()
    rollout.last_step_change = SwitchChange.newest_id(alias)


def _restart_stage(rollout: Rollout, state: str, why: str, now: datetime.datetime | None = None) -> None:
    now = now or timezone.now()
    rollout.state, rollout.run = state, rollout.run + 1
    rollout.stage_started_at, rollout.next_evaluation_at = now, now + evaluation_interval()
    rollout.outcome, rollout.figures = why, {}


def advance_stage(rollout: Rollout, why: str, alias: str, now: datetime.datetime | None = None) -> None:
    last = len(rollout.stages) - 1
    rollout.stage = min(rollout.stage + 1, last)
    done = rollout.stage == last
    text = gettext("%(why)s: stage %(number)d of %(count)d, %(percent)s %%") % {
        "why": why,
        "number": rollout.stage + 1,
        "count": len(rollout.stages),
        "percent": rollout.percent,
    }
    _restart_stage(rollout, COMPLETED if done else RUNNING, text + (gettext(" (completed)") if done else ""), now)
    switch = Switch.objects.using(alias).select_for_update().filter(key=rollout.switch_key).first()
    if switch is not None:
        _set_percent(rollout, switch, rollout.outcome, alias)
    _stepped(rollout, alias)
    rollout.finished_at = rollout.last_step_at if done else None
    rollout.save()
    switches_changed(alias)


def roll_back(
    rollout: Rollout, state: str, why: str, alias: str, percent: str = "0", now: datetime.datetime | None = None
) -> None:
    _restart_stage(rollout, state, why, now)
    switch = Switch.objects.using(alias).select_for_update().filter(key=rollout.switch_key).first()
    if switch is not None:
        _set_percent(rollout, switch, why, alias, percent=percent)
    _stepped(rollout, alias)
    rollout.finished_at = rollout.last_step_at if state != PAUSED else None
    rollout.save()
    switches_changed(alias)


def stop_stage(rollout: Rollout, state: str, why: str, alias: str, now: datetime.datetime | None = None) -> None:
    """Pause (the switch stays as it is), recorded in the history."""
    _restart_stage(rollout, state, why, now)
    _note(rollout, why, alias)
    _stepped(rollout, alias)
    rollout.save()
    switches_changed(alias)
