"""Where code and templates ask for each switch: the other half of a stale-switch report.

:func:`find_references` reads Python files and templates under some paths and finds the keys
they ask for, written as literals:

* ``is_active("key"`` and ``ais_active("key"`` (``gargoyle.is_active``, a manager, a proxy);
* ``@switch_is_active("key"`` (the decorator) and ``switch_key = "key"`` (the mixin);
* ``{% ifswitch key %}`` and ``{% ifnotswitch key %}``, the key bare or quoted.

A key built at run time (``is_active(name)``, ``f"beta_{x}"``) cannot be found this way: such
keys show as stored but never referenced, and are worth a look rather than a deletion.
``manage.py switch_references`` prints the result (docs/measuring.rst).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = ["SKIPPED_DIRECTORIES", "SUFFIXES", "Reference", "find_references"]

#: The files read: Python and the usual template suffixes.
SUFFIXES = frozenset({".py", ".html", ".htm", ".txt", ".xml", ".jinja", ".jinja2", ".j2", ".djhtml"})
#: Directories never entered: virtualenvs, caches, version control, dependencies.
SKIPPED_DIRECTORIES = frozenset(
    {".git", ".hg", ".tox", ".nox", ".venv", "venv", "node_modules", "__pycache__", "site-packages", "_build"}
)

# A string literal, with an optional prefix (r"...", u'...'): group 2 is the key.
_QUOTED = r"""(?:[rRuU])?(["'])([^"'\n\\]+)\1"""
PATTERNS = {
    "call": re.compile(r"\ba?is_active\(\s*(?:key\s*=\s*)?" + _QUOTED),
    "decorator": re.compile(r"\bswitch_is_active\(\s*(?:key\s*=\s*)?" + _QUOTED),
    # A class attribute at the start of a line (optionally annotated), not a keyword argument.
    "mixin": re.compile(r"^[ \t]*switch_key\s*(?::[^=\n]*)?=\s*" + _QUOTED, re.MULTILINE),
    "template": re.compile(r"""\{%-?\s*if(?:not)?switch\s+(?:(["'])([^"'\n]+)\1|()([^\s"'%]+))"""),
}


@dataclass(frozen=True)
class Reference:
    """One place that asks for a switch."""

    key: str
    path: str
    line: int
    kind: str  # a key of PATTERNS: "call", "decorator", "mixin" or "template"


def find_references(paths: Iterable[str | Path]) -> dict[str, list[Reference]]:
    """The keys asked for under ``paths`` (files or directories), each with its places."""
    found: dict[str, list[Reference]] = {}
    for path in _files(paths):
        for reference in _references_in(path):
            found.setdefault(reference.key, []).append(reference)
    return found


def _files(paths: Iterable[str | Path]) -> Iterator[Path]:
    for path in map(Path, paths):
        if path.is_file():
            yield path
            continue
        for root, directories, files in os.walk(path):
            directories[:] = sorted(name for name in directories if name not in SKIPPED_DIRECTORIES)
            for name in sorted(files):
                if Path(name).suffix in SUFFIXES:
                    yield Path(root) / name


def _references_in(path: Path) -> Iterator[Reference]:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return  # unreadable (a broken link, no permission): nothing to report from it
    for kind, pattern in PATTERNS.items():
        # \b keeps switch_is_active( from matching as a plain call too ("_" is a word character).
        for match in pattern.finditer(text):
            key = match.group(2) if match.group(2) is not None else match.group(4)  # quoted, or bare
            yield Reference(key, str(path), text.count("\n", 0, match.start()) + 1, kind)
