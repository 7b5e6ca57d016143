"""gargoyle with many switches: per-call time, reload time and memory per switch.

Filler switches are stored beside the GLOBAL and SELECTIVE switches of the cases: one in
ten SELECTIVE (a user percent, three usernames and an IP exclude), four in ten GLOBAL,
five in ten DISABLED.
"""

from __future__ import annotations

import statistics
import sys
import time
import tracemalloc
from dataclasses import dataclass, field

from benchmarks.cases import EXCLUDED_IP, KEYS
from benchmarks.measure import Call, Plan, time_statement
from gargoyle import gargoyle
from gargoyle._runtime.snapshot import build_snapshot
from gargoyle._storage.querysets import ROW_FIELDS
from gargoyle.constants import DISABLED, EXCLUDE, GLOBAL, INCLUDE, SELECTIVE
from gargoyle.models import Switch

SIZES = (10, 1_000, 10_000)
FILLER_MIX = "fillers: 1 in 10 SELECTIVE (user percent, 3 usernames, IP exclude), 4 in 10 GLOBAL, 5 in 10 DISABLED"


@dataclass
class Scaling:
    per_call: dict[int, tuple[float, float]] = field(default_factory=dict)  # size -> (GLOBAL us, SELECTIVE us)
    reload_ms: list[float] = field(default_factory=list)
    bytes_compiled: float = 0.0  # per switch: what build_snapshot allocates and keeps
    bytes_with_rows: float = 0.0  # per switch: the stored rows read, plus the compiled snapshot


def filler(number: int) -> Switch:
    key = f"fill_{number:05}"
    kind = number % 10
    if kind == 0:
        value = {
            "auth.user": {
                "percent": [[INCLUDE, "0-10"]],
                "username": [[INCLUDE, f"user{number}-{n}"] for n in range(3)],
            },
            "ip": {"ip_address": [[EXCLUDE, EXCLUDED_IP]]},
        }
        return Switch(key=key, status=SELECTIVE, value=value)
    return Switch(key=key, status=GLOBAL if kind <= 4 else DISABLED)


def run(calls: dict[str, Call], plan: Plan, reloads: int) -> Scaling:
    """Grow the table to each size and measure; ``calls`` are gargoyle's cases."""
    result = Scaling()
    kept = [KEYS["global"], KEYS["selective"]]
    Switch.objects.exclude(key__in=kept).delete()
    stored = len(kept)
    for size in SIZES:
        progress(f"scaling: {size:,} switches")
        Switch.objects.bulk_create([filler(n) for n in range(stored, size)], batch_size=1000)
        stored = size
        gargoyle.refresh()
        assert len(gargoyle) == size, (len(gargoyle), size)
        result.per_call[size] = (
            time_statement(calls["global"].stmt, calls["global"].namespace, plan),
            time_statement(calls["selective"].stmt, calls["selective"].namespace, plan),
        )
    result.reload_ms = reload_times(reloads)
    result.bytes_compiled, result.bytes_with_rows = memory_per_switch()
    return result


def reload_times(runs: int) -> list[float]:
    """Milliseconds for ``gargoyle.refresh()`` after a write (a status flipped)."""
    times = []
    switch = Switch.objects.get(key=filler(3).key)
    for _ in range(runs):
        switch.status = DISABLED if switch.status == GLOBAL else GLOBAL
        switch.save()
        start = time.perf_counter_ns()
        gargoyle.refresh()
        times.append((time.perf_counter_ns() - start) / 1e6)
    return times


def memory_per_switch() -> tuple[float, float]:
    """Bytes per switch kept by a snapshot: compiled alone, and with the rows it was built from."""
    namespaces = gargoyle.namespaces()

    def rows() -> list[dict]:
        return list(Switch.objects.values(*ROW_FIELDS))

    stored = rows()
    tracemalloc.start()
    snapshot = build_snapshot(stored, namespaces, switch_defaults={}, overrides={})
    compiled = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    count = len(snapshot.switches)
    del snapshot, stored

    tracemalloc.start()
    snapshot = build_snapshot(rows(), namespaces, switch_defaults={}, overrides={})
    with_rows = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    del snapshot
    return compiled / count, with_rows / count


def progress(message: str) -> None:
    print(f"  {message}", file=sys.stderr, flush=True)


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")
