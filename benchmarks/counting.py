"""What counting checks costs (``GARGOYLE_USAGE``): GLOBAL and SELECTIVE, counting on and off.

The two settings are measured in alternation (on, off, on, off...), so that a slower or
faster stretch of a shared machine falls on both; each figure is the median of its runs.
waffle's own figures are those of the case table of the same run.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

from django.test import override_settings

from benchmarks.measure import Call, Plan, time_statement
from gargoyle import gargoyle

CASES = (("global", "GLOBAL"), ("selective", "SELECTIVE"))
#: The budget of the issue: counting may add this much per check.
BUDGET_US = 0.05


@dataclass
class Counting:
    on: dict[str, list[float]] = field(default_factory=dict)  # case id -> us per call, each run
    off: dict[str, list[float]] = field(default_factory=dict)

    def added(self, case: str) -> float:
        return statistics.median(self.on[case]) - statistics.median(self.off[case])


def run(calls: dict[str, Call], plan: Plan, rounds: int) -> Counting:
    result = Counting()
    for _ in range(rounds):
        for counting in (True, False):
            with override_settings(GARGOYLE_USAGE=counting):
                gargoyle.refresh()  # compiled with or without the tallies
                for case, _ in CASES:
                    call = calls[case]
                    runs = (result.on if counting else result.off).setdefault(case, [])
                    runs.append(time_statement(call.stmt, call.namespace, plan))
    gargoyle.refresh()
    return result


def lines(counting: Counting, waffle_us: dict[str, float]) -> list[str]:
    out = ["Counting checks (GARGOYLE_USAGE; gargoyle us per call, median of alternating runs)"]
    out.append(f"  {'case':<10} {'counting on':>12} {'counting off':>13} {'added':>8} {'waffle':>9}")
    for case, label in CASES:
        on, off = statistics.median(counting.on[case]), statistics.median(counting.off[case])
        out.append(f"  {label:<10} {on:>12.3f} {off:>13.3f} {on - off:>+8.3f} {waffle_us.get(case, 0.0):>9.3f}")
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
