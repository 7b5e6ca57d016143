"""Progressive rollouts that stop themselves: a switch's percent climbs through stages, each
held for a time and a minimum of exposed subjects, and rolls back when the requests that got
the switch fail more often than the others.

::

    from gargoyle.rollouts import start

    start("new_checkout", [1, 5, 25, 50, 100], user=request.user)  # an hour and 100 users a stage

Rollouts need :class:`gargoyle.middleware.SwitchExposureMiddleware`: it counts, for each
request that checked the switch, what the switch answered and whether the response was an
error. Report a metric of your own (a failed payment...) with :func:`report`. See
docs/rollouts.rst for the rules and the statistics.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import HttpRequest

from gargoyle._storage.rollout import (
    ABORTED,
    ACTIVE,
    COMPLETED,
    ERRORS,
    PAUSE,
    PAUSED,
    PREVIOUS_STAGE,
    ROLL_BACK,
    ROLLED_BACK,
    RUNNING,
    Rollout,
)
from gargoyle._writes.guards import MIN_BAD, Z_TRIP, GuardFigures, judge, wilson
from gargoyle._writes.rollout_evaluation import active_rollouts, evaluate_due, next_evaluation
from gargoyle._writes.rollouts import EVALUATE_EVERY, RolloutMoved, abort, advance, clean_stages, pause, resume, start

__all__ = [
    "ABORTED",
    "ACTIVE",
    "COMPLETED",
    "ERRORS",
    "EVALUATE_EVERY",
    "MIN_BAD",
    "PAUSE",
    "PAUSED",
    "PREVIOUS_STAGE",
    "ROLLED_BACK",
    "ROLL_BACK",
    "RUNNING",
    "Z_TRIP",
    "GuardFigures",
    "Rollout",
    "RolloutMoved",
    "abort",
    "active_rollouts",
    "advance",
    "clean_stages",
    "current",
    "evaluate_due",
    "judge",
    "next_evaluation",
    "pause",
    "report",
    "resume",
    "start",
    "wilson",
]


def report(request: HttpRequest, metric: str, bad: bool = True) -> None:
    """Say how this request went on a metric of your own, for rollouts guarding it.

    A rollout started with ``metric="payment_failed"`` compares, among the requests that
    reported it, the share of bad ones where its switch answered on against off::

        report(request, "payment_failed", bad=not charge.succeeded)

    Requests that do not report the metric are not counted for it. The last report of a
    request counts.
    """
    metrics = getattr(request, "gargoyle_metrics", None)
    if metrics is None:
        metrics = request.gargoyle_metrics = {}  # type: ignore[attr-defined]
    metrics[metric] = bool(bad)


def current(key: str) -> Rollout | None:
    """Switch ``key``'s running or paused rollout, or None."""
    found: QuerySet[Rollout] = Rollout.objects.filter(switch_key=key, state__in=ACTIVE)
    return found.first()
