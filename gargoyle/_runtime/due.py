"""Noticing that a scheduled change (or a rollout's evaluation) is due, on the version check a
process already makes; and knowing which rollouts run, to count their requests.

The runtime reads when the next pending schedule is due each time it reloads (making,
editing or cancelling a schedule moves the version, so every process reloads), and
compares that moment with the wall clock at each version check: once per request, or every
``GARGOYLE_CHECK_INTERVAL`` seconds. When it has come, it hands over to ``on_due`` (the
manager starts a thread that applies what is due) and forgets the moment until it is told
the next one. Nothing here runs on the hot path.

The same reload reads the running rollouts (``rollouts``: switch key -> what to count), which
the exposure middleware reads at the end of each request (``_runtime/outcomes.py``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping

from gargoyle._runtime import outcomes
from gargoyle._runtime.outcomes import ActiveRollout

logger = logging.getLogger("gargoyle")

__all__ = ["DueWatch"]


class DueWatch:
    """When the next schedule is due (wall-clock seconds), and what to do when it comes.

    :param read_next_due: reads the moment from the database (None: nothing pending).
    :param on_due: called once when that moment has passed, with :meth:`set_next_due` for
        telling the watch the following one.
    :param read_rollouts: reads the running rollouts by switch key.
    """

    def __init__(
        self,
        read_next_due: Callable[[], float | None] | None,
        on_due: Callable[[Callable[[float | None], None]], None] | None,
        read_rollouts: Callable[[], Mapping[str, ActiveRollout]] | None = None,
    ) -> None:
        self._read = read_next_due
        self._on_due = on_due
        self._read_rollouts = read_rollouts
        self.next_due: float | None = None
        self.rollouts: Mapping[str, ActiveRollout] = {}
        self._failing = False

    def refresh(self) -> None:
        """Read the next due moment again (after a reload); a failure is logged once."""
        if self._read is None:
            return
        try:
            next_due = self._read()
            if self._read_rollouts is not None:
                self.rollouts = self._read_rollouts()
                outcomes.counter.forget({(found.rollout_id, found.run) for found in self.rollouts.values()})
                evaluations = [rollout.next_evaluation for rollout in self.rollouts.values()]
                next_due = min([moment for moment in (next_due, *evaluations) if moment is not None], default=None)
            self.next_due = next_due
        except Exception as error:  # no table yet (migrations pending), or the database failing
            if not self._failing:
                logger.warning(
                    "gargoyle: cannot read the scheduled changes (%s: %s); none applies from here until it can.",
                    type(error).__name__,
                    error,
                )
            self._failing = True
            return
        self._failing = False

    def set_next_due(self, when: float | None) -> None:
        self.next_due = when

    def poll(self) -> None:
        """Hand over to ``on_due`` if the next schedule's moment has passed."""
        due = self.next_due
        if due is None or self._on_due is None or time.time() < due:
            return
        self.next_due = None  # until told the next one: one hand-over per due moment
        self._on_due(self.set_next_due)
