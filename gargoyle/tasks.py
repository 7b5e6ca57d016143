"""Celery tasks, found by ``app.autodiscover_tasks()`` (install the ``[celery]`` extra).

``run_switch_schedules`` applies the scheduled changes that are due and evaluates the
rollouts that are due, for a site whose processes may go quiet (no requests, so no version
check notices them). Run it every minute with Celery beat::

    app.conf.beat_schedule = {
        "gargoyle-schedules": {"task": "gargoyle.run_switch_schedules", "schedule": 60.0},
    }

Without Celery, ``run_switch_schedules`` is a plain function that does the same.
"""

from __future__ import annotations

from typing import Any

from gargoyle.rollouts import evaluate_due
from gargoyle.schedules import apply_due

try:
    from celery import shared_task
except ImportError:  # Celery is optional
    shared_task = None

__all__ = ["run_switch_schedules"]


def _run_switch_schedules() -> dict[str, int]:
    """Apply the scheduled changes that are due and evaluate the rollouts that are due; how
    many changes were applied and refused, and how many rollouts evaluated."""
    resolved = apply_due()
    applied = sum(1 for found in resolved if found.state == "applied")
    return {"applied": applied, "refused": len(resolved) - applied, "rollouts": len(evaluate_due())}


#: The task ``gargoyle.run_switch_schedules`` (a plain function when Celery is not installed):
#: applies the scheduled changes that are due, evaluates the rollouts that are due and returns
#: ``{"applied": n, "refused": n, "rollouts": n}``.
run_switch_schedules: Any = (
    shared_task(name="gargoyle.run_switch_schedules", ignore_result=True)(_run_switch_schedules)
    if shared_task is not None
    else _run_switch_schedules
)
