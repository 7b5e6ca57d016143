from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from gargoyle._storage.transactions import write_transaction
from gargoyle._storage.validation import validate_key
from gargoyle.constants import DISABLED, GLOBAL
from gargoyle.models import Switch


class Command(BaseCommand):
    help = "Adds the switch (global, or disabled with --disabled), or sets an existing switch's status."
    missing_args_message = "No switch name specified. Please provide one."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("switch_name", type=str)
        parser.add_argument(
            "--disabled",
            dest="status",
            action="store_const",
            default=GLOBAL,
            const=DISABLED,
            help="Create a disabled switch.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        key, status = options["switch_name"], options["status"]
        try:
            validate_key(key)
            with write_transaction():  # read and write as one step: nobody renames it in between
                switch, created = Switch.objects.get_or_create(key=key, defaults={"status": status})
                changed = not created and switch.status != status
                if changed:
                    switch.status = status
                    switch.save()
        except ValidationError as error:  # e.g. a GARGOYLE_SWITCH_DEFAULTS label the model refuses
            raise CommandError(" ".join(error.messages)) from None
        state = "created" if created else "updated" if changed else "unchanged"
        self.stdout.write(f"Switch {key!r} {state}: {switch.get_status_display()}.")
