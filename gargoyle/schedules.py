"""Scheduled changes: a status, a condition or a percent range, changed at a set moment.

::

    from gargoyle.schedules import parse_moment, schedule

    schedule("new_checkout", "set_percent",
             {"condition_set": "gargoyle.builtins.UserConditionSet", "field": "percent",
              "condition": "0-25"},
             parse_moment("2027-03-01 09:00", "Europe/Berlin"), user=request.user)

Moments are stored in UTC. A due schedule is applied by the first process whose version
check notices it (once per request, or every ``GARGOYLE_CHECK_INTERVAL`` seconds), by
``manage.py run_switch_schedules`` or by the Celery task ``gargoyle.tasks.run_switch_schedules``;
each is applied at most once, recorded in the history as made by the schedule for the
person who scheduled it, and refused (with the reason) when a person changed the switch
after it was scheduled. See docs/schedules.rst.
"""

from __future__ import annotations

import datetime
import logging
import threading
import time
import zoneinfo
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connections
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gargoyle._conf import get_settings
from gargoyle._storage.schedule import (
    ACTION_ARGUMENTS,
    APPLIED,
    CANCELLED,
    PENDING,
    REFUSED,
    ScheduledChange,
)
from gargoyle._writes.rollout_evaluation import evaluate_due, next_evaluation
from gargoyle._writes.schedules import apply_due, cancel, clean_arguments, describe_action, edit, next_due, schedule

__all__ = [
    "ACTION_ARGUMENTS",
    "APPLIED",
    "CANCELLED",
    "PENDING",
    "REFUSED",
    "ScheduledChange",
    "apply_due",
    "apply_in_background",
    "cancel",
    "clean_arguments",
    "describe_action",
    "edit",
    "next_due",
    "next_due_timestamp",
    "parse_moment",
    "pending",
    "schedule",
]

logger = logging.getLogger("gargoyle")


def pending(key: str | None = None) -> QuerySet[ScheduledChange]:
    """The schedules still to come, soonest first; only switch ``key``'s when given."""
    found = ScheduledChange.objects.filter(state=PENDING).order_by("due_at", "pk")
    return found.filter(switch_key=key) if key is not None else found


# -- moments ------------------------------------------------------------------------------


def parse_moment(text: str, zone: str | None = None) -> datetime.datetime:
    """Read a moment typed by a person, refusing one that a time zone makes unclear.

    ``text`` is ISO 8601: with a UTC offset (``2027-03-01T09:00+01:00``, ``...Z``) it is
    exact; without one it is a wall-clock time in ``zone`` (an IANA name; default: the
    site's ``TIME_ZONE``). A wall-clock time that does not exist there (skipped when the
    clocks go forward) or happens twice (when they go back) is refused, with the offsets
    to choose from, rather than guessed.

    :returns: an aware datetime in UTC.
    :raises ~django.core.exceptions.ValidationError: naming the problem.
    """
    if not isinstance(text, str):
        raise ValidationError(_("due_at: give the moment as text, e.g. 2027-03-01 09:00."))
    cleaned = text.strip()
    if cleaned[-1:] in ("Z", "z"):  # UTC; Python 3.10's fromisoformat does not read the letter
        cleaned = cleaned[:-1] + "+00:00"
    try:
        moment = datetime.datetime.fromisoformat(cleaned)
    except ValueError:
        raise ValidationError(
            _("due_at: %(text)r is not a date and time (e.g. 2027-03-01 09:00, or with an offset: +01:00)."),
            params={"text": text},
        ) from None
    try:
        if moment.tzinfo is None:
            moment = _on_wall_clock(moment, _zone(zone))
        return moment.astimezone(datetime.timezone.utc)
    except (OverflowError, ValueError):  # the first or last days a datetime can hold
        raise ValidationError(
            _("due_at: %(text)r is out of the range of dates that can be scheduled."), params={"text": text}
        ) from None


def _zone(name: str | None) -> zoneinfo.ZoneInfo:
    name = name or settings.TIME_ZONE or "UTC"
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError(
            _("zone: %(zone)r is not a time zone name (e.g. Europe/Berlin)."), params={"zone": name}
        ) from None


def _on_wall_clock(moment: datetime.datetime, zone: zoneinfo.ZoneInfo) -> datetime.datetime:
    first, second = moment.replace(tzinfo=zone, fold=0), moment.replace(tzinfo=zone, fold=1)
    if first.utcoffset() == second.utcoffset():
        return first
    round_trip = first.astimezone(datetime.timezone.utc).astimezone(zone).replace(tzinfo=None)
    params = {"moment": moment.strftime("%Y-%m-%d %H:%M"), "zone": zone.key}
    if round_trip != moment:
        raise ValidationError(
            _("due_at: %(moment)s does not exist in %(zone)s (the clocks go forward then); pick another time."),
            params=params,
        )
    raise ValidationError(
        _(
            "due_at: %(moment)s happens twice in %(zone)s (the clocks go back then); "
            "give it with its UTC offset, %(a)s or %(b)s, or as a time in UTC."
        ),
        params={**params, "a": _offset(first), "b": _offset(second)},
    )


def _offset(moment: datetime.datetime) -> str:
    return moment.isoformat(timespec="minutes")


# -- applying from the version check ------------------------------------------------------


def next_due_timestamp(rollouts: bool = True) -> float | None:
    """When the next pending schedule (or, with ``rollouts``, rollout evaluation) is due, as
    seconds since the epoch (the runtime's clock)."""
    moments = [moment for moment in (next_due(), next_evaluation() if rollouts else None) if moment is not None]
    if not moments:
        return None
    due = min(moments)
    if timezone.is_naive(due):  # USE_TZ = False: stored on the site's wall clock
        due = timezone.make_aware(due)
    return due.timestamp()


_applying = threading.Lock()


def apply_in_background(then: Callable[[float | None], None]) -> None:
    """Apply what is due (scheduled changes, then rollout evaluations) in a thread of its own
    (one at a time per process), then tell ``then`` when the next is due.

    What a process's version check calls when it notices a due schedule; with
    ``GARGOYLE_APPLY_SCHEDULES = False`` it does nothing (the command or the Celery task
    applies them).
    """
    if not get_settings().apply_schedules:
        return
    if not _applying.acquire(blocking=False):
        then(time.time() + get_settings().check_interval)  # already applying: look again later
        return
    threading.Thread(target=_apply_then, args=(then,), name="gargoyle-schedules", daemon=True).start()


def _apply_then(then: Callable[[float | None], None]) -> None:
    failed = False
    for run in (apply_due, evaluate_due):  # the rollouts are judged even when schedules fail
        try:
            run()
        except Exception as error:  # the database failing: the next check tries again
            logger.warning("gargoyle: could not apply what is due (%s: %s).", type(error).__name__, error)
            failed = True
    try:
        then(time.time() + get_settings().check_interval if failed else next_due_timestamp())
    except Exception:  # the database failing: look again at the next interval
        then(time.time() + get_settings().check_interval)
    finally:
        connections.close_all()  # this thread's connections only
        _applying.release()
