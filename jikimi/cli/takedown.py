"""`jikimi takedown draft | platforms`: notices for a person to review and send; nothing is sent."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from jikimi.cli.app_state import CliError, actor, emit_json, state
from storage.audit import record as audit  # drafts decrypt URLs into files: audited like an export
from storage.exports import DELIVERY_TIERS
from storage.exposures import EXPOSURE_STATUSES
from storage.lifecycle import SUPPRESSED_STATUSES
from storage.scoring import TIERS
from takedown.drafts import DEFAULT_STATUSES, manifest_entry, select_items, write_drafts
from takedown.notices import plan_notices
from takedown.platforms import OPERATOR_FILE_NAME, PlatformDirectory, PlatformDirectoryError, load_directory

takedown_app = typer.Typer(help="Draft takedown notices and see where they go.", no_args_is_help=True)

DraftStatus = StrEnum(  # type: ignore[misc]
    "DraftStatus", {s: s for s in EXPOSURE_STATUSES if s not in SUPPRESSED_STATUSES}
)


def _directory() -> PlatformDirectory:
    try:
        return load_directory(state.settings().data_dir / OPERATOR_FILE_NAME)
    except PlatformDirectoryError as exc:
        raise CliError(str(exc)) from None


@takedown_app.command("draft")
def takedown_draft(
    output: Annotated[
        Path, typer.Option("--output", help="Directory for the drafts (created 0700; files 0600).")
    ],
    case_id: Annotated[
        int | None, typer.Option("--case", help="Only this case (default: every case).")
    ] = None,
    statuses: Annotated[
        list[DraftStatus] | None,
        typer.Option(
            "--status", help="Exposures in this status (repeat). Default: new, confirmed and reappeared."
        ),
    ] = None,
    tier: Annotated[
        list[str] | None,
        typer.Option(
            "--tier",
            help="Also draft this tier (weak; repeat). By default only strong and likely exposures, and"
            " any an advocate confirmed.",
        ),
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print what was written as JSON.")] = False,
) -> None:
    """Write one notice per case and recipient (Korean and English), plus a manifest. Sends nothing."""
    directory = _directory()
    settings = state.settings()
    wanted = [s.value for s in statuses] if statuses else list(DEFAULT_STATUSES)
    extra = [t.strip().lower() for t in tier or ()]
    for value in extra:
        if value not in TIERS:
            raise CliError(f"--tier: must be one of {', '.join(TIERS)}")
    tiers = list(dict.fromkeys((*DELIVERY_TIERS, *extra)))
    store = state.store()
    items = select_items(store, wanted, case_id, tiers=tiers)
    notices = plan_notices(items, directory)
    audit(
        store,
        actor(),
        "takedown.draft",
        case_id=case_id,
        details={"statuses": wanted, "tiers": tiers, "exposures": len(items), "notices": len(notices)},
    )
    if not notices:
        if json_output:
            emit_json({"drafts": [], "exposures": 0})
        else:
            print(f"nothing to draft: no exposure in status {', '.join(wanted)} and tier {', '.join(tiers)}")
        return
    try:
        written = write_drafts(notices, output, timezone=settings.timezone, generated_at=datetime.now(UTC))
    except OSError as exc:
        raise CliError(f"--output: cannot write drafts ({exc.strerror or exc.__class__.__name__})") from None
    if json_output:
        emit_json(
            {
                "directory": str(output),
                "drafts": [manifest_entry(d) for d in written],
                "exposures": len(items),
            }
        )
        return
    console = state.console
    table = Table("file", "recipient", "URLs", "verify")
    for draft in written:
        name = draft.text_path.name + (f" + {draft.eml_path.name}" if draft.eml_path else "")
        verify = draft.notice.recipient.verify or any(b.verify for b in draft.notice.legal)
        table.add_row(
            Text(name),
            Text(draft.notice.recipient.name),
            str(len(draft.notice.items)),
            "yes" if verify else "",
        )
    console.print(table)
    console.print(
        f"{len(written)} draft(s) for {len(items)} exposure(s) in {output}. "
        "Nothing was sent: review each file, "
        "send it yourself, then run its 'after_sending' command from manifest.json.",
        markup=False,
    )


@takedown_app.command("platforms")
def takedown_platforms(
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List the platform directory (shipped, merged with platforms.toml in the data directory)."""
    directory = _directory()
    if json_output:
        emit_json(
            [
                {
                    "id": p.id,
                    "name": p.name,
                    "hosts": list(p.hosts),
                    "sources": list(p.sources),
                    "fallback": p.fallback,
                    "route_to": list(p.route_to),
                    "report_url": p.report_url or None,
                    "email": p.email or None,
                    "phone": p.phone or None,
                    "channel": p.channel or None,
                    "language": p.language,
                    "legal_basis": list(p.legal_basis),
                    "verify": p.verify,
                    "notes": p.notes or None,
                }
                for p in directory.platforms.values()
            ]
        )
        return
    table = Table("id", "name", "hosts", "goes to", "contact", "verify")
    for p in directory.platforms.values():
        hosts = (
            "(any other host)"
            if p.fallback
            else ", ".join(p.hosts + tuple(f"{s} results" for s in p.sources))
        )
        contact = " ".join(x for x in (p.report_url, p.email, p.phone) if x)
        route = ", ".join(p.route_to) if p.route_to else ""
        table.add_row(*(Text(c) for c in (p.id, p.name, hosts, route, contact, "yes" if p.verify else "")))
    state.console.print(table)
