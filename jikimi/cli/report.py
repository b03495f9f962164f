"""`jikimi report`: takedown statistics as a self-contained HTML file or JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from jikimi.cli.app_state import CliError, actor, emit_json, state
from storage.audit import record as audit
from storage.stats import build_report, report_to_dict
from takedown.drafts import write_private
from takedown.report import render_html


class ReportFormat(StrEnum):
    html = "html"
    json = "json"


def report_command(
    output: Annotated[
        Path | None,
        typer.Option("--output", help="File to write (required for html; json prints when omitted)."),
    ] = None,
    case_id: Annotated[
        int | None, typer.Option("--case", help="Only this case (default: every case).")
    ] = None,
    report_format: Annotated[
        ReportFormat, typer.Option("--format", help="html (one file) or json.")
    ] = ReportFormat.html,
    days: Annotated[
        int, typer.Option("--days", help="Nights shown in the new-exposures chart.", min=1, max=3660)
    ] = 30,
) -> None:
    """New exposures per night, open versus removed, report-to-removal times per platform, re-uploads.

    Counts, platforms and times only: no URL, title, term or case label is written.
    """
    settings = state.settings()
    store = state.store()
    report = build_report(
        store, timezone=settings.timezone, now=datetime.now(UTC), days=days, case_id=case_id
    )
    audit(store, actor(), "report", case_id=case_id, details={"format": report_format.value, "days": days})
    if report_format is ReportFormat.json:
        figures = report_to_dict(report)
        if output is None:
            emit_json(figures)
            return
        data = (json.dumps(figures, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    else:
        if output is None:
            raise CliError("--output: required for --format html")
        data = render_html(report).encode("utf-8")
    try:
        output.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_private(output, data)
    except OSError as exc:
        raise CliError(
            f"--output: cannot write the report ({exc.strerror or exc.__class__.__name__})"
        ) from None
    print(f"report written: {output}")
