"""The statistics of a rollout's guard: is the exposed group worse than the control group?

The test (docs/rollouts.rst, "The statistics"): a one-sided test of the difference of two
proportions against a tolerated rise ``max_increase``. With ``p1``, ``n1`` the share of bad
requests and the number of requests where the switch answered on, and ``p0``, ``n0`` where
it answered off::

    z = (p1 - p0 - max_increase) / sqrt(p1 (1 - p1) / n1 + p0 (1 - p0) / n0)

The guard trips when ``z >= Z_TRIP`` (3.29: a false alarm probability of 0.0005 at each
look), and only once both groups have ``min_requests`` requests and the exposed group
``MIN_BAD`` bad ones: low traffic waits, it does not abort. A rollout is looked at about
once a minute, so over a stage of a hundred looks the chance of a false alarm stays under
5 % (the union bound: 100 x 0.0005). Each rate is shown with its 95 % Wilson interval.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

__all__ = ["MIN_BAD", "Z_TRIP", "GuardFigures", "judge", "wilson"]

#: The z score at which the guard trips (one-sided, 0.0005 per look).
Z_TRIP = 3.29
#: The fewest bad requests in the exposed group before the guard may trip.
MIN_BAD = 5
#: The z score of a two-sided 95 % interval.
Z_95 = 1.96


def wilson(bad: int, requests: int, z: float = Z_95) -> tuple[float, float]:
    """The Wilson score interval of a proportion ``bad / requests`` (``(0, 1)`` without data)."""
    if requests <= 0:
        return 0.0, 1.0
    p = bad / requests
    denominator = 1 + z * z / requests
    centre = (p + z * z / (2 * requests)) / denominator
    spread = z * math.sqrt(p * (1 - p) / requests + z * z / (4 * requests * requests)) / denominator
    return max(0.0, centre - spread), min(1.0, centre + spread)


@dataclass(frozen=True)
class GuardFigures:
    """One metric's comparison: counts, rates, their intervals, ``z`` and the verdict."""

    metric: str
    exposed_requests: int
    exposed_bad: int
    control_requests: int
    control_bad: int
    z: float | None  # None until both groups have their minimum sample
    tripped: bool
    enough: bool  # both groups reached min_requests

    @property
    def exposed_rate(self) -> float:
        """The share of bad requests where the switch answered on (0 without requests)."""
        return self.exposed_bad / self.exposed_requests if self.exposed_requests else 0.0

    @property
    def control_rate(self) -> float:
        """The share of bad requests where the switch answered off (0 without requests)."""
        return self.control_bad / self.control_requests if self.control_requests else 0.0

    def summary(self) -> str:
        """``"4.1 % errors vs 0.3 %, n = 1,200 / 9,800"``: exposed first."""
        return (
            f"{self.exposed_rate * 100:.1f} % {self.metric} vs {self.control_rate * 100:.1f} %, "
            f"n = {self.exposed_requests:,} / {self.control_requests:,}"
        )

    def as_dict(self) -> dict[str, Any]:
        """For the panel and the JSON API: rates with their 95 % intervals."""
        return {
            "metric": self.metric,
            "exposed": _group(self.exposed_bad, self.exposed_requests),
            "control": _group(self.control_bad, self.control_requests),
            "z": None if self.z is None else round(self.z, 2),
            "tripped": self.tripped,
            "enough": self.enough,
            "summary": self.summary(),
        }


def _group(bad: int, requests: int) -> dict[str, Any]:
    low, high = wilson(bad, requests)
    rate = bad / requests if requests else None
    return {"requests": requests, "bad": bad, "rate": rate, "low": low, "high": high}


def judge(
    metric: str,
    exposed: tuple[int, int],
    control: tuple[int, int],
    *,
    max_increase: float,
    min_requests: int,
) -> GuardFigures:
    """Compare ``exposed`` and ``control``, each ``(requests, bad)``; see the module's description."""
    (n1, bad1), (n0, bad0) = exposed, control
    enough = n1 >= min_requests and n0 >= min_requests
    if not enough:
        return GuardFigures(metric, n1, bad1, n0, bad0, None, False, False)
    p1, p0 = bad1 / n1, bad0 / n0
    z = _z(p1 - p0 - max_increase, math.sqrt(p1 * (1 - p1) / n1 + p0 * (1 - p0) / n0))
    return GuardFigures(metric, n1, bad1, n0, bad0, z, z >= Z_TRIP and bad1 >= MIN_BAD, True)


def _z(excess: float, spread: float) -> float:
    """``excess / spread``; with no spread (every request alike in both groups) the difference
    is exact, and its sign is all that counts (as ±99, a number JSON can hold)."""
    if spread > 0:
        return excess / spread
    return 99.0 if excess > 0 else -99.0 if excess < 0 else 0.0
