"""``prune_switch_history``: delete old entries of the switch history (dry run by default).

Nothing prunes the history by itself: this command is meant for cron. The newest entry of
each switch that still exists is always kept, however old: it records how the switch got
its current state (who, when, from what), which the history and "Undo this change" rest on.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import models, router, transaction
from django.utils.timezone import is_aware, now

from gargoyle._conf import DEFAULTS, get_settings, is_valid_history_retention
from gargoyle.models import Switch, SwitchChange

#: ``180d``, ``26w``, ``48h``: a whole number and one unit, nothing else.
AGE = re.compile(r"([0-9]+)([hdw])")
UNITS = {"h": ("hours", "hour"), "d": ("days", "day"), "w": ("weeks", "week")}

#: Entries deleted per statement, so that a large history is not loaded at once.
BATCH_SIZE = 500


class Age:
    """How old an entry must be to be pruned, as the user wrote it."""

    def __init__(self, number: int, unit: str) -> None:
        self.number, self.unit = number, unit

    def __str__(self) -> str:
        plural, singular = UNITS[self.unit]
        return f"{self.number} {singular if self.number == 1 else plural}"

    def cutoff(self, at: datetime) -> datetime | None:
        """The date before which entries are pruned; None when it would be before year 1."""
        plural, _singular = UNITS[self.unit]
        try:
            return at - timedelta(**{plural: self.number})
        except OverflowError:
            return None


def parse_age(text: str) -> Age:
    """``--older-than``'s value as an :class:`Age`.

    :raises ~django.core.management.base.CommandError: unless it is a whole number of
        hours, days or weeks, 1 or more (``48h``, ``180d``, ``26w``).
    """
    match = AGE.fullmatch(text)
    if match is None or int(match[1]) < 1:
        raise CommandError(
            f"--older-than {text!r} is not an age: write a whole number, 1 or more, and a unit: "
            "h (hours), d (days) or w (weeks), e.g. 180d, 26w or 48h."
        )
    return Age(int(match[1]), match[2])


def prunable(cutoff: datetime) -> models.QuerySet[SwitchChange]:
    """The history entries older than ``cutoff``, except the newest entry of each existing switch."""
    newest = SwitchChange.objects.filter(switch_key=models.OuterRef("key")).order_by("-date", "-id").values("pk")[:1]
    # One query, whatever the number of switches; without the NULLs of switches that have no
    # history (stored by gargoyle-yplan), which would make NOT IN exclude every entry.
    kept = Switch.objects.annotate(newest=models.Subquery(newest)).filter(newest__isnull=False).values("newest")
    return SwitchChange.objects.filter(date__lt=cutoff).exclude(pk__in=kept)


class Command(BaseCommand):
    help = (
        "Deletes switch history entries older than --older-than (or GARGOYLE_HISTORY_RETENTION days), keeping the "
        "newest entry of every existing switch. Prints what it would delete unless --apply is given."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--older-than",
            metavar="AGE",
            help="Prune entries older than this: 180d (days), 26w (weeks) or 48h (hours). "
            "Default: GARGOYLE_HISTORY_RETENTION days.",
        )
        parser.add_argument("--apply", action="store_true", help="Delete them. Without it, only say what would go.")

    def handle(self, *args: Any, **options: Any) -> None:
        age = parse_age(options["older_than"]) if options["older_than"] is not None else self._configured_age()
        cutoff = age.cutoff(now())
        with transaction.atomic(using=router.db_for_write(SwitchChange)):
            doomed = prunable(cutoff) if cutoff is not None else SwitchChange.objects.none()
            per_switch = Counter(dict(doomed.values_list("switch_key").annotate(n=models.Count("pk")).order_by()))
            total = sum(per_switch.values())
            if total and options["apply"]:
                self._delete(doomed)
        if options["verbosity"] < 1:
            return
        since = f"older than {age}"
        if cutoff is not None:
            since += f" (before {cutoff:%Y-%m-%d %H:%M}{' UTC' if is_aware(cutoff) else ''})"
        if not total:
            self.stdout.write(f"No history entries {since} to delete.")
            return
        entries = "entry" if total == 1 else "entries"
        if options["apply"]:
            self.stdout.write(f"Deleted {total} history {entries} {since}:")
        else:
            self.stdout.write(f"Would delete {total} history {entries} {since}:")
        width = max(len(key) for key in per_switch)
        for key, count in sorted(per_switch.items()):
            self.stdout.write(f"  {key.ljust(width)}  {count}")
        if not options["apply"]:
            self.stdout.write("Nothing was deleted (dry run). Run again with --apply to delete them.")

    def _configured_age(self) -> Age:
        configured = getattr(settings, "GARGOYLE_HISTORY_RETENTION", DEFAULTS["GARGOYLE_HISTORY_RETENTION"])
        if not is_valid_history_retention(configured):  # gargoyle.E010 says so too, unless checks were skipped
            raise CommandError(
                f"GARGOYLE_HISTORY_RETENTION must be a whole number of days, 1 or more, or None "
                f"(got {configured!r}); nothing was deleted."
            )
        days = get_settings().history_retention
        if days is None:
            raise CommandError(
                "Say how old the entries to prune are: --older-than 180d (days; or 26w, 48h), "
                "or set GARGOYLE_HISTORY_RETENTION = 180 (days) in your settings."
            )
        return Age(days, "d")

    def _delete(self, doomed: models.QuerySet[SwitchChange]) -> None:
        # In batches: QuerySet.delete() fetches every row it deletes (entries that restored
        # a pruned one keep their summary; their link to it is cleared).
        while batch := list(doomed.values_list("pk", flat=True)[:BATCH_SIZE]):
            SwitchChange.objects.filter(pk__in=batch).delete()
