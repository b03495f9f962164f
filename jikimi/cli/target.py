"""`jikimi target ...`: public pages and Telegram channels to watch."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from jikimi.cli.app_state import CliError, actor, emit_json, state
from jikimi.targets import TargetRefusedError, vet_target_url
from storage.audit import record as audit  # audit trail: every read of decrypted data and every change
from storage.cases import add_target, list_targets, remove_target
from storage.times import local_text
from storage.urls import platform_of

target_app = typer.Typer(help="Watch public pages and Telegram channels.", no_args_is_help=True)


@target_app.command("add")
def target_add(
    url: Annotated[
        str, typer.Argument(help="A public page, or a Telegram channel as https://t.me/s/<channel>.")
    ],
    case_id: Annotated[int | None, typer.Option("--case", help="Only match this case's terms on it.")] = None,
    render: Annotated[
        bool, typer.Option("--render", help="Render with the browser (JavaScript pages).")
    ] = False,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Watch a page or channel every night; prints its id."""
    settings = state.settings()
    try:
        clean = vet_target_url(url, settings)
    except TargetRefusedError as exc:
        raise CliError(str(exc)) from None
    target_id = add_target(state.store(), clean, platform_of(clean), case_id, render)
    audit(state.store(), actor(), "target.add", case_id=case_id, obj=("target", target_id))
    if json_output:
        emit_json({"id": target_id})
    else:
        print(target_id)


@target_app.command("list")
def target_list(json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """List watched pages and channels with how their last visit went."""
    targets = list_targets(state.store())
    audit(state.store(), actor(), "target.list", details={"count": len(targets)})
    if json_output:
        emit_json(
            [
                {
                    "id": t.id,
                    "url": t.url,
                    "case_id": t.case_id,
                    "platform": t.platform,
                    "render": t.render,
                    "active": t.active,
                    "last_checked_at": t.last_checked_at.isoformat() if t.last_checked_at else None,
                    "last_outcome": t.last_outcome,
                    "last_error": t.last_error,
                }
                for t in targets
            ]
        )
        return
    table = Table("id", "url", "case", "platform", "render", "last check", "outcome")
    for t in targets:
        table.add_row(
            str(t.id),
            t.url,
            str(t.case_id or "all"),
            t.platform,
            "yes" if t.render else "no",
            local_text(t.last_checked_at, state.settings().timezone) if t.last_checked_at else "never",
            (t.last_outcome or "") + (f": {t.last_error}" if t.last_error else ""),
        )
    state.console.print(table)


@target_app.command("remove")
def target_remove(target_id: Annotated[int, typer.Argument(help="Target id.")]) -> None:
    """Stop watching a page or channel."""
    remove_target(state.store(), target_id)
    audit(state.store(), actor(), "target.remove", obj=("target", target_id))
    print(f"target {target_id} removed")
