"""`jikimi exposure mark | mark-case | show | history`: the takedown workflow of one exposure or a case."""

from __future__ import annotations

import sys
from datetime import datetime
from enum import StrEnum
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from rich.table import Table
from rich.text import Text

from jikimi.cli.app_state import CliError, actor, emit_json, state
from storage.audit import record as audit  # reads of decrypted data are audited; changes audit themselves
from storage.exposures import EXPOSURE_STATUSES, get_exposure
from storage.lifecycle import (
    EventView,
    StatusChange,
    history,
    last_change_set,
    mark,
    mark_case,
    new_change_set,
    reopen,
    reuploads_of,
    undo,
)
from storage.redirects import redirect_tokens_of
from storage.times import local_text

exposure_app = typer.Typer(
    help="Move one exposure (or all of a case) through confirmed, reported, removed, reappeared "
    "or dismissed.",
    no_args_is_help=True,
)

Status = StrEnum("Status", {s: s for s in EXPOSURE_STATUSES})  # type: ignore[misc]

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
ChannelOpt = Annotated[
    str | None,
    typer.Option(
        "--channel",
        help="How it was reported: naver-report-form, kcsc, email, ... "
        "('email:ADDRESS' also sets the recipient).",
    ),
]
NoteOpt = Annotated[
    str | None, typer.Option("--note", help="A note for the record (stored encrypted); '-' reads stdin.")
]
AtOpt = Annotated[
    str | None,
    typer.Option(
        "--at", help="When it happened (ISO 8601; without a zone, the configured time zone). Default: now."
    ),
]
VerifiedOpt = Annotated[
    str | None,
    typer.Option("--verified-at", help="For 'removed': when the URL was seen gone, if earlier than --at."),
]


def _when(value: str | None, option: str) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise CliError(f"{option}: expected a date and time such as 2026-11-24T09:30") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(state.settings().timezone))
    return moment


def _note(value: str | None) -> str | None:
    return sys.stdin.read() if value == "-" else value


def event_dict(event: EventView) -> dict[str, object]:
    return {
        "id": event.id,
        "exposure_id": event.exposure_id,
        "from": event.from_status,
        "to": event.to_status,
        "actor": event.actor,
        "at": event.at.isoformat(),
        "channel": event.channel,
        "recipient": event.recipient,
        "verified_at": event.verified_at.isoformat() if event.verified_at else None,
        "note": event.note,
        "change_set": event.change_set,
    }


def _local(moment: datetime) -> str:
    return local_text(moment, state.settings().timezone)


@exposure_app.command("mark")
def exposure_mark(
    exposure_id: Annotated[int, typer.Argument(help="Exposure id.")],
    status: Annotated[Status, typer.Argument(help="The new status.")],
    channel: ChannelOpt = None,
    note: NoteOpt = None,
    recipient: Annotated[
        str | None,
        typer.Option("--for", "--recipient", help="To whom it was reported (stored encrypted)."),
    ] = None,
    at: AtOpt = None,
    verified_at: VerifiedOpt = None,
    json_output: JsonOpt = False,
) -> None:
    """Record a status change of one exposure: who (you), when, through which channel, to whom."""
    event = mark(
        state.store(),
        exposure_id,
        StatusChange(
            status.value,
            actor=actor(),
            channel=channel,
            note=_note(note),
            recipient=recipient,
            at=_when(at, "--at"),
            verified_at=_when(verified_at, "--verified-at"),
        ),
    )
    if json_output:
        emit_json(event_dict(event))
    else:
        print(f"exposure {exposure_id}: {event.from_status} -> {event.to_status}")


@exposure_app.command("mark-case")
def exposure_mark_case(
    case_id: Annotated[int, typer.Argument(help="Case id.")],
    from_status: Annotated[Status, typer.Option("--from", help="Change the exposures in this status ...")],
    to_status: Annotated[Status, typer.Option("--to", help="... to this status.")],
    platform: Annotated[
        str | None, typer.Option("--platform", help="Only exposures on this platform.")
    ] = None,
    ids: Annotated[
        list[int] | None, typer.Option("--id", help="Only this exposure (repeat); all must match --from.")
    ] = None,
    channel: ChannelOpt = None,
    note: NoteOpt = None,
    recipient: Annotated[
        str | None,
        typer.Option("--for", "--recipient", help="To whom they were reported (stored encrypted)."),
    ] = None,
    at: AtOpt = None,
    verified_at: VerifiedOpt = None,
    json_output: JsonOpt = False,
) -> None:
    """Change every matching exposure of a case at once (all or nothing); `exposure undo` reverses it."""
    change_set = new_change_set()
    changed = mark_case(
        state.store(),
        case_id,
        from_status.value,
        StatusChange(
            to_status.value,
            actor=actor(),
            channel=channel,
            note=_note(note),
            recipient=recipient,
            at=_when(at, "--at"),
            verified_at=_when(verified_at, "--verified-at"),
            change_set=change_set,
        ),
        platform=platform,
        ids=ids,
    )
    if json_output:
        emit_json({"changed": changed, "change_set": change_set if changed else None})
    else:
        print(f"{len(changed)} exposure(s) of case {case_id}: {from_status.value} -> {to_status.value}")
        if changed:
            print(f"change set {change_set} (undo with: jikimi exposure undo {change_set})")


