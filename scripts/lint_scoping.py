#!/usr/bin/env python3
"""Lint the two doors of STYLE.md: region scoping and writes through services (stdlib only).

    python scripts/lint_scoping.py [--root DIR] [paths ...]     # from the repository root

Exit 0 when clean, 1 with `file:line: message` lines on violations, 2 on a usage error.

Rule 1, unscoped query. In page, API, export and task modules (`views.py`, `*_views.py`, `api.py`,
`exports.py`, `tasks.py` and every module of an `api/` or `views/` package) a query rooted at a
region-scoped model's manager (`Household.objects.filter(...)`, `Payment._default_manager.get(...)`)
must go through the door: `.visible_to(user)` somewhere in the chain, or the chain passed (directly
or through helpers returning a queryset) as the queryset of `access(...)` / `get_visible_or_404(...)`. Also through the door: the class-level `queryset = ...` of a
class built on `ScopedViewSetMixin` / `ScopedPageMixin` (their `get_queryset()` adds `visible_to`),
the `queryset=` of a `ScopedRelatedField`, a `Prefetch(...)` queryset (it only fetches the related rows
of an already scoped parent) and a correlated subquery (one that uses `OuterRef`).
A model is region-scoped when, statically, its `objects` manager is a `ScopedManager` (or a subclass),
`ScopedManager.from_queryset(X)()`, `Manager.from_queryset(X)()` or `X.as_manager()` with X deriving
from `ScopedQuerySet` (transitively), or when it inherits such a manager from a base model. The models
are read from the `models.py` (or `models/` package) of the apps in `APPS`; a model name in a checked
file is resolved through that file's imports (`from funds.models import Payment` -> funds.Payment).

Rule 2, write outside a service. `.save()` on a domain object outside `services.py`, a `services/`
package and `models.py`. Not domain objects: forms, formsets, serializers, workbooks, storages, file
fields (`upload.file.save`, `job.result_file.save`), `super().save()`, and any `.save()` given a
positional argument (`hazard.evidence.save(name, content)`, `image.save(buffer)`: Model.save takes
keyword arguments only).

Escapes: files matching `ALLOW` are not checked; one line is let through by a comment on it (or on
the comment-only line just above the offending expression) with a reason in parentheses:
`# lint: allow-unscoped (system task: no user)`, `# lint: allow-save (reason)`. An escape without
a reason is itself reported.
"""

from __future__ import annotations

import argparse
import ast
import fnmatch
import io
import os
import re
import sys
import tokenize
from dataclasses import dataclass, field
from pathlib import Path

# Files not checked at all (paths relative to the root, fnmatch: `*` also matches `/`).
ALLOW = {
    "relief/demo.py",
    "*/demo.py",
    "*/admin.py",
    "*/migrations/*",
    "*/management/commands/*",
    "tests/*",
    "bench/*",
}

# Apps whose models are indexed for rule 1.
APPS = (
    "relief",
    "people",
    "funds",
    "campaigns",
    "charity",
    "enrolments",
    "patrols",
    "coldwaves",
    "institutions",
    "supervision",
    "volunteers",
    "reports",
)

# Directories never walked.
SKIP_DIRS = {".venv", "venv", ".git", "node_modules", "__pycache__", "static", "var", ".pgdata", "locale"}

# Rule 1: which modules are checked.
QUERY_MODULES = {"views.py", "api.py", "exports.py", "tasks.py"}
QUERY_MODULE_SUFFIXES = ("_views.py",)
QUERY_PACKAGES = {"api", "views"}

SCOPED_QUERYSET_BASES = {"ScopedQuerySet"}
SCOPED_MANAGER_BASES = {"ScopedManager"}
MANAGER_ATTRS = {"objects", "_default_manager"}
DOOR_METHODS = {"visible_to"}
DOOR_FUNCTIONS = {"access", "get_visible_or_404"}
SCOPED_FIELDS = {"ScopedRelatedField"}  # their queryset= is narrowed by visible_to on use
SCOPED_CLASS_BASES = {"ScopedViewSetMixin", "ScopedPageMixin"}  # class-level queryset is narrowed
NESTED_QUERYSET_CALLS = {"Prefetch"}
# Where each of these takes its queryset (positional index; `queryset=` always counts).
QUERYSET_ARGUMENT = {
    **dict.fromkeys(DOOR_FUNCTIONS, 0),
    **dict.fromkeys(SCOPED_FIELDS, 0),
    **dict.fromkeys(NESTED_QUERYSET_CALLS, 1),
}
# Manager calls that read nothing (writes are rule 2's business, `none()` is empty).
NOT_READS = {"create", "bulk_create", "bulk_update", "none"}

