"""Check a built HTML copy of gargoyle's documentation; ``tox -e docs`` runs it after Sphinx.

Usage: ``python docs/check_docs.py <built-html-dir>``

It checks two things and exits with status 1, listing every problem, if either fails:

1. **Links.** Every relative ``href`` or ``src`` in the built HTML leads to a file that
   exists and, when it has an ``#anchor``, to an element with that id in the target page.
   Links with a scheme (``http:``, ``https:``, ``mailto:``...) are skipped: the checks
   run without network access, and only links to the project's own pages are checked.
2. **The API reference.** Every public name of the public modules (:data:`PUBLIC_MODULES`)
   is in the built ``objects.inv``. A module's public names are its ``__all__`` when it
   has one, else the names it defines at top level (``def``, ``class``, assignments) that
   do not start with ``_``. The public methods of a documented class are checked too, on
   the class that introduces them (an override is covered by its documented base).
   :data:`EXCLUDED` lists the deliberate exceptions, each with its reason.

It needs only the standard library, Sphinx (to read ``objects.inv``) and Django (to
import gargoyle, with the test suite's settings, as ``docs/conf.py`` does).
"""

from __future__ import annotations

import ast
import importlib
import inspect
import os
import posixpath
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from types import FunctionType, ModuleType
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parent.parent

#: The public modules. ``None``: every public name of the module (see the module's
#: description); a tuple: only these names, for an internal module with a public member.
PUBLIC_MODULES: dict[str, tuple[str, ...] | None] = {
    "gargoyle": None,
    "gargoyle.manager": None,
    "gargoyle.proxy": None,
    "gargoyle.models": None,
    "gargoyle.constants": None,
    "gargoyle.conditions": None,
    "gargoyle.fields": None,
    "gargoyle.builtins": None,
    "gargoyle.decorators": None,
    "gargoyle.mixins": None,
    "gargoyle.middleware": None,
    "gargoyle.integrations": None,
    "gargoyle.integrations.sentry": None,
    "gargoyle.integrations.opentelemetry": None,
    "gargoyle.integrations.drf": None,
    "gargoyle.integrations.jinja2": None,
    "gargoyle.integrations.debug_toolbar": None,
    "gargoyle.qa": None,
    "gargoyle.visitors": None,
    "gargoyle.declarations": None,
    "gargoyle.templatetags.gargoyle_tags": None,
    "gargoyle.testutils": None,
    "gargoyle.signals": None,
    "gargoyle.helpers": None,
    "gargoyle.history": None,
    "gargoyle.preview": None,
    "gargoyle.usage": None,
    "gargoyle.schedules": None,
    "gargoyle.rollouts": None,
    "gargoyle.tasks": None,
    "gargoyle.stale": None,
    "gargoyle.references": None,
    "gargoyle.transfer": None,
    "gargoyle.urls": None,
    "gargoyle.ofrep": None,
    "gargoyle.resolution": None,
    "gargoyle.contexts": None,
    "gargoyle.evaluations": None,
    "gargoyle.openfeature": None,
    "gargoyle.checks": None,
    "gargoyle.upgrade": ("Notice", "answer_changes", "stored_notices", "STORED_CODES"),
    "gargoyle.changes": ("made_by",),
    "gargoyle.cohorts": ("stable_bucket",),
}

#: Modules whose names are documented under another module's path, where they are
#: re-exported (a name the other module does not export stays under its own path).
DOCUMENTED_AS: dict[str, str] = {
    "gargoyle.fields": "gargoyle.conditions",  # fields are imported from gargoyle.conditions
    # The internal layers define what the public modules re-export (docs/architecture.rst).
    "gargoyle._authoring.fields": "gargoyle.conditions",
    "gargoyle._authoring.ranges": "gargoyle.conditions",
    "gargoyle._authoring.dates": "gargoyle.conditions",
    "gargoyle._authoring.condition_sets": "gargoyle.conditions",
    "gargoyle._authoring.membership": "gargoyle.conditions",
    "gargoyle._runtime.memberships": "gargoyle.builtins",
    "gargoyle._storage.switch": "gargoyle.models",
    "gargoyle._storage.version": "gargoyle.models",
    "gargoyle._storage.change": "gargoyle.history",
    "gargoyle._writes.history": "gargoyle.history",
    "gargoyle._writes.describe": "gargoyle.history",
    "gargoyle._writes.undo": "gargoyle.history",
    "gargoyle._writes.attribution": "gargoyle.changes",
    "gargoyle._storage.schedule": "gargoyle.models",
    "gargoyle._writes.schedules": "gargoyle.schedules",
    "gargoyle._storage.rollout": "gargoyle.models",
    "gargoyle._writes.rollout_plan": "gargoyle.rollouts",
    "gargoyle._writes.rollouts": "gargoyle.rollouts",
    "gargoyle._writes.rollout_evaluation": "gargoyle.rollouts",
    "gargoyle._writes.guards": "gargoyle.rollouts",
    "gargoyle._integration_checks": "gargoyle.checks",
}

