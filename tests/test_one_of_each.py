"""One of each: one hierarchy of storage errors, one list of export formats that every user reads."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from jikimi.cli import main
from storage import errors
from storage.exports import EXPORT_FORMATS
from takedown.exporting import RENDERERS
from tests.support.home import JikimiHome

ROOT = Path(__file__).resolve().parent.parent


def test_storage_defines_its_errors_in_one_module() -> None:
    defined = {
        f"{path.relative_to(ROOT)}:{node.name}"
        for path in sorted((ROOT / "storage").rglob("*.py"))
        if path.name != "errors.py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.ClassDef) and node.name.endswith("Error")
    }
    assert not defined, f"error classes outside storage/errors.py: {sorted(defined)}"


@pytest.mark.parametrize(
    "error",
    [
        errors.NotFoundError,
        errors.ValidationError,
        errors.TermTooBroadError,
        errors.InvalidURLError,
        errors.ExportConflictError,
        errors.DatabaseError,
        errors.KeyringError,
        errors.DecryptionError,
        errors.RotationError,
    ],
)
def test_every_storage_error_is_a_storage_error(error: type[Exception]) -> None:
    assert issubclass(error, errors.StorageError)
    assert error.__doc__ and "\n" not in error.__doc__.strip()


def test_export_formats_are_one_list() -> None:
    assert tuple(RENDERERS) == EXPORT_FORMATS


def test_the_cli_offers_exactly_the_export_formats(
    home: JikimiHome, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["export", "--format", "pdf", "--output", str(home.data_dir / "x.pdf")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.strip() == f"jikimi: error: --format: must be one of {', '.join(EXPORT_FORMATS)}"


def test_every_cli_module_is_the_command_group_of_its_name() -> None:
    import typer.main

    from jikimi.cli import app

    root = typer.main.get_command(app)
    assert isinstance(root, typer.core.TyperGroup)
    commands = set(root.commands)
    helpers = {"__init__", "app_state"}
    modules = {p.stem for p in (ROOT / "jikimi" / "cli").glob("*.py")} - helpers
    assert modules, "no CLI module found"
    assert modules == commands, (
        f"modules without their command: {sorted(modules - commands)}; "
        f"commands without their module: {sorted(commands - modules)}"
    )
