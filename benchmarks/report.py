"""The text the command prints: machine, the table, notes, scaling and targets."""

from __future__ import annotations

import os
import platform
from datetime import datetime, timezone
from importlib import metadata
from typing import Any

import django

import gargoyle
from benchmarks.cases import CASES
from benchmarks.environment import CACHE_ALIASES
from benchmarks.measure import Plan, Result
from benchmarks.scaling import FILLER_MIX, SIZES, Scaling, median

LIBRARIES = ("gargoyle", "waffle", "flags")
PEER_NOTES = [
    "waffle: switch_is_active(name) for switches; SELECTIVE is flag_is_active(request, name) on a Flag with",
    "  percent=50 and the 100 users in its users relation (waffle has no IP rule); child key: a plain switch.",
    "flags: flag_state(name, request=request); GLOBAL/DISABLED are boolean conditions; SELECTIVE is 100 `user`",
    "  conditions plus a required `anonymous: False` (flags has no percent or IP condition); child key: a plain flag.",
    "  Single calls reuse one request, so flags' per-request memo of all flags is warm (its best case: the",
    "  one query per request shows in the template and request rows).",
    "group member: the visitor is in the group; gargoyle: a `groups` include; waffle: flag_is_active on a Flag",
    "  with the group in its groups relation; flags: n/a (no group condition). Single calls reuse one request and",
    "  user; the group request row gives each request a new copy of the visitor, as a login would (the session and",
    "  user queries of AuthenticationMiddleware left out) and checks the group switch 20 times.",
    "required AND: on for the visitor, every condition evaluated. gargoyle: username in 10 names AND required",
    "  is_staff AND required IP 127.0.0.0/8; flags: 10 `user` conditions AND required `anonymous: False` AND",
    "  required `path matches ^/page/` (its stand-ins for staff and IP); waffle: n/a (a Flag cannot AND its rules).",
    "gargoyle: the child key is INHERIT under a GLOBAL parent; GARGOYLE_AUTO_CREATE is off so the unknown key",
    "  stays unknown (waffle does not create missing switches by default either).",
    "template: {% ifswitch %} / waffle {% switch %} / flags {% flag_enabled 'NAME' as on %}{% if on %}, 20 keys,",
    "  half on; request: the Django test client, a view checking the same 20 keys, no middleware.",
    "Counts are per call (per render, per request); cache r/w = reads/writes on the cache backend;",
    "  n/a: the library has no way to express the case.",
]


def machine_lines(modes: list[str], redis_version: str | None, plan: Plan) -> list[str]:
    versions = ", ".join(f"{dist} {_version(dist)}" for dist in ("django-waffle", "django-flags"))
    lines = [
        f"gargoyle benchmarks, {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC",
        f"machine: {_cpu_model()}, {os.cpu_count()} cores, {platform.system()} {platform.machine()}",
        f"Python {platform.python_version()} ({platform.python_implementation()}), Django {django.get_version()}",
        f"gargoyle {gargoyle.__version__}, {versions}, redis-py {_version('redis')}",
        "caches: " + ", ".join(CACHE_ALIASES[mode] for mode in modes),
    ]
    if redis_version:
        lines[-1] += f" (Redis server {redis_version} on the loopback interface)"
    lines.append("database: SQLite in a temporary file")
    lines.append(
        f"timing: timeit with time.perf_counter_ns, median of {plan.repeats} repeats of"
        f" ~{plan.budget_ns // 1_000_000} ms each (garbage collector paused, as timeit does); counts: a separate pass"
    )
    return lines


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def fmt_us(us: float) -> str:
    if us < 10:
        return f"{us:.3f}"
    if us < 1000:
        return f"{us:.1f}"
    return f"{us:,.0f}"


def fmt_count(count: float) -> str:
    if count == int(count):
        return str(int(count))
    if count < 0.01:
        return "<0.01"
    return f"{count:.2f}"


def fmt_answer(answer: Any) -> str:
    if hasattr(answer, "status_code"):
        return f"{answer.content.decode()}/20" if answer.status_code == 200 else f"HTTP {answer.status_code}"
    if isinstance(answer, str):
        return f"{answer.count('1')}/{len(answer)}"
    return {True: "on", False: "off", None: "None"}.get(answer, repr(answer))


def table_lines(results: dict[str, dict[str, dict[str, Result]]]) -> list[str]:
    modes = list(results)
    head = f"{'case':<38} {'library':<8} {'answer':<6}"
    cols = f"{'us/call':>9} {'SQL':>4} {'cache r/w':>9} {'peer/garg':>9}"
    group = "  ".join(f"{'-- ' + CACHE_ALIASES[mode] + ' ':-<{len(cols)}}" for mode in modes)
    lines = [f"{'':<{len(head)}}  {group}", f"{head}  " + "  ".join(cols for _ in modes)]
    lines.append("-" * len(lines[-1]))
    first = results[modes[0]]
    for name in first["baseline"]:
        cells = [_cells(results[mode]["baseline"][name], None) for mode in modes]
        lines.append(f"{'baseline: ' + name:<38} {'-':<8} {'':<6}  " + "  ".join(cells))
    for case in CASES:
        for library in LIBRARIES:
            measured = library in first[case.id]
            answer = fmt_answer(first[case.id][library].answer) if measured else "-"
            cells = []
            for mode in modes:
                row = results[mode][case.id]
                ratio = None
                if measured and library != "gargoyle" and "gargoyle" in row:
                    ratio = row[library].us / row["gargoyle"].us
                cells.append(_cells(row.get(library), ratio))
            label = case.label if library == "gargoyle" else ""
            lines.append(f"{label:<38} {library:<8} {answer:<6}  " + "  ".join(cells))
    return lines


