"""The suite's own shape: shared fixtures live in conftest.py, shared helpers in tests/support/."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent
SHARED_FIXTURES = {"sandbox", "sandbox_server", "home", "store", "pg_url", "database_url"}


def _modules() -> dict[Path, ast.Module]:
    found = {path: ast.parse(path.read_text(encoding="utf-8")) for path in sorted(TESTS.rglob("*.py"))}
    assert TESTS / "conftest.py" in found and TESTS / "support" / "__init__.py" in found
    return found


def _imported(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_no_test_module_imports_another_test_module_or_the_conftest() -> None:
    offending = {
        str(path.relative_to(TESTS)): sorted(
            name for name in _imported(tree) if name.startswith("tests.test_") or name == "tests.conftest"
        )
        for path, tree in _modules().items()
    }
    assert {path: names for path, names in offending.items() if names} == {}


def test_helpers_live_in_tests_support() -> None:
    loose = [
        path.name
        for path in _modules()
        if path.parent == TESTS and path.name != "conftest.py" and not path.name.startswith("test_")
    ]
    assert loose == [], "shared test helpers belong in tests/support/"


def _is_fixture(decorator: ast.expr) -> bool:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    return isinstance(target, ast.Attribute) and target.attr == "fixture"


def test_shared_fixtures_are_defined_once_in_the_conftest() -> None:
    redefined = [
        f"{path.relative_to(TESTS)}: {node.name}"
        for path, tree in _modules().items()
        if path.name != "conftest.py"
        for node in tree.body
        if isinstance(node, ast.FunctionDef)
        and node.name in SHARED_FIXTURES
        and any(_is_fixture(d) for d in node.decorator_list)
    ]
    assert redefined == []