# Rule 2: which modules may save domain objects.
SERVICE_MODULES = {"services.py", "models.py"}
SERVICE_MODULE_SUFFIXES = (
    "_services.py",
    "_models.py",
)  # e.g. funds/material_models.py, coldwaves/duty_models.py
SERVICE_PACKAGES = {"services", "models"}
SAVE_OK_NAMES = {
    "form",
    "formset",
    "serializer",
    "wb",
    "workbook",
    "book",
    "storage",
    "default_storage",
    "file",
}
SAVE_OK_NAME_SUFFIXES = ("_form", "_formset", "_serializer", "_workbook", "_wb", "_storage", "_file")
SAVE_OK_CALL_SUFFIXES = ("Form", "FormSet", "Serializer", "get_serializer", "get_form", "Workbook")

ESCAPE = re.compile(r"#\s*lint:\s*allow-(?P<kind>save|unscoped)\b\s*(?:\((?P<reason>[^)]*)\))?")


@dataclass
class Index:
    scoped_models: dict[str, str] = field(default_factory=dict)  # "funds.models.Payment" -> "funds.Payment"
    scoped_classes: set[str] = field(default_factory=lambda: set(SCOPED_CLASS_BASES))


# --------------------------------------------------------------------------- indexing


def _name(node: ast.AST) -> str | None:
    """Last component of a name or attribute (`models.Model` -> "Model")."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


_PARSED: dict[Path, tuple[str, ast.Module | None]] = {}


def _read(path: Path) -> tuple[str, ast.Module | None]:
    """Source and tree of a file, parsed once per run (None when it does not parse)."""
    path = path.resolve()
    if path not in _PARSED:
        try:
            source = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            source = ""
        try:
            tree = ast.parse(source, filename=str(path))
        except SyntaxError:
            tree = None
        _PARSED[path] = (source, tree)
    return _PARSED[path]


def _parse(path: Path) -> ast.Module | None:
    return _read(path)[1]


@dataclass
class Scan:
    """One walk of a tree: each node's parent and the nodes the rules look at."""

    parents: dict[ast.AST, ast.AST] = field(default_factory=dict)
    classes: list[ast.ClassDef] = field(default_factory=list)
    imports: list[ast.Import | ast.ImportFrom] = field(default_factory=list)
    managers: list[ast.Attribute] = field(default_factory=list)  # `X.objects`, `X._default_manager`
    saves: list[ast.Call] = field(default_factory=list)  # `x.save(...)`


_SCANS: dict[int, Scan] = {}


def _scan(tree: ast.Module) -> Scan:
    scan = _SCANS.get(id(tree))
    if scan is not None:
        return scan
    scan = _SCANS[id(tree)] = Scan()
    parents = scan.parents
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Attribute):
            if node.attr in MANAGER_ATTRS:
                scan.managers.append(node)
        elif isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr == "save":
                scan.saves.append(node)
        elif isinstance(node, ast.ClassDef):
            scan.classes.append(node)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            scan.imports.append(node)
        for child in ast.iter_child_nodes(node):
            parents[child] = node
            stack.append(child)
    scan.managers.sort(key=lambda n: (n.lineno, n.col_offset))
    scan.saves.sort(key=lambda n: (n.lineno, n.col_offset))
    return scan


def _model_files(root: Path, app: str) -> list[Path]:
    package = root / app / "models"
    # models.py, and the modules it re-exports models from (funds/material_models.py)
    files = [root / app / "models.py", *sorted((root / app).glob("*_models.py"))]
    if package.is_dir():
        files += sorted(package.glob("*.py"))
    return [f for f in files if f.is_file()]


