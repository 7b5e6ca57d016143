"""The import graph of the ``gargoyle`` package, read from its source (nothing is imported).

An edge ``a -> b`` is any ``import`` statement in module ``a`` that names module ``b``: at
module level, inside a function, or under ``if TYPE_CHECKING:``. tests/test_architecture.py
checks it; run it as a script to print the figures docs/architecture.rst quotes::

    python tests/import_graph.py [package directory]
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "gargoyle"


@dataclass(frozen=True)
class Module:
    name: str
    path: Path

    @property
    def is_package(self) -> bool:
        return self.path.name == "__init__.py"

    @property
    def lines(self) -> int:
        return len(self.path.read_text(encoding="utf-8").splitlines())


def modules(package: Path = PACKAGE) -> dict[str, Module]:
    """Every module of the package by dotted name (migrations left out: Django runs them)."""
    found = {}
    for path in sorted(package.rglob("*.py")):
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        if "migrations" in parts:
            continue
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = Module(".".join(parts), path)
    return found


def _targets(module: Module, node: ast.Import | ast.ImportFrom) -> Iterator[str]:
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
        return
    base = node.module or ""
    if node.level:
        parent = module.name.split(".")
        if not module.is_package:
            parent.pop()
        parent = parent[: len(parent) - (node.level - 1)]
        base = ".".join([*parent, base] if base else parent)
    for alias in node.names:
        yield f"{base}.{alias.name}"  # `from pkg import module`, else resolved to pkg below
        yield base


def imports(module: Module, known: dict[str, Module]) -> set[str]:
    """The package's modules that ``module`` imports, anywhere in its source."""
    found = set()
    for node in ast.walk(ast.parse(module.path.read_text(encoding="utf-8"))):
        if not isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        for target in _targets(module, node):
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != module.name:
                found.add(target)
                break  # the most specific module the statement names
    return found


def graph(package: Path = PACKAGE) -> dict[str, set[str]]:
    known = modules(package)
    return {name: imports(module, known) for name, module in known.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(name: str) -> None:
        index[name] = low[name] = len(index)
        stack.append(name)
        for target in sorted(edges.get(name, ())):
            if target not in index:
                visit(target)
                low[name] = min(low[name], low[target])
            elif target in stack:
                low[name] = min(low[name], index[target])
        if low[name] == index[name]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == name:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for name in sorted(edges):
        if name not in index:
            visit(name)
    return found


def levels(edges: dict[str, set[str]]) -> int:
    """The longest chain of imports, counted in modules (on a graph without cycles)."""
    depth: dict[str, int] = {}

    def measure(name: str) -> int:
        if name not in depth:
            depth[name] = 0  # guards against a cycle; cycles() reports those
            depth[name] = 1 + max((measure(target) for target in edges.get(name, ())), default=0)
        return depth[name]

    return max(measure(name) for name in edges)


def main(argv: list[str]) -> int:
    package = Path(argv[1]) if len(argv) > 1 else PACKAGE
    known = modules(package)
    edges = {name: imports(module, known) for name, module in known.items()}
    largest = max(known.values(), key=lambda module: module.lines)
    print(f"modules: {len(known)}")
    print(f"levels: {levels(edges)}")
    print(f"cycles: {cycles(edges) or 'none'}")
    print(f"largest file: {largest.path.relative_to(package.parent)} ({largest.lines} lines)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
