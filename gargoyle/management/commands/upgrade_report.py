import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from gargoyle._authoring.fields import text_problem
from gargoyle._storage.transactions import write_transaction
from gargoyle.manager import gargoyle
from gargoyle.models import Switch


class Command(BaseCommand):
    help = (
        "Lists the switches carried over from gargoyle-yplan 2.1.1 whose answers changed at the upgrade, "
        "with what changed, and stored values the model would refuse today (a status outside 1-4...). "
        "--reviewed KEY... marks switches reviewed."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--json", action="store_true", help="Print JSON instead of text.")
        marks = parser.add_mutually_exclusive_group()
        marks.add_argument(
            "--reviewed", nargs="+", metavar="KEY", help="Mark these switches reviewed: they are no longer reported."
        )
        marks.add_argument("--all-reviewed", action="store_true", help="Mark every reported switch reviewed.")

    def handle(self, *args: Any, **options: Any) -> None:
        gargoyle.refresh()
        if options["reviewed"] or options["all_reviewed"]:
            self._mark_reviewed(options["reviewed"])
            gargoyle.refresh()
        report = self._report()
        if options["json"]:
            self.stdout.write(json.dumps(report, indent=2))
        else:
            self._print(report)

    def _report(self) -> list[dict[str, Any]]:
        report = []
        for switch in Switch.objects.order_by("key").load():
            notices = gargoyle.notices_of(switch)
            if notices:
                report.append(
                    {"key": switch.key, "status": switch.status, "notices": [notice.as_dict() for notice in notices]}
                )
        return report

    def _mark_reviewed(self, keys: list[str] | None) -> None:
        if keys is None:
            keys = sorted(gargoyle.upgrade_changes())
        with write_transaction():  # checked and marked as one step: nobody renames one in between
            texts = [key for key in keys if not text_problem(key)]  # bytes that are not UTF-8 name nothing
            found = set(Switch.objects.filter(key__in=texts).values_list("key", flat=True))
            unknown = [key for key in keys if key not in found]
            if unknown:
                raise CommandError(f"No switch {', '.join(map(ascii, unknown))}; nothing was marked reviewed.")
            Switch.objects.filter(key__in=keys).update(carried_over=False)
        self.stdout.write(f"Marked reviewed: {', '.join(keys) or 'nothing to mark'}.")

    def _print(self, report: list[dict[str, Any]]) -> None:
        if not report:
            self.stdout.write(
                "No switch carried over from gargoyle-yplan answers differently, and no stored value is odd."
            )
            return
        self.stdout.write(f"{len(report)} switches need a look after the upgrade from gargoyle-yplan 2.1.1:")
        for entry in report:
            self.stdout.write(f"\n{entry['key']}")
            for notice in entry["notices"]:
                self.stdout.write(f"  - {notice['message']}")
        self.stdout.write(
            "\nReview each one in the panel. Mark a switch whose new answers are right reviewed there, "
            "or with: manage.py upgrade_report --reviewed KEY"
        )