def build_index(root: Path, all_files: list[Path]) -> Index:
    index = Index()
    classes: dict[str, tuple[str, ast.ClassDef]] = {}  # name -> (app, node)
    modules: dict[str, str] = {}  # class name -> its module, when not models.py ("plan_models")
    factories: dict[str, ast.AST] = {}  # module-level `XManager = ScopedManager.from_queryset(...)`
    for app in APPS:
        for path in _model_files(root, app):
            tree = _parse(path)
            if tree is None:
                continue
            for node in tree.body:
                if isinstance(node, ast.ClassDef):
                    classes[node.name] = (app, node)
                    if path.name.endswith("_models.py"):
                        modules[node.name] = path.stem
                elif isinstance(node, ast.Assign) and len(node.targets) == 1:
                    target = node.targets[0]
                    if isinstance(target, ast.Name):
                        factories[target.id] = node.value

    scoped_qs = set(SCOPED_QUERYSET_BASES)
    scoped_mgr = set(SCOPED_MANAGER_BASES)

    def manager_class_scoped(expr: ast.AST) -> bool:
        """`ScopedManager`, `XManager` (a scoped subclass), `Anything.from_queryset(ScopedQS)`."""
        if isinstance(expr, ast.Call) and _name(expr.func) == "from_queryset":
            receiver = expr.func.value if isinstance(expr.func, ast.Attribute) else None
            qs = _name(expr.args[0]) if expr.args else None
            return qs in scoped_qs or (receiver is not None and manager_class_scoped(receiver))
        name = _name(expr)
        return name in scoped_mgr

    def manager_scoped(expr: ast.AST) -> bool:
        """The value of `objects = ...`: an instance of a scoped manager class."""
        if not isinstance(expr, ast.Call):
            return False
        func = expr.func
        if isinstance(func, ast.Attribute) and func.attr == "as_manager":
            return _name(func.value) in scoped_qs
        return manager_class_scoped(func)

    changed = True
    while changed:
        changed = False
        for name, (_, node) in classes.items():
            bases = [_name(b) for b in node.bases]
            if name not in scoped_qs and any(b in scoped_qs for b in bases):
                scoped_qs.add(name)
                changed = True
            if name not in scoped_mgr and any(
                b in scoped_mgr or manager_class_scoped(base)
                for b, base in zip(bases, node.bases, strict=True)
            ):
                scoped_mgr.add(name)
                changed = True
        for name, value in factories.items():
            if name not in scoped_mgr and manager_class_scoped(value):
                scoped_mgr.add(name)
                changed = True

    def objects_of(node: ast.ClassDef) -> ast.AST | None:
        for stmt in node.body:
            targets = stmt.targets if isinstance(stmt, ast.Assign) else []
            if isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
                targets = [stmt.target]
            for target in targets:
                if isinstance(target, ast.Name) and target.id == "objects":
                    return stmt.value
        return None

    scoped_models: set[str] = set()
    changed = True
    while changed:
        changed = False
        for name, (_, node) in classes.items():
            if name in scoped_models:
                continue
            objects = objects_of(node)
            if objects is not None:
                scoped = manager_scoped(objects)
            else:
                scoped = any(_name(b) in scoped_models for b in node.bases)
            if scoped:
                scoped_models.add(name)
                changed = True
    for name in scoped_models:
        app = classes[name][0]
        index.scoped_models[f"{app}.models.{name}"] = f"{app}.{name}"
        if name in modules:
            index.scoped_models[f"{app}.{modules[name]}.{name}"] = f"{app}.{name}"

    # Classes built on the scoped mixins (transitively, by name, over every file checked).
    bases_of: dict[str, set[str]] = {}
    for path in all_files:
        tree = _parse(path)
        if tree is None:
            continue
        for node in _scan(tree).classes:
            bases_of.setdefault(node.name, set()).update(b for b in map(_name, node.bases) if b)
    changed = True
    while changed:
        changed = False
        for name, bases in bases_of.items():
            if name not in index.scoped_classes and bases & index.scoped_classes:
                index.scoped_classes.add(name)
                changed = True
    return index


# --------------------------------------------------------------------------- checking


def _module_of(rel: Path) -> list[str]:
    parts = list(rel.with_suffix("").parts)
    if parts and parts[-1] == "__init__":
        parts.pop()
    return parts


def _imports(scan: Scan, rel: Path) -> dict[str, str]:
    """Local name -> dotted path, for every import anywhere in the file."""
    package = _module_of(rel)
    if rel.name != "__init__.py":
        package = package[:-1]
    names: dict[str, str] = {}
    for node in scan.imports:
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)] if node.level > 1 else package
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            for alias in node.names:
                if alias.name != "*":
                    names[alias.asname or alias.name] = f"{module}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    names[alias.asname] = alias.name
                else:
                    top = alias.name.split(".")[0]
                    names[top] = top
    return names


