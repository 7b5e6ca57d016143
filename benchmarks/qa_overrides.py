"""What QA overrides (``GARGOYLE_QA_SWITCHES``) cost a check, for the GLOBAL and SELECTIVE
switches of the case table:

* feature off: the setting empty (the default);
* feature on: another switch listed (a page switch): the measured one is not, and must pay
  nothing (it is still compiled as before);
* listed: the measured switch itself listed, no override for this request (it reads the
  request's overrides, then answers from its rules);
* overridden: listed, and this request's browser forced it on (what
  ``SwitchOverrideMiddleware`` sets for a tester).

The variants are measured in alternation, so that a slower or faster stretch of a shared
machine falls on all; each figure is the median of its runs. waffle's own figures are those
of the case table of the same run.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

from django.test import override_settings

from benchmarks.cases import KEYS, PAGE_KEYS
from benchmarks.measure import Call, Plan, time_statement
from gargoyle._runtime.overrides import forced

CASES = (("global", "GLOBAL"), ("selective", "SELECTIVE"))
VARIANTS = ("off", "on", "listed", "overridden")
#: The budget: the feature may add this much to a check of a switch it does not list.
BUDGET_US = 0.05


@dataclass
class Overrides:
    runs: dict[tuple[str, str], list[float]] = field(default_factory=dict)  # (variant, case) -> us

    def us(self, variant: str, case: str) -> float:
        return statistics.median(self.runs[(variant, case)])

    def added(self, case: str) -> float:
        return self.us("on", case) - self.us("off", case)


def _listed(variant: str, case: str) -> list[str]:
    if variant == "off":
        return []
    if variant == "on":
        return [PAGE_KEYS[0]]
    return [PAGE_KEYS[0], KEYS[case]]


def run(calls: dict[str, Call], plan: Plan, rounds: int) -> Overrides:
    result = Overrides()
    for _ in range(rounds):
        for variant in VARIANTS:
            for case, _ in CASES:
                # The snapshot is recompiled when the setting changes (the runtime hears it).
                with override_settings(GARGOYLE_QA_SWITCHES=_listed(variant, case)):
                    token = forced.set({KEYS[case]: True}) if variant == "overridden" else None
                    try:
                        call = calls[case]
                        result.runs.setdefault((variant, case), []).append(
                            time_statement(call.stmt, call.namespace, plan)
                        )
                    finally:
                        if token is not None:
                            forced.reset(token)
    return result


def lines(measured: Overrides, waffle_us: dict[str, float]) -> list[str]:
    out = ["QA overrides (gargoyle us per call, median of alternating runs)"]
    out.append(
        f"  {'case':<10} {'feature off':>12} {'feature on':>11} {'added':>8} {'listed':>8}"
        f" {'overridden':>11} {'waffle':>9}"
    )
    for case, label in CASES:
        off, on = measured.us("off", case), measured.us("on", case)
        out.append(
            f"  {label:<10} {off:>12.3f} {on:>11.3f} {on - off:>+8.3f} {measured.us('listed', case):>8.3f}"
            f" {measured.us('overridden', case):>11.3f} {waffle_us.get(case, 0.0):>9.3f}"
        )
    out.append("  feature on: another switch listed; listed: this switch listed, no override; overridden: forced on")
    return out


def target_checks(measured: Overrides) -> list[tuple[str, str, bool]]:
    return [
        (
            f"{label} not listed: QA overrides add <= {BUDGET_US} us per check",
            f"{measured.added(case):+.3f} us",
            measured.added(case) <= BUDGET_US,
        )
        for case, label in CASES
    ]
