"""Measuring a call: microseconds per call, SQL queries and cache operations per call.

Time and counts come from separate passes, so counting adds nothing to the time.
Timing uses :mod:`timeit` with ``time.perf_counter_ns`` (and, as timeit does, the garbage
collector paused): the number of calls per repeat is calibrated to fill a time budget, and
the result is the median of the repeats.
"""

from __future__ import annotations

import statistics
import time
import timeit
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext

READS = ("get", "get_many", "has_key", "get_or_set")
WRITES = ("set", "set_many", "add", "delete", "delete_many", "incr", "decr", "touch", "clear")


@dataclass(frozen=True)
class Call:
    """One statement, written as an application would, and the names it uses.

    timeit inlines the statement in its loop, so no wrapper function adds to anyone's time.
    """

    stmt: str
    namespace: dict[str, Any] = field(default_factory=dict)

    def as_function(self) -> Callable[[], Any]:
        """The statement as a function, for the counting pass."""
        return eval(f"lambda: ({self.stmt})", dict(self.namespace))


@dataclass(frozen=True)
class Plan:
    """How hard to measure: repeats, time budget per repeat, calls in the counting pass."""

    repeats: int
    budget_ns: int
    counted_calls: int


FULL = Plan(repeats=7, budget_ns=60_000_000, counted_calls=200)
QUICK = Plan(repeats=3, budget_ns=10_000_000, counted_calls=40)


@dataclass(frozen=True)
class Result:
    us: float  # microseconds per call, median of the repeats
    sql: float  # SQL queries per call
    reads: float  # cache reads per call
    writes: float  # cache writes per call
    answer: Any  # what the last call returned


def median_ns(timer: timeit.Timer, plan: Plan) -> float:
    """Nanoseconds per execution of the timer's statement, median of ``plan.repeats``."""
    number = 1
    while True:
        elapsed = timer.timeit(number)
        if elapsed >= plan.budget_ns // 10 or number >= 10**8:
            break
        number *= 10
    number = max(1, round(number * plan.budget_ns / max(elapsed, 1)))
    return statistics.median(timer.timeit(number) / number for _ in range(plan.repeats))


def time_statement(stmt: str, namespace: dict[str, Any], plan: Plan) -> float:
    """Microseconds per execution of a statement inlined in timeit's loop (no wrapper call)."""
    timer = timeit.Timer(stmt, globals=dict(namespace), timer=time.perf_counter_ns)
    timer.timeit(1)  # warm: caches filled, snapshot loaded, template compiled
    return median_ns(timer, plan) / 1000


class CacheOpCounter:
    """Counts the operations called on cache backend instances (outermost calls only).

    The wrappers are set on the instances Django hands this thread for each alias, so a
    backend method that calls another (``get_many`` calling ``get``) counts once.
    """

    def __init__(self, aliases: Iterable[str]) -> None:
        from gargoyle._runtime.token_cache import token_cache

        # gargoyle reads its version token through a client of its own (with bounded waits).
        backends = [backend for alias in aliases for backend in (caches[alias], token_cache(alias))]
        self.backends = list({id(b): b for b in backends}.values())
        self.reads = 0
        self.writes = 0
        self._depth = 0

    def __enter__(self) -> CacheOpCounter:
        for backend in self.backends:
            for name in READS + WRITES:
                setattr(backend, name, self._counting(name, getattr(backend, name)))
        return self

    def __exit__(self, *exc: object) -> None:
        for backend in self.backends:
            for name in READS + WRITES:
                vars(backend).pop(name, None)

    def _counting(self, name: str, method: Callable[..., Any]) -> Callable[..., Any]:
        is_read = name in READS

        def counted(*args: Any, **kwargs: Any) -> Any:
            if self._depth == 0:
                if is_read:
                    self.reads += 1
                else:
                    self.writes += 1
            self._depth += 1
            try:
                return method(*args, **kwargs)
            finally:
                self._depth -= 1

        return counted


def count_call(fn: Callable[[], Any], calls: int, cache_aliases: Iterable[str]) -> tuple[float, float, float, Any]:
    """SQL queries, cache reads and cache writes per call of ``fn()``, and its last answer."""
    answer = fn()
    with CaptureQueriesContext(connection) as queries, CacheOpCounter(cache_aliases) as ops:
        for _ in range(calls):
            answer = fn()
    return len(queries.captured_queries) / calls, ops.reads / calls, ops.writes / calls, answer


def measure(call: Call, plan: Plan, cache_aliases: Iterable[str], calls: int | None = None) -> Result:
    """Time a call and count what it costs."""
    us = time_statement(call.stmt, call.namespace, plan)
    sql, reads, writes, answer = count_call(call.as_function(), calls or plan.counted_calls, cache_aliases)
    return Result(us=us, sql=sql, reads=reads, writes=writes, answer=answer)
