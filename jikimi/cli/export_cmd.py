"""`jikimi export`: the file a takedown team works from."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from jikimi.cli.app_state import CliError, actor, app, emit_json, state
from storage.cases import ValidationError
from storage.exports import EXPORT_FORMATS, ExportConflictError
from takedown.exporting import check_output, export_exposures


@app.command("export")
def export_command(
    fmt: Annotated[str, typer.Option("--format", help=f"File format: {', '.join(EXPORT_FORMATS)}.")],
    output: Annotated[
        Path, typer.Option("--output", help="File to write; its directory must exist. Replaced atomically.")
    ],
    new: Annotated[
        bool,
        typer.Option(
            "--new",
            help="Only exposures no earlier --new export delivered (never dismissed ones); marks them"
            " delivered.",
        ),
    ] = False,
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
    """Export exposures (URL, platform, title, snippet, dates, status) as CSV, JSON Lines or HTML."""
    fmt = fmt.strip().lower()
    if fmt not in EXPORT_FORMATS:
        raise CliError(f"--format: must be one of {', '.join(EXPORT_FORMATS)}")
    try:
        check_output(output)  # before opening the database: a typo costs nothing
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
        )
    except ExportConflictError as exc:
        raise CliError(str(exc)) from None
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
            }
        )
    else:
        noun = "exposure" if result.count == 1 else "exposures"
        message = f"wrote {result.count} {noun} to {result.path} (export {result.export_id})"
        state.console.print(message, markup=False)
    if include_terms:
        sys.stderr.write(
            "jikimi: warning: this file contains watch terms; share it only with those who must see it\n"
        )
