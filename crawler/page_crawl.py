"""How a page crawl fetches: watched pages (conditionally), Telegram channels, exposure pages.

`PageCrawler` is the fetching half of the `pages` and `recheck` stage spiders (crawler.spiders) and
of the browser phase (crawler.render); it knows nothing of runs or stages. One spider, one
downloader: per-domain delay and concurrency hold across everything a crawl fetches,
and robots.txt is read once per host. Watched pages are asked "changed since?" with the stored
ETag/Last-Modified, so an unchanged page costs a 304; a changed page whose readable text hashes
the same is not matched again. Pages that need JavaScript are handed to the browser phase
(`crawler.render`) with the body already fetched here. Nothing is logged with a URL.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from typing import Any

import scrapy
from scrapy import signals
from scrapy.exceptions import StopDownload
from scrapy.http import Response, TextResponse
from twisted.python.failure import Failure
from w3lib.encoding import http_content_type_encoding

from crawler.extract import decode_html, extract_text, looks_script_only, text_sha256
from crawler.fetch_failures import failure_reason
from crawler.page_items import ExposureFetched, TargetVisited, TextSeen, TokenResolved
from crawler.page_run import PAGES, RESOLVE, ExposureJob, PageRun, RenderJob
from crawler.page_status import is_block_page, removal_notice, status_detail, status_reason
from crawler.redirect_tokens import (
    HEADERS_ONLY,
    MAX_HOPS,
    REDIRECT_STATUSES,
    final_url,
    is_token_hop,
    token_request_url,
)
from crawler.robots import RobotsDisallowedError
from crawler.safety.errors import MediaStoppedError, RefusedRequestError
from crawler.telegram import TelegramReader, is_telegram_url
from storage.models import utcnow
from storage.targets_state import TargetState
from storage.urls import is_redirect_token

logger = logging.getLogger(__name__)

# Statuses the callbacks see instead of Scrapy's HttpError; redirects stay with RedirectMiddleware.
HANDLED_STATUSES = [304, *range(400, 600)]
# A page with at least this much readable text is never a script-only app shell.
_SCRIPT_ONLY_TEXT = 200


@dataclass(frozen=True)
class PageRead:
    """A fetched page decoded once: the markup (for block detection) and its title and readable text."""

    html: str
    title: str
    text: str


def read_page(response: Response) -> PageRead | None:
    """Decode and extract a text response; None when the body is not text at all."""
    if not isinstance(response, TextResponse):
        return None
    content_type = response.headers.get(b"Content-Type")
    declared = http_content_type_encoding(content_type.decode("latin-1")) if content_type else None
    html, _ = decode_html(response.body, declared)
    page = extract_text(html)
    return PageRead(html=html, title=page.title, text=page.text)


def needs_browser(read: PageRead) -> bool:
    return len(read.text) < _SCRIPT_ONLY_TEXT and looks_script_only(read.html)


def header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


def before_sending(failure: Failure) -> bool:
    """Whether a failed request never reached the site (refused by robots.txt or the safety gate)."""
    error = failure.value
    return isinstance(error, RobotsDisallowedError) or (
        isinstance(error, RefusedRequestError) and not isinstance(error, MediaStoppedError)
    )


class PageCrawler(scrapy.Spider):
    """Requests and callbacks of a page crawl over `page_run`; items go to `PagePipeline`."""

    rendered = False  # the browser phase's subclass sets True

    def __init__(self, page_run: PageRun, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.run = page_run
        self.context = page_run.context
        self.telegram = TelegramReader(page_run, self.exposure_failed)

    async def start(self) -> AsyncIterator[Any]:
        self.crawler.signals.connect(self.stop_at_headers, signal=signals.headers_received)
        for target in self.run.targets:
            yield self.target_request(target)
        for request in self.telegram.channel_requests():
            yield request
        for job in self.run.exposure_jobs:
            yield self.exposure_request(job)

    # -- watched pages ----------------------------------------------------------------------------

    def target_request(self, target: TargetState) -> scrapy.Request:
        headers: dict[str, str] = {}
        # A render target's shell says nothing about what its scripts load: always fetch it whole.
        if not target.render and not self.run.full_read(target):
            if target.etag:
                headers["If-None-Match"] = target.etag
            if target.last_modified:
                headers["If-Modified-Since"] = target.last_modified
        return scrapy.Request(
            target.url,
            headers=headers,
            callback=self.parse_target,
            errback=self.target_failed,
            dont_filter=True,
            meta={"target": target, "handle_httpstatus_list": HANDLED_STATUSES},
        )

    def parse_target(self, response: Response) -> Iterator[Any]:
        target: TargetState = response.meta["target"]
        self.context.tally(PAGES).calls += 1
        if response.status == 304:
            yield TargetVisited(PAGES, target.id, "unchanged", 304)
            return
        reason = status_reason(response.status)
        if reason is not None:
            yield TargetVisited(
                PAGES, target.id, reason, response.status, detail=status_detail(reason, response.status)
            )
            return
        read = read_page(response)
        if read is None:
            yield TargetVisited(PAGES, target.id, "not-text", response.status)
            return
        if is_block_page(read.html, read.text):
            yield TargetVisited(
                PAGES, target.id, "blocked", response.status, detail="challenge or block page"
            )
            return
        etag, modified = header(response, b"ETag"), header(response, b"Last-Modified")
        if not self.rendered and (target.render or needs_browser(read)):
            self._render_later(response, etag, modified, target=target)
            return
        yield from self.target_text(target, read, response.status, etag, modified)

    def target_text(
        self, target: TargetState, read: PageRead, status: int, etag: str | None, modified: str | None
    ) -> Iterator[Any]:
        digest = text_sha256(read.text)
        if digest == target.text_sha256 and not self.run.full_read(target):
            yield TargetVisited(PAGES, target.id, "unchanged", status, etag, modified, digest)
            return
        seen: tuple[TextSeen, ...] = ()
        if read.text:
            seen = (
                TextSeen(
                    PAGES,
                    target.id,
                    target.case_id,
                    target.url,
                    read.title or None,
                    read.text,
                    status,
                    text_sha256=digest,
                ),
            )
        yield TargetVisited(PAGES, target.id, "ok", status, etag, modified, digest, seen=seen)

    def target_failed(self, failure: Failure) -> Iterator[Any]:
        target: TargetState = failure.request.meta["target"]  # type: ignore[attr-defined]
        if not before_sending(failure):
            self.context.tally(PAGES).calls += 1
        reason = failure_reason(failure)
        yield TargetVisited(
            PAGES, target.id, reason, detail=type(failure.value).__name__ if reason == "error" else None
        )

    # -- exposure pages: verification and removal re-checks ----------------------------------------

    def exposure_request(self, job: ExposureJob) -> scrapy.Request:
        if self.run.naver_base and is_redirect_token(job.exposure.url):
            return self.token_request(job, token_request_url(job.exposure.url, self.run.naver_base), 0)
        if is_telegram_url(job.exposure.url):
            return self.telegram.lookup_request(job)
        return scrapy.Request(
            job.exposure.url,
            callback=self.parse_exposure,
            errback=self.exposure_failed,
            dont_filter=True,
            meta={"exposure_job": job, "handle_httpstatus_list": HANDLED_STATUSES},
        )

    def parse_exposure(self, response: Response) -> Iterator[Any]:
        job: ExposureJob = response.meta["exposure_job"]
        self.context.tally(job.source).calls += 1
        reason = status_reason(response.status)
        if reason is not None or response.status == 304:
            yield ExposureFetched(job.purpose, job.exposure, reason or "error", utcnow(), response.status)
            return
        read = read_page(response)
        if read is None:
            yield ExposureFetched(job.purpose, job.exposure, "not-text", utcnow(), response.status)
            return
        if is_block_page(read.html, read.text):
            yield ExposureFetched(job.purpose, job.exposure, "blocked", utcnow(), response.status)
            return
        if not self.rendered and needs_browser(read):
            # Its text may be all in scripts: judging the shell would call a live page removed.
            self._render_later(response, None, None, exposure_job=job)
            return
        yield self.exposure_text(job, read, response.status)

    def exposure_text(self, job: ExposureJob, read: PageRead, status: int) -> ExposureFetched:
        return ExposureFetched(
            job.purpose,
            job.exposure,
            "ok",
            utcnow(),
            status,
            title=read.title,
            text=read.text,
            text_sha256=text_sha256(read.text),
            notice=removal_notice(read.title, read.text),
        )

    def exposure_failed(self, failure: Failure) -> Iterator[Any]:
        job: ExposureJob = failure.request.meta["exposure_job"]  # type: ignore[attr-defined]
        if not before_sending(failure):
            self.context.tally(job.source).calls += 1
        yield ExposureFetched(job.purpose, job.exposure, failure_reason(failure), utcnow())

    # -- redirect tokens: where a search engine's link leads, from the headers alone ----------------

    def stop_at_headers(self, headers: Any, body_length: int, request: scrapy.Request, **kwargs: Any) -> None:
        """A token's answer is its headers: the download stops there, no body is read."""
        if request.meta.get(HEADERS_ONLY):
            raise StopDownload(fail=False)

    def token_request(self, job: ExposureJob, url: str, hops: int) -> scrapy.Request:
        return scrapy.Request(
            url,
            callback=self.parse_token,
            errback=self.token_failed,
            dont_filter=True,
            meta={
                "exposure_job": job,
                "token_hops": hops,
                HEADERS_ONLY: True,
                "dont_redirect": True,  # the Location is read, not followed
                "dont_obey_robotstxt": True,  # an API's own link, asked like the API
                "handle_httpstatus_list": [*REDIRECT_STATUSES, *HANDLED_STATUSES],
            },
        )

    def parse_token(self, response: Response) -> Iterator[Any]:
        job: ExposureJob = response.meta["exposure_job"]
        self.context.tally(RESOLVE).calls += 1
        if response.status not in REDIRECT_STATUSES:
            reason = status_reason(response.status) or "not-a-redirect"
            yield TokenResolved(job.purpose, job.exposure, None, reason, utcnow(), response.status)
            return
        target = final_url(response.url, header(response, b"Location"))
        if target is None:
            yield TokenResolved(job.purpose, job.exposure, None, "unsafe-address", utcnow(), response.status)
            return
        base = self.run.naver_base or ""
        if is_token_hop(target, base):
            hops = int(response.meta.get("token_hops", 0)) + 1
            if hops > MAX_HOPS:
                yield TokenResolved(job.purpose, job.exposure, None, "too-many-redirects", utcnow(), 0)
                return
            url = token_request_url(target, base) if is_redirect_token(target) else target
            yield self.token_request(job, url, hops)
            return
        yield TokenResolved(job.purpose, job.exposure, target, "ok", utcnow(), response.status)
        if job.purpose != "resolve":
            # The verification or recheck goes on at the real URL (the pipeline maps a merged id).
            yield self.exposure_request(ExposureJob(job.purpose, replace(job.exposure, url=target)))

    def token_failed(self, failure: Failure) -> Iterator[Any]:
        job: ExposureJob = failure.request.meta["exposure_job"]  # type: ignore[attr-defined]
        if not before_sending(failure):
            self.context.tally(RESOLVE).calls += 1
        yield TokenResolved(job.purpose, job.exposure, None, failure_reason(failure), utcnow())

    # -- hand-over to the browser phase --------------------------------------------------------------

    def _render_later(
        self,
        response: Response,
        etag: str | None,
        modified: str | None,
        *,
        target: TargetState | None = None,
        exposure_job: ExposureJob | None = None,
    ) -> None:
        content_type = header(response, b"Content-Type") or "text/html"
        self.run.render_jobs.append(
            RenderJob(
                url=response.url,
                body=response.body,
                content_type=content_type,
                http_status=response.status,
                etag=etag,
                last_modified=modified,
                target=target,
                exposure_job=exposure_job,
            )
        )
