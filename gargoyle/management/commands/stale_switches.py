import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from gargoyle.stale import stale_switches


class Command(BaseCommand):
    help = (
        "Lists the switches that are candidates for removal: not checked for N days, or settled (the same answer "
        "for everyone) for N days. See docs/measuring.rst."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--days", type=int, default=None, help="Days unchecked or unchanged (default: GARGOYLE_STALE_DAYS)."
        )
        parser.add_argument("--fail", action="store_true", help="Exit with status 1 when a switch is stale (for CI).")
        parser.add_argument("--json", action="store_true", help="Print JSON instead of a table.")

    def handle(self, *args: Any, **options: Any) -> None:
        days = options["days"]
        if days is not None and days < 1:
            raise CommandError("--days: give a whole number of days, 1 or more.")
        found = stale_switches(days)
        if options["json"]:
            self.stdout.write(json.dumps([stale.as_dict() for stale in found], indent=2))
        elif not found:
            self.stdout.write("No stale switches.")
        else:
            width = max(len("key"), *(len(stale.key) for stale in found))
            self.stdout.write(f"{'KEY'.ljust(width)}  {'LAST CHECKED'.ljust(16)}  REASON")
            for stale in found:
                last = stale.last_checked.strftime("%Y-%m-%d %H:%M") if stale.last_checked else "never"
                self.stdout.write(f"{stale.key.ljust(width)}  {last.ljust(16)}  {stale.reason}")
        if options["fail"] and found:
            raise CommandError(f"{len(found)} stale switch(es).", returncode=1)
