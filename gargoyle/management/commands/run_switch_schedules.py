from typing import Any

from django.core.management.base import BaseCommand

from gargoyle.schedules import apply_due


class Command(BaseCommand):
    help = (
        "Applies the scheduled changes that are due (for cron, on sites whose processes may go without "
        "requests). Safe to run from several machines at once: each change is applied once. See docs/schedules.rst."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        resolved = apply_due()
        if not resolved:
            self.stdout.write("Nothing due.")
        for found in resolved:
            self.stdout.write(f"#{found.pk} {found.switch_key}: {found.state}: {found.outcome}")
