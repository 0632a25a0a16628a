#!/usr/bin/env python3
"""Find import cycles in the application code (stdlib only, reads the source, imports nothing).

    python scripts/check_import_cycles.py [--root DIR] [--package NAME ...]   # from the repository root

Exit 0 when the import graph has no cycle, 1 with one line per cycle, 2 on a usage error.

Edges: every `import` statement in a module, at the top of the module or inside a function (an
import that runs later still ties the two modules together), except those in an
`if TYPE_CHECKING:` block. `import a.b` and `from a import b` are edges to the module `a.b` when it
exists, else to package `a`'s `__init__`; relative imports are resolved. Only edges between modules
of the checked packages count (by default relief, people, funds, patrols, institutions).

Each cycle is printed as a chain that ends where it started, with where each import is:

    relief.models -> relief.policy -> relief.models
        relief/models.py:312 (in definition) imports relief.policy
        relief/policy.py:67 (in policy_value) imports relief.models

One cycle is printed per module of a strongly connected group (the shortest through it), so a
tangle of many modules shows as a few short loops rather than every possible path.
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections import deque
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

PACKAGES = (
    "relief",
    "people",
    "funds",
    "campaigns",
    "charity",
    "enrolments",
    "exchange",
    "patrols",
    "coldwaves",
    "institutions",
    "supervision",
    "volunteers",
    "reports",
)
SKIP_DIRS = {"__pycache__", "static", "templates", "locale", "node_modules"}


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    path: str
    line: int
    where: str  # "module" or the enclosing function's name


def module_files(root: Path, packages: tuple[str, ...]) -> dict[str, Path]:
    """module name -> file, for every .py file of the packages (a package is its __init__.py)."""
    modules: dict[str, Path] = {}
    for package in packages:
        base = root / package
        if not base.is_dir():
            continue
        for path in sorted(base.rglob("*.py")):
            rel = path.relative_to(root)
            if any(part in SKIP_DIRS or part.startswith(".") for part in rel.parts[:-1]):
                continue
            parts = list(rel.with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    return modules


def _is_type_checking(test: ast.expr) -> bool:
    if isinstance(test, ast.Name):
        return test.id == "TYPE_CHECKING"
    if isinstance(test, ast.Attribute):
        return test.attr == "TYPE_CHECKING"
    return False


class ImportVisitor(ast.NodeVisitor):
    def __init__(self, module: str, is_package: bool) -> None:
        self.module = module
        self.is_package = is_package
        self.scope: list[str] = []
        self.found: list[tuple[str, list[str], int, str]] = []  # (base, names, line, where)

    # -- scopes ------------------------------------------------------------------------------------
    def _visit_scoped(self, node) -> None:
        self.scope.append(node.name)
        self.generic_visit(node)
        self.scope.pop()

    visit_FunctionDef = _visit_scoped
    visit_AsyncFunctionDef = _visit_scoped
    visit_ClassDef = _visit_scoped

    def visit_If(self, node: ast.If) -> None:
        if _is_type_checking(node.test):
            for child in node.orelse:  # the else branch runs
                self.visit(child)
            return
        self.generic_visit(node)

    # -- imports -----------------------------------------------------------------------------------
    @property
    def where(self) -> str:
        return ".".join(self.scope) if self.scope else "module"

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.found.append((alias.name, [], node.lineno, self.where))

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level:
            package = self.module.split(".") if self.is_package else self.module.split(".")[:-1]
            if node.level > 1:
                package = package[: len(package) - (node.level - 1)]
            base = ".".join([*package, *([node.module] if node.module else [])])
        else:
            base = node.module or ""
        self.found.append((base, [a.name for a in node.names if a.name != "*"], node.lineno, self.where))


def build_graph(
    root: Path, packages: tuple[str, ...]
) -> tuple[dict[str, set[str]], dict[tuple[str, str], Edge]]:
    modules = module_files(root, packages)
    graph: dict[str, set[str]] = {m: set() for m in modules}
    edges: dict[tuple[str, str], Edge] = {}

    def resolve(name: str) -> str | None:
        while name:
            if name in modules:
                return name
            name = name.rpartition(".")[0]
        return None

    for module, path in modules.items():
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        except SyntaxError as exc:
            print(f"{path}: cannot parse: {exc}", file=sys.stderr)
            continue
        visitor = ImportVisitor(module, path.name == "__init__.py")
        visitor.visit(tree)
        for base, names, line, where in visitor.found:
            targets = []
            if names:
                for name in names:
                    full = f"{base}.{name}"
                    targets.append(full if full in modules else resolve(base))
            else:
                targets.append(resolve(base))
            for target in targets:
                if target is None or target == module:
                    continue
                graph[module].add(target)
                edges.setdefault(
                    (module, target), Edge(module, target, str(path.relative_to(root)), line, where)
                )
    return graph, edges


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative; the groups with more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    groups: list[list[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    group = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.append(member)
                        if member == node:
                            break
                    if len(group) > 1:
                        groups.append(sorted(group))
    return sorted(groups)


def shortest_cycle_through(graph: dict[str, set[str]], start: str, members: set[str]) -> list[str]:
    previous: dict[str, str] = {}
    queue = deque([start])
    seen = {start}
    while queue:
        node = queue.popleft()
        for child in sorted(graph[node] & members):
            if child == start:
                path = [node]
                while path[-1] != start:
                    path.append(previous[path[-1]])
                return [*reversed(path), start]
            if child not in seen:
                seen.add(child)
                previous[child] = node
                queue.append(child)
    return []


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    cycles: list[list[str]] = []
    seen: set[tuple[str, ...]] = set()
    for group in strongly_connected(graph):
        members = set(group)
        for start in group:
            cycle = shortest_cycle_through(graph, start, members)
            if not cycle:
                continue
            body = cycle[:-1]
            turn = body.index(min(body))
            key = tuple(body[turn:] + body[:turn])
            if key not in seen:
                seen.add(key)
                cycles.append([*key, key[0]])
    return cycles


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--root", default=".", help="the repository root (default: the current directory)")
    parser.add_argument(
        "--package",
        action="append",
        dest="packages",
        help=f"a package to check (default: {' '.join(PACKAGES)})",
    )
    args = parser.parse_args(argv)
    root = Path(args.root).resolve()
    packages = tuple(args.packages or PACKAGES)
    if not any((root / p).is_dir() for p in packages):
        print(f"check_import_cycles: none of {', '.join(packages)} under {root}", file=sys.stderr)
        return 2
    graph, edges = build_graph(root, packages)
    cycles = find_cycles(graph)
    for cycle in cycles:
        print(" -> ".join(cycle))
        for source, target in pairwise(cycle):
            e = edges[(source, target)]
            where = "" if e.where == "module" else f" (in {e.where})"
            print(f"    {e.path}:{e.line}{where} imports {target}")
    if cycles:
        print(f"check_import_cycles: {len(cycles)} cycle(s)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
