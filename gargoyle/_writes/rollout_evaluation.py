"""Evaluating running rollouts: advance, wait, or trip the guard (docs/rollouts.rst).

Each due rollout is evaluated inside a write transaction with its row locked, by whichever
process notices first (``gargoyle.schedules.apply_in_background``, the command, the Celery
task); the stage changes themselves are ``rollouts.py``'s, the statistics ``guards.py``'s.
"""

from __future__ import annotations

import datetime
import logging

from django.core.exceptions import ValidationError
from django.core.mail import mail_admins
from django.db import router
from django.utils import timezone
from django.utils.translation import gettext

from gargoyle import signals
from gargoyle._runtime.outcomes import ActiveRollout
from gargoyle._storage.change import VIA_ROLLOUT, VIA_SCHEDULE, SwitchChange
from gargoyle._storage.rollout import (
    ERRORS,
    PAUSE,
    PAUSED,
    PREVIOUS_STAGE,
    ROLLED_BACK,
    RUNNING,
    Rollout,
    exposed_subjects,
    samples_of,
)
from gargoyle._storage.schedule import as_utc
from gargoyle._storage.switch import Switch
from gargoyle._storage.transactions import write_transaction
from gargoyle._writes.guards import GuardFigures, judge
from gargoyle._writes.rollouts import advance_stage, evaluation_interval, roll_back, speed, stop_stage

__all__ = ["active_rollouts", "evaluate_due", "next_evaluation"]

logger = logging.getLogger("gargoyle")

#: The built-in user condition set: a percent of it judges signed-in users only.
USER_SET_PREFIX = "gargoyle.builtins.UserConditionSet("


def next_evaluation(using: str | None = None) -> datetime.datetime | None:
    """When the next running rollout is due for an evaluation, or None."""
    found: datetime.datetime | None = (
        Rollout.objects.using(using or router.db_for_write(Rollout))
        .filter(state=RUNNING)
        .order_by("next_evaluation_at")
        .values_list("next_evaluation_at", flat=True)
        .first()
    )
    return found


def active_rollouts(using: str | None = None) -> dict[str, ActiveRollout]:
    """The running rollouts by switch key, as a process counts for them: each an
    ``ActiveRollout`` (``rollout_id``, ``run``, ``metric``, ``min_exposed``, ``next_evaluation``)."""
    rows = Rollout.objects.using(using or router.db_for_write(Rollout)).filter(state=RUNNING)
    return {rollout.switch_key: _active(rollout) for rollout in rows}


def _active(rollout: Rollout) -> ActiveRollout:
    moment = rollout.next_evaluation_at
    if timezone.is_naive(moment):  # USE_TZ = False: stored on the site's wall clock
        moment = timezone.make_aware(moment)
    minimum = rollout.stages[rollout.stage]["min_exposed"]
    users_only = rollout.condition_set.startswith(USER_SET_PREFIX)
    return ActiveRollout(rollout.pk, rollout.run, rollout.metric, minimum, moment.timestamp(), users_only)


def evaluate_due(*, now: datetime.datetime | None = None, using: str | None = None) -> list[Rollout]:
    """Evaluate every running rollout that is due (see the module's description).

    One rollout failing (its condition set unregistered, the database failing) never keeps
    the others from being judged: a rollout whose change the switch refuses is paused with
    the reason, any other error is logged and the rollout is tried again at its next
    evaluation.

    :returns: the rollouts evaluated.
    """
    alias = using or router.db_for_write(Rollout)
    now = now or timezone.now()
    due = Rollout.objects.using(alias).filter(state=RUNNING, next_evaluation_at__lte=now).order_by("pk")
    evaluated = []
    for pk in list(due.values_list("pk", flat=True)):
        # Claimed first with one conditional update: of the processes that noticed it at the
        # same moment, only one goes on to take the write lock.
        later = now + evaluation_interval()
        claimed = Rollout.objects.using(alias).filter(pk=pk, state=RUNNING, next_evaluation_at__lte=now)
        if not claimed.update(next_evaluation_at=later):
            continue  # evaluated (or ended) by another process meanwhile
        try:
            rollout, tripped = _evaluate_one(pk, now, alias)
        except Exception as error:  # one rollout's failure is not the others'
            _failed(pk, error, alias)
            continue
        if rollout is None:
            continue
        evaluated.append(rollout)
        if tripped is not None:
            _alarm(rollout, tripped)
    return evaluated


def _evaluate_one(pk: int, now: datetime.datetime, alias: str) -> tuple[Rollout | None, GuardFigures | None]:
    with write_transaction(alias):
        rollout = Rollout.objects.using(alias).select_for_update().filter(pk=pk, state=RUNNING).first()
        if rollout is None:
            return None, None  # ended by a person meanwhile
        return rollout, _evaluate(rollout, now, alias)


def _failed(pk: int, error: Exception, alias: str) -> None:
    """A change the switch refuses pauses the rollout, with the reason; other errors are logged."""
    logger.error("gargoyle: could not evaluate rollout #%s: %s: %s", pk, type(error).__name__, error)
    if not isinstance(error, ValidationError):
        return  # perhaps passing (the database): tried again at its next evaluation
    why = gettext("paused: its change was refused: %(error)s") % {"error": " ".join(error.messages)}
    try:
        with write_transaction(alias):
            rollout = Rollout.objects.using(alias).select_for_update().filter(pk=pk, state=RUNNING).first()
            if rollout is not None:
                stop_stage(rollout, PAUSED, why, alias)
    except Exception as again:
        logger.error("gargoyle: could not pause rollout #%s either: %s", pk, again)


