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

from django.db import connections, router, transaction
from django.utils import timezone

from gargoyle import signals
from gargoyle._conf import get_settings
from gargoyle._runtime import outcomes
from gargoyle._storage.validation import KEY_MAX_LENGTH

__all__ = ["UsageCounter", "counter"]

logger = logging.getLogger("gargoyle")

#: A process rolls hourly rows up into days at most this often.
ROLL_UP_EVERY = datetime.timedelta(hours=1)


class UsageCounter:
    """This process's checks since the last flush, per switch key."""

    def __init__(self, now: Callable[[], datetime.datetime] | None = None) -> None:
        # Django's now(): aware (UTC) with USE_TZ, naive in the default time zone without it.
        self._now = now or timezone.now
        self.tallies: dict[str, list[int]] = {}  # key -> [off, on]
        self.defaults: dict[str, list[int]] = {}  # key without a stored switch -> [checks]
        self._reset_process_state()

    def _reset_process_state(self) -> None:
        self._reported: set[tuple[str, datetime.datetime]] = set()  # (key, hour) flushed before
        self._flush_lock = threading.Lock()  # one flush at a time in this process
        self._thread: threading.Thread | None = None
        self._pid = 0
        self._stop = threading.Event()
        self._next_roll_up: datetime.datetime | None = None
        self._failed = False

    def after_fork(self) -> None:
        """In a forked child: start afresh (the parent stores its own counts; its lock and
        thread are not the child's)."""
        for tally in self.tallies.values():
            tally[0] = tally[1] = 0  # in place: compiled switches hold these lists
        self.defaults.clear()
        self._reset_process_state()

    # -- counting (the hot path reads tally() once per snapshot build) --------------------

    def tally(self, key: str) -> list[int]:
        """The ``[off, on]`` counts of ``key``, which compiled switches increment in place."""
        found = self.tallies.get(key)
        if found is None:
            found = self.tallies.setdefault(key, [0, 0])
        return found

    def count_default(self, key: str) -> None:
        """A check of ``key``, under which no switch is stored (not counted: a key no switch
        could have, too long or with a NUL character)."""
        found = self.defaults.get(key)
        if found is None:
            if len(key) > KEY_MAX_LENGTH or "\x00" in key:
                return  # it would fail the whole batch's write
            found = self.defaults.setdefault(key, [0])
        found[0] += 1  # in place, as tallies: take() subtracts what it read, so no count is doubled

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
        for key, found in list(self.defaults.items()):
            checks = found[0]
            if checks:
                found[0] -= checks
                on, off, _ = taken.get(key, (0, 0, 0))
                taken[key] = (on, off, checks)
        return taken

    def flush(self) -> int:
        """Add the counts made since the last flush to the database; the number of keys.

        Never raises: a failure is logged (once until a flush works again) and its counts
        are dropped. Called inside a transaction (a test, a view under ``ATOMIC_REQUESTS``),
        it writes in it: a rollback loses those counts, and ``usage_flushed`` is sent only on
        commit.
        """
        # The model is imported here, not above: the manager imports this module before
        # Django's apps are ready.
        from gargoyle._storage.usage import Counts, SwitchUsage, add_counts, hour_of

        alias = router.db_for_write(SwitchUsage)
        with self._flush_lock:
            counts = {key: Counts(*numbers) for key, numbers in self.take().items()}
            if not counts:
                return 0
            try:
                now = self._now()
                hour = hour_of(now)
                first = {key for key in counts if (key, hour) not in self._reported}
                add_counts(counts, now, first, using=alias)
            except Exception as error:  # the database, or a bad value: never the caller's problem
                self._log_failure(error)
                return 0
            self._failed = False
            self._reported = {entry for entry in self._reported if entry[1] == hour}
            self._reported.update((key, hour) for key in first)
            self._roll_up_if_due(now, alias)
        # Outside the lock: a slow receiver delays no other flush. Its errors are its own.
        sent = {key: tuple(count) for key, count in counts.items()}
        transaction.on_commit(lambda: signals.usage_flushed.send_robust(sender=None, counts=sent), using=alias)
        return len(counts)

    def _log_failure(self, error: Exception) -> None:
        if not self._failed:
            logger.warning("gargoyle: could not store the switch usage counts: %s", error)
        self._failed = True

    def _roll_up_if_due(self, now: datetime.datetime, alias: str) -> None:
        """Fold old hours into days, at most once an hour; a failure is logged, the counts stay."""
        from gargoyle._storage.usage import roll_up

        due = self._next_roll_up
        # (A test may switch USE_TZ between flushes: a naive and an aware time never compare.)
        if due is not None and timezone.is_aware(due) == timezone.is_aware(now) and now < due:
            return
        self._next_roll_up = now + ROLL_UP_EVERY
        try:
            roll_up(now, get_settings().usage_retention, using=alias)
        except Exception as error:
            logger.warning("gargoyle: could not roll the switch usage counts up into days: %s", error)

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
                outcomes.counter.flush()  # the rollouts' guards' counts ride along
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


if hasattr(os, "register_at_fork"):  # POSIX: a forked worker starts with no counts of its parent
    os.register_at_fork(after_in_child=counter.after_fork)


@atexit.register
def _flush_at_exit() -> None:
    # Only where the background flushing ran: a test run (GARGOYLE_USAGE_FLUSH_INTERVAL None)
    # must not write to whatever database its settings name once the test database is gone.
    if counter.started:
        counter.flush()
        outcomes.counter.flush()
