"""The browser phase: pages that need JavaScript, rendered in Debian's Chromium (scrapy-playwright).

Only a crawl with such pages starts a browser (`RenderSpider.update_settings` switches the download
handler on for this crawler alone). Chromium never fetches the page itself: the plain phase already
did, through the address gate, robots.txt and the media guard, and `guard_page` serves that body for
the one navigation. Chromium would otherwise stream whatever the URL answers (a video served as
`.html` fills its buffers with megabytes before anything can refuse it) and follows redirects that
no route sees. So on a rendered page:

* the first main-frame navigation is answered from the vetted body; every other navigation (script
  redirects, frames, forms) is aborted, and so is every request of a popup page;
* subresources go through scrapy-playwright's abort predicate (`crawler.safety.browser`): images,
  media and fonts never, stylesheets per `[network] block_stylesheets`, and nothing the gate refuses;
* a subresource whose response headers say media (or a size above DOWNLOAD_MAXSIZE) is failed at
  the headers through the DevTools Fetch domain, the browser's stand-in for `headers_received`;
  every other response (a script's fetch, XHR, a worker's requests) reaches the page only after
  its first bytes are sniffed as text by the plain path's sniffer (`crawler.safety.sniff`);
  so is a redirect whose Location the gate refuses (Playwright routes no redirect hop, and Chromium's
  own Local Network Access block, which also stops a served page reaching private addresses, is
  a browser policy we do not rely on alone);
* downloads are refused by the context (`accept_downloads=False`), and the rendered markup is
  dropped when it exceeds DOWNLOAD_MAXSIZE.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any, Self

import scrapy
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.settings import BaseSettings, Settings
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy_playwright.page import PageMethod
from twisted.python.failure import Failure

from crawler.fetch_failures import failure_reason
from crawler.page_crawl import HANDLED_STATUSES, PageCrawler, read_page
from crawler.page_items import ExposureFetched, TargetVisited
from crawler.page_run import PAGES, PageRun, RenderJob
from crawler.page_status import is_block_page
from crawler.safety.browser import CHROMIUM_PATH, BrowserRequestGate, playwright_settings
from crawler.safety.browser_guard import DEFAULT_MAXSIZE, GATE_META, guard_responses
from crawler.safety.policy import ALLOW_PRIVATE_SETTING, TRUSTED_ORIGINS_SETTING
from storage.models import utcnow

logger = logging.getLogger(__name__)

CHROMIUM_PATH_SETTING = "JIKIMI_CHROMIUM_PATH"
BLOCK_STYLESHEETS_SETTING = "JIKIMI_BLOCK_STYLESHEETS"
# Single-page apps fetch their content after "load": wait for the network to go quiet, this long at most.
SETTLE_MS = 5_000


def browser_settings(settings: BaseSettings) -> dict[str, Any]:
    """scrapy-playwright's settings for this crawl, built from the same JIKIMI_* values as the gate."""
    out = playwright_settings(
        allow_private=settings.getbool(ALLOW_PRIVATE_SETTING, False),
        trusted_origins=settings.getlist(TRUSTED_ORIGINS_SETTING, []),
        block_stylesheets=settings.getbool(BLOCK_STYLESHEETS_SETTING, True),
        executable_path=settings.get(CHROMIUM_PATH_SETTING) or CHROMIUM_PATH,
        navigation_timeout_ms=int(settings.getfloat("DOWNLOAD_TIMEOUT", 20) * 1000),
    )
    out["PLAYWRIGHT_MAX_CONTEXTS"] = 1
    return out


async def guard_page(page: Any, request: scrapy.Request) -> None:
    """`playwright_page_init_callback`: install the guards above before the page navigates.

    scrapy-playwright logs and ignores an exception here; the page is closed instead, so a page
    whose guards are not in place never navigates (fail closed).
    """
    try:
        job: RenderJob = request.meta["render_job"]
        gate = request.meta[GATE_META]
        if not isinstance(gate, BrowserRequestGate):
            raise TypeError("no browser gate for this page")
        await _serve_navigation(page, job)
        await _refuse_popups(page)
        await guard_responses(page, int(request.meta.get("download_maxsize") or DEFAULT_MAXSIZE), gate)
    except Exception:
        logger.warning("could not install the browser guards on a page; not rendering it")
        await page.close()
        raise


async def _serve_navigation(page: Any, job: RenderJob) -> None:
    served = False

    async def route(route: Any, pw_request: Any) -> None:
        nonlocal served
        if not pw_request.is_navigation_request():
            await route.fallback()  # scrapy-playwright's handler: the abort predicate
            return
        if not served and pw_request.frame == page.main_frame:
            served = True
            await route.fulfill(status=200, headers={"Content-Type": job.content_type}, body=job.body)
            return
        await route.abort("blockedbyclient")

    # Registered after scrapy-playwright's own "**" route, so it is asked first.
    await page.route("**", route)


