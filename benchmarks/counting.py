"""What counting and exposure cost: GLOBAL and SELECTIVE with counting off, counting on
(``GARGOYLE_USAGE``), and counting on inside a request's exposure record (what
``SwitchExposureMiddleware`` opens: ``request.gargoyle_switches``).

The variants are measured in alternation, so that a slower or faster stretch of a shared
machine falls on all; each figure is the median of its runs. waffle's own figures are those
of the case table of the same run.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

from django.test import override_settings

from benchmarks.measure import Call, Plan, time_statement
from gargoyle import gargoyle
from gargoyle._runtime import exposure

CASES = (("global", "GLOBAL"), ("selective", "SELECTIVE"))
#: The budget of the issue: counting may add this much per check.
BUDGET_US = 0.05


@dataclass
class Counting:
    on: dict[str, list[float]] = field(default_factory=dict)  # case id -> us per call, each run
    off: dict[str, list[float]] = field(default_factory=dict)
    exposed: dict[str, list[float]] = field(default_factory=dict)  # counting on, a record open

    def added(self, case: str) -> float:
        return statistics.median(self.on[case]) - statistics.median(self.off[case])


def run(calls: dict[str, Call], plan: Plan, rounds: int) -> Counting:
    result = Counting()
    for _ in range(rounds):
        for variant in ("on", "off", "exposed"):
            with override_settings(GARGOYLE_USAGE=variant != "off"):
                gargoyle.refresh()  # compiled with or without the tallies
                _, token = exposure.start() if variant == "exposed" else (None, None)
                try:
                    for case, _ in CASES:
                        call = calls[case]
                        runs = getattr(result, variant).setdefault(case, [])
                        runs.append(time_statement(call.stmt, call.namespace, plan))
                finally:
                    if token is not None:
                        exposure.stop(token)
    gargoyle.refresh()
    return result


def lines(counting: Counting, waffle_us: dict[str, float]) -> list[str]:
    out = ["Counting and exposure (gargoyle us per call, median of alternating runs)"]
    out.append(
        f"  {'case':<10} {'counting off':>13} {'counting on':>12} {'added':>8} {'+ request record':>17}"
        f" {'added':>8} {'waffle':>9}"
    )
    for case, label in CASES:
        off, on = statistics.median(counting.off[case]), statistics.median(counting.on[case])
        exposed = statistics.median(counting.exposed[case])
        out.append(
            f"  {label:<10} {off:>13.3f} {on:>12.3f} {on - off:>+8.3f} {exposed:>17.3f} {exposed - on:>+8.3f}"
            f" {waffle_us.get(case, 0.0):>9.3f}"
        )
    return out


def target_checks(counting: Counting) -> list[tuple[str, str, bool]]:
    return [
        (
            f"{label}: counting adds <= {BUDGET_US} us per check",
            f"{counting.added(case):+.3f} us",
            counting.added(case) <= BUDGET_US,
        )
        for case, label in CASES
    ]
