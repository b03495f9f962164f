"""`jikimi recheck`: re-check reported and removed exposures now, exactly as the nightly pass does."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from jikimi.cli.app_state import actor, emit_json, state
from jikimi.cli.run import WaitOpt, pass_locked, waiting_notice
from scheduler.lock import PassLockedError
from scheduler.nightly import run_pass
from storage.audit import record as audit
from storage.runs import get_run

VERDICTS = ("removed", "reappeared", "live", "still-removed", "inconclusive")


def recheck_command(
    json_output: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    wait: WaitOpt = False,
) -> None:
    """Fetch every reported (and removed) exposure's page: mark what is gone as removed, and what came back
    as reappeared.

    A block page, a server error or a timeout is never taken for a removal: it is counted as
    inconclusive. A re-check is a pass: while another runs it stops (exit 2) or, with --wait, waits.
    Exit code 0 when every page could be read, 3 when some could not, 1 on failure.
    """
    settings = state.settings()
    store = state.store()
    try:
        result = run_pass(
            settings,
            store,
            kind="recheck",
            stages=["recheck"],
            verbose=state.verbose,
            wait=wait,
            on_wait=None if json_output else waiting_notice,
        )
    except PassLockedError:
        raise pass_locked(store) from None
    run_id = result.run_ids[0]
    run = get_run(store, run_id)
    source = next((s for s in run.sources if s.source == "recheck"), None)
    verdicts: dict[str, int] = {}
    if source is not None:
        raw = source.details.get("verdicts")
        if isinstance(raw, dict):
            verdicts = {str(k): int(v) for k, v in raw.items()}
    audit(
        store,
        actor(),
        "recheck.run",
        details={"run_id": run_id, **{k.replace("-", "_"): verdicts.get(k, 0) for k in VERDICTS}},
    )
    summary = {
        "run_id": run_id,
        "exit_code": result.exit_code,
        "outcome": source.outcome if source else None,
        "reason": source.reason if source else None,
        "checked": source.calls if source else 0,
        "verdicts": {k: verdicts.get(k, 0) for k in VERDICTS},
        "problems": result.problems,
    }
    if json_output:
        emit_json(summary)
    else:
        table = Table("verdict", "exposures", title=f"run {run_id}: removal re-checks")
        for verdict in VERDICTS:
            table.add_row(verdict, str(verdicts.get(verdict, 0)))
        state.console.print(table)
        if source is not None:
            line = f"outcome: {source.outcome}" + (f" ({source.reason})" if source.reason else "")
            state.console.print(line)
        for problem in result.problems:
            state.console.print(f"[red]problem:[/red] {problem}")
    raise typer.Exit(result.exit_code)
