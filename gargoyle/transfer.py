"""Moving switches between environments: a JSON document of every switch, and its import.

The import validates the whole document first and writes nothing unless all of it is
valid; then it writes every switch in one transaction. A document is refused, with every
problem named, for whatever ``json.loads`` would accept but a database or a validator would
choke on: text that is not UTF-8 (or UTF-16/32), NaN, huge numbers, repeated names, lone
surrogates, nesting deeper than an export has.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any, NoReturn

from django.core.exceptions import ValidationError

from gargoyle._storage import values
from gargoyle._storage.transactions import write_transaction
from gargoyle._storage.validation import LABEL_MAX_LENGTH, validate_key, validate_status, validate_text
from gargoyle.manager import SwitchManager
from gargoyle.models import Switch

#: The ``"format"`` entry of an export document.
FORMAT = "gargoyle-switches"
#: The ``"version"`` entry of an export document; other versions are refused.
FORMAT_VERSION = 1
#: The fields of each switch in a document.
FIELDS = ("key", "label", "description", "status", "value")

# An export nests 8 levels (document, switches, switch, value, namespace, field, condition
# pair, text); deeper documents are refused before a recursive validator or repr meets them.
_MAX_DEPTH = 32
# An export's numbers are a version and statuses; longer ones are refused before int() is
# asked to convert them (quadratic before Python 3.11, an odd ValueError after).
_MAX_DIGITS = 20
# Messages quote the input: a problem is cut to this many characters.
_MAX_MESSAGE = 1000


class InvalidExport(ValueError):
    """The document cannot be imported (raised by :func:`parse_document`); ``errors`` lists every problem found.

    :param errors: one message per problem, naming the switch and the field.
    """

    def __init__(self, errors: list[str]) -> None:
        self.errors = [_printable(error) for error in errors]
        super().__init__("\n".join(self.errors))


def _printable(message: str) -> str:
    """A message that any stream can print: lone surrogates escaped (writing one to a UTF-8
    stream raises UnicodeEncodeError), and cut when it quotes a long input."""
    text = str(message).encode("utf-8", "backslashreplace").decode("utf-8")
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 3] + "..."


class _Refused(ValueError):
    """Raised from inside ``json.loads``'s hooks: the document is refused with this message."""


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


def parse_document(text: str | bytes, manager: SwitchManager) -> list[dict[str, Any]]:
    """Read and validate an exported document, without writing anything.

    :param text: the document, as JSON text; or as bytes, in UTF-8 (with or without a byte
        order mark), UTF-16 or UTF-32, as ``json.loads`` detects them.
    :param manager: the manager whose condition sets the conditions must belong to.
    :returns: the switches, ready for :func:`import_switches`.
    :raises InvalidExport: listing every problem, if there is any.
    """
    document = _load(_decode(text) if isinstance(text, bytes) else text.removeprefix("\ufeff"))
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise InvalidExport([f'The file is not a gargoyle export (expected "format": "{FORMAT}").'])
    version = document.get("version")
    if type(version) is not int or version != FORMAT_VERSION:  # not 1.0, nor true (== 1)
        raise InvalidExport([f"Unsupported export version {version!r} (expected {FORMAT_VERSION})."])
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


def _decode(data: bytes) -> str:
    try:
        return data.decode(json.detect_encoding(data))
    except UnicodeDecodeError as error:
        raise InvalidExport([f"The file is not UTF-8 text (nor UTF-16 or UTF-32): {error}."]) from None


def _load(text: str) -> Any:
    """``json.loads``, refusing what it would accept but the switch table cannot hold."""
    too_deep = InvalidExport([f"The file nests lists or objects more than {_MAX_DEPTH} levels deep."])
    try:
        document = json.loads(text, parse_int=_parse_int, parse_constant=_refuse_constant, object_pairs_hook=_object)
    except _Refused as error:
        raise InvalidExport([str(error)]) from None
    except RecursionError:  # deeper than the parser goes
        raise too_deep from None
    except ValueError as error:
        raise InvalidExport([f"The file is not JSON: {error}"]) from None
    if any(depth > _MAX_DEPTH for depth, _node in _nodes(document)):
        raise too_deep
    return document


def _parse_int(text: str) -> int:
    digits = len(text.lstrip("-"))
    if digits > _MAX_DIGITS:
        raise _Refused(f"The file holds a number of {digits} digits ({text[:12]}...); an export's numbers are small.")
    return int(text)


def _refuse_constant(name: str) -> NoReturn:
    raise _Refused(f"The file is not JSON: {name} is not a JSON number.")


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # json.loads keeps the last of repeated names silently: the file would not mean what it says.
    result: dict[str, Any] = {}
    for name, value in pairs:
        if name in result:
            raise _Refused(f"The file repeats the name {name!r} in one object; JSON would keep only the last.")
        result[name] = value
    return result


def _nodes(value: Any) -> Iterator[tuple[int, Any]]:
    """Every value inside ``value``, object names included, with its depth. Iterative: a
    document nested as deep as the parser allows must not exhaust the stack here."""
    stack = [(1, value)]
    while stack:
        depth, node = stack.pop()
        yield depth, node
        if isinstance(node, dict):
            stack.extend((depth + 1, item) for pair in node.items() for item in pair)
        elif isinstance(node, list):
            stack.extend((depth + 1, item) for item in node)


def _entry_errors(position: int, entry: Any, seen: set[str], manager: SwitchManager) -> list[str]:
    if not isinstance(entry, dict):
        return [f"switch #{position}: expected an object."]
    where = f"switch #{position} ({entry.get('key')!r})"
    problems: list[str] = []
    unknown = set(entry) - set(FIELDS)
    if unknown:
        problems.append(f"unknown fields {sorted(unknown)}")
    problems.extend(_surrogate_errors(entry))
    checks: list[Callable[[], None]] = [
        lambda: validate_key(entry.get("key")),
        lambda: _validate_status(entry.get("status")),
        lambda: _validate_text(entry, "label", LABEL_MAX_LENGTH),  # the label field's max_length
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


def _surrogate_errors(entry: dict[str, Any]) -> list[str]:
    """Lone surrogates (``"\\ud800"`` in JSON) are not Unicode text: no text column or
    PostgreSQL's jsonb can store them, so the write would fail halfway through the import."""
    problems = []
    for name, field_value in entry.items():
        surrogate = _lone_surrogate([name, field_value])
        if surrogate is not None:
            problems.append(f"{name}: contains a lone surrogate ({surrogate!a}), which is not text.")
    return problems


def _lone_surrogate(value: Any) -> str | None:
    """The first lone surrogate of any text inside ``value``, or None."""
    for _depth, node in _nodes(value):
        if isinstance(node, str):
            try:
                node.encode("utf-8")  # fails on lone surrogates only: json joins the pairs
            except UnicodeEncodeError as error:
                return node[error.start]
    return None


def _validate_status(status: Any) -> None:
    # validate_status takes 1.0 (== 1); the format's statuses are integers.
    validate_status(str(status) if isinstance(status, float) else status)


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
    with write_transaction():
        if replace:
            keys = [entry["key"] for entry in entries]
            for stale in Switch.objects.exclude(key__in=keys):
                stale.delete()
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
