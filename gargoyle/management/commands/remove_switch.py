from typing import Any

from django.core.management.base import BaseCommand, CommandError

from gargoyle._authoring.fields import text_problem
from gargoyle.models import Switch


class Command(BaseCommand):
    help = "Removes the specified switch."
    missing_args_message = "No switch name specified. Please provide one."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("switch_name", type=str)

    def handle(self, *args: Any, **options: Any) -> None:
        key = options["switch_name"]
        if text_problem(key):  # bytes that are not UTF-8 on the command line: no switch has that key
            raise CommandError(f"No switch {key!a}; nothing removed.")
        removed, _by_model = Switch.objects.filter(key=key).delete()
        self.stdout.write(f"Switch {key!r} removed." if removed else f"No switch {key!r}; nothing removed.")
