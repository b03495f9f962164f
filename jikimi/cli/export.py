"""`jikimi export` (the file a takedown team works from) and `jikimi export batches` (what went to whom)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from jikimi.cli.app_state import CliError, actor, emit_json, state
from storage.errors import ExportConflictError, NotFoundError, ValidationError
from storage.exports import DEFAULT_RECIPIENT, DELIVERY_TIERS, EXPORT_FORMATS, check_recipient, list_exports
from storage.scoring import TIERS
from storage.times import iso_local, local_text
from takedown.exporting import check_output, export_exposures

export_app = typer.Typer(
    help="Write exposures for a takedown team (CSV, JSON Lines or HTML); `export batches` lists deliveries.",
    invoke_without_command=True,
    no_args_is_help=False,
)

ForOpt = Annotated[
    str,
    typer.Option(
        "--for",
        "--recipient",
        help="Who the file is for (a short label such as takedown-team); --new is per recipient.",
    ),
]


@export_app.callback()
def export_command(
    ctx: typer.Context,
    fmt: Annotated[
        str | None, typer.Option("--format", help=f"File format: {', '.join(EXPORT_FORMATS)}.")
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", help="File to write; its directory must exist. Never replaced without --force."
        ),
    ] = None,
    new: Annotated[
        bool,
        typer.Option(
            "--new",
            help="Only exposures not yet delivered to this recipient (never dismissed ones; strong and likely"
            " unless --tier adds weak); marks them delivered to it.",
        ),
    ] = False,
    recipient: ForOpt = DEFAULT_RECIPIENT,
    tier: Annotated[
        list[str] | None,
        typer.Option(
            "--tier",
            help="With --new: also deliver this tier (weak; repeat). Confirmed exposures go out whatever"
            " their tier.",
        ),
    ] = None,
    batch: Annotated[
        int | None, typer.Option("--batch", help="Write export N again (any format); delivers nothing new.")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace --output if it exists.")] = False,
    case_id: Annotated[int | None, typer.Option("--case", help="Only this case.")] = None,
    include_terms: Annotated[
        bool,
        typer.Option(
            "--include-terms",
            help="Add the matched watch term (column 'term'). Without it no term is written.",
        ),
    ] = False,
    json_output: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Export exposures, highest score first, with score, tier and the reasons in words."""
    if ctx.invoked_subcommand is not None:
        return
    if fmt is None or output is None:
        raise CliError("--format and --output are required (or `jikimi export batches`)")
    fmt = fmt.strip().lower()
    if fmt not in EXPORT_FORMATS:
        raise CliError(f"--format: must be one of {', '.join(EXPORT_FORMATS)}")
    try:
        recipient = check_recipient(recipient)
    except ValidationError as exc:
        raise CliError(f"--for: {exc}") from None
    extra = []
    for value in tier or ():
        if value.strip().lower() not in TIERS:
            raise CliError(f"--tier: must be one of {', '.join(TIERS)}")
        extra.append(value.strip().lower())
    if extra and not new:
        raise CliError("--tier: only with --new (a plain export carries every tier, sorted by score)")
    if batch is not None and new:
        raise CliError("--batch: writes an earlier delivery again; it cannot be combined with --new")
    tiers = tuple(dict.fromkeys((*DELIVERY_TIERS, *extra))) if new else None
    try:
        check_output(output, overwrite=force)  # before opening the database: a typo costs nothing
    except ValidationError as exc:
        raise CliError(f"--{exc}") from None
    try:
        result = export_exposures(
            state.store(),
            fmt=fmt,
            output=output,
            only_new=new,
            case_id=case_id,
            include_terms=include_terms,
            actor=actor(),
            overwrite=force,
            recipient=recipient,
            tiers=tiers,
            batch=batch,
            timezone=state.settings().timezone,
        )
    except ExportConflictError as exc:
        raise CliError(str(exc)) from None
    except NotFoundError as exc:
        raise CliError(f"--batch: {exc}" if batch is not None and "batch" in str(exc) else str(exc)) from None
    except ValidationError as exc:
        raise CliError(f"--{exc}" if str(exc).startswith("output") else str(exc)) from None
    except OSError as exc:
        raise CliError(f"--output: cannot write {output}: {exc.strerror or exc.__class__.__name__}") from None
    if json_output:
        emit_json(
            {
                "export_id": result.export_id,
                "count": result.count,
                "path": str(result.path),
                "format": fmt,
                "only_new": new,
                "include_terms": include_terms,
                "recipient": result.recipient,
                "tiers": list(tiers) if tiers is not None else None,
                "batch": batch,
            }
        )
    else:
        noun = "exposure" if result.count == 1 else "exposures"
        message = f"wrote {result.count} {noun} for {result.recipient} to {result.path}"
        message += f" (export {result.export_id})"
        state.console.print(message, markup=False)
    if include_terms:
        sys.stderr.write(
            "jikimi: warning: this file contains watch terms; share it only with those who must see it\n"
        )


@export_app.command("batches")
def export_batches(
    recipient: Annotated[
        str | None, typer.Option("--for", "--recipient", help="Only deliveries to this recipient.")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="How many, newest first.")] = 20,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Deliveries, newest first: when, for whom, how many, which file (`export --batch N` rewrites one)."""
    if recipient is not None:
        try:
            recipient = check_recipient(recipient)
        except ValidationError as exc:
            raise CliError(f"--for: {exc}") from None
    records = list_exports(state.store(), limit=limit, recipient=recipient)
    if json_output:
        emit_json(
            [
                {
                    "batch": r.id,
                    "created_at": iso_local(r.created_at, state.settings().timezone),
                    "recipient": r.recipient,
                    "format": r.format,
                    "only_new": r.only_new,
                    "count": r.count,
                    "case_id": r.case_id,
                    "include_terms": r.include_terms,
                    "rewrite_of": r.rewrite_of,
                    "path": r.path,
                }
                for r in records
            ]
        )
        return
    if not records:
        state.console.print("no exports yet")
        return
    table = Table("batch", "when", "for", "format", "new", "count", "file")
    for r in records:
        kind = "yes" if r.only_new else (f"copy of {r.rewrite_of}" if r.rewrite_of else "no")
        table.add_row(
            str(r.id),
            local_text(r.created_at, state.settings().timezone),
            r.recipient,
            r.format,
            kind,
            str(r.count),
            r.path or "",
        )
    state.console.print(table)
