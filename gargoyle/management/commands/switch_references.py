import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from gargoyle.models import Switch
from gargoyle.references import find_references


class Command(BaseCommand):
    help = (
        "Finds where code and templates under PATH ask for each switch, and lists the keys stored but never "
        "referenced and referenced but never stored."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", metavar="PATH", help="Files or directories to read.")
        parser.add_argument("--json", action="store_true", help="Print JSON instead of text.")
        parser.add_argument(
            "--fail", action="store_true", help="Exit with status 1 when a key is unreferenced or unstored (for CI)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        missing = [path for path in options["paths"] if not Path(path).exists()]
        if missing:  # else every stored key would read as never referenced
            raise CommandError(f"No such file or directory: {', '.join(missing)}")
        references = find_references(options["paths"])
        stored = set(Switch.objects.values_list("key", flat=True))
        unreferenced = sorted(stored - set(references))
        unstored = sorted(set(references) - stored)
        if options["json"]:
            places = {
                key: [{"path": ref.path, "line": ref.line, "kind": ref.kind} for ref in found]
                for key, found in sorted(references.items())
            }
            result = {"references": places, "storedNeverReferenced": unreferenced, "referencedNeverStored": unstored}
            self.stdout.write(json.dumps(result, indent=2))
        else:
            self._text(references, unreferenced, unstored)
        if options["fail"] and (unreferenced or unstored):
            raise CommandError(
                f"{len(unreferenced)} key(s) stored but never referenced, {len(unstored)} referenced but never stored.",
                returncode=1,
            )

    def _text(self, references: dict[str, Any], unreferenced: list[str], unstored: list[str]) -> None:
        for key in sorted(references):
            self.stdout.write(key)
            for ref in references[key]:
                self.stdout.write(f"    {ref.path}:{ref.line}  ({ref.kind})")
        self.stdout.write("")
        self.stdout.write("Stored but never referenced: " + (", ".join(unreferenced) or "none"))
        self.stdout.write("Referenced but never stored: " + (", ".join(unstored) or "none"))
