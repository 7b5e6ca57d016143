"""What the requests of a rollout's switch ended with, counted in memory for its guard.

At the end of each request, :class:`gargoyle.middleware.SwitchExposureMiddleware` tells
:data:`counter` which rollout switches the request checked, what they answered, whether the
response was an error (5xx, unhandled exceptions included) and the metrics the site
reported (:func:`gargoyle.rollouts.report`). The counts are added to ``RolloutSample`` by the
usage flushing thread, every ``GARGOYLE_USAGE_FLUSH_INTERVAL`` seconds and at exit; distinct
exposed subjects are stored (as digests) until each stage has seen ``min_exposed``. None of
this runs inside ``is_active``.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings

logger = logging.getLogger("gargoyle")

__all__ = ["ActiveRollout", "OutcomeCounter", "counter"]

ERRORS = "errors"


@dataclass(frozen=True)
class ActiveRollout:
    """What a process needs to know of a running rollout to count for it."""

    rollout_id: int
    run: int
    metric: str
    min_exposed: int
    next_evaluation: float  # seconds since the epoch
    #: Only requests of signed-in users count (a user percent never judges anonymous ones,
    #: which would all land in the control group).
    signed_in_only: bool = False


SampleKey = tuple[int, int, bool, str]  # rollout id, run, exposed, metric


class OutcomeCounter:
    """This process's rollout counts since the last flush."""

    def __init__(self) -> None:
        self.samples: dict[SampleKey, list[int]] = {}  # -> [requests, bad]
        self.subjects: dict[tuple[int, int], set[str]] = {}  # (rollout id, run) -> digests to store
        self._stored: dict[tuple[int, int], set[str]] = {}  # digests stored already (bounded)
        self._lock = threading.Lock()
        self._failed = False

    def record(
        self,
        rollouts: Mapping[str, ActiveRollout],
        answers: Mapping[str, bool],
        error: bool,
        metrics: Mapping[str, bool],
        subject: str | None,
        signed_in: bool = True,
    ) -> None:
        """Count one finished request for every rollout whose switch it checked."""
        with self._lock:
            for key, answer in answers.items():
                rollout = rollouts.get(key)
                if rollout is None or (rollout.signed_in_only and not signed_in):
                    continue
                self._add((rollout.rollout_id, rollout.run, answer, ERRORS), error)
                if rollout.metric and rollout.metric in metrics:
                    self._add((rollout.rollout_id, rollout.run, answer, rollout.metric), metrics[rollout.metric])
                if answer and subject is not None:
                    self._add_subject(rollout, subject)

    def _add(self, key: SampleKey, bad: bool) -> None:
        found = self.samples.get(key)
        if found is None:
            found = self.samples[key] = [0, 0]
        found[0] += 1
        found[1] += 1 if bad else 0

    def _add_subject(self, rollout: ActiveRollout, subject: str) -> None:
        run = (rollout.rollout_id, rollout.run)
        stored = self._stored.get(run, set())
        if len(stored) >= rollout.min_exposed:
            return  # enough seen here: the stage needs no more
        # Keyed with the site's secret: an address's digest cannot be found by trying them all.
        digest = hashlib.blake2b(subject.encode(), digest_size=16, key=_key()).hexdigest()
        if digest not in stored:
            self.subjects.setdefault(run, set()).add(digest)

    def take(self) -> tuple[dict[SampleKey, list[int]], dict[tuple[int, int], set[str]]]:
        with self._lock:
            samples, subjects = self.samples, self.subjects
            self.samples, self.subjects = {}, {}
            for run, digests in subjects.items():
                self._stored.setdefault(run, set()).update(digests)
        return samples, subjects

    def flush(self) -> int:
        """Add the counts to the database; the number of samples written. Never raises: a
        failure is logged once (until a flush works again) and its counts are dropped."""
        from gargoyle._storage.rollout import add_outcomes

        samples, subjects = self.take()
        if not samples and not subjects:
            return 0
        try:
            add_outcomes(samples, subjects)
        except Exception as error:
            if not self._failed:
                logger.warning("gargoyle: could not store the rollout counts: %s", error)
            self._failed = True
            return 0
        self._failed = False
        return len(samples)

    def forget(self, keep: set[tuple[int, int]]) -> None:
        """Drop the digests remembered for stage runs no longer active (after a reload)."""
        with self._lock:
            self._stored = {run: digests for run, digests in self._stored.items() if run in keep}


def _key() -> bytes:
    return hashlib.blake2b(str(settings.SECRET_KEY).encode(), digest_size=32, person=b"gargoyle-exposed").digest()


#: The process's counter, filled by the exposure middleware.
counter = OutcomeCounter()
