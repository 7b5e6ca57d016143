"""The ``SwitchUsage`` model: how often each switch was checked, per hour and per day.

Each process counts its checks in memory (``gargoyle._runtime.usage``) and adds them here
now and then (:func:`add_counts`): a row per switch and hour, whose numbers only grow, by
``UPDATE ... SET on = on + n``, so that processes flushing at once neither lose nor double
count. Hourly rows older than :data:`HOURLY_DAYS` are folded into one row per day
(:func:`roll_up`); daily rows older than ``GARGOYLE_USAGE_RETENTION`` days go. The public
reading side is :mod:`gargoyle.usage`.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple

from django.db import IntegrityError, models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gargoyle._storage.validation import KEY_MAX_LENGTH

__all__ = ["HOURLY_DAYS", "Counts", "SwitchUsage", "add_counts", "hour_of", "roll_up"]

#: Hourly rows are kept this many days (the panel's "last 24 h" and "7 days" read them),
#: then folded into daily rows.
HOURLY_DAYS = 8

HOUR, DAY = "h", "d"


class Counts(NamedTuple):
    """The checks of one switch in one process since its last flush."""

    on: int
    off: int
    defaults: int  # answered with the caller's default: no stored switch had the key


class SwitchUsage(models.Model):
    """The checks of one switch during one hour (``period`` "h") or one day ("d"), UTC.

    ``on`` and ``off`` count the answers; ``defaults`` the checks of a key no switch is
    stored under (answered with the caller's default); ``processes`` how many processes
    reported checks for the hour; ``last_checked`` when the latest of them flushed.
    """

    switch_key = models.CharField(_("switch"), max_length=KEY_MAX_LENGTH)
    period = models.CharField(_("period"), max_length=1, choices=[(HOUR, _("hour")), (DAY, _("day"))])
    start = models.DateTimeField(_("start"))
    on = models.BigIntegerField(_("answered on"), default=0)
    off = models.BigIntegerField(_("answered off"), default=0)
    defaults = models.BigIntegerField(_("answered the default"), default=0)
    processes = models.PositiveIntegerField(_("processes"), default=0)
    last_checked = models.DateTimeField(_("last checked"), null=True, blank=True)

    class Meta:
        app_label = "gargoyle"
        default_permissions = ()
        verbose_name = _("switch usage")
        verbose_name_plural = _("switch usage")
        constraints = [
            models.UniqueConstraint(fields=["switch_key", "period", "start"], name="gargoyle_usage_unique_period"),
        ]
        indexes = [models.Index(fields=["period", "start"], name="gargoyle_usage_period_start")]

    def __str__(self) -> str:
        return f"{self.switch_key} {self.period} {self.start:%Y-%m-%d %H:00}: {self.on} on, {self.off} off"


def hour_of(moment: datetime.datetime) -> datetime.datetime:
    """The start of ``moment``'s hour: in UTC for an aware moment (``USE_TZ``), as it is for a
    naive one (without ``USE_TZ``, the default time zone's wall clock)."""
    if timezone.is_aware(moment):
        moment = moment.astimezone(datetime.timezone.utc)
    return moment.replace(minute=0, second=0, microsecond=0)


def add_counts(
    counts: Mapping[str, Counts], moment: datetime.datetime, first_report: set[str], using: str = "default"
) -> None:
    """Add ``counts`` to the rows of ``moment``'s hour, in one transaction.

    ``first_report`` names the keys this process had not reported for this hour yet: their
    row's ``processes`` grows by one. Safe against other processes adding at the same
    moment: each key's row is created once (a unique constraint) and grown in place.
    """
    hour = hour_of(moment)
    with transaction.atomic(using=using):
        # In key order: processes writing at once lock rows in one order, so never deadlock.
        for key in sorted(counts):
            _add(key, counts[key], hour, moment, key in first_report, using)


def _add(key: str, count: Counts, hour: datetime.datetime, moment: datetime.datetime, first: bool, using: str) -> None:
    rows = SwitchUsage.objects.using(using).filter(switch_key=key, period=HOUR, start=hour)
    grow = {
        "on": F("on") + count.on,
        "off": F("off") + count.off,
        "defaults": F("defaults") + count.defaults,
        "processes": F("processes") + int(first),
        "last_checked": moment,
    }
    if rows.update(**grow):
        return
    try:
        with transaction.atomic(using=using):  # a savepoint: another process may insert it first
            SwitchUsage.objects.using(using).create(
                switch_key=key,
                period=HOUR,
                start=hour,
                on=count.on,
                off=count.off,
                defaults=count.defaults,
                processes=int(first),
                last_checked=moment,
            )
    except IntegrityError:
        rows.update(**grow)


def roll_up(now: datetime.datetime, retention_days: int, using: str = "default") -> int:
    """Fold hourly rows older than :data:`HOURLY_DAYS` into daily rows; delete daily rows
    older than ``retention_days``. Returns the number of rows removed."""
    cutoff = hour_of(now) - datetime.timedelta(days=HOURLY_DAYS)
    with transaction.atomic(using=using):
        old = SwitchUsage.objects.using(using).select_for_update().filter(period=HOUR, start__lt=cutoff)
        ids = list(old.values_list("id", flat=True))
        if ids:
            _fold_into_days(SwitchUsage.objects.using(using).filter(id__in=ids), using)
            SwitchUsage.objects.using(using).filter(id__in=ids).delete()
        expired = now - datetime.timedelta(days=retention_days)
        deleted, _ = SwitchUsage.objects.using(using).filter(period=DAY, start__lt=expired).delete()
    return len(ids) + deleted


@dataclass
class _Day:
    on: int = 0
    off: int = 0
    defaults: int = 0
    processes: int = 0
    last_checked: datetime.datetime | None = None

    def add(self, row: SwitchUsage) -> None:
        self.on += row.on
        self.off += row.off
        self.defaults += row.defaults
        self.processes = max(self.processes, row.processes)  # the busiest hour's: not a sum of the same ones
        self.last_checked = _latest(self.last_checked, row.last_checked)


def _latest(a: datetime.datetime | None, b: datetime.datetime | None) -> datetime.datetime | None:
    return b if a is None else a if b is None else max(a, b)


def _fold_into_days(hourly: models.QuerySet[SwitchUsage], using: str) -> None:
    days: dict[tuple[str, datetime.datetime], _Day] = {}
    for row in hourly:
        days.setdefault((row.switch_key, row.start.replace(hour=0)), _Day()).add(row)
    for (key, day), total in days.items():
        row, _ = SwitchUsage.objects.using(using).get_or_create(switch_key=key, period=DAY, start=day)
        SwitchUsage.objects.using(using).filter(pk=row.pk).update(
            on=F("on") + total.on,
            off=F("off") + total.off,
            defaults=F("defaults") + total.defaults,
            processes=max(row.processes, total.processes),
            last_checked=_latest(row.last_checked, total.last_checked),
        )
