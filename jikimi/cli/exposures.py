"""`jikimi exposures list`."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer
from rich.table import Table

from jikimi.cli.app_state import actor, emit_json, state
from storage.audit import record as audit  # audit trail: every read of decrypted data and every change
from storage.exposures import EXPOSURE_STATUSES, ExposureView, list_exposures
from storage.scoring import TIERS
from storage.times import local_text

exposures_app = typer.Typer(help="What was found.", no_args_is_help=True)

ExposureStatus = StrEnum("ExposureStatus", {s: s for s in EXPOSURE_STATUSES})  # type: ignore[misc]
Tier = StrEnum("Tier", {t: t for t in TIERS})  # type: ignore[misc]


def exposure_dict(e: ExposureView, include_terms: bool = False) -> dict[str, object]:
    out: dict[str, object] = {
        "id": e.id,
        "case_id": e.case_id,
        "case": e.case_label,
        "url": e.url,
        "domain": e.domain,
        "platform": e.platform,
        "title": e.title,
        "snippet": e.snippet,
        "score": None if e.score is None else round(e.score),
        "tier": e.tier,
        "reasons": list(e.reasons),
        "confidence": e.confidence,
        "variant": e.variant,
        "sources": list(e.sources),
        "first_seen": e.first_seen.isoformat(),
        "last_seen": e.last_seen.isoformat(),
        "status": e.status,
    }
    if include_terms:
        out["term"] = e.term
    return out


@exposures_app.command("list")
def exposures_list(
    case_id: Annotated[int | None, typer.Option("--case", help="Only this case.")] = None,
    status: Annotated[ExposureStatus | None, typer.Option("--status", help="Only this status.")] = None,
    tier: Annotated[
        list[Tier] | None,
        typer.Option("--tier", help="Only this tier (strong, likely, weak); repeat for several."),
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List exposures, most certain first (score 0-100, tier); the matched term is never shown here."""
    tiers = [t.value for t in tier] if tier else None
    found = list_exposures(state.store(), case_id, status.value if status else None, tiers=tiers)
    audit(
        state.store(),
        actor(),
        "exposures.list",
        case_id=case_id,
        details={"count": len(found), "status": status.value if status else None},
    )
    if json_output:
        emit_json([exposure_dict(e) for e in found])
        return
    table = Table(
        "id", "tier", "score", "case", "platform", "url", "title", "seen in", "first seen", "status"
    )
    for e in found:
        table.add_row(
            str(e.id),
            e.tier or "",
            "" if e.score is None else str(round(e.score)),
            e.case_label,
            e.platform,
            e.url,
            (e.title or "")[:60],
            e.confidence,
            local_text(e.first_seen, state.settings().timezone),
            e.status,
        )
    state.console.print(table)
