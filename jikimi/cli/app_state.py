"""The typer app, its global options, and the lazily opened settings and store."""

from __future__ import annotations

import getpass
import json
import logging
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from jikimi.config import Settings, load_settings
from jikimi.logs import REDACTOR, setup_logging
from storage.database import Store, open_store
from storage.errors import DatabaseError, DatabaseUnusableError, KeyringError
from storage.keyring import load_keyring

# The `--json` option of list and show commands.
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


class CliError(Exception):
    """A one-line problem to show the user; exit code 2."""


app = typer.Typer(
    name="jikimi",
    help="jikimi (지킴이): find where a victim's name is exposed online, "
    "for the advocates who get it taken down.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


@dataclass
class State:
    config_path: Path | None = None
    verbose: bool = False
    _settings: Settings | None = None
    _store: Store | None = None
    console: Console = field(default_factory=lambda: Console(highlight=False, soft_wrap=True))

    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.config_path)
            REDACTOR.add(self._settings.secrets())
        return self._settings

    def store(self) -> Store:
        """Open the database with its keys, failing closed with a one-line reason."""
        if self._store is None:
            settings = self.settings()
            try:
                keyring = load_keyring(settings.key_file, os.environ.get("JIKIMI_KEYRING"))
                self._store = open_store(settings.database_url, keyring)
            except DatabaseUnusableError:
                raise  # damaged or out of space: exit 1, not the bad-input 2
            except (KeyringError, DatabaseError) as exc:
                raise CliError(str(exc)) from None
        return self._store

    def set_store(self, store: Store) -> None:
        self._store = store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
        self._store = None
        self._settings = None


state = State()


def close() -> None:
    state.close()
    state.config_path = None


def actor() -> str:
    """Who is acting: the operating-system user (an advocate login once there is one)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid:{os.getuid()}"


@app.callback()
def _root(
    config: Annotated[
        Path | None,
        typer.Option("--config", help="Config file (default: JIKIMI_CONFIG, else the data directory)."),
    ] = None,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Log progress to stderr (redacted).")
    ] = False,
) -> None:
    """jikimi (지킴이): find where a victim's name is exposed online, for the advocates who get it taken
    down."""
    state.config_path = config
    state.verbose = verbose
    setup_logging(logging.INFO if verbose else logging.WARNING)


def emit_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2, default=str) + "\n")
