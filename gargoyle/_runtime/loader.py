"""Keeping a process's snapshot of switches fresh without touching the hot path.

A :class:`SnapshotRuntime` is held by each :class:`~gargoyle.manager.SwitchManager`, which
tells it how to read the rows and the database version. The rules (docs/architecture.rst,
"Freshness"):

* check the version at most once per request (``request_started``), and at most every
  ``GARGOYLE_CHECK_INTERVAL`` seconds outside requests; with a cache that is not shared
  between processes (LocMemCache) only the interval applies, and the database's version
  is compared instead of the cache's;
* reload only when the version moved; one thread reloads while the others keep answering
  from the snapshot they have (single flight); the new snapshot replaces the old one in
  a single assignment;
* a thread that wrote switches inside a still-open transaction sees its own writes
  through a provisional snapshot that no other thread uses, and that is dropped when the
  transaction commits or rolls back;
* an unreachable cache or database never raises: the last snapshot (or, cold, the code
  defaults) keeps answering, a warning is logged once, and the next check retries;
* a cache that hangs costs at most ``GARGOYLE_CACHE_TIMEOUT`` (``gargoyle._runtime.token_cache``),
  once per interval: after a failure neither checks nor writes wait on it again until the
  back-off ends.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import threading
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from time import monotonic
from typing import Any

from django.core.cache import BaseCache
from django.core.signals import request_started, setting_changed

from gargoyle._authoring.condition_sets import ConditionSet
from gargoyle._conf import get_settings
from gargoyle._runtime import usage, versions
from gargoyle._runtime.due import DueWatch
from gargoyle._runtime.outcomes import ActiveRollout
from gargoyle._runtime.pending import CommitHook, PendingWrites
from gargoyle._runtime.snapshot import EMPTY, NOT_READ, Snapshot, build_snapshot
from gargoyle._runtime.threads import run_outside_event_loop
from gargoyle._runtime.token_cache import token_cache

try:
    from celery.signals import task_prerun
except ImportError:
    task_prerun = None

logger = logging.getLogger("gargoyle")

_runtimes: weakref.WeakSet[SnapshotRuntime] = weakref.WeakSet()


def live_runtimes() -> list[SnapshotRuntime]:
    """Every runtime in this process; the write pipeline tells them all about each write."""
    return list(_runtimes)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Building ten thousand small objects at once triggers needless full collections."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class SnapshotRuntime:
    """One manager's snapshot of the switches, and the rules that keep it fresh.

    The manager's hot path reads :attr:`snapshot` directly until :attr:`fresh_until`, and
    calls :meth:`current` after it. ``fresh_until`` is the time of the next version check,
    or 0 while a thread has uncommitted writes (it must see its own provisional snapshot):
    one comparison on the hot path covers both.

    :param load_rows: reads every stored switch as a row (a dict of ``ROW_FIELDS``).
    :param read_version: reads the database's snapshot version.
    :param namespaces: the registered condition sets by namespace, to compile conditions.
    :param on_reload: called after every reload (the manager forgets the unknown keys it saw).
    :param cache: a cache alias or instance for the version token (default: the setting).
    :param check_interval: seconds between version checks (default: the setting).
    :param read_next_due: reads when the next scheduled change is due (``_runtime/due.py``).
    :param on_due: applies what is due, when a version check notices it.
    :param read_rollouts: reads the running rollouts (their requests are counted).
    """

    def __init__(
        self,
        *,
        load_rows: Callable[[], list[dict[str, Any]]],
        read_version: Callable[[], int | None],
        namespaces: Callable[[], Mapping[str, list[ConditionSet]]],
        on_reload: Callable[[], None],
        cache: str | BaseCache | None = None,
        check_interval: float | None = None,
        read_next_due: Callable[[], float | None] | None = None,
        on_due: Callable[[Callable[[float | None], None]], None] | None = None,
        read_rollouts: Callable[[], Mapping[str, ActiveRollout]] | None = None,
    ) -> None:
        self._load_rows = load_rows
        self.due = DueWatch(read_next_due, on_due, read_rollouts)
        self._read_version = read_version
        self._namespaces = namespaces
        self._on_reload = on_reload
        self._cache_arg = cache
        self._interval_arg = check_interval
        self.snapshot: Snapshot = EMPTY
        self.pending: dict[int, PendingWrites] = {}  # thread ident -> uncommitted writes
        self.fresh_until = 0.0  # see the class description
        self._next_check = 0.0  # monotonic time of the next version check
        self._next_db_check = 0.0  # with a shared cache: the database version, as a backstop
        self._backoff_until = 0.0  # after a failure, no retry before this time
        self._wanted = 1  # generation of the switches wanted; each committed write moves it
        self._loaded = 0  # generation of the snapshot in use
        self._attempted = 0  # the last generation a reload was tried for
        self._shared_cache = False
        self._failing: set[str] = set()
        self._reported: set[tuple[str, str]] = set()
        self._reported_problems: dict[str, str] = {}
        self._lock = threading.Lock()  # one reload at a time
        self._fast_path_lock = threading.Lock()  # fresh_until against pending (see _open_fast_path)
        self._overrides: list[dict[str, bool]] = []
        self._overrides_lock = threading.Lock()
        request_started.connect(self._on_request_started, weak=True)
        setting_changed.connect(self._on_setting_changed, weak=True)
        if task_prerun is not None:  # a Celery task counts as a request
            task_prerun.connect(self._on_request_started, weak=True)
        _runtimes.add(self)

    @property
    def next_check(self) -> float:
        """The monotonic time of the next version check."""
        return self._next_check

    @next_check.setter
    def next_check(self, when: float) -> None:
        self._next_check = when
        self._open_fast_path()

    def _open_fast_path(self) -> None:
        # One write, under the lock that also guards adding pending writes: the hot path
        # (which takes no lock) never sees the deadline open while a thread has some.
        with self._fast_path_lock:
            self.fresh_until = 0.0 if self.pending else self._next_check

    # -- configuration ----------------------------------------------------------------------

    def _cache(self) -> BaseCache:
        if self._cache_arg is None:
            return token_cache(get_settings().cache_name)
        if isinstance(self._cache_arg, str):
            return token_cache(self._cache_arg)
        return self._cache_arg  # an instance given to the constructor is used as it is

    def _interval(self) -> float:
        return get_settings().check_interval if self._interval_arg is None else float(self._interval_arg)

    # -- the hot path's way in --------------------------------------------------------------

    def current(self) -> Snapshot:
        """The snapshot this thread should use now, checking for changes if one is due."""
        if self.pending:
            provisional = self._provisional_snapshot()
            if provisional is not None:
                return provisional
        if monotonic() >= self.next_check:
            self._check_for_changes()
            self.due.poll()
            if get_settings().usage or self.due.rollouts:  # at most once per check: the hot path never starts threads
                usage.counter.ensure_flusher()
        return self.snapshot

    def refresh(self) -> None:
        """Reload now, whatever the version says (``SwitchManager.refresh``)."""
        self._want_reload()
        self._backoff_until = 0.0
        for pending in list(self.pending.values()):
            pending.snapshot = None
        self.current()

    def _provisional_snapshot(self) -> Snapshot | None:
        ident = threading.get_ident()
        pending = self.pending.get(ident)
        if pending is None:
            return None
        if not pending.still_open():  # rolled back: forget what it wrote
            self.pending.pop(ident, None)
            self._open_fast_path()
            self._on_reload()
            return None
        if pending.snapshot is None:
            try:
                pending.snapshot = self._build(self._load_rows(), loaded=True)
            except Exception as error:
                self._failed("database", error)
                return None
            self._report_problems(pending.snapshot)
        return pending.snapshot

    # -- checking and reloading -------------------------------------------------------------

    def _want_reload(self) -> None:
        self._wanted += 1
        self.next_check = 0.0

    def _check_for_changes(self) -> None:
        if monotonic() < self._backoff_until and self._attempted >= self._wanted:
            return  # failing: retry at the next interval, not on every call
        # Wait for a check in flight only when a reload is wanted that nobody has tried yet
        # (a cold start, or a write this thread may have just committed).
        must_wait = self._attempted < self._wanted
        if not self._lock.acquire(blocking=must_wait):
            return  # another thread is checking; keep answering from the current snapshot
        try:
            now = monotonic()
            if now < self.next_check and self._loaded >= self._wanted:
                return
            self.next_check = now + self._interval()
            self._check_versions(now)
        finally:
            self._lock.release()

    def _check_versions(self, now: float) -> None:
        wanted, snapshot = self._wanted, self.snapshot
        stale = self._loaded < wanted or not snapshot.loaded
        token = self._read_cache_token()
        if token is not NOT_READ:
            if stale or token != snapshot.cache_token:
                self._reload(token, wanted, now)
                return
            if now < self._next_db_check:
                return
            # Backstop: a write whose token was lost (a cache blip) still shows within the interval.
        self._next_db_check = now + self._interval()
        try:
            db_version = run_outside_event_loop(self._read_version)
        except Exception as error:
            self._failed("database", error)
            self._fall_back_to_defaults()
            return
        self._recovered("database")
        if stale or db_version != snapshot.db_version:
            self._reload(token, wanted, now)

    def _read_cache_token(self) -> Any:
        """The shared cache's token, or NOT_READ without a shared cache (or when it fails)."""
        if self._cache_resting():
            return NOT_READ
        try:
            cache = self._cache()
            self._shared_cache = versions.is_shared(cache)
            if not self._shared_cache:
                return NOT_READ
            token = versions.read_cache_token(cache)
        except Exception as error:  # down, or a misconfigured alias (reported by `manage.py check`)
            self._failed("cache", error)
            return NOT_READ
        self._recovered("cache")
        return token

    def _reload(self, cache_token: Any, generation: int, now: float) -> None:
        previous = self.snapshot

        def load() -> Snapshot:
            db_version = self._read_version()
            rows = self._load_rows()
            return self._build(rows, cache_token=cache_token, db_version=db_version, loaded=True, previous=previous)

        self._attempted = generation
        try:
            with _collector_paused():
                snapshot = run_outside_event_loop(load)
        except Exception as error:
            self._failed("database", error)
            self._fall_back_to_defaults()
            return
        self._recovered("database")
        self._report_problems(snapshot)
        self.snapshot = snapshot
        run_outside_event_loop(self.due.refresh)  # queries: never on an async view's event loop
        self._loaded = max(self._loaded, generation)
        self._next_db_check = now + self._interval()
        self._on_reload()

    def _fall_back_to_defaults(self) -> None:
        if not self.snapshot.loaded:
            self.snapshot = self._build([])  # cold: answer from GARGOYLE_SWITCH_DEFAULTS

    def _build(self, rows: Sequence[Mapping[str, Any]], **tokens: Any) -> Snapshot:
        overrides: dict[str, bool] = {}
        for layer in self._overrides:
            overrides.update(layer)
        settings = get_settings()
        return build_snapshot(
            rows,
            self._namespaces(),
            switch_defaults=settings.switch_defaults,
            overrides=overrides,
            tally=usage.counter.tally if settings.usage else None,
            overridable=settings.qa_switches,
            **tokens,
        )

    def rebuild(self) -> None:
        """Recompile from the rows already read (condition sets, overrides or settings changed)."""
        with self._lock:
            self.snapshot = self._recompiled(self.snapshot)
            self._report_problems(self.snapshot)
        for pending in list(self.pending.values()):
            if pending.snapshot is not None:
                pending.snapshot = self._recompiled(pending.snapshot)

    def _recompiled(self, old: Snapshot) -> Snapshot:
        return self._build(
            list(old.rows.values()), cache_token=old.cache_token, db_version=old.db_version, loaded=old.loaded
        )

    # -- failures ---------------------------------------------------------------------------

    def _report_problems(self, snapshot: Snapshot) -> None:
        """Log each switch whose stored conditions cannot be used, once per problem."""
        for key, problem in snapshot.problems.items():
            if self._reported_problems.get(key) != problem:
                logger.warning("gargoyle: switch %r answers its default: %s", key, problem)
        # A switch that is fixed and breaks again is reported again.
        self._reported_problems = dict(snapshot.problems)

    def warn_once(self, key: str, kind: str, message: str) -> None:
        if (key, kind) not in self._reported:
            self._reported.add((key, kind))
            logger.warning("gargoyle: switch %r answers its default: %s", key, message)

    def _failed(self, what: str, error: Exception) -> None:
        # Back off until the next interval instead of retrying on every request.
        self._backoff_until = self.next_check = monotonic() + self._interval()
        if what not in self._failing:
            self._failing.add(what)
            logger.warning(
                "gargoyle: the %s is unreachable (%s: %s); switches answer from the last snapshot.",
                what,
                type(error).__name__,
                error,
            )

    def _cache_resting(self) -> bool:
        """The cache failed within this back-off: a hanging one would cost its timeout again."""
        return "cache" in self._failing and monotonic() < self._backoff_until

    def _recovered(self, what: str) -> None:
        if what in self._failing:
            self._failing.discard(what)
            logger.warning("gargoyle: the %s is reachable again.", what)

    # -- notifications ----------------------------------------------------------------------

    def note_uncommitted_write(self, hook: CommitHook) -> None:
        """This thread wrote switches in a transaction that is still open."""
        pending = self.pending.get(threading.get_ident())
        if pending is None:
            with self._fast_path_lock:  # see _open_fast_path
                self.pending[threading.get_ident()] = PendingWrites(hook)
                self.fresh_until = 0.0
        else:
            pending.hooks.append(hook)
            pending.snapshot = None

    def note_committed(self) -> None:
        """Switches changed and the change is committed: tell other processes, reload here."""
        self.pending.pop(threading.get_ident(), None)
        # While the cache rests, other processes see the change through the database version.
        if not self._cache_resting():
            self._publish()
        self._want_reload()

    def _publish(self) -> None:
        try:
            cache = self._cache()
            if versions.is_shared(cache):
                versions.publish_cache_token(cache)
        except Exception as error:
            self._failed("cache", error)

    def _on_request_started(self, **kwargs: Any) -> None:
        if self._shared_cache and monotonic() >= self._backoff_until:
            self.next_check = 0.0

    def _on_setting_changed(self, *, setting: str, **kwargs: Any) -> None:
        if setting in ("GARGOYLE_SWITCH_DEFAULTS", "GARGOYLE_LEGACY_PERCENT", "GARGOYLE_USAGE", "GARGOYLE_QA_SWITCHES"):
            try:
                self.rebuild()
            except ReferenceError:  # its manager was collected (a test's) before this runtime: stop listening
                setting_changed.disconnect(self._on_setting_changed)
                request_started.disconnect(self._on_request_started)
        elif setting in ("GARGOYLE_CACHE_NAME", "GARGOYLE_CACHE_TIMEOUT", "GARGOYLE_CHECK_INTERVAL", "CACHES"):
            self._backoff_until = 0.0
            self._failing.discard("cache")  # another cache now: its first failure is news again
            self._want_reload()

    # -- overrides (gargoyle.testutils.switches) --------------------------------------------

    def push_overrides(self, overrides: dict[str, bool]) -> None:
        """Add a layer of forced answers (``SwitchManager.push_overrides``)."""
        with self._overrides_lock:  # threads pushing and popping at once lose no layer
            self._overrides = [*self._overrides, overrides]
        self.rebuild()

    def pop_overrides(self, overrides: dict[str, bool]) -> None:
        """Remove a layer given to :meth:`push_overrides` (the same dict object)."""
        with self._overrides_lock:
            self._overrides = [layer for layer in self._overrides if layer is not overrides]
        self.rebuild()


__all__ = ["SnapshotRuntime", "live_runtimes"]
