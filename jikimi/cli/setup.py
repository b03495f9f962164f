"""`jikimi init` and `jikimi status`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from jikimi.cli.app_state import CliError, actor, app, emit_json, state
from jikimi.config import CONFIG_FILE_NAME
from jikimi.config_template import INITIAL_CONFIG
from jikimi.first_run import search_notice
from storage.audit import ensure_audit_key  # audit trail
from storage.audit import record as audit
from storage.cases import list_cases, list_targets
from storage.database import open_store
from storage.exposures import count_by_case
from storage.keyring import KeyringError, create_keyring_file, load_keyring
from storage.purge import finish_pending
from storage.runs import recent_runs
from storage.times import local_text


def write_initial_config(path: Path) -> Path:
    """The commented first-run configuration, 0600, never over an existing file."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path
    except OSError as exc:
        raise CliError(f"cannot write {path}: {exc.strerror}") from None
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(INITIAL_CONFIG)
    return path


@app.command("init")
def init_command() -> None:
    """Create the data directory, the key file (0600), the database and, on a first run (no key file, no
    config file, no JIKIMI_ settings in the environment), a commented config.toml with every search engine
    off until its keys are filled in; or migrate an existing set-up."""
    settings = state.settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    created_key = False
    env_keys = os.environ.get("JIKIMI_KEYRING")
    if env_keys:
        keyring = load_keyring(settings.key_file, env_keys)
    elif settings.key_file.exists():
        keyring = load_keyring(settings.key_file)
    else:
        keyring = create_keyring_file(settings.key_file)
        created_key = True
    if not env_keys and ensure_audit_key(keyring):
        state.console.print("key file: audit key added")
    try:
        store = open_store(settings.database_url, keyring, initialise=True)
    except KeyringError as exc:
        raise CliError(str(exc)) from None
    state.set_store(store)
    console = state.console
    console.print(f"database ready: {_describe_db(settings.database_url)}")
    if settings.config_file is None and created_key and not settings.from_environment:
        # A first run: the commented config. An existing set-up keeps working as it did without one.
        written = write_initial_config(settings.data_dir / CONFIG_FILE_NAME)
        console.print(
            f"config file written: {written} (every search engine is off until you add its keys there; "
            "then `jikimi sources check` tests them)",
            markup=False,
        )
    elif (notice := search_notice(settings)) is not None:
        console.print(f"notice: {notice}", markup=False)
    if created_key:
        console.print(
            f"key file created: {settings.key_file} (keep a copy somewhere safe: without it the data is lost)"
        )
    else:
        console.print("key file: existing key used")


def _describe_db(url: str) -> str:
    if url.startswith("sqlite"):
        return url.split("///", 1)[-1]
    # Never print a password that might sit in a PostgreSQL URL.
    head, _, tail = url.partition("@")
    return f"postgresql://…@{tail}" if tail else head


@app.command("status")
def status_command(
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
) -> None:
    """Show cases, exposures by status, the sources and how each ended its last runs."""
    settings = state.settings()
    store = state.store()
    # An interrupted purge (rows gone, key still in the key file) is finished here, not left forever.
    purges_finished = finish_pending(store) if store.crypto.keyring.path is not None else 0
    cases = list_cases(store)
    counts = count_by_case(store)
    runs = recent_runs(store, limit=5)
    targets = list_targets(store)
    # Typed parts first: the text form prints from these, the JSON form from `data`.
    case_counts = {status: sum(c.status == status for c in cases) for status in ("open", "closed")}
    exposure_totals = _totals(counts)
    sources = {s.name: ("enabled" if s.enabled else "disabled") for s in settings.sources.values()}
    data: dict[str, object] = {
        "database": _describe_db(settings.database_url),
        "cases": case_counts,
        "exposures": exposure_totals,
        "targets": len(targets),
        "sources": sources,
        "runs": [
            {
                "id": r.id,
                "kind": r.kind,
                "status": r.status,
                "started_at": r.started_at.isoformat(),
                "finished_at": r.finished_at.isoformat() if r.finished_at else None,
                "sources": {
                    s.source: {
                        "outcome": s.outcome,
                        "reason": s.reason,
                        "calls": s.calls,
                        "results": s.results,
                        "new": s.new_exposures,
                        "unreached_terms": s.unreached_terms,
                    }
                    for s in r.sources
                },
                "problems": r.report.get("problems", []),
            }
            for r in runs
        ],
    }
    from jikimi.status_extras import extra_status  # late: optional sections added by later features

    extras = extra_status(store, settings)
    if purges_finished:
        extras.setdefault("notices", []).append(
            f"finished {purges_finished} interrupted case purge(s): their keys are destroyed"
        )
    data.update(extras)
    audit(store, actor(), "status")
    if json_output:
        emit_json(data)
        return
    console = state.console
    console.print(f"database: {data['database']}")
    console.print(
        f"cases: {case_counts['open']} open, {case_counts['closed']} closed; targets: {len(targets)}"
    )
    console.print("exposures: " + (", ".join(f"{k} {v}" for k, v in exposure_totals.items()) or "none yet"))
    console.print("sources: " + ", ".join(f"{k} ({v})" for k, v in sources.items()))
    if not runs:
        console.print("no run yet: `jikimi run` runs a pass now")
    for run in runs:
        started = local_text(run.started_at, state.settings().timezone)
        table = Table(title=f"run {run.id} ({run.kind}) {run.status}, started {started}")
        for col in ("source", "outcome", "reason", "calls", "results", "new", "unreached"):
            table.add_column(col)
        for s in run.sources:
            table.add_row(
                s.source,
                s.outcome,
                s.reason or "",
                str(s.calls),
                str(s.results),
                str(s.new_exposures),
                f"{s.unreached_terms:,}",
            )
        console.print(table)
    if "scheduler" in extras:
        from scheduler.health import summary_line

        console.print(summary_line(extras["scheduler"]))
    for line in extras.get("notices", []):
        console.print(f"notice: {line}")


def _totals(counts: dict[int, dict[str, int]]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for per_case in counts.values():
        for status, n in per_case.items():
            totals[status] = totals.get(status, 0) + n
    return totals
