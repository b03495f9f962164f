"""Dependencies point one way: storage is the core, the scheduler never imports the crawler."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

FORBIDDEN = {
    "storage": (
        "scrapy",
        "twisted",
        "apscheduler",
        "typer",
        "rich",
        "jikimi.cli",
        "crawler",
        "scheduler",
        "playwright",
    ),
    "matching": ("scrapy", "twisted", "storage", "crawler", "scheduler", "jikimi", "sqlalchemy"),
    "scheduler": ("crawler", "scrapy", "twisted", "playwright"),
    "sandbox": ("storage", "crawler", "scheduler", "jikimi", "matching"),
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_dependency_direction(package: str) -> None:
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, f"package {package} has no modules"
    offenders = []
    for path in files:
        for name in _imports(path):
            if any(name == bad or name.startswith(bad + ".") for bad in FORBIDDEN[package]):
                offenders.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not offenders, "\n".join(offenders)


def test_no_grab_bag_modules() -> None:
    bad = [
        p
        for p in ROOT.rglob("*.py")
        if p.name in {"utils.py", "util.py", "helpers.py"} and ".venv" not in p.parts
    ]
    assert not bad


def test_files_and_images_pipelines_never_enabled() -> None:
    for path in ROOT.glob("*/**/*.py"):
        if ".venv" in path.parts or path.parts[-2] == "tests":
            continue
        text = path.read_text(encoding="utf-8")
        assert "ImagesPipeline" not in text and "FilesPipeline" not in text, path
