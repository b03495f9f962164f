"""Writing notice drafts to a directory for a person to review and send. Nothing is sent.

Files are private (0600 in a 0700 directory: they hold URLs), written whole or not at all (temp
file, then rename), and named by date, case id and recipient id only: never a label or a term.
A `manifest.json` beside them lists which exposures each file covers and the command that records
the report once it has been sent.
"""

from __future__ import annotations

import json
import os
import shlex
import tempfile
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from storage.database import Store
from storage.errors import ValidationError
from storage.exports import ADVOCATE_KEPT_STATUSES, DELIVERY_TIERS
from storage.exposures import EXPOSURE_STATUSES, list_exposures
from storage.lifecycle import SUPPRESSED_STATUSES
from takedown.notices import Notice, NoticeItem, render_eml, render_text

MANIFEST_NAME = "manifest.json"
# Not yet reported and not dismissed: found, confirmed by an advocate, or back after a removal (a
# re-upload of known content included). Which of them is worth a notice is the tier's say (below).
DEFAULT_STATUSES = ("new", "confirmed", "reappeared")


def select_items(
    store: Store,
    statuses: Sequence[str],
    case_id: int | None = None,
    tiers: Collection[str] | None = DELIVERY_TIERS,
) -> list[NoticeItem]:
    """The exposures to draft notices for: only their URL, first-seen time, status and sources.

    `tiers` keeps exposures of those tiers, plus any an advocate kept (confirmed, reported,
    reappeared) whatever their tier; None keeps every tier.
    """
    for status in statuses:
        if status not in EXPOSURE_STATUSES:
            raise ValidationError(f"status must be one of {', '.join(EXPOSURE_STATUSES)}")
        if status in SUPPRESSED_STATUSES:
            raise ValidationError(f"{status} exposures are never drafted")
    items = []
    for status in dict.fromkeys(statuses):
        for view in list_exposures(store, case_id, status):
            if tiers is not None and view.tier not in tiers and view.status not in ADVOCATE_KEPT_STATUSES:
                continue
            items.append(
                NoticeItem(
                    exposure_id=view.id,
                    case_id=view.case_id,
                    url=view.url,
                    first_seen=view.first_seen,
                    status=view.status,
                    sources=view.sources,
                )
            )
    return sorted(items, key=lambda i: i.exposure_id)


@dataclass(frozen=True)
class WrittenDraft:
    notice: Notice
    text_path: Path
    eml_path: Path | None
    # `jikimi exposure mark-case ...` lines to run once this notice has been sent (see `mark_commands`).
    after_sending: tuple[str, ...] = ()


def mark_commands(notice: Notice, current: dict[int, str]) -> list[str]:
    """The `jikimi exposure mark-case ...` lines that record this notice as sent.

    `current` is each exposure's status once the notices before this one have been recorded, and is
    updated: an exposure that goes to several recipients (a platform, then KCSC and D4U) is moved to
    `reported` by the first notice's command, and recorded as reported again (`--from reported`) by the
    next ones, so every command of a manifest succeeds when they are run in order.
    """
    by_status: dict[str, list[int]] = {}
    for item in notice.items:
        by_status.setdefault(current.get(item.exposure_id, item.status), []).append(item.exposure_id)
    channel = notice.recipient.channel
    lines = []
    for status, ids in sorted(by_status.items()):
        parts = ["jikimi", "exposure", "mark-case", str(notice.case_id), "--from", status, "--to", "reported"]
        if channel:
            parts += ["--channel", channel]
        if notice.recipient.email:
            parts += ["--recipient", notice.recipient.email]
        for exposure_id in ids:
            parts += ["--id", str(exposure_id)]
            current[exposure_id] = "reported"
        # Quoted for a POSIX shell: a recipient or channel from platforms.toml may hold any character.
        lines.append(shlex.join(parts))
    return lines


def file_stem(notice: Notice, number: int, generated_at: datetime, timezone: str) -> str:
    day = generated_at.astimezone(ZoneInfo(timezone))
    return f"{day:%Y%m%d}-case{notice.case_id}-{number:02d}-{notice.recipient.id}"


def write_drafts(
    notices: Sequence[Notice], output_dir: Path, *, timezone: str, generated_at: datetime
) -> list[WrittenDraft]:
    """Render and write every notice (and an .eml where the recipient takes e-mail), then the manifest."""
    output_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    written = []
    current: dict[int, str] = {}
    for number, notice in enumerate(notices, start=1):
        stem = file_stem(notice, number, generated_at, timezone)
        text = render_text(notice, timezone=timezone, generated_at=generated_at)
        text_path = output_dir / f"{stem}.txt"
        write_private(text_path, text.encode("utf-8"))
        eml_path = None
        if notice.recipient.email:
            eml_path = output_dir / f"{stem}.eml"
            write_private(eml_path, render_eml(notice, timezone=timezone, generated_at=generated_at))
        written.append(WrittenDraft(notice, text_path, eml_path, tuple(mark_commands(notice, current))))
    manifest = {
        "generated_at": generated_at.isoformat(),
        "note": "Drafts only: review each file, send it yourself, then run its after_sending commands, "
        "in the order of this list.",
        "drafts": [manifest_entry(d) for d in written],
    }
    write_private(
        output_dir / MANIFEST_NAME, (json.dumps(manifest, ensure_ascii=False, indent=2) + "\n").encode()
    )
    return written


def manifest_entry(draft: WrittenDraft) -> dict[str, object]:
    recipient = draft.notice.recipient
    return {
        "file": draft.text_path.name,
        "eml": draft.eml_path.name if draft.eml_path else None,
        "case_id": draft.notice.case_id,
        "recipient": recipient.id,
        "recipient_name": recipient.name,
        "report_url": recipient.report_url or None,
        "email": recipient.email or None,
        "phone": recipient.phone or None,
        "verify_before_use": recipient.verify or any(b.verify for b in draft.notice.legal),
        "exposure_ids": [item.exposure_id for item in draft.notice.items],
        "after_sending": list(draft.after_sending),
    }


def write_private(path: Path, data: bytes) -> None:
    """Write `data` to `path` atomically with mode 0600: a crash leaves the old file or none."""
    fd, tmp = tempfile.mkstemp(prefix=".draft-", dir=path.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
