from typing import Any

from django.core.management.base import BaseCommand, CommandError

from gargoyle.helpers import dumps
from gargoyle.models import Switch
from gargoyle.transfer import export_switches


class Command(BaseCommand):
    help = "Writes every switch as JSON (to standard output, or to --output FILE), for import_switches."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--output", "-o", help="Write to this file instead of standard output.")

    def handle(self, *args: Any, **options: Any) -> None:
        text = dumps(export_switches(Switch.objects.order_by("key").load()), indent=2)
        if options["output"]:
            try:
                with open(options["output"], "w", encoding="utf-8") as file:
                    file.write(text + "\n")
            except OSError as error:
                raise CommandError(
                    f"Cannot write {options['output']}: {error.strerror}; nothing was exported."
                ) from None
            self.stderr.write(f"Exported {Switch.objects.count()} switches to {options['output']}.")
        else:
            self.stdout.write(text)
