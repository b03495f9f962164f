"""Public Telegram channels through their `t.me/s/<channel>` preview, read message by message.

A watched channel is fetched from `[sources.telegram] base_url` (https://t.me, or the sandbox) and
paged back with `?before=<smallest id on the page>` until the newest message seen on the previous
visit (`targets.last_message_id`), and no further; a first visit (or one after a new term was
registered) reads at most `[sources.telegram] max_pages` pages. Every message keeps its real
`https://t.me/<channel>/<id>` permalink, whatever base URL it was read from. Media blocks are
recognised by their markup and skipped: no photo, video or file URL is ever requested.

A channel without a public preview (Telegram's "Contact @x" page) ends as `no-public-preview`,
counted as an error: it is not "nothing new", it is a channel we cannot see.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.http import Response, TextResponse
from twisted.python.failure import Failure

from crawler.context import CrawlContext
from crawler.extract import TelegramPage, parse_telegram_page, text_sha256
from crawler.fetch_failures import failure_reason
from crawler.page_items import MESSAGE_MISSING, NO_PREVIEW, ExposureFetched, TargetVisited, TextSeen
from crawler.page_run import TELEGRAM, ExposureJob, PageRun
from crawler.page_status import status_detail, status_reason
from storage.models import utcnow
from storage.targets_state import KEEP, TargetState
from storage.urls import telegram_channel

# An incremental visit normally needs one page; a channel that posted hundreds since is read this far.
INCREMENTAL_PAGE_CAP = 50
HANDLED_STATUSES = [*range(400, 600)]


def is_telegram_url(url: str) -> bool:
    return telegram_channel(url) is not None


def message_ref(url: str) -> tuple[str, int | None] | None:
    """(channel, message id or None) of a t.me URL, or None when it is not one."""
    channel = telegram_channel(url)
    if channel is None:
        return None
    last = [segment for segment in urlsplit(url.strip()).path.split("/") if segment][-1]
    return channel, int(last) if last.isdigit() else None


def preview_url(base_url: str, channel: str, before: int | None = None) -> str:
    url = f"{base_url.rstrip('/')}/s/{channel}"
    return f"{url}?before={before}" if before is not None else url


@dataclass
class ChannelVisit:
    """One visit of a watched channel across its pages."""

    target: TargetState
    channel: str
    full_read: bool
    pages: int = 0
    newest_id: int | None = None
    new_messages: int = 0
    capped: bool = False  # stopped at INCREMENTAL_PAGE_CAP before reaching the last message seen

    @property
    def stop_at(self) -> int | None:
        """Messages up to this id were read on an earlier visit (None: read everything in reach)."""
        return None if self.full_read else self.target.last_message_id


class TelegramReader:
    """Builds and parses channel preview requests for a page crawl.

    It needs the crawl's channels and Telegram settings (`run`) and the errback that records a
    failed exposure fetch the way every other one is recorded (`lookup_failed`).
    """

    def __init__(self, run: PageRun, lookup_failed: Callable[[Failure], Iterator[Any]]) -> None:
        self.run = run
        self.lookup_failed = lookup_failed

    @property
    def context(self) -> CrawlContext:
        return self.run.context

    @property
    def max_pages(self) -> int:
        return self.run.telegram.max_pages if self.run.telegram is not None else 1

    def _base(self) -> str:
        return self.run.telegram.base_url if self.run.telegram is not None else "https://t.me"

    # -- watched channels ----------------------------------------------------------------------

    def channel_requests(self) -> Iterator[scrapy.Request]:
        if self.run.telegram is None or not self.run.telegram.enabled:
            return
        for target in self.run.channels:
            channel = telegram_channel(target.url)
            if channel is None:
                continue
            yield self._channel_request(ChannelVisit(target, channel, self.run.full_read(target)), None)

    def _channel_request(self, visit: ChannelVisit, before: int | None) -> scrapy.Request:
        return scrapy.Request(
            preview_url(self._base(), visit.channel, before),
            callback=self.parse_channel,
            errback=self.channel_failed,
            dont_filter=True,
            meta={"visit": visit, "handle_httpstatus_list": HANDLED_STATUSES},
        )

    def parse_channel(self, response: Response) -> Iterator[Any]:
        visit: ChannelVisit = response.meta["visit"]
        target = visit.target
        self.context.tally(TELEGRAM).calls += 1
        reason = status_reason(response.status)
        if reason is not None:
            yield TargetVisited(
                TELEGRAM, target.id, reason, response.status, detail=status_detail(reason, response.status)
            )
            return
        if not isinstance(response, TextResponse):
            yield TargetVisited(TELEGRAM, target.id, "not-text", response.status)
            return
        page = parse_telegram_page(response.body, response.encoding)
        if not page.messages and not page.has_channel_info:
            yield TargetVisited(TELEGRAM, target.id, NO_PREVIEW, response.status)
            return
        visit.pages += 1
        yield from self._new_messages(visit, page)
        older = self._older_page(visit, page)
        if older is not None:
            yield self._channel_request(visit, older)
            return
        detail = f"stopped after {visit.pages} pages" if visit.capped else None
        yield self._visited(visit, response.status, detail)

    def _new_messages(self, visit: ChannelVisit, page: TelegramPage) -> Iterator[TextSeen]:
        for message in page.messages:
            if message.channel != visit.channel:
                continue  # a forwarded post's own channel, or markup we do not understand
            visit.newest_id = max(visit.newest_id or 0, message.id)
            if visit.stop_at is not None and message.id <= visit.stop_at:
                continue
            visit.new_messages += 1
            if message.text:
                yield TextSeen(
                    TELEGRAM,
                    visit.target.id,
                    visit.target.case_id,
                    message.permalink,
                    f"Telegram @{message.channel}",
                    message.text,
                    200,
                    message.date,
                )

    def _older_page(self, visit: ChannelVisit, page: TelegramPage) -> int | None:
        ids = [m.id for m in page.messages if m.channel == visit.channel]
        before, capped = next_before(ids, page.prev_before, visit.stop_at, visit.pages, self.max_pages)
        visit.capped = visit.capped or capped
        return before

    def _visited(self, visit: ChannelVisit, status: int | None, detail: str | None = None) -> TargetVisited:
        reason = "ok" if visit.new_messages else "unchanged"
        newest = visit.newest_id if visit.newest_id is not None else KEEP
        return TargetVisited(TELEGRAM, visit.target.id, reason, status, last_message_id=newest, detail=detail)

    def channel_failed(self, failure: Failure) -> Iterator[Any]:
        visit: ChannelVisit = failure.request.meta["visit"]  # type: ignore[attr-defined]
        self.context.tally(TELEGRAM).calls += 1
        # Messages read on earlier pages of this visit are stored; the newest id is not advanced,
        # so the next visit reads this stretch again rather than skipping what it could not see.
        yield TargetVisited(TELEGRAM, visit.target.id, failure_reason(failure))

    # -- one message, for verification and removal re-checks -----------------------------------------

    def lookup_request(self, job: ExposureJob) -> scrapy.Request:
        ref = message_ref(job.exposure.url)
        assert ref is not None
        channel, message_id = ref
        url = preview_url(self._base(), channel, message_id + 1 if message_id is not None else None)
        return scrapy.Request(
            url,
            callback=self.parse_lookup,
            errback=self.lookup_failed,
            dont_filter=True,
            meta={"exposure_job": job, "message_ref": ref, "handle_httpstatus_list": HANDLED_STATUSES},
        )

    def parse_lookup(self, response: Response) -> Iterator[Any]:
        job: ExposureJob = response.meta["exposure_job"]
        channel, message_id = response.meta["message_ref"]
        self.context.tally(job.source).calls += 1
        reason = status_reason(response.status)
        if reason is not None:
            yield ExposureFetched(job.purpose, job.exposure, reason, utcnow(), response.status)
            return
        if not isinstance(response, TextResponse):
            yield ExposureFetched(job.purpose, job.exposure, "not-text", utcnow(), response.status)
            return
        page = parse_telegram_page(response.body, response.encoding)
        text, notice = lookup_text(page, channel, message_id)
        yield ExposureFetched(
            job.purpose,
            job.exposure,
            "ok",
            utcnow(),
            response.status,
            title=f"Telegram @{channel}",
            text=text,
            text_sha256=text_sha256(text),
            notice=notice,
        )


def next_before(
    ids: list[int], prev_before: int | None, stop_at: int | None, pages_read: int, max_pages: int
) -> tuple[int | None, bool]:
    """(the `before` of the next older page to read or None, whether a page cap cut the visit short).

    A first (or full) visit (`stop_at` None) reads at most `max_pages` pages; a later visit reads
    back until a page reaches the newest message seen before, at most INCREMENTAL_PAGE_CAP pages.
    """
    if not ids or prev_before is None or prev_before > min(ids):
        return None, False  # the oldest page, or a `before` that would not move backwards (odd markup)
    if stop_at is None:
        return (prev_before, False) if pages_read < max_pages else (None, False)
    if min(ids) <= stop_at + 1:
        return None, False  # reached what the previous visit read
    if pages_read >= INCREMENTAL_PAGE_CAP:
        return None, True
    return prev_before, False


def lookup_text(page: TelegramPage, channel: str, message_id: int | None) -> tuple[str, str | None]:
    """(the message's own text, or every message's for a channel URL; a missing-content notice or None)."""
    if not page.messages and not page.has_channel_info:
        return "", NO_PREVIEW
    own = [m for m in page.messages if m.channel == channel]
    if message_id is None:
        return "\n".join(m.text for m in own if m.text), None
    for message in own:
        if message.id == message_id:
            return message.text, None
    return "", MESSAGE_MISSING
