"""`jikimi audit list` and `jikimi audit verify`: the trail of reads and changes, and its integrity."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from jikimi.cli.app_state import emit_json, state
from storage.audit import AuditView, list_records, verify
from storage.times import local_text

audit_app = typer.Typer(
    help="The audit trail: who read or changed what, when, and whether it is intact.", no_args_is_help=True
)


def audit_dict(record: AuditView) -> dict[str, object]:
    return {
        "id": record.id,
        "at": record.at.isoformat(),
        "actor": record.actor,
        "action": record.action,
        "case_id": record.case_id,
        "object": f"{record.obj_type} {record.obj_id}" if record.obj_type else None,
        "details": record.details,
    }


def details_text(details: dict[str, object]) -> str:
    return ", ".join(f"{k}={v}" for k, v in details.items())


@audit_app.command("list")
def audit_list(
    case_id: Annotated[int | None, typer.Option("--case", help="Only records about this case.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=0, help="Newest N records (0 = all).")] = 100,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Show the audit trail, newest first (it never holds a term, label or URL)."""
    records = list_records(state.store(), case_id, limit or None)
    if json_output:
        emit_json([audit_dict(r) for r in records])
        return
    table = Table("id", "at", "actor", "action", "case", "object", "details")
    for r in records:
        table.add_row(
            str(r.id),
            local_text(r.at, state.settings().timezone),
            r.actor,
            r.action,
            str(r.case_id or ""),
            f"{r.obj_type} {r.obj_id}" if r.obj_type else "",
            details_text(r.details),
        )
    state.console.print(table)


@audit_app.command("verify")
def audit_verify(
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Check the hash chain: exit 0 when intact, 1 with the first broken record when not."""
    result = verify(state.store())
    if json_output:
        emit_json(
            {
                "ok": result.ok,
                "records": result.records,
                "first_broken_id": result.first_broken_id,
                "reason": result.reason,
            }
        )
    elif result.ok:
        print(f"audit trail intact: {result.records} records")
    else:
        print(f"audit trail BROKEN at record {result.first_broken_id}: {result.reason}")
    if not result.ok:
        raise typer.Exit(code=1)
