"""Stale switches: candidates for removal, from their usage counts (:mod:`gargoyle.usage`).

A switch is reported when, for ``days`` days (``GARGOYLE_STALE_DAYS``, 30 by default):

* **not checked**: no process has stored a check of it — the code no longer asks for it
  (or never did). Only said once the counts go back that far: right after an upgrade, no
  switch is reported as unchecked;
* **same answer**: it is *Global* or *Disabled* and was not modified — every check got the
  same answer, so the code path can be made permanent;
* **always on**: it is *Selective* or *Inherit*, was not modified, and every stored check
  answered on — on for everyone who asked, in effect.

A key listed in ``GARGOYLE_PERMANENT_SWITCHES`` (a kill switch, a maintenance mode) is
never reported. See docs/measuring.rst.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Max, Min, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gargoyle._conf import get_settings
from gargoyle._storage.switch import Switch
from gargoyle._storage.usage import SwitchUsage
from gargoyle.constants import DISABLED, GLOBAL

__all__ = ["REASONS", "StaleSwitch", "stale_of", "stale_switches"]

#: The reasons a switch is reported, by code.
REASONS = {
    "not_checked": _("not checked for %(days)d days: the code no longer asks for it"),
    "same_answer": _("%(status)s and unchanged for %(days)d days: every check got the same answer"),
    "always_on": _("answered on to every check for %(days)d days, unchanged: on for everyone who asks"),
}


@dataclass(frozen=True)
class StaleSwitch:
    """A switch reported as a candidate for removal, and why."""

    key: str
    code: str  # a key of REASONS
    reason: str  # REASONS[code], filled in
    last_checked: datetime.datetime | None

    def as_dict(self) -> dict[str, Any]:
        """As the JSON API gives it: ``key``, ``code``, ``reason`` and ``lastChecked``."""
        return {
            "key": self.key,
            "code": self.code,
            "reason": self.reason,
            "lastChecked": self.last_checked.isoformat() if self.last_checked else None,
        }


def stale_switches(days: int | None = None, *, now: datetime.datetime | None = None) -> list[StaleSwitch]:
    """The stored switches that are candidates for removal, by key (see the module).

    :param days: how long a switch must have been unchecked or unchanged
        (default: ``GARGOYLE_STALE_DAYS``).
    """
    found = stale_of(Switch.objects.order_by("key").load(), days, now=now)
    return [found[key] for key in sorted(found)]


def stale_of(
    switches: Iterable[Switch], days: int | None = None, *, now: datetime.datetime | None = None
) -> dict[str, StaleSwitch]:
    """:func:`stale_switches` among ``switches``, by key (three queries, whatever their number)."""
    settings = get_settings()
    days = settings.stale_days if days is None else days
    now = now or timezone.now()
    since = now - datetime.timedelta(days=days)
    switches = [switch for switch in switches if switch.key not in settings.permanent_switches]
    if not switches:
        return {}
    counted_since = SwitchUsage.objects.aggregate(first=Min("start"))["first"]
    rows = (
        SwitchUsage.objects.filter(switch_key__in=[switch.key for switch in switches])
        if len(switches) <= 500
        else SwitchUsage.objects.all()
    )
    figures = {
        row["switch_key"]: row
        for row in rows.filter(start__gte=since)
        .values("switch_key")
        .annotate(on=Sum("on"), off=Sum("off"))
        .filter(Q(on__gt=0) | Q(off__gt=0))
    }
    last_ever = dict(rows.values_list("switch_key").annotate(last=Max("last_checked")))
    found = {}
    for switch in switches:
        code = _code(switch, figures.get(switch.key), since, counted_since)
        if code is not None:
            reason = REASONS[code] % {"days": days, "status": switch.get_status_display()}
            found[switch.key] = StaleSwitch(switch.key, code, str(reason), last_ever.get(switch.key))
    return found


def _code(
    switch: Switch, figures: Mapping[str, Any] | None, since: datetime.datetime, counted_since: datetime.datetime | None
) -> str | None:
    # Unchecked, if the counts cover the whole period and the switch existed through it.
    covered = counted_since is not None and counted_since <= since
    created, modified = _date(switch, "date_created"), _date(switch, "date_modified")
    if figures is None and covered and created is not None and created <= since:
        return "not_checked"
    if modified is None or modified > since:
        return None  # changed lately (or its date cannot be read): not settled yet
    if switch.status in (GLOBAL, DISABLED):
        return "same_answer"
    # "Every check for N days" needs counts going back N days (not an hour after the upgrade).
    if covered and figures is not None and figures["off"] == 0:
        return "always_on"
    return None


def _date(switch: Switch, name: str) -> datetime.datetime | None:
    try:
        value: datetime.datetime | None = getattr(switch, name)
    except (ValueError, TypeError, OverflowError):
        return None  # stored as text the database cannot read back (SQLite): unknown
    return value