@exposure_app.command("reopen")
def exposure_reopen(
    exposure_id: Annotated[int, typer.Argument(help="Exposure id.")],
    note: Annotated[
        str, typer.Option("--note", help="Why it is reopened (required; stored encrypted); '-' reads stdin.")
    ],
    at: AtOpt = None,
    json_output: JsonOpt = False,
) -> None:
    """Move an exposure back to `new` from any status (a dismissal too), with the reason in its history."""
    event = reopen(state.store(), exposure_id, actor=actor(), note=_note(note), at=_when(at, "--at"))
    if json_output:
        emit_json(event_dict(event))
    else:
        print(f"exposure {exposure_id}: {event.from_status} -> {event.to_status}")


@exposure_app.command("undo")
def exposure_undo(
    change_set: Annotated[
        str | None,
        typer.Argument(help="The change set to undo (printed by mark-case). Default: your most recent one."),
    ] = None,
    note: NoteOpt = None,
    json_output: JsonOpt = False,
) -> None:
    """Reverse a status change (a whole mark-case at once): each exposure goes back to where it was."""
    who = actor()
    target = change_set or last_change_set(state.store(), actor=who)
    if target is None:
        raise CliError("nothing to undo: no change by you yet")
    result = undo(state.store(), target, actor=who, note=_note(note))
    if json_output:
        emit_json(
            {
                "change_set": result.change_set,
                "undo_change_set": result.undo_set,
                "restored": result.restored,
                "skipped": result.skipped,
            }
        )
        return
    restored = len(result.restored)
    print(f"change set {result.change_set} undone: {restored} exposure(s) back to their earlier status")
    if result.skipped:
        ids = ", ".join(str(i) for i in result.skipped)
        print(f"left alone (changed again since): {ids}")


@exposure_app.command("show")
def exposure_show(
    exposure_id: Annotated[int, typer.Argument(help="Exposure id.")], json_output: JsonOpt = False
) -> None:
    """One exposure in full (URL, title, snippet, dates, status, re-upload links) and its history."""
    store = state.store()
    view = get_exposure(store, exposure_id)
    events = history(store, exposure_id)
    copies = reuploads_of(store, exposure_id)
    links = redirect_tokens_of(store, exposure_id)
    audit(store, actor(), "exposure.show", case_id=view.case_id, obj=("exposure", exposure_id))
    if json_output:
        emit_json(
            {
                "id": view.id,
                "case_id": view.case_id,
                "url": view.url,
                "domain": view.domain,
                "platform": view.platform,
                "title": view.title,
                "snippet": view.snippet,
                "score": None if view.score is None else round(view.score),
                "tier": view.tier,
                "reasons": list(view.reasons),
                "confidence": view.confidence,
                "variant": view.variant,
                "sources": list(view.sources),
                "status": view.status,
                "first_seen": view.first_seen.isoformat(),
                "last_seen": view.last_seen.isoformat(),
                "reupload_of": view.reupload_of_id,
                "reuploads": copies,
                "found_as": links,
                "history": [event_dict(e) for e in events],
            }
        )
        return
    console = state.console
    console.print(f"exposure {view.id} (case {view.case_id}): {view.status}")
    score = "-" if view.score is None else str(round(view.score))
    console.print(f"score: {score}/100 · tier: {view.tier or 'unscored'}", markup=False)
    for reason in view.reasons:
        console.print(f"  - {reason}", markup=False)
    console.print(f"url: {view.url}", markup=False)
    for link in links:
        console.print(f"found as the search engine's link: {link}", markup=False)
    sources = ", ".join(view.sources)
    console.print(
        f"platform: {view.platform} · confidence: {view.confidence} · sources: {sources}", markup=False
    )
    if view.title:
        console.print(f"title: {view.title}", markup=False)
    if view.snippet:
        console.print(f"snippet: {view.snippet}", markup=False)
    console.print(f"first seen: {_local(view.first_seen)} · last seen: {_local(view.last_seen)}")
    if view.reupload_of_id is not None:
        console.print(f"re-upload of exposure {view.reupload_of_id}")
    if copies:
        console.print(f"re-uploaded as: {', '.join(str(c) for c in copies)}")
    _print_history(events)


@exposure_app.command("history")
def exposure_history(
    exposure_id: Annotated[int, typer.Argument(help="Exposure id.")], json_output: JsonOpt = False
) -> None:
    """Every status change of one exposure, oldest first."""
    store = state.store()
    events = history(store, exposure_id)
    audit(store, actor(), "exposure.history", obj=("exposure", exposure_id), details={"count": len(events)})
    if json_output:
        emit_json([event_dict(e) for e in events])
    else:
        _print_history(events)


def _print_history(events: list[EventView]) -> None:
    if not events:
        state.console.print("no status changes yet")
        return
    table = Table()
    for column in ("when", "from", "to", "who", "channel", "recipient", "note"):
        table.add_column(column, overflow="fold")  # fold, never cut: a record must show all of itself
    for e in events:
        when = _local(e.at)
        if e.verified_at is not None and e.verified_at != e.at:
            when += f" (seen gone {_local(e.verified_at)})"
        # Text cells: a note or an address is data, never rich markup.
        cells = (
            when,
            e.from_status or "",
            e.to_status,
            e.actor,
            e.channel or "",
            e.recipient or "",
            e.note or "",
        )
        table.add_row(*(Text(c) for c in cells))
    state.console.print(table)