def _dotted(node: ast.AST, imports: dict[str, str]) -> str | None:
    if isinstance(node, ast.Name):
        return imports.get(node.id)
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value, imports)
        return f"{base}.{node.attr}" if base else None
    return None


def _callee(call: ast.Call) -> str | None:
    return _name(call.func)


def _escapes(source: str) -> dict[int, tuple[str, str]]:
    """Line -> (kind, reason) of each `# lint: allow-...` comment."""
    found: dict[int, tuple[str, str]] = {}
    if "lint:" not in source:
        return found
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.COMMENT:
                match = ESCAPE.search(tok.string)
                if match:
                    found[tok.start[0]] = (match["kind"], (match["reason"] or "").strip())
    except (tokenize.TokenError, SyntaxError):
        pass
    return found


def is_query_module(rel: Path) -> bool:
    return (
        rel.name in QUERY_MODULES
        or rel.name.endswith(QUERY_MODULE_SUFFIXES)
        or any(part in QUERY_PACKAGES for part in rel.parts[:-1])
    )


def is_service_module(rel: Path) -> bool:
    return (
        rel.name in SERVICE_MODULES
        or rel.name.endswith(SERVICE_MODULE_SUFFIXES)
        or any(part in SERVICE_PACKAGES for part in rel.parts[:-1])
    )


def is_allowed(rel: Path) -> bool:
    text = rel.as_posix()
    return any(fnmatch.fnmatch(text, pattern) for pattern in ALLOW)


def _save_ok(receiver: ast.AST) -> bool:
    if isinstance(receiver, ast.Call):
        name = _callee(receiver)
        return name == "super" or bool(name and name.endswith(SAVE_OK_CALL_SUFFIXES))
    name = _name(receiver)
    if name is None:
        return False
    lowered = name.lower()
    return lowered in SAVE_OK_NAMES or lowered.endswith(SAVE_OK_NAME_SUFFIXES)


