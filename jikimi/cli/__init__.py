"""The `jikimi` command: a thin shell over the storage, crawler and scheduler libraries.

Bad input ends as one line on stderr and exit code 2, never a traceback and never a partial write.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from collections.abc import Sequence

import typer
from typer.exceptions import TyperException

from jikimi.cli import app_state
from jikimi.cli.app_state import CliError, app, state
from jikimi.config import ConfigError
from jikimi.logs import REDACTOR
from storage.cases import NotFoundError, ValidationError
from storage.crypto import DecryptionError
from storage.database import DatabaseError, DatabaseUnusableError, database_failure
from storage.keyring import KeyringError


def _register_commands() -> None:
    """Every module of this package registers its commands on `app` when imported."""
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name != "app_state":
            importlib.import_module(f"{__name__}.{info.name}")


_register_commands()

__all__ = ["CliError", "app", "main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        result = app(args=args, prog_name="jikimi", standalone_mode=False)
        return int(result) if isinstance(result, int) else 0
    except DatabaseUnusableError as exc:
        # A damaged database or a full disk is not bad input: exit 1, in one line, no traceback.
        _error(str(exc))
        return 1
    except (
        CliError,
        ConfigError,
        NotFoundError,
        ValidationError,
        KeyringError,
        DatabaseError,
        DecryptionError,
    ) as exc:
        _error(str(exc))
        return 2
    except typer.Exit as exc:
        return int(exc.exit_code or 0)
    except typer.Abort:
        _error("aborted")
        return 1
    except TyperException as exc:
        # Usage errors (unknown command or option, bad value): one line, not click's usage block.
        if _is_no_args_help(exc):
            return 2
        _error(exc.format_message())
        return 2
    except KeyboardInterrupt:
        _error("interrupted")
        return 130
    except Exception as exc:  # only the database's and the disk's failures are worded here; others re-raise
        failure = database_failure(exc)
        if failure is None:
            raise
        _error(failure)
        return 1
    finally:
        app_state.close()


def _is_no_args_help(exc: Exception) -> bool:
    return type(exc).__name__ == "NoArgsIsHelpError"


def _error(message: str) -> None:
    line = " ".join(message.split())
    sys.stderr.write(f"jikimi: error: {REDACTOR(line)}\n")
    sys.stderr.flush()


def run() -> None:
    sys.exit(main())


_ = state
