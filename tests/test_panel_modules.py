"""The panel's JavaScript modules import one way only, down these layers.

Each module can then be read (and tested) with only what is below it in mind: a feature
knows the base modules and nothing else; it tells the list about a change with an event
(see the top of state.js), not by importing it. The modules are read as text: no browser,
no database.
"""

from __future__ import annotations

import re
from pathlib import Path

PANEL = Path(__file__).resolve().parent.parent / "gargoyle" / "static" / "gargoyle" / "panel"

# Top to bottom. A module imports only from layers below its own; only base modules may
# import each other (without a cycle).
LAYERS: dict[str, set[str]] = {
    "entry": {"main.js"},
    "list": {"list.js"},
    "row": {"row.js"},
    "feature": {
        "bulk.js",
        "condition-form.js",
        "conditions.js",
        "history.js",
        "notices.js",
        "preview.js",
        "rollout.js",
        "schedule.js",
        "search.js",
        "status.js",
        "switch-dialog.js",
        "toolbar.js",
        "usage.js",
    },
    "base": {"api.js", "dialogs.js", "dom.js", "field-inputs.js", "state.js", "text.js"},
}
SAME_LAYER_ALLOWED = {"base"}

RANK = {module: rank for rank, modules in enumerate(LAYERS.values()) for module in modules}
LAYER_OF = {module: layer for layer, modules in LAYERS.items() for module in modules}

# `import {...} from "./x.js"` (braces may span lines), `export {...} from "./x.js"`, a bare
# `import "./x.js"`, and `import("./x.js")`, each at the start of a line (not in a comment).
IMPORT = re.compile(
    r"""^\s*(?:import|export)\b[^;"'`]*?\bfrom\s*["']([^"']+)["']"""
    r"""|^\s*import\s*["']([^"']+)["']"""
    r"""|\bimport\(\s*["']([^"']+)["']\s*\)""",
    re.MULTILINE,
)


def modules() -> list[str]:
    return sorted(path.name for path in PANEL.glob("*.js"))


def specifiers(source: str) -> list[str]:
    """What ``source`` imports, as written ("./x.js")."""
    return [next(group for group in match.groups() if group) for match in IMPORT.finditer(source)]


def imports_of(module: str) -> list[str]:
    return specifiers((PANEL / module).read_text(encoding="utf-8"))


def graph() -> dict[str, list[str]]:
    """Module -> the modules it imports (file names in the panel's folder)."""
    return {module: [specifier.removeprefix("./") for specifier in imports_of(module)] for module in modules()}


def find_cycle(edges: dict[str, list[str]]) -> list[str] | None:
    """One import cycle as a path ending where it starts, or None."""
    done: set[str] = set()
    path: list[str] = []

    def visit(module: str) -> list[str] | None:
        if module in path:
            return [*path[path.index(module) :], module]
        if module in done:
            return None
        path.append(module)
        for imported in edges.get(module, []):
            cycle = visit(imported)
            if cycle:
                return cycle
        path.pop()
        done.add(module)
        return None

    for module in sorted(edges):
        cycle = visit(module)
        if cycle:
            return cycle
    return None


def test_the_panel_has_modules() -> None:
    assert "main.js" in modules()


def test_every_module_has_a_layer() -> None:
    # A new module must be placed in LAYERS, so the next test judges its imports.
    assert set(modules()) - set(RANK) == set(), "add these modules to LAYERS"
    assert set(RANK) - set(modules()) == set(), "LAYERS names modules that are gone"


def test_imports_are_modules_of_the_panel() -> None:
    # Relative imports of files in this folder only: the page's CSP (script-src 'self') and
    # the missing build step allow nothing else.
    wrong = {
        f"{module} imports {specifier!r}"
        for module in modules()
        for specifier in imports_of(module)
        if not specifier.startswith("./") or not (PANEL / specifier).is_file() or "/" in specifier[2:]
    }
    assert wrong == set()


def test_imports_have_no_cycle() -> None:
    cycle = find_cycle(graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_imports_point_down_the_layers() -> None:
    wrong = []
    for module, imported in graph().items():
        for target in imported:
            if target not in RANK or module not in RANK:
                continue  # reported by test_every_module_has_a_layer
            same = LAYER_OF[module] == LAYER_OF[target] and LAYER_OF[module] in SAME_LAYER_ALLOWED
            if RANK[target] <= RANK[module] and not same:
                wrong.append(f"{module} ({LAYER_OF[module]}) imports {target} ({LAYER_OF[target]})")
    assert wrong == [], "imports that do not point down the layers:\n" + "\n".join(wrong)


def test_the_cycle_finder_finds_cycles() -> None:
    # The checks above are only as good as this: a cycle through three modules, and none in a chain.
    assert find_cycle({"a.js": ["b.js"], "b.js": ["c.js"], "c.js": ["a.js"]}) == ["a.js", "b.js", "c.js", "a.js"]
    assert find_cycle({"a.js": ["b.js", "c.js"], "b.js": ["c.js"], "c.js": []}) is None


def test_the_import_parser_reads_every_form() -> None:
    source = """
import { a,
  b } from "./x.js";
import "./y.js";
export { c } from "./z.js";
// the row's tools import from "./no.js"
const later = import("./w.js");
"""
    assert specifiers(source) == ["./x.js", "./y.js", "./z.js", "./w.js"]
