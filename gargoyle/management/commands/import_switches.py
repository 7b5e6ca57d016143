import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from gargoyle.manager import gargoyle
from gargoyle.transfer import InvalidExport, import_switches, parse_document


class Command(BaseCommand):
    help = (
        "Creates or updates switches from an export_switches file ('-' for standard input). "
        "Everything is validated first; on any error nothing is written."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("path", help="The JSON file written by export_switches, or - for standard input.")
        parser.add_argument("--replace", action="store_true", help="Also delete switches the file does not contain.")
        parser.add_argument("--dry-run", action="store_true", help="Validate only; write nothing.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            text = sys.stdin.read() if options["path"] == "-" else _read(options["path"])
            entries = parse_document(text, gargoyle)
        except InvalidExport as error:
            raise CommandError("Nothing was imported:\n" + "\n".join(f"  - {e}" for e in error.errors)) from None
        if options["dry_run"]:
            self.stdout.write(f"{len(entries)} switches are valid; nothing written (--dry-run).")
            return
        created, updated, deleted = import_switches(entries, replace=options["replace"])
        self.stdout.write(f"Imported {len(entries)} switches: {created} created, {updated} updated, {deleted} deleted.")


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as file:
            return file.read()
    except OSError as error:
        raise InvalidExport([f"Cannot read {path}: {error.strerror}"]) from None
