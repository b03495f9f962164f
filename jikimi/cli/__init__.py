"""The `jikimi` command: a thin shell over the storage, crawler and scheduler libraries.

Bad input ends as one line on stderr and exit code 2, never a traceback and never a partial write.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import typer
from typer.exceptions import TyperException

from jikimi.cli import (
    app_state,
    audit,
    case,
    export,
    exposure,
    exposures,
    init,
    keys,
    match,
    recheck,
    report,
    retention,
    run,
    sandbox,
    schedule,
    sources,
    status,
    takedown,
    target,
    term,
    user,
    web,
)
from jikimi.cli.app_state import CliError, app, state
from jikimi.config import ConfigError
from jikimi.logs import REDACTOR
from storage.database import database_failure
from storage.errors import (
    DatabaseError,
    DatabaseUnusableError,
    DecryptionError,
    KeyringError,
    NotFoundError,
    ValidationError,
)

# Every command, in one place: a command group per module (`jikimi/cli/<group>.py`), named after it.
app.command("init")(init.init_command)
app.command("status")(status.status_command)
app.add_typer(case.case_app, name="case")
app.add_typer(term.term_app, name="term")
app.add_typer(target.target_app, name="target")
app.command("match")(match.match_command)
app.command("run")(run.run_command)
app.command("recheck")(recheck.recheck_command)
app.command("schedule")(schedule.schedule_command)
app.add_typer(sources.sources_app, name="sources")
app.add_typer(exposures.exposures_app, name="exposures")
app.add_typer(exposure.exposure_app, name="exposure")
app.add_typer(export.export_app, name="export")
app.add_typer(takedown.takedown_app, name="takedown")
app.command("report")(report.report_command)
app.add_typer(audit.audit_app, name="audit")
app.add_typer(keys.keys_app, name="keys")
app.add_typer(retention.retention_app, name="retention")
app.add_typer(user.user_app, name="user")
app.command("web")(web.web_command)
app.command("sandbox")(sandbox.sandbox_command)

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


_ = state
