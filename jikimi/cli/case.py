"""`jikimi case ...`: open, list, show, close, grant, revoke and purge cases."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated

import typer
from rich.table import Table

from jikimi.cli.app_state import CliError, JsonOpt, actor, emit_json, state
from jikimi.cli.retention import describe_purge, report_dict
from jikimi.cli.term import print_terms, term_dict
from storage.audit import record as audit  # audit trail: every read of decrypted data and every change
from storage.cases import (
    CaseView,
    Consent,
    close_case,
    create_case,
    get_case,
    list_cases,
    list_terms,
)
from storage.purge import PurgeReport, case_summary, finish_pending_case, purge_case
from storage.users import find_user, grant, revoke

case_app = typer.Typer(help="Open, list, show and close cases.", no_args_is_help=True)


class CaseStatus(StrEnum):
    open = "open"
    closed = "closed"


def case_dict(case: CaseView) -> dict[str, object]:
    return {
        "id": case.id,
        "label": case.label,
        "notes": case.notes,
        "status": case.status,
        "consent": case.consent.__dict__,
        "created_at": case.created_at.isoformat(),
        "closed_at": case.closed_at.isoformat() if case.closed_at else None,
    }


@case_app.command("add")
def case_add(
    label: Annotated[
        str,
        typer.Option(
            "--label",
            help="A label the team recognises (stored encrypted); '-' reads it from stdin, so a label "
            "with a name stays out of the process list and shell history.",
        ),
    ],
    consent: Annotated[
        str,
        typer.Option(
            "--consent", help="Who consented, when and how (e.g. 'victim, 2026-11-20, signed form')."
        ),
    ],
    notes: Annotated[str | None, typer.Option("--notes", help="Free notes (stored encrypted).")] = None,
    json_output: JsonOpt = False,
) -> None:
    """Open a case. A consent record is required: nobody is watched without it."""
    if label == "-":
        label = _label_from_stdin()
    record = Consent(statement=consent, recorded_by=actor(), recorded_at=datetime.now(UTC).isoformat())
    case_id = create_case(state.store(), label, record, notes)
    audit(state.store(), actor(), "case.add", case_id=case_id)
    if json_output:
        emit_json({"id": case_id})
    else:
        print(case_id)


def _label_from_stdin() -> str:
    """One label from stdin: one non-empty line, or a one-line refusal (never a silent first line)."""
    lines = [line.strip() for line in sys.stdin.read().splitlines() if line.strip()]
    if len(lines) != 1:
        found = "nothing" if not lines else f"{len(lines)} lines"
        raise CliError(f"--label - reads one label from stdin, one line; got {found}")
    return lines[0]


@case_app.command("list")
def case_list(
    status: Annotated[CaseStatus | None, typer.Option("--status", help="Only cases in this status.")] = None,
    json_output: JsonOpt = False,
) -> None:
    """List cases with their labels (decrypted for you; the read is audited)."""
    cases = list_cases(state.store(), status.value if status else None)
    audit(state.store(), actor(), "case.list", details={"count": len(cases)})
    if json_output:
        emit_json([case_dict(c) for c in cases])
        return
    table = Table("id", "label", "status", "opened")
    for c in cases:
        table.add_row(str(c.id), c.label, c.status, f"{c.created_at:%Y-%m-%d}")
    state.console.print(table)


@case_app.command("show")
def case_show(
    case_id: Annotated[int, typer.Argument(help="Case id.")],
    json_output: JsonOpt = False,
) -> None:
    """Show one case, its consent record and its terms."""
    store = state.store()
    case = get_case(store, case_id)
    terms = list_terms(store, case_id)
    audit(store, actor(), "case.show", case_id=case_id, details={"terms": len(terms)})
    if json_output:
        emit_json({**case_dict(case), "terms": [term_dict(t) for t in terms]})
        return
    console = state.console
    console.print(f"case {case.id}: {case.label} ({case.status})")
    consent = case.consent
    console.print(f"consent: {consent.statement} (recorded by {consent.recorded_by}, {consent.recorded_at})")
    if case.notes:
        console.print(f"notes: {case.notes}")
    print_terms(terms)


@case_app.command("close")
def case_close(case_id: Annotated[int, typer.Argument(help="Case id.")]) -> None:
    """Close a case: its terms are no longer searched; its data stays until purged."""
    close_case(state.store(), case_id)
    audit(state.store(), actor(), "case.close", case_id=case_id)
    print(f"case {case_id} closed")


@case_app.command("grant")
def case_grant(
    case_id: Annotated[int, typer.Argument(help="Case id.")],
    username: Annotated[str, typer.Argument(help="Console user who may work the case.")],
) -> None:
    """Let a console user read and work a case (admins too need a grant to read it)."""
    store = state.store()
    user = find_user(store, username)
    added = grant(store, case_id, username, by=actor())
    if added:
        audit(store, actor(), "case.grant", case_id=case_id, obj=("user", user.id))
    print(
        f"case {case_id} granted to {user.username}"
        if added
        else f"{user.username} already has case {case_id}"
    )


@case_app.command("revoke")
def case_revoke(
    case_id: Annotated[int, typer.Argument(help="Case id.")],
    username: Annotated[str, typer.Argument(help="Console user.")],
) -> None:
    """Take a case away from a console user."""
    store = state.store()
    user = find_user(store, username)
    removed = revoke(store, case_id, username)
    if removed:
        audit(store, actor(), "case.revoke", case_id=case_id, obj=("user", user.id))
    print(
        f"case {case_id} revoked from {user.username}"
        if removed
        else f"{user.username} had no grant on case {case_id}"
    )


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
        print(describe_purge(report))
