"""What the page, channel and re-check spiders hand to `PagePipeline`: plain data, no Scrapy types.

Spiders fetch and parse; the pipeline matches terms and writes storage. Items of one target arrive
in the order they were yielded (CONCURRENT_ITEMS is 1): every `TextSeen` of a visit, earlier pages'
as items of their own and the last page's inside its `TargetVisited`, before the visit's state, so a
target's new state is stored only after what it showed is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.targets_state import KEEP, ExposureToFetch

# Notices of an exposure fetch on Telegram: the channel has no public preview, the message is gone.
NO_PREVIEW = "no-public-preview"
MESSAGE_MISSING = "message-missing"

KeepOr = object  # KEEP or a value: storage.targets_state.update_target's convention


@dataclass(frozen=True)
class TextSeen:
    """Text to match: a watched page's readable text, or one Telegram message's own text."""

    source: str  # "pages" | "telegram"
    target_id: int
    case_id: int | None  # only this case's terms; None: every open case
    url: str  # the exposure's URL: the watched page, or the message's t.me permalink
    title: str | None
    text: str
    http_status: int | None = None
    published_at: datetime | None = None
    text_sha256: str | None = None  # when the spider already hashed it


@dataclass(frozen=True)
class TargetVisited:
    """How one visit of a target ended (a named reason) and the state the next visit starts from."""

    source: str
    target_id: int
    reason: str
    http_status: int | None = None
    etag: KeepOr = KEEP
    last_modified: KeepOr = KEEP
    text_sha256: KeepOr = KEEP
    last_message_id: KeepOr = KEEP
    detail: str | None = None  # a short explanation beyond the reason (never a URL or term)
    # What this visit's last page showed, stored before the state (one item per page is cheaper).
    seen: tuple[TextSeen, ...] = ()


@dataclass(frozen=True)
class ExposureFetched:
    """An exposure's page as a verification (`verify`) or removal re-check (`recheck`) fetch found it.

    `reason` is "ok" when a page (or Telegram message lookup) was read; `text` is then its readable
    text ("" when a Telegram message or channel is missing, which `notice` says).
    """

    purpose: str
    exposure: ExposureToFetch
    reason: str
    fetched_at: datetime
    http_status: int | None = None
    title: str = ""
    text: str = ""
    text_sha256: str | None = None
    notice: str | None = None  # a removal notice on the page, or a missing Telegram message/channel


@dataclass(frozen=True)
class TokenResolved:
    """Where a search engine's redirect token leads (`final_url`), or the named reason it could not be read.

    Only the token's answer headers were read: its `Location` is the exposure's real URL.
    """

    purpose: str  # the job it belongs to: `resolve` alone, or a `verify`/`recheck` that continues
    exposure: ExposureToFetch
    final_url: str | None
    reason: str
    fetched_at: datetime
    http_status: int | None = None
