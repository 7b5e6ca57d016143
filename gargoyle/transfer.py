"""Moving switches between environments: a JSON document of every switch, and its import.

The import validates the whole document first and writes nothing unless all of it is
valid; then it writes every switch in one transaction.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from gargoyle import values
from gargoyle.manager import SwitchManager
from gargoyle.models import Switch
from gargoyle.validation import validate_key, validate_status, validate_text

#: The ``"format"`` entry of an export document.
FORMAT = "gargoyle-switches"
#: The ``"version"`` entry of an export document; other versions are refused.
FORMAT_VERSION = 1
#: The fields of each switch in a document.
FIELDS = ("key", "label", "description", "status", "value")


class InvalidExport(ValueError):
    """The document cannot be imported (raised by :func:`parse_document`); ``errors`` lists every problem found.

    :param errors: one message per problem, naming the switch and the field.
    """

    def __init__(self, errors: list[str]) -> None:
        self.errors = errors
        super().__init__("\n".join(errors))


def export_switches(switches: Iterable[Switch]) -> dict[str, Any]:
    """The switches as a JSON-ready document.

    :param switches: the switches to export, e.g. ``Switch.objects.order_by("key")``.
    :returns: ``{"format": FORMAT, "version": FORMAT_VERSION, "switches": [...]}``, each
        switch a dict of :data:`FIELDS` (dates are not exported).
    """
    return {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "switches": [{name: getattr(switch, name) for name in FIELDS} for switch in switches],
    }


def parse_document(text: str, manager: SwitchManager) -> list[dict[str, Any]]:
    """Read and validate an exported document, without writing anything.

    :param text: the document, as JSON text.
    :param manager: the manager whose condition sets the conditions must belong to.
    :returns: the switches, ready for :func:`import_switches`.
    :raises InvalidExport: listing every problem, if there is any.
    """
    try:
        document = json.loads(text)
    except ValueError as error:
        raise InvalidExport([f"The file is not JSON: {error}"]) from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise InvalidExport([f'The file is not a gargoyle export (expected "format": "{FORMAT}").'])
    if document.get("version") != FORMAT_VERSION:
        raise InvalidExport([f"Unsupported export version {document.get('version')!r} (expected {FORMAT_VERSION})."])
    entries = document.get("switches")
    if not isinstance(entries, list):
        raise InvalidExport(['"switches" must be a list.'])
    errors: list[str] = []
    seen: set[str] = set()
    for position, entry in enumerate(entries, start=1):
        errors.extend(_entry_errors(position, entry, seen, manager))
    if errors:
        raise InvalidExport(errors)
    return [{**{"label": None, "description": None, "value": {}}, **entry} for entry in entries]


def _entry_errors(position: int, entry: Any, seen: set[str], manager: SwitchManager) -> list[str]:
    if not isinstance(entry, dict):
        return [f"switch #{position}: expected an object."]
    where = f"switch #{position} ({entry.get('key')!r})"
    problems: list[str] = []
    unknown = set(entry) - set(FIELDS)
    if unknown:
        problems.append(f"unknown fields {sorted(unknown)}")
    checks = [
        lambda: validate_key(entry.get("key")),
        lambda: validate_status(entry.get("status")),
        lambda: _validate_text(entry, "label", Switch._meta.get_field("label").max_length),
        lambda: _validate_text(entry, "description", None),
        lambda: values.validate_value(entry.get("value", {}), manager.namespaces(), str(entry.get("key"))),
    ]
    for check in checks:
        try:
            check()
        except ValidationError as error:
            problems.extend(error.messages)
    key = entry.get("key")
    if isinstance(key, str):
        if key in seen:
            problems.append("key: appears twice in the file")
        seen.add(key)
    return [f"{where}: {problem}" for problem in problems]


def _validate_text(entry: dict[str, Any], name: str, max_length: int | None) -> None:
    text = entry.get(name)
    if text is None:
        return
    if not isinstance(text, str) or (max_length is not None and len(text) > max_length):
        limit = f" of at most {max_length} characters" if max_length else ""
        raise ValidationError(f"{name}: must be text{limit}.")
    validate_text(name, text)


def import_switches(entries: list[dict[str, Any]], *, replace: bool = False) -> tuple[int, int, int]:
    """Write the switches :func:`parse_document` returned, in one transaction.

    Existing switches with the same key are overwritten.

    :param entries: the validated switches.
    :param replace: also delete the stored switches the document does not name.
    :returns: how many switches were ``(created, updated, deleted)``.
    """
    created = updated = deleted = 0
    with transaction.atomic():
        if replace:
            keys = [entry["key"] for entry in entries]
            for switch in Switch.objects.exclude(key__in=keys):
                switch.delete()
                deleted += 1
        for entry in entries:
            fields = {name: entry[name] for name in FIELDS if name != "key"}
            switch = Switch.objects.select_for_update().filter(key=entry["key"]).first()
            if switch is None:
                Switch.objects.create(key=entry["key"], **fields)
                created += 1
                continue
            for name, value in fields.items():
                setattr(switch, name, value)
            switch.save()
            updated += 1
    return created, updated, deleted
