"""Dependencies point one way and never go round in a circle.

The layer table (README, "Layout"):

    top      jikimi (the command line), web (the console)
    middle   crawler, takedown, scheduler
    ground   storage, matching (pure), sandbox (the fake web; imports nothing of ours)

A module may import its own package and any package of a lower layer. Within a layer only the
edges listed in `SAME_LAYER` are allowed: storage builds on the pure matcher, and the scheduler
runs the nightly export (takedown), and `jikimi web` serves the console. The scheduler never imports the
crawler: it starts crawls as subprocesses. `jikimi.config` and `jikimi.logs` (configuration and log redaction)
may be imported by every layer; they themselves import nothing of ours.

The graph is built from the source with `ast`, every import counted: at module level, inside
functions, and under `TYPE_CHECKING` (a cycle of type hints is still a knot for the reader).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

LAYERS: dict[str, int] = {
    "matching": 0,
    "storage": 0,
    "sandbox": 0,
    "crawler": 1,
    "takedown": 1,
    "scheduler": 1,
    "jikimi": 2,
    "web": 2,
}
# Allowed imports between packages of the same layer (importer -> imported).
SAME_LAYER = {("storage", "matching"), ("scheduler", "takedown"), ("jikimi", "web")}
# Modules every layer may import.
EVERYWHERE = ("jikimi.config", "jikimi.logs")
# Third-party libraries a package must not touch.
FORBIDDEN_LIBRARIES: dict[str, tuple[str, ...]] = {
    "matching": ("scrapy", "twisted", "sqlalchemy", "playwright", "apscheduler", "typer"),
    "storage": ("scrapy", "twisted", "apscheduler", "typer", "rich", "playwright"),
    "takedown": ("scrapy", "twisted", "apscheduler", "typer", "playwright"),
    "scheduler": ("scrapy", "twisted", "playwright", "typer"),
    "sandbox": ("sqlalchemy",),
}

Graph = Mapping[str, Iterable[str]]


# -- the graph -----------------------------------------------------------------------------------


def project_modules(root: Path = ROOT) -> dict[str, Path]:
    """Dotted name -> file of every module in the layered packages that exist."""
    out: dict[str, Path] = {}
    for package in LAYERS:
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            out[".".join(parts)] = path
    return out


def _resolve(name: str, modules: Mapping[str, Path]) -> str | None:
    """The project module an imported name refers to: itself, or the longest module prefix of it."""
    while name:
        if name in modules:
            return name
        name = name.rpartition(".")[0]
    return None


def imported_names(path: Path, module: str) -> set[str]:
    """Every dotted name imported anywhere in a file (function bodies and TYPE_CHECKING included)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_package = path.name == "__init__.py"
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")
                drop = node.level - 1 if is_package else node.level
                anchor = anchor[: len(anchor) - drop] if drop else anchor
                base = ".".join([*anchor, base] if base else anchor)
            # `from pkg import mod` imports the module pkg.mod when there is one, else a name of pkg
            # (`_resolve` falls back to the longest prefix that is a module).
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def import_graph(root: Path = ROOT) -> dict[str, set[str]]:
    modules = project_modules(root)
    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        targets = {_resolve(name, modules) for name in imported_names(path, module)}
        graph[module] = {t for t in targets if t is not None and t != module}
    return graph


