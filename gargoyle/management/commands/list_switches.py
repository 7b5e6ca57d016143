import json
from typing import Any

from django.core.management.base import BaseCommand

from gargoyle.manager import gargoyle
from gargoyle.models import Switch
from gargoyle.usage import SwitchUsageFigures, usage_of


class Command(BaseCommand):
    help = "Lists every switch with its status and what that means for users."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--json", action="store_true", help="Print JSON instead of a table.")
        parser.add_argument(
            "--usage",
            action="store_true",
            help="Add how often each switch was checked: in 24 hours, the share on, in 7 days, and when last.",
        )

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
        if options["usage"]:
            figures = usage_of()
            for row in rows:
                row["usage"] = _usage(figures.get(str(row["key"])))
        if options["json"]:
            self.stdout.write(json.dumps(rows, indent=2))
            return
        if not rows:
            self.stdout.write("No switches.")
            return
        self._table(rows)

    def _table(self, rows: list[dict[str, Any]]) -> None:
        columns = ["key", "status", "conditions", "state", "label"]
        if "usage" in rows[0]:
            columns[3:3] = USAGE_COLUMNS
            for row in rows:
                row.update(_usage_cells(row["usage"]))
        widths = {c: max(len(c), *(len(str(row[c])) for row in rows)) for c in columns}
        self.stdout.write("  ".join(c.upper().ljust(widths[c]) for c in columns).rstrip())
        for row in rows:
            line = "  ".join(str(row[c]).ljust(widths[c]) for c in columns).rstrip()
            self.stdout.write(line + (f"  [problem: {row['problem']}]" if row["problem"] else ""))
            for notice in row["notices"]:
                self.stdout.write(f"    ! {notice}")


USAGE_COLUMNS = ["checks_24h", "on_24h", "checks_7d", "last_checked"]


def _usage(figures: SwitchUsageFigures | None) -> dict[str, Any]:
    """The figures as ``--json`` prints them: zeros and None for a switch never checked."""
    if figures is None:
        return {"checks_24h": 0, "on_24h": 0, "checks_7d": 0, "on_7d": 0, "last_checked": None}
    last = figures.last_checked.isoformat() if figures.last_checked else None
    return {
        "checks_24h": figures.checks_24h,
        "on_24h": figures.on_24h,
        "checks_7d": figures.checks_7d,
        "on_7d": figures.on_7d,
        "last_checked": last,
    }


def _usage_cells(usage: dict[str, Any]) -> dict[str, str]:
    checks = usage["checks_24h"]
    return {
        "checks_24h": f"{checks:,}",
        "on_24h": f"{usage['on_24h'] / checks:.0%}" if checks else "-",
        "checks_7d": f"{usage['checks_7d']:,}",
        "last_checked": (usage["last_checked"] or "never")[:16].replace("T", " "),
    }