#: Public-looking names that are deliberately not documented, and why.
EXCLUDED: dict[str, str] = {
    "gargoyle.manager.logger": "the 'gargoyle' logger: configured by name in LOGGING, never imported",
}

#: Dunder methods that are public API (a manager is a mapping), checked like public methods.
PUBLIC_DUNDERS = frozenset({"__getitem__", "__setitem__", "__delitem__", "__contains__", "__iter__", "__len__"})

#: Attributes of an HTML element that hold a link.
LINK_ATTRIBUTES = frozenset({"href", "src"})


# -- links ---------------------------------------------------------------------------------


class PageParser(HTMLParser):
    """Collects the ids (anchors) and the links of one HTML page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if name == "id" or (tag == "a" and name == "name"):
                self.ids.add(value)
            elif name in LINK_ATTRIBUTES:
                self.links.append(value)


@dataclass
class Site:
    """The built HTML pages, each parsed at most once."""

    root: Path
    pages: dict[Path, PageParser]

    def page(self, path: Path) -> PageParser:
        if path not in self.pages:
            parser = PageParser()
            parser.feed(path.read_text(encoding="utf-8", errors="replace"))
            parser.close()
            self.pages[path] = parser
        return self.pages[path]

    def relative(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()


def is_external(link: str) -> bool:
    """Links with a scheme or a host (``https:``, ``mailto:``, ``//cdn...``) leave the site."""
    parts = urlsplit(link)
    return bool(parts.scheme or parts.netloc)


def link_problem(site: Site, page: Path, link: str) -> str | None:
    """What is wrong with one relative link of ``page``, or ``None``."""
    parts = urlsplit(link)
    if parts.path:
        target = (page.parent / unquote(parts.path)).resolve()
        if site.root != target and site.root not in target.parents:
            return "leads out of the built site"
        if target.is_dir():
            target = target / "index.html"
        if not target.is_file():
            return f"no file {site.relative(target)}"
    else:
        target = page
    anchor = unquote(parts.fragment)
    if anchor and target.suffix == ".html" and anchor not in site.page(target).ids:
        return f'no id "{anchor}" in {site.relative(target)}'
    return None


def check_links(root: Path) -> tuple[list[str], int]:
    """Problems with the relative links of every built page, and how many links were checked."""
    site = Site(root=root.resolve(), pages={})
    problems: list[str] = []
    checked = 0
    for page in sorted(site.root.rglob("*.html")):
        for link in site.page(page).links:
            if is_external(link) or link in ("", "#"):
                continue
            checked += 1
            problem = link_problem(site, page, link)
            if problem is not None:
                problems.append(f"broken link in {site.relative(page)}: {link} ({problem})")
    return problems, checked


# -- the API reference ---------------------------------------------------------------------


@dataclass(frozen=True)
class PublicName:
    """A public name and the path the reference must document it under."""

    path: str
    obj: object


def defined_names(module: ModuleType) -> list[str]:
    """The names a module defines at top level (not the ones it imports), in source order."""
    tree = ast.parse(inspect.getsource(module))
    names: list[str] = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append(node.name)
        elif isinstance(node, ast.Assign):
            names.extend(target.id for target in node.targets if isinstance(target, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.append(node.target.id)
    # Objects made at import time by other means (decorators, factories) still count.
    names.extend(
        name
        for name, value in vars(module).items()
        if getattr(value, "__module__", None) == module.__name__ and not inspect.ismodule(value)
    )
    return [name for name in dict.fromkeys(names) if not name.startswith("_")]


def module_names(module: ModuleType, explicit: tuple[str, ...] | None) -> list[str]:
    """A public module's public names (see the module's description)."""
    if explicit is not None:
        return list(explicit)
    declared = getattr(module, "__all__", None)
    return list(declared) if declared is not None else defined_names(module)


def documented_path(module_name: str, name: str, obj: object) -> str:
    """Where the reference documents ``module_name.name``.

    A class or function of gargoyle re-exported from another public module is documented
    there, where it is defined (or under its :data:`DOCUMENTED_AS` path); anything else
    under this module's path.
    """
    alias = DOCUMENTED_AS.get(module_name)
    if alias is not None and getattr(importlib.import_module(alias), name, None) is obj:
        return f"{alias}.{name}"
    if (inspect.isclass(obj) or inspect.isfunction(obj)) and is_ours(obj) and obj.__name__ == name:
        home = home_path(obj)
        if home.rpartition(".")[0] in PUBLIC_MODULES.keys() | DOCUMENTED_AS.values():
            return home
    return f"{module_name}.{name}"


def public_names() -> list[PublicName]:
    """Every public name of :data:`PUBLIC_MODULES`, once per documented path."""
    found: dict[str, PublicName] = {}
    for module_name, explicit in PUBLIC_MODULES.items():
        module = importlib.import_module(module_name)
        for name in module_names(module, explicit):
            if not hasattr(module, name):
                raise SystemExit(f"check_docs: {module_name} has no {name!r} (named in its __all__ or PUBLIC_MODULES)")
            obj = getattr(module, name)
            path = documented_path(module_name, name, obj)
            found.setdefault(path, PublicName(path, obj))
    return list(found.values())


def home_path(obj: type | FunctionType) -> str:
    """Where a class or function of ours is documented in full: its defining (or documented-as) module."""
    module = DOCUMENTED_AS.get(obj.__module__, obj.__module__)
    return f"{module}.{obj.__qualname__}"


def documented_classes(names: Iterable[PublicName]) -> dict[type, str]:
    """The public classes of gargoyle, by the path they are documented in full under."""
    return {
        item.obj: item.path
        for item in names
        if inspect.isclass(item.obj) and is_ours(item.obj) and item.path == home_path(item.obj)
    }


def is_ours(obj: type | FunctionType) -> bool:
    """Whether a class or function is defined in gargoyle."""
    return obj.__module__ == "gargoyle" or obj.__module__.startswith("gargoyle.")


def is_method_like(value: object) -> bool:
    return inspect.isfunction(value) or isinstance(value, (classmethod, staticmethod, property))


def introduced_members(cls: type, documented: dict[type, str]) -> Iterator[str]:
    """The public methods and properties ``cls`` must document itself.

    Those it defines, and those of undocumented bases of ours (e.g. a private mixin),
    unless a documented base defines the same name (it documents it).
    """
    documented_bases = [base for base in cls.__mro__[1:] if base in documented]
    for klass in cls.__mro__:
        if klass is not cls:
            if not is_ours(klass) or klass in documented:
                continue  # Python's and Django's, or documented on their own
            if any(issubclass(base, klass) for base in documented_bases):
                continue  # a documented base inherits it: documented there
        for name, value in vars(klass).items():
            public = not name.startswith("_") or name in PUBLIC_DUNDERS
            if public and is_method_like(value) and not any(name in vars(base) for base in documented_bases):
                yield name


def expected_paths() -> dict[str, str]:
    """Every path the inventory must hold, with what it is (for the report)."""
    names = public_names()
    expected = {item.path: "public name" for item in names}
    expected.update({module: "public module" for module, explicit in PUBLIC_MODULES.items() if explicit is None})
    documented = documented_classes(names)
    for cls, path in documented.items():
        for member in introduced_members(cls, documented):
            expected[f"{path}.{member}"] = f"public member of {path}"
    return expected


def read_inventory(path: Path) -> set[str]:
    """The names of the Python objects in a built ``objects.inv``."""
    from sphinx.util.inventory import InventoryFile

    with path.open("rb") as stream:
        inventory = InventoryFile.load(stream, "", posixpath.join)
    return {name for kind, objects in inventory.items() if kind.startswith("py:") for name in objects}


def check_reference(root: Path) -> tuple[list[str], int]:
    """Public names missing from the inventory, stale exclusions, and how many names were checked."""
    inventory_path = root / "objects.inv"
    if not inventory_path.is_file():
        return [f"no objects.inv in {root}: is it a Sphinx HTML build?"], 0
    documented = read_inventory(inventory_path)
    expected = expected_paths()
    problems = [
        f"not in the API reference: {path} ({what})"
        for path, what in sorted(expected.items())
        if path not in documented and path not in EXCLUDED
    ]
    problems += [
        f"EXCLUDED lists {path}, which is no longer a public name: remove it"
        for path in sorted(EXCLUDED)
        if path not in expected
    ]
    return problems, len(expected) - len(EXCLUDED)


# -- running -------------------------------------------------------------------------------


def setup_django() -> None:
    """Make gargoyle importable, with the test suite's settings (as ``docs/conf.py`` does)."""
    import django

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    django.setup()


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python docs/check_docs.py <built-html-dir>", file=sys.stderr)
        return 2
    root = Path(argv[0])
    if not root.is_dir():
        print(f"check_docs: {root} is not a directory", file=sys.stderr)
        return 2
    setup_django()
    link_problems, links = check_links(root)
    reference_problems, names = check_reference(root)
    problems = link_problems + reference_problems
    if problems:
        print(f"check_docs: {len(problems)} problem(s) in {root}:", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        return 1
    print(f"check_docs: {links} relative links and {names} public API names checked, all good.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