def _source(node: ast.AST, limit: int = 60) -> str:
    text = ast.unparse(node)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class FileChecker:
    def __init__(self, path: Path, rel: Path, index: Index) -> None:
        self.path, self.rel, self.index = path, rel, index
        self.problems: list[tuple[int, str]] = []

    def run(self) -> list[tuple[int, str]]:
        source, tree = _read(self.path)
        if tree is None:
            try:
                ast.parse(source, filename=str(self.path))
            except SyntaxError as exc:
                return [(exc.lineno or 0, f"syntax error: {exc.msg}")]
            return []
        self.lines = source.splitlines()
        self.escapes = _escapes(source)
        self.used: set[int] = set()
        self.scan = _scan(tree)
        self.parents = self.scan.parents
        if is_query_module(self.rel):
            self.imports = _imports(self.scan, self.rel)
            self.check_queries()
        if not is_service_module(self.rel):
            self.check_saves()
        for line, (kind, reason) in sorted(self.escapes.items()):
            if not reason:
                self.problems.append(
                    (line, f"`# lint: allow-{kind}` needs a reason: `# lint: allow-{kind} (why)`")
                )
        return sorted(self.problems)

    # escapes -----------------------------------------------------------------

    def escaped(self, node: ast.AST, kind: str) -> bool:
        first, last = node.lineno, getattr(node, "end_lineno", node.lineno) or node.lineno
        candidates = list(range(first, last + 1))
        above = first - 1
        if above >= 1 and self.lines[above - 1].strip().startswith("#"):
            candidates.append(above)
        for line in candidates:
            escape = self.escapes.get(line)
            if escape and escape[0] == kind and escape[1]:
                return True
        return False

    # rule 1 -------------------------------------------------------------------

    def check_queries(self) -> None:
        for node in self.scan.managers:
            dotted = _dotted(node.value, self.imports)
            model = self.index.scoped_models.get(dotted or "")
            if model is None:
                continue
            top, methods = self.chain(node)
            if methods and methods[0] in NOT_READS:
                continue
            if DOOR_METHODS & set(methods) or self.through_door(top):
                continue
            if self.escaped(top, "unscoped"):
                continue
            self.problems.append(
                (
                    node.lineno,
                    f"unscoped query on region-scoped {model}: `{_source(top)}`; "
                    "go through `.visible_to(user)`, `access()` or `get_visible_or_404()` "
                    "(or `# lint: allow-unscoped (reason)`)",
                )
            )

    def chain(self, node: ast.AST) -> tuple[ast.AST, list[str]]:
        """Climb `Model.objects.a(...).b(...)[...]` to its outermost expression; the methods called."""
        methods: list[str] = []
        top = node
        while True:
            parent = self.parents.get(top)
            if isinstance(parent, ast.Attribute) and parent.value is top:
                methods.append(parent.attr)
            elif not (
                (isinstance(parent, ast.Call) and parent.func is top)
                or (isinstance(parent, ast.Subscript) and parent.value is top)
            ):
                return top, methods
            top = parent

    def through_door(self, top: ast.AST) -> bool:
        # correlated subquery: bound to the (scoped) outer row
        for sub in ast.walk(top):
            if isinstance(sub, ast.Call) and _callee(sub) == "OuterRef":
                return True
        # inside the queryset argument of the door, a scoped field or a Prefetch (possibly through
        # helpers: `get_visible_or_404(selectors.with_x(Model.objects.all()), user, pk=pk)`)
        child, node = top, self.parents.get(top)
        while node is not None and not isinstance(node, ast.stmt):
            if isinstance(node, ast.Call) and node.func is not child:
                position = QUERYSET_ARGUMENT.get(_callee(node) or "")
                if position is not None and (
                    (len(node.args) > position and node.args[position] is child)
                    or (isinstance(child, ast.keyword) and child.arg == "queryset")
                ):
                    return True
            child, node = node, self.parents.get(node)
        # class-level `queryset = ...` of a scoped viewset or page
        node = top
        while node is not None and not isinstance(node, ast.stmt):
            node = self.parents.get(node)
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            owner = self.parents.get(node)
            if (
                isinstance(owner, ast.ClassDef)
                and any(isinstance(t, ast.Name) and t.id == "queryset" for t in targets)
                and (owner.name in self.index.scoped_classes)
            ):
                return True
        return False

    # rule 2 -------------------------------------------------------------------

    def check_saves(self) -> None:
        for node in self.scan.saves:
            receiver = node.func.value
            # Model.save() takes keyword arguments only (positional ones are deprecated since Django
            # 5.1): `x.save(name, content)`, `wb.save(buffer)`, `image.save(buf, format=...)` are files.
            positional = any(not isinstance(arg, ast.Starred) for arg in node.args)
            if positional or _save_ok(receiver) or self.escaped(node, "save"):
                continue
            self.problems.append(
                (
                    node.lineno,
                    f"`{_source(receiver)}.save()` outside a service: domain writes go through a "
                    "service in services.py (or `# lint: allow-save (reason)`)",
                )
            )


# --------------------------------------------------------------------------- driver


def collect(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_file() and path.suffix == ".py":
            files.append(path)
        elif path.is_dir():
            for dirpath, dirnames, filenames in os.walk(path):
                dirnames[:] = sorted(
                    d
                    for d in dirnames
                    if d not in SKIP_DIRS and not d.startswith(".") and not d.endswith(".egg-info")
                )
                files += [Path(dirpath) / f for f in sorted(filenames) if f.endswith(".py")]
    return files


def lint(root: Path, paths: list[Path] | None = None) -> list[str]:
    _PARSED.clear()
    _SCANS.clear()
    root = root.resolve()
    targets = [p if p.is_absolute() else root / p for p in (paths or [root])]
    files = [f.resolve() for f in collect(targets)]
    index = build_index(root, [f for f in collect([root]) if not is_allowed(f.relative_to(root))])
    if not index.scoped_models:
        raise SystemExit(
            f"lint_scoping: no region-scoped models found under {root} (run from the repository root)"
        )
    out: list[str] = []
    for path in files:
        try:
            rel = path.relative_to(root)
        except ValueError:
            rel = Path(path.name)
        if is_allowed(rel):
            continue
        for line, message in FileChecker(path, rel, index).run():
            out.append(f"{rel.as_posix()}:{line}: {message}")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path, help="files or directories (default: the root)")
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="repository root (default: cwd)")
    args = parser.parse_args(argv)
    try:
        problems = lint(args.root, args.paths)
    except SystemExit as exc:
        print(exc, file=sys.stderr)
        return 2
    for problem in problems:
        print(problem)
    if problems:
        print(f"lint_scoping: {len(problems)} problem(s)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
