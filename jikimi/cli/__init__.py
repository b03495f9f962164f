"""The `jikimi` command: a thin shell over the storage, crawler and scheduler libraries.

Bad input ends as one line on stderr and exit code 2, never a traceback and never a partial write.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from collections.abc import Sequence

import click
import typer

from jikimi.cli import app_state
from jikimi.cli.app_state import CliError, app, state
from jikimi.config import ConfigError
from jikimi.logs import REDACTOR
from storage.cases import NotFoundError, ValidationError
from storage.crypto import DecryptionError
from storage.database import DatabaseError
from storage.keyring import KeyringError


def _register_commands() -> None:
    """Every module of this package registers its commands on `app` when imported."""
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name != "app_state":
            importlib.import_module(f"{__name__}.{info.name}")


_register_commands()

__all__ = ["app", "main", "CliError"]


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        result = app(args=args, prog_name="jikimi", standalone_mode=False)
        return int(result) if isinstance(result, int) else 0
    except CliError as exc:
        _error(str(exc))
        return 2
    except (ConfigError, NotFoundError, ValidationError, KeyringError, DatabaseError, DecryptionError) as exc:
        _error(str(exc))
        return 2
    except click.exceptions.NoArgsIsHelpError:
        return 2
    except click.UsageError as exc:
        _error(exc.format_message().splitlines()[0] if exc.format_message() else "bad usage")
        return 2
    except click.exceptions.Exit as exc:
        return int(exc.exit_code or 0)
    except click.Abort:
        _error("aborted")
        return 1
    except click.ClickException as exc:
        _error(exc.format_message())
        return 2
    except KeyboardInterrupt:
        _error("interrupted")
        return 130
    finally:
        app_state.close()


def _error(message: str) -> None:
    line = " ".join(message.split())
    sys.stderr.write(f"jikimi: error: {REDACTOR(line)}\n")
    sys.stderr.flush()


def run() -> None:
    sys.exit(main())


_ = typer  # typer is the framework the command modules use
_ = state
