"""Counting checks in memory, and flushing the counts to the database now and then.

``is_active`` adds one to a list item per check (``switch.tally[answer] += 1``: each
compiled switch holds its key's tally, ``[off, on]``, shared by every snapshot of this
process); a key no switch is stored under counts as a default. Nothing else happens on the
hot path: a background thread adds the counts to ``SwitchUsage`` every
``GARGOYLE_USAGE_FLUSH_INTERVAL`` seconds and at exit, and a failed flush is logged and
dropped (at most one interval is lost, never counted twice). The thread is started by the
first version check of a process (so after a fork, in each worker).

Threads incrementing the same tally at the same instant may, rarely, lose one count: the
price of a lock-free hot path. Processes never do.
"""

from __future__ import annotations

import atexit
import datetime
import logging
import os
import threading
from collections.abc import Callable

from django.db import DatabaseError, connections, router

from gargoyle import signals
from gargoyle._conf import get_settings

__all__ = ["UsageCounter", "counter"]

logger = logging.getLogger("gargoyle")

#: A process rolls hourly rows up into days at most this often.
ROLL_UP_EVERY = datetime.timedelta(hours=1)


class UsageCounter:
    """This process's checks since the last flush, per switch key."""

    def __init__(self, now: Callable[[], datetime.datetime] | None = None) -> None:
        self._now = now or (lambda: datetime.datetime.now(datetime.timezone.utc))
        self.tallies: dict[str, list[int]] = {}  # key -> [off, on]
        self.defaults: dict[str, int] = {}  # key without a stored switch -> checks
        self._reported: set[tuple[str, datetime.datetime]] = set()  # (key, hour) flushed before
        self._flush_lock = threading.Lock()  # one flush at a time in this process
        self._thread: threading.Thread | None = None
        self._pid = 0
        self._stop = threading.Event()
        self._next_roll_up = datetime.datetime.min.replace(tzinfo=datetime.timezone.utc)
        self._failed = False

    # -- counting (the hot path reads tally() once per snapshot build) --------------------

    def tally(self, key: str) -> list[int]:
        """The ``[off, on]`` counts of ``key``, which compiled switches increment in place."""
        found = self.tallies.get(key)
        if found is None:
            found = self.tallies.setdefault(key, [0, 0])
        return found

    def count_default(self, key: str) -> None:
        """A check of ``key`` answered with the caller's default: no switch is stored under it."""
        self.defaults[key] = self.defaults.get(key, 0) + 1

    # -- flushing --------------------------------------------------------------------------

    def take(self) -> dict[str, tuple[int, int, int]]:
        """Take the counts made since the last call, ``key -> (on, off, defaults)``, leaving
        zeros (checks go on meanwhile)."""
        taken: dict[str, tuple[int, int, int]] = {}
        for key, tally in list(self.tallies.items()):
            off, on = tally[0], tally[1]
            if off or on:
                tally[0] -= off  # not "= 0": a check between the read and here is kept
                tally[1] -= on
                taken[key] = (on, off, 0)
        for key in list(self.defaults):
            checks = self.defaults.pop(key, 0)
            if checks:
                on, off, _ = taken.get(key, (0, 0, 0))
                taken[key] = (on, off, checks)
        return taken

    def flush(self) -> int:
        """Add the counts made since the last flush to the database; the number of keys.

        Never raises: a failure is logged (once until a flush works again) and its counts
        are dropped.
        """
        # The model is imported here, not above: the manager imports this module before
        # Django's apps are ready.
        from gargoyle._storage.usage import Counts, SwitchUsage, add_counts, hour_of

        with self._flush_lock:
            counts = {key: Counts(*numbers) for key, numbers in self.take().items()}
            if not counts:
                return 0
            now = self._now()
            hour = hour_of(now)
            first = {key for key in counts if (key, hour) not in self._reported}
            alias = router.db_for_write(SwitchUsage)
            try:
                add_counts(counts, now, first, using=alias)
                self._roll_up_if_due(now, alias)
            except DatabaseError as error:
                if not self._failed:
                    logger.warning("gargoyle: could not store the switch usage counts: %s", error)
                self._failed = True
                return 0
            self._failed = False
            self._reported = {entry for entry in self._reported if entry[1] == hour}
            self._reported.update((key, hour) for key in first)
        # Outside the lock: a slow receiver delays no other flush. Its errors are its own.
        signals.usage_flushed.send_robust(sender=None, counts={key: tuple(count) for key, count in counts.items()})
        return len(counts)

    def _roll_up_if_due(self, now: datetime.datetime, alias: str) -> None:
        from gargoyle._storage.usage import roll_up

        if now >= self._next_roll_up:
            roll_up(now, get_settings().usage_retention, using=alias)
            self._next_roll_up = now + ROLL_UP_EVERY

    # -- the background thread ---------------------------------------------------------------

    def ensure_flusher(self) -> None:
        """Start this process's flushing thread if it is not running (a fork leaves it behind)."""
        interval = get_settings().usage_flush_interval
        if interval is None or (self._pid == os.getpid() and self._thread is not None and self._thread.is_alive()):
            return
        self._pid = os.getpid()
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, args=(interval,), name="gargoyle-usage", daemon=True)
        self._thread.start()

    def _run(self, interval: float) -> None:
        while not self._stop.wait(interval):
            try:
                self.flush()
            finally:
                connections.close_all()  # this thread's connections only

    @property
    def started(self) -> bool:
        """Whether this process started the flushing thread."""
        return self._thread is not None and self._pid == os.getpid()

    def stop(self) -> None:
        """Stop the flushing thread (tests; the process's exit flushes anyway)."""
        self._stop.set()


#: The process's counter: every manager counts into it.
counter = UsageCounter()


@atexit.register
def _flush_at_exit() -> None:
    # Only where the background flushing ran: a test run (GARGOYLE_USAGE_FLUSH_INTERVAL None)
    # must not write to whatever database its settings name once the test database is gone.
    if counter.started:
        counter.flush()