async def _refuse_popups(page: Any) -> None:
    context = page.context
    if getattr(context, "_jikimi_popups_refused", False):
        return

    async def abort(route: Any, _request: Any) -> None:
        # Page routes come first: only pages without ours (popups) ever reach this one.
        await route.abort("blockedbyclient")

    await context.route("**", abort)
    context._jikimi_popups_refused = True


async def settle(page: Any) -> None:
    """Give the page's scripts a moment to load their data (network idle), at most SETTLE_MS."""
    try:
        await page.wait_for_load_state("networkidle", timeout=SETTLE_MS)
    except Exception:  # noqa: BLE001 - a page that keeps polling is read as it is by then
        return


class RenderSpider(PageCrawler):
    """The browser phase of a page crawl: renders `page_run.render_jobs`, nothing else.

    Not a stage of its own (hence not in crawler.spiders): `browser_phase` starts it, in the same
    process, when the plain phase of the `pages` or `recheck` spider found pages that need it.
    """

    name = "render"
    rendered = True

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        if not isinstance(kwargs.get("page_run"), PageRun):
            raise TypeError("the render spider runs only as the browser phase of a page crawl")
        return super().from_crawler(crawler, *args, **kwargs)

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        super().update_settings(settings)
        settings.setdict(browser_settings(settings), priority="spider")

    async def start(self) -> AsyncIterator[Any]:
        for job in self.run.render_jobs:
            yield self.render_request(job)

    def render_request(self, job: RenderJob) -> scrapy.Request:
        meta: dict[str, Any] = {
            "playwright": True,
            "playwright_context": "default",
            "playwright_page_init_callback": guard_page,
            "playwright_page_methods": [PageMethod(settle)],
            GATE_META: self.settings.get("PLAYWRIGHT_ABORT_REQUEST"),
            "render_job": job,
            "handle_httpstatus_list": HANDLED_STATUSES,
        }
        return scrapy.Request(
            job.url, callback=self.parse_rendered, errback=self.render_failed, dont_filter=True, meta=meta
        )

    def parse_rendered(self, response: Response) -> Iterator[Any]:
        job: RenderJob = response.meta["render_job"]
        self.context.tally(self._source(job)).calls += 1
        maxsize = self.settings.getint("DOWNLOAD_MAXSIZE", DEFAULT_MAXSIZE)
        read = read_page(response) if len(response.body) <= maxsize else None
        reason = None
        if len(response.body) > maxsize:
            reason = "too-large"
        elif read is None:
            reason = "not-text"
        elif is_block_page(read.html, read.text):
            reason = "blocked"
        if reason is not None or read is None:
            yield from self._failed(job, reason or "render-failed")
            return
        if job.target is not None:
            yield from self.target_text(job.target, read, job.http_status, job.etag, job.last_modified)
        elif job.exposure_job is not None:
            yield self.exposure_text(job.exposure_job, read, job.http_status)

    def render_failed(self, failure: Failure) -> Iterator[Any]:
        job: RenderJob = failure.request.meta["render_job"]  # type: ignore[attr-defined]
        self.context.tally(self._source(job)).calls += 1
        reason = failure_reason(failure)
        logger.warning("rendering a page failed (%s)", type(failure.value).__name__)
        yield from self._failed(job, "render-failed" if reason == "error" else reason)

    def _failed(self, job: RenderJob, reason: str) -> Iterator[Any]:
        if job.target is not None:
            yield TargetVisited(PAGES, job.target.id, reason, job.http_status)
        elif job.exposure_job is not None:
            yield ExposureFetched(
                job.exposure_job.purpose, job.exposure_job.exposure, reason, utcnow(), job.http_status
            )

    @staticmethod
    def _source(job: RenderJob) -> str:
        return job.exposure_job.source if job.exposure_job is not None else PAGES


async def browser_phase(plain: Crawler, page_run: PageRun) -> None:
    """Render what the plain phase handed over, in a second crawler with the browser handler.

    Called while the plain phase's spider closes (its `closed` awaits this), so the stage's outcomes
    are stored after both phases. The browser crawler gets the plain one's settings; only
    `RenderSpider.update_settings` adds scrapy-playwright, so only a crawl that needs a browser
    starts one.
    """
    settings = Settings(plain.settings.copy_to_dict(), priority="project")
    crawler = Crawler(RenderSpider, settings)
    await maybe_deferred_to_future(crawler.crawl(page_run=page_run))
