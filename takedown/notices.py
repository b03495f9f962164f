"""Takedown notices: which recipient gets which URLs, and the bilingual text, as pure functions.

A notice covers one case and one recipient, so no platform ever sees two victims' URLs side by
side. It lists each URL with its first-seen time in the configured zone (KST by default) and in
UTC, cites the recipient's legal bases in Korean and English, and leaves the sender's name and
authority as placeholders. Titles, snippets, terms and case labels never reach a template.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP
from zoneinfo import ZoneInfo

from takedown.platforms import LegalBasis, Platform, PlatformDirectory
from takedown.templating import clock, plain, text_environment

SUBJECT = "불법촬영물등 삭제 요청 / Request to remove non-consensual intimate content"


@dataclass(frozen=True)
class NoticeItem:
    """What a notice may say about one exposure: its URL and when it was first seen. Nothing more."""

    exposure_id: int
    case_id: int
    url: str
    first_seen: datetime
    status: str
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class Notice:
    case_id: int
    recipient: Platform
    items: tuple[NoticeItem, ...]
    legal: tuple[LegalBasis, ...]


def plan_notices(items: Iterable[NoticeItem], directory: PlatformDirectory) -> list[Notice]:
    """Group exposures by (case, recipient); cases in id order, recipients in directory order."""
    grouped: dict[tuple[int, str], list[NoticeItem]] = {}
    for item in items:
        for recipient in directory.recipients(item.url, item.sources):
            grouped.setdefault((item.case_id, recipient.id), []).append(item)
    order = {pid: n for n, pid in enumerate(directory.platforms)}
    notices = []
    for (case_id, recipient_id), group in sorted(grouped.items(), key=lambda kv: (kv[0][0], order[kv[0][1]])):
        recipient = directory.platforms[recipient_id]
        notices.append(
            Notice(
                case_id=case_id,
                recipient=recipient,
                items=tuple(sorted(group, key=lambda i: (i.first_seen, i.exposure_id))),
                legal=tuple(directory.legal_bases(recipient)),
            )
        )
    return notices


def render_text(notice: Notice, *, timezone: str, generated_at: datetime, for_reviewer: bool = True) -> str:
    """The notice as plain text; `for_reviewer` adds the sender's checklist above a cut line."""
    tz = ZoneInfo(timezone)
    rows = [
        {
            "n": n,
            "url": item.url,
            "local": clock(item.first_seen, tz),
            "utc": clock(item.first_seen, UTC),
        }
        for n, item in enumerate(notice.items, start=1)
    ]
    template = text_environment().get_template("notice.txt.j2")
    return template.render(
        recipient=notice.recipient,
        legal=notice.legal,
        rows=rows,
        count=len(rows),
        generated=clock(generated_at, tz),
        subject=SUBJECT,
        order=_languages(notice.recipient),
        for_reviewer=for_reviewer,
        verify=notice.recipient.verify or any(basis.verify for basis in notice.legal),
    )


def _languages(recipient: Platform) -> Sequence[str]:
    return ("en", "ko") if recipient.language == "en" else ("ko", "en")


def render_eml(notice: Notice, *, timezone: str, generated_at: datetime) -> bytes:
    """An unsent e-mail draft (To, Subject, body) for recipients with an abuse address.

    `EmailMessage` refuses line breaks in headers, and the address comes from the validated
    directory, so no header can be forged; `X-Unsent` makes mail clients open it as a draft.
    """
    if not notice.recipient.email:
        raise ValueError("this recipient takes no e-mail")
    message = EmailMessage(policy=SMTP)
    message["To"] = str(plain(notice.recipient.email))
    message["Subject"] = SUBJECT
    message["X-Unsent"] = "1"
    message.set_content(render_text(notice, timezone=timezone, generated_at=generated_at, for_reviewer=False))
    return message.as_bytes()
