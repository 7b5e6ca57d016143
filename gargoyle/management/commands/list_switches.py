import json
from typing import Any

from django.core.management.base import BaseCommand

from gargoyle.manager import gargoyle
from gargoyle.models import Switch


class Command(BaseCommand):
    help = "Lists every switch with its status and what that means for users."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--json", action="store_true", help="Print JSON instead of a table.")

    def handle(self, *args: Any, **options: Any) -> None:
        rows = [
            {
                "key": switch.key,
                "status": switch.get_status_display(),
                "state": switch.get_status_label(),
                "label": switch.label or "",
                "conditions": sum(1 for _ in switch.get_active_conditions(gargoyle)),
                "problem": gargoyle.problem_of(switch) or "",
                "notices": [notice.message for notice in gargoyle.notices_of(switch)],
            }
            for switch in Switch.objects.order_by("key").load()
        ]
        if options["json"]:
            self.stdout.write(json.dumps(rows, indent=2))
            return
        if not rows:
            self.stdout.write("No switches.")
            return
        self._table(rows)

    def _table(self, rows: list[dict[str, Any]]) -> None:
        columns = ["key", "status", "conditions", "state", "label"]
        widths = {c: max(len(c), *(len(str(row[c])) for row in rows)) for c in columns}
        self.stdout.write("  ".join(c.upper().ljust(widths[c]) for c in columns).rstrip())
        for row in rows:
            line = "  ".join(str(row[c]).ljust(widths[c]) for c in columns).rstrip()
            self.stdout.write(line + (f"  [problem: {row['problem']}]" if row["problem"] else ""))
            for notice in row["notices"]:
                self.stdout.write(f"    ! {notice}")
