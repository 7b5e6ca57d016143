import sys
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

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
            entries = parse_document(_read(options["path"]), gargoyle)
        except InvalidExport as error:
            raise _nothing_imported(error) from None
        if options["dry_run"]:
            self.stdout.write(f"{len(entries)} switches are valid; nothing written (--dry-run).")
            return
        try:
            created, updated, deleted = import_switches(entries, replace=options["replace"])
        except (ValidationError, DatabaseError) as error:
            # One transaction: whatever the database refused (a switch added meanwhile...) rolled it all back.
            detail = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
            raise _nothing_imported(InvalidExport([f"The database refused the import: {detail}"])) from None
        self.stdout.write(f"Imported {len(entries)} switches: {created} created, {updated} updated, {deleted} deleted.")


def _nothing_imported(error: InvalidExport) -> CommandError:
    return CommandError("Nothing was imported:\n" + "\n".join(f"  - {e}" for e in error.errors))


def _read(path: str) -> str | bytes:
    """The document as bytes, for parse_document to decode: reading text here would fail on
    a file that is not UTF-8, or (standard input) depend on the locale."""
    try:
        if path == "-":
            return getattr(sys.stdin, "buffer", sys.stdin).read()  # tests pass a StringIO, without buffer
        with open(path, "rb") as file:
            return file.read()
    except OSError as error:
        raise InvalidExport([f"Cannot read {'standard input' if path == '-' else path}: {error.strerror}"]) from None