def _evaluate(rollout: Rollout, now: datetime.datetime, alias: str) -> GuardFigures | None:
    """Decide, and act; the figures of the metric whose guard tripped, if one did."""
    edit = _edit_by_others(rollout, alias)
    if edit is not None:
        stop_stage(rollout, PAUSED, edit, alias, now)
        return None
    figures, exposed = _figures(rollout), exposed_subjects(rollout)
    rollout.figures = {
        "metrics": [figure.as_dict() for figure in figures],
        "exposedSubjects": exposed,
        "at": as_utc(now).isoformat(),  # type: ignore[union-attr]  # now is never None
    }
    tripped = next((figure for figure in figures if figure.tripped), None)
    if tripped is not None:
        _trip(rollout, tripped, alias, now)
        return tripped
    waiting = _waiting_for(rollout, now, exposed, figures)
    if waiting is None:
        advance_stage(rollout, gettext("stage held and guard quiet"), alias, now)
        return None
    rollout.outcome = waiting
    rollout.next_evaluation_at = now + evaluation_interval()
    rollout.save(update_fields=["outcome", "figures", "next_evaluation_at"])
    return None


def _edit_by_others(rollout: Rollout, alias: str) -> str | None:
    newer = (
        SwitchChange.objects.using(alias)
        .filter(switch_key=rollout.switch_key, pk__gt=rollout.last_step_change)
        .exclude(via=VIA_ROLLOUT)  # by id, not date: the hosts' clocks may disagree
        .order_by("-id")
        .first()
    )
    if newer is None:
        if Switch.objects.using(alias).filter(key=rollout.switch_key).exists():
            return None
        return gettext("paused: the switch %(key)s no longer exists") % {"key": rollout.switch_key}
    who = newer.username or gettext("someone")
    if newer.via == VIA_SCHEDULE:
        who = gettext("a schedule of %(name)s") % {"name": who}
    return gettext("paused: %(who)s changed the switch (%(what)s)") % {
        "who": who,
        "what": newer.summary,
    }


def _figures(rollout: Rollout) -> list[GuardFigures]:
    samples = samples_of(rollout)
    metrics = [ERRORS] + ([rollout.metric] if rollout.metric else [])
    return [
        judge(
            metric,
            samples.get((True, metric), (0, 0)),
            samples.get((False, metric), (0, 0)),
            max_increase=rollout.max_increase,
            min_requests=rollout.min_requests,
        )
        for metric in metrics
    ]


def _waiting_for(rollout: Rollout, now: datetime.datetime, exposed: int, figures: list[GuardFigures]) -> str | None:
    """What the stage still waits for, or None when it may widen (every metric's guard must
    have its minimum sample)."""
    stage = rollout.stages[rollout.stage]
    left = rollout.stage_started_at + datetime.timedelta(seconds=stage["hold"] / speed()) - now
    missing = []
    if left > datetime.timedelta(0):
        seconds = left.total_seconds()
        if seconds < 90:
            missing.append(gettext("%(seconds)d s of hold") % {"seconds": max(1, round(seconds))})
        else:
            missing.append(gettext("%(minutes)d min of hold") % {"minutes": round(seconds / 60)})
    if exposed < stage["min_exposed"]:
        missing.append(gettext("%(have)d of %(need)d exposed") % {"have": exposed, "need": stage["min_exposed"]})
    for figure in figures:
        if figure.enough:
            continue
        template = (
            gettext("requests on/off %(on)d/%(off)d of %(need)d each")
            if figure.metric == ERRORS
            else gettext("%(metric)s on/off %(on)d/%(off)d of %(need)d each")
        )
        missing.append(
            template
            % {
                "metric": figure.metric,
                "on": figure.exposed_requests,
                "off": figure.control_requests,
                "need": rollout.min_requests,
            }
        )
    return gettext("waiting: %(what)s") % {"what": ", ".join(missing)} if missing else None


def _trip(rollout: Rollout, figures: GuardFigures, alias: str, now: datetime.datetime) -> None:
    why = gettext("guard tripped: %(figures)s") % {"figures": figures.summary()}
    if rollout.on_trip == PAUSE:
        stop_stage(rollout, PAUSED, why + gettext("; paused"), alias, now)
    elif rollout.on_trip == PREVIOUS_STAGE and rollout.stage > 0:
        rollout.stage -= 1
        roll_back(
            rollout,
            PAUSED,
            why + gettext("; back to stage %(number)d and paused") % {"number": rollout.stage + 1},
            alias,
            percent=rollout.percent,
            now=now,
        )
    else:
        roll_back(rollout, ROLLED_BACK, why + gettext("; rolled back to 0 %"), alias, now=now)


def _alarm(rollout: Rollout, figures: GuardFigures) -> None:
    """Tell people, after the rollback committed: the signal, the log, a mail to ADMINS."""
    logger.error("gargoyle: rollout #%s of %r: %s", rollout.pk, rollout.switch_key, rollout.outcome)
    signals.rollout_guard_tripped.send_robust(sender=Rollout, rollout=rollout, figures=figures)
    mail_admins(
        gettext("Rollout of %(key)s stopped") % {"key": rollout.switch_key},
        gettext("Rollout #%(id)s of the switch %(key)s: %(outcome)s")
        % {
            "id": rollout.pk,
            "key": rollout.switch_key,
            "outcome": rollout.outcome,
        },
        fail_silently=True,
    )