def strongly_connected(graph: Graph) -> list[list[str]]:
    """Tarjan's algorithm: the groups of modules that reach each other (only groups of two or more)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
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

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(groups)


def against_direction(graph: Graph) -> list[str]:
    """Every edge that points up a layer, or sideways without being listed in SAME_LAYER."""
    bad = []
    for importer, targets in sorted(graph.items()):
        here = importer.split(".")[0]
        for target in sorted(targets):
            there = target.split(".")[0]
            if there == here or target in EVERYWHERE:
                continue
            lower = LAYERS[there] < LAYERS[here]
            beside = LAYERS[there] == LAYERS[here] and (here, there) in SAME_LAYER
            if not (lower or beside):
                bad.append(f"{importer} imports {target}")
    return bad


# -- the rules, on the real tree -------------------------------------------------------------------


def test_no_import_cycles() -> None:
    cycles = strongly_connected(import_graph())
    assert not cycles, "import cycles:\n" + "\n".join(" <-> ".join(group) for group in cycles)


def test_imports_point_down() -> None:
    bad = against_direction(import_graph())
    assert not bad, "imports against the layers:\n" + "\n".join(bad)


def test_modules_importable_everywhere_import_nothing_of_ours() -> None:
    graph = import_graph()
    for module in EVERYWHERE:
        assert module in graph, f"{module} is gone: update EVERYWHERE"
        assert not graph[module], f"{module} imports {sorted(graph[module])}"


def test_every_top_level_package_has_a_layer() -> None:
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")} - {"tests", "benchmarks"}
    assert packages <= set(LAYERS), f"packages without a layer: {sorted(packages - set(LAYERS))}"


@pytest.mark.parametrize("package", sorted(FORBIDDEN_LIBRARIES))
def test_forbidden_libraries(package: str) -> None:
    modules = {m: p for m, p in project_modules().items() if m.split(".")[0] == package}
    assert modules, f"package {package} has no modules"
    offenders = [
        f"{module} imports {name}"
        for module, path in modules.items()
        for name in sorted(imported_names(path, module))
        if name.split(".")[0] in FORBIDDEN_LIBRARIES[package]
    ]
    assert not offenders, "\n".join(offenders)


# -- the checker itself can fail -------------------------------------------------------------------


def test_checker_finds_a_cycle_and_leaves_a_chain_alone() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert strongly_connected(graph) == [["a", "b", "c"]]
    assert strongly_connected({"a": {"b"}, "b": {"c"}, "c": set()}) == []


def test_checker_finds_upward_and_sideways_imports() -> None:
    graph = {
        "storage.cases": {"jikimi.cli.app", "jikimi.config", "matching.scan"},
        "scheduler.nightly": {"crawler.spiders", "takedown.exporting", "storage.runs"},
        "matching.scan": {"storage.models"},
        "jikimi.cli.run": {"scheduler.nightly", "storage.runs"},
    }
    assert against_direction(graph) == [
        "matching.scan imports storage.models",
        "scheduler.nightly imports crawler.spiders",
        "storage.cases imports jikimi.cli.app",
    ]


def test_checker_reads_function_level_and_relative_imports(tmp_path: Path) -> None:
    (tmp_path / "crawler" / "spiders").mkdir(parents=True)
    (tmp_path / "crawler" / "__init__.py").write_text("")
    (tmp_path / "crawler" / "spiders" / "__init__.py").write_text("from . import one\n")
    (tmp_path / "crawler" / "spiders" / "one.py").write_text(
        "def late():\n    from crawler.spiders import two\n"
    )
    (tmp_path / "crawler" / "spiders" / "two.py").write_text("from .one import late\n")
    graph = import_graph(tmp_path)
    assert graph["crawler.spiders"] == {"crawler.spiders.one"}
    assert graph["crawler.spiders.one"] == {"crawler.spiders.two"}
    assert graph["crawler.spiders.two"] == {"crawler.spiders.one"}
    assert strongly_connected(graph) == [["crawler.spiders.one", "crawler.spiders.two"]]


# -- other house rules -----------------------------------------------------------------------------


def test_no_grab_bag_modules() -> None:
    bad = [p for p in project_modules().values() if p.name in {"utils.py", "util.py", "helpers.py"}]
    assert not bad


def test_files_and_images_pipelines_never_enabled() -> None:
    modules = project_modules()
    assert modules
    for path in modules.values():
        text = path.read_text(encoding="utf-8")
        assert "ImagesPipeline" not in text and "FilesPipeline" not in text, path
