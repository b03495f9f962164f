"""`jikimi case purge` and `jikimi retention ...`: deleting a case for good."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from jikimi.cli.app_state import CliError, actor, app, emit_json, state
from jikimi.cli.cases import case_app
from storage.models import utcnow
from storage.purge import PurgeReport, case_summary, finish_pending_case, purge_case
from storage.retention import notice_lines, purge_due, scheduled

retention_app = typer.Typer(
    help="Purge closed cases once `retention_days` have passed.", no_args_is_help=True
)
app.add_typer(retention_app, name="retention")


def report_dict(report: PurgeReport) -> dict[str, object]:
    return {
        "case_id": report.case_id,
        "deleted": report.deleted,
        "key_removed": report.key_removed,
        "compacted": report.compacted,
    }


def _describe(report: PurgeReport) -> str:
    line = f"case {report.case_id} purged: {sum(report.deleted.values())} rows deleted"
    line += (
        ", its key destroyed"
        if report.key_removed
        else ", but its key is still in the key file (run the purge again)"
    )
    if report.compacted is False:
        line += (
            "; the database file could not be compacted yet (another process was reading): run it again later"
        )
    return line


@case_app.command("purge")
def case_purge(
    case_id: Annotated[int, typer.Argument(help="Case id.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Delete a case and everything found for it, and destroy its key: nothing of it can be read again.

    Asks you to type the case id (or pass --yes). The audit trail keeps the case id, never its label.
    """
    store = state.store()
    # A purge killed after the rows went but before the key did: this command finishes it.
    if finish_pending_case(store, case_id):
        finished = PurgeReport(case_id=case_id, key_removed=True)
        if json_output:
            emit_json({**report_dict(finished), "finished_interrupted_purge": True})
        else:
            print(f"case {case_id}: an interrupted purge is now finished, its key destroyed")
        return
    counts = case_summary(store, case_id)
    if not yes:
        what = ", ".join(f"{n} {table}" for table, n in counts.items()) or "no other rows"
        sys.stderr.write(
            f"Purging case {case_id} deletes it ({what}) and destroys its key; this cannot be undone.\n"
            f"Type the case id to confirm: "
        )
        sys.stderr.flush()
        if sys.stdin.readline().strip() != str(case_id):
            raise CliError("purge cancelled: the id typed does not match")
    report = purge_case(store, case_id, actor())
    assert report is not None
    if json_output:
        emit_json(report_dict(report))
    else:
        print(_describe(report))


@retention_app.command("run")
def retention_run(
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Purge every closed case older than `retention_days` now (the nightly run does the same)."""
    settings = state.settings()
    if settings.retention_days <= 0:
        if json_output:
            emit_json([])
        else:
            print("retention is off (retention_days = 0): closed cases stay until `jikimi case purge`")
        return
    reports = purge_due(state.store(), settings.retention_days, actor=actor())
    if json_output:
        emit_json([report_dict(r) for r in reports])
    elif not reports:
        print("no case is due for purging")
    for r in reports if not json_output else []:
        print(_describe(r))


@retention_app.command("list")
def retention_list(
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """When each closed case will be purged (ids and dates only)."""
    settings = state.settings()
    items = scheduled(state.store(), settings.retention_days)
    if json_output:
        emit_json(
            [
                {
                    "case_id": i.case_id,
                    "closed_at": i.closed_at.isoformat(),
                    "purge_on": i.purge_on.isoformat(),
                }
                for i in items
            ]
        )
        return
    if settings.retention_days <= 0:
        print("retention is off (retention_days = 0)")
        return
    if not items:
        print("no closed case is waiting for purging")
    for line in notice_lines(items, utcnow(), settings.timezone):
        print(line)