def _cells(result: Result | None, ratio: float | None) -> str:
    if result is None:  # the library has no way to express the case
        return f"{'n/a':>9} {'':>4} {'':>9} {'':>9}"
    ops = f"{fmt_count(result.reads)}/{fmt_count(result.writes)}"
    shown = "" if ratio is None else f"{ratio:,.1f}x"
    return f"{fmt_us(result.us):>9} {fmt_count(result.sql):>4} {ops:>9} {shown:>9}"


def scaling_lines(scaling: Scaling, propagation: dict[str, list[float]], stored: int, interval: float) -> list[str]:
    lines = ["Scaling (gargoyle; us per call, median)", f"  {FILLER_MIX}"]
    lines.append(f"  {'switches':>10} {'GLOBAL':>9} {'SELECTIVE':>10}")
    for size in SIZES:
        if size in scaling.per_call:
            glob, sel = scaling.per_call[size]
            lines.append(f"  {size:>10,} {fmt_us(glob):>9} {fmt_us(sel):>10}")
    if scaling.reload_ms:
        times = ", ".join(f"{ms:.0f}" for ms in scaling.reload_ms)
        lines.append(
            f"  reload at {SIZES[-1]:,} switches: {median(scaling.reload_ms):.1f} ms median"
            f" (gargoyle.refresh() after a write; runs: {times} ms)"
        )
    if scaling.bytes_compiled:
        lines.append(
            f"  memory per switch: {scaling.bytes_compiled:,.0f} B compiled (build_snapshot, tracemalloc), "
            f"{scaling.bytes_with_rows:,.0f} B with the stored rows it keeps"
        )
    if propagation:
        lines.append(
            f"  propagation between two processes ({stored} switches stored; a larger table adds its reload time):"
        )
    for mode, delays in propagation.items():
        runs = ", ".join(f"{ms:,.1f}" for ms in delays)
        rule = "by the next request" if mode == "redis" else f"within GARGOYLE_CHECK_INTERVAL = {interval:g} s"
        lines.append(f"    {CACHE_ALIASES[mode]}: {median(delays):,.1f} ms median (runs: {runs} ms; expected {rule})")
        if mode != "redis":
            lines.append("      (the writer commits just after this process's last check: close to the worst case)")
    return lines


def target_checks(
    results: dict[str, dict[str, dict[str, Result]]], scaling: Scaling | None
) -> list[tuple[str, str, bool]]:
    """(target, measured, met) for each target of the benchmark issue."""
    checks = []
    for mode, cases in results.items():
        cache = CACHE_ALIASES[mode]
        glob = cases["global"]
        ratio = glob["waffle"].us / glob["gargoyle"].us
        checks.append((f"GLOBAL >= 30x faster than waffle switch_is_active ({cache})", f"{ratio:,.1f}x", ratio >= 30))
        floor = glob["gargoyle"].us / cases["baseline"]["one-line function"].us
        checks.append((f"GLOBAL within 15x of the one-line function ({cache})", f"{floor:.1f}x", floor <= 15))
        sel = cases["selective"]
        ratio = sel["waffle"].us / sel["gargoyle"].us
        checks.append((f"SELECTIVE >= 15x faster than waffle flag_is_active ({cache})", f"{ratio:,.1f}x", ratio >= 15))
        req = cases["request"]["gargoyle"]
        checks.append(
            (
                f"per request: 0 SQL, <= 1 cache read, 20 checks ({cache})",
                f"{fmt_count(req.sql)} SQL, {fmt_count(req.reads)} reads",
                req.sql < 0.01 and req.reads <= 1,
            )
        )
    if scaling is not None and scaling.per_call:
        small, large = scaling.per_call[SIZES[0]], scaling.per_call[SIZES[-1]]
        for index, name in enumerate(("GLOBAL", "SELECTIVE")):
            ratio = large[index] / small[index]
            checks.append((f"{name}: {SIZES[-1]:,} switches within 1.2x of {SIZES[0]}", f"{ratio:.2f}x", ratio <= 1.2))
        reload_ms = median(scaling.reload_ms)
        checks.append((f"reload at {SIZES[-1]:,} switches under 200 ms", f"{reload_ms:.1f} ms", reload_ms < 200))
    return checks


def target_lines(checks: list[tuple[str, str, bool]]) -> list[str]:
    width = max(len(name) for name, _, _ in checks)
    lines = ["Targets (informational)"]
    for name, measured, met in checks:
        lines.append(f"  {'PASS' if met else 'MISS'}  {name:<{width}}  {measured}")
    return lines
