"""The pages stage of a run: watched pages, Telegram channels, and verification of new search hits.

One crawl process, up to two phases (`crawl_pages`): the plain phase fetches everything through
Scrapy's HTTP client (robots.txt obeyed the RFC 9309 way, conditional requests, the address gate
and the media guard); a browser phase follows only when some page needs JavaScript. The stage then
stores one honest outcome per source: `pages` and `telegram` (when it has channels or is enabled),
and `verify` when search hits were verified.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy.crawler import CrawlerProcess

from crawler.context import CrawlContext, ProgressReporter
from crawler.ledger import SourceTally
from crawler.page_run import PAGES, TELEGRAM, VERIFY, PageRun
from crawler.page_status import describe
from crawler.settings import scrapy_settings
from crawler.sources.base import Outcome
from crawler.spiders.render import BLOCK_STYLESHEETS_SETTING, CHROMIUM_PATH_SETTING
from crawler.spiders.telegram import is_telegram_url
from crawler.verify import verification_jobs
from jikimi.config import Settings
from storage.cases import active_terms
from storage.database import Store
from storage.runs import record_source
from storage.targets_state import TargetUpdate, target_states, update_targets

logger = logging.getLogger(__name__)

# Turns page and channel items into exposures, target state and evidence.
PIPELINE = "crawler.page_pipeline.PagePipeline"


def page_scrapy_settings(settings: Settings) -> dict[str, Any]:
    """`crawler.settings.scrapy_settings` for page crawls: robots.txt obeyed, RFC 9309 style, and our
    pipeline."""
    out = scrapy_settings(settings, obey_robots=True)
    out["DOWNLOADER_MIDDLEWARES"] = {
        **out.get("DOWNLOADER_MIDDLEWARES", {}),
        "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
        "crawler.robots.StrictRobotsTxtMiddleware": 100,
    }
    out["ITEM_PIPELINES"] = {**out.get("ITEM_PIPELINES", {}), PIPELINE: 310}
    # One item at a time: a visit's exposures are stored before its target state (PagePipeline is
    # synchronous anyway), and Scrapy starts CONCURRENT_ITEMS asyncio tasks for every response.
    out["CONCURRENT_ITEMS"] = 1
    # A 429 (blocked) or 503 (overloaded) from a watched site is reported, not retried at once.
    out["RETRY_HTTP_CODES"] = [500, 502, 504, 522, 524, 408]
    out["RETRY_GIVE_UP_LOG_LEVEL"] = "DEBUG"  # the target's outcome says it; the log line names the URL
    out[CHROMIUM_PATH_SETTING] = settings.chromium_path
    out[BLOCK_STYLESHEETS_SETTING] = settings.network.block_stylesheets
    return out


# Scrapy components whose warnings repeat, with the request URL, what the target's outcome already
# says (too large, gave up retrying): a watched page's path may hold a victim's name, percent-encoded
# where the log redactor cannot see it. Errors still show.
URL_WARNING_LOGGERS = (
    "scrapy.core.downloader.handlers.http11",
    "scrapy.downloadermiddlewares.httpcompression",
    "scrapy.downloadermiddlewares.retry",
)


def quiet_scrapy_loggers() -> None:
    """Scrapy's logging set-up puts its own loggers at DEBUG, and jikimi's redacting handler has no
    level of its own: "Crawled <url>" and "Scraped from" (with the item, page text and all) would
    reach stderr. Scrapy's loggers get the root logger's level instead (INFO with --verbose)."""
    level = max(logging.getLogger().getEffectiveLevel(), logging.INFO)
    for name in ("scrapy", "scrapy-playwright", "twisted"):
        logging.getLogger(name).setLevel(max(level, logging.getLogger(name).level))
    for name in URL_WARNING_LOGGERS:
        logging.getLogger(name).setLevel(logging.ERROR)


def crawl_pages(settings: Settings, run: PageRun) -> None:
    """Run the plain phase, then the browser phase if the plain one found pages that need it."""
    from crawler.spiders.pages import PageSpider
    from crawler.spiders.render import RenderSpider

    process = CrawlerProcess({**page_scrapy_settings(settings), "LOG_INSTALL_ROOT_HANDLER": False})
    quiet_scrapy_loggers()
    done = process.crawl(PageSpider, run=run)

    def render(_: object) -> object:
        if run.render_jobs:
            quiet_scrapy_loggers()
            return process.crawl(RenderSpider, run=run)
        return None

    def failed(failure: Any) -> None:
        # Logged by type only; targets left without an outcome are reported by the stage.
        logger.error("a page crawl phase failed (%s)", failure.type.__name__)

    done.addCallback(render)
    done.addErrback(failed)
    process.start()


def close_unfinished(run: PageRun) -> None:
    """Targets the crawl never finished (it failed or was stopped) end as `error`, never as unchanged."""
    updates = []
    for source, targets in ((PAGES, run.targets), (TELEGRAM, run.channels)):
        for target in targets:
            if target.id in run.visited:
                continue
            reason = (
                "source-disabled"
                if source == TELEGRAM and not (run.telegram and run.telegram.enabled)
                else "error"
            )
            run.context.tally(source).fail(Outcome.ERROR, f"target {target.id}: {reason}")
            run.context.tally(source).drop(reason)
            updates.append(
                TargetUpdate(
                    target.id,
                    reason,
                    describe(reason) if reason != "error" else "the crawl did not finish it",
                )
            )
    update_targets(run.context.store, updates)
    for job in run.exposure_jobs:
        if job.exposure.id not in run.fetched:
            run.context.tally(job.source).fail(Outcome.ERROR, f"exposure {job.exposure.id}: not fetched")


def store_outcomes(run: PageRun, sources: list[str]) -> None:
    ctx = run.context
    for source in sources:
        tally = ctx.tally(source)
        outcome, reason = tally.outcome()
        record_source(
            ctx.store,
            ctx.run_id,
            source,
            outcome.value,
            reason,
            calls=tally.calls,
            results=tally.results,
            new_exposures=tally.new_exposures,
            details=tally.details(),
        )
        ctx.progress.emit("source_done", source=source, outcome=outcome.value, new=tally.new_exposures)


def run_page_stage(
    settings: Settings, store: Store, run_id: int, progress: ProgressReporter
) -> dict[str, SourceTally]:
    ctx = CrawlContext.build(settings, store, run_id, active_terms(store), progress)
    states = target_states(store)
    telegram = settings.sources.get(TELEGRAM)
    run = PageRun.build(
        ctx,
        targets=[t for t in states if not is_telegram_url(t.url)],
        channels=[t for t in states if is_telegram_url(t.url)],
        exposure_jobs=verification_jobs(settings, store, run_id),
        telegram=telegram,
    )
    sources = [PAGES]
    if run.channels or (telegram is not None and telegram.enabled):
        sources.append(TELEGRAM)
    if run.exposure_jobs:
        sources.append(VERIFY)
    for source, total in (
        (PAGES, len(run.targets)),
        (TELEGRAM, len(run.channels)),
        (VERIFY, len(run.exposure_jobs)),
    ):
        if source in sources:
            progress.emit("plan", source=source, total=total)
    if not ctx.terms:
        for source in sources:
            ctx.tally(source).partial_reasons.append("no active terms to match")
    if run.targets or run.exposure_jobs or (run.channels and telegram is not None and telegram.enabled):
        crawl_pages(settings, run)
    close_unfinished(run)
    store_outcomes(run, sources)
    return ctx.tallies
