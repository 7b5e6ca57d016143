"""How often each switch is checked, and what it answered: the figures of a measurable rollout.

Every process counts its checks in memory (``GARGOYLE_USAGE``, on by default) and adds them
to the ``SwitchUsage`` table every ``GARGOYLE_USAGE_FLUSH_INTERVAL`` seconds and at exit:
per switch and hour, then per day (see docs/measuring.rst). This module reads them back::

    from gargoyle.usage import usage_of

    figures = usage_of(["new_checkout"])["new_checkout"]
    figures.checks_24h, figures.share_on_24h, figures.last_checked

and :func:`flush` stores this process's counts now (tests, scripts that exit at once).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Max, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from gargoyle._runtime.usage import counter
from gargoyle._storage.usage import HOUR, SwitchUsage, hour_of

__all__ = ["CHART_DAYS", "DayCount", "SwitchUsageFigures", "flush", "usage_of"]

#: How many days the panel's chart shows (today included).
CHART_DAYS = 14


@dataclass(frozen=True)
class DayCount:
    """One day's checks of a switch (UTC)."""

    day: datetime.date
    on: int
    off: int


@dataclass(frozen=True)
class SwitchUsageFigures:
    """What one switch was asked, as stored so far (this process's latest counts excluded
    until its next flush)."""

    key: str
    on_24h: int = 0
    off_24h: int = 0
    on_7d: int = 0
    off_7d: int = 0
    defaults_7d: int = 0  # checks answered with the caller's default: no switch stored under the key
    last_checked: datetime.datetime | None = None  # when the latest flush with checks of it ran
    processes: int = 0  # processes that reported checks of it in the last two hours
    days: list[DayCount] = field(default_factory=list)  # the last CHART_DAYS days, oldest first

    @property
    def checks_24h(self) -> int:
        """Checks in the last 24 hours (the current hour and the 23 before it)."""
        return self.on_24h + self.off_24h

    @property
    def checks_7d(self) -> int:
        """Checks in the last 7 days (168 hours)."""
        return self.on_7d + self.off_7d

    @property
    def share_on_24h(self) -> float | None:
        """The share of the last 24 hours' checks that answered on, 0-1; None without checks."""
        return self.on_24h / self.checks_24h if self.checks_24h else None

    @property
    def share_on_7d(self) -> float | None:
        """The share of the last 7 days' checks that answered on, 0-1; None without checks."""
        return self.on_7d / self.checks_7d if self.checks_7d else None

    def as_dict(self) -> dict[str, Any]:
        """The figures as the JSON API gives them (see docs/json-api.rst)."""
        return {
            "checks24h": self.checks_24h,
            "on24h": self.on_24h,
            "checks7d": self.checks_7d,
            "on7d": self.on_7d,
            "defaults7d": self.defaults_7d,
            "lastChecked": self.last_checked.isoformat() if self.last_checked else None,
            "processes": self.processes,
            "days": [{"day": day.day.isoformat(), "on": day.on, "off": day.off} for day in self.days],
        }


def flush() -> int:
    """Store this process's counts now; the number of switches they were for.

    Counting goes on meanwhile. Never raises: a database error is logged and those counts
    are dropped (as in the background flush).
    """
    return counter.flush()


def usage_of(
    keys: Iterable[str] | None = None, *, now: datetime.datetime | None = None
) -> dict[str, SwitchUsageFigures]:
    """The stored figures of ``keys`` (every key with figures when None), by key.

    Keys without any stored check are absent. Three queries, whatever the number of keys.
    """
    now = now or timezone.now()
    hour = hour_of(now)
    rows = SwitchUsage.objects.all()
    if keys is not None:
        rows = rows.filter(switch_key__in=list(keys))
    recent = {total.pop("switch_key"): total for total in _recent_totals(rows, hour)}
    # Hourly and daily rows: a switch last checked weeks ago still says when.
    last = dict(rows.values_list("switch_key").annotate(last=Max("last_checked")))
    days = _days(rows, hour)
    return {
        key: SwitchUsageFigures(
            key=key,
            **{name: value or 0 for name, value in recent.get(key, {}).items()},
            last_checked=last[key],
            days=days.get(key, []),
        )
        for key in last
    }


def _recent_totals(rows: Any, hour: datetime.datetime) -> Iterable[dict[str, Any]]:
    day_ago = hour - datetime.timedelta(hours=23)  # the current hour and the 23 before it
    week_ago = hour - datetime.timedelta(hours=7 * 24 - 1)
    recent = Q(start__gte=day_ago)
    totals: Iterable[dict[str, Any]] = (
        rows.filter(period=HOUR, start__gte=week_ago)
        .values("switch_key")
        .annotate(
            on_24h=Sum("on", filter=recent),
            off_24h=Sum("off", filter=recent),
            on_7d=Sum("on"),
            off_7d=Sum("off"),
            defaults_7d=Sum("defaults"),
            processes=Max("processes", filter=Q(start__gte=hour - datetime.timedelta(hours=1))),
        )
    )
    return totals


def _days(rows: Any, hour: datetime.datetime) -> dict[str, list[DayCount]]:
    """Each key's checks per day over the last :data:`CHART_DAYS` days, zeros included."""
    first = hour.date() - datetime.timedelta(days=CHART_DAYS - 1)
    start = datetime.datetime.combine(first, datetime.time(), tzinfo=hour.tzinfo)  # naive without USE_TZ
    totals: dict[str, dict[datetime.date, list[int]]] = {}
    found = (
        rows.filter(start__gte=start)
        .annotate(day=TruncDate("start", tzinfo=datetime.timezone.utc if settings.USE_TZ else None))
        .values("switch_key", "day")
        .annotate(on_sum=Sum("on"), off_sum=Sum("off"))
    )
    for entry in found:
        counts = totals.setdefault(entry["switch_key"], {}).setdefault(entry["day"], [0, 0])
        counts[0] += entry["on_sum"] or 0
        counts[1] += entry["off_sum"] or 0
    span = [first + datetime.timedelta(days=offset) for offset in range(CHART_DAYS)]
    return {key: [DayCount(day, *by_day.get(day, [0, 0])) for day in span] for key, by_day in totals.items()}
