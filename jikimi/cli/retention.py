"""`jikimi retention ...`: closed cases purged once `retention_days` have passed."""

from __future__ import annotations

from typing import Annotated

import typer

from jikimi.cli.app_state import actor, emit_json, state
from storage.models import utcnow
from storage.purge import PurgeReport
from storage.retention import notice_lines, purge_due, scheduled

retention_app = typer.Typer(
    help="Purge closed cases once `retention_days` have passed.", no_args_is_help=True
)


def report_dict(report: PurgeReport) -> dict[str, object]:
    return {
        "case_id": report.case_id,
        "deleted": report.deleted,
        "key_removed": report.key_removed,
        "compacted": report.compacted,
    }


def describe_purge(report: PurgeReport) -> str:
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
        print(describe_purge(r))


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
