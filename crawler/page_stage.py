"""The pages stage of a run: what to fetch, and how each of its sources ended.

One crawl (`crawler.spiders.pages.PageSpider`), up to two phases: the plain phase fetches
everything through Scrapy's HTTP client (robots.txt obeyed the RFC 9309 way, conditional requests,
the address gate and the media guard); a browser phase (`crawler.render`) follows only when some
page needs JavaScript. The stage then stores one honest outcome per source: `pages` and `telegram`
(when it has channels or is enabled), `verify` when search hits were verified, and `redirects` when
Naver's redirect tokens were read for the real URL of their exposures.
"""

from __future__ import annotations

from crawler.context import CrawlContext
from crawler.page_run import PAGES, RESOLVE, TELEGRAM, VERIFY, PageRun
from crawler.page_status import describe
from crawler.resolve import naver_base, resolve_jobs
from crawler.sources.base import Outcome
from crawler.telegram import is_telegram_url
from crawler.verify import verification_jobs
from storage.targets_state import TargetUpdate, target_states, update_targets
from storage.urls import is_redirect_token


def plan_pages(ctx: CrawlContext) -> tuple[PageRun, list[str]]:
    """The targets, channels and verifications of this pass, and the sources that will get an outcome."""
    states = [t for t in target_states(ctx.store) if ctx.in_shard(t.case_id)]
    telegram = ctx.settings.sources.get(TELEGRAM)
    jobs = verification_jobs(ctx.settings, ctx.store, ctx.run_id)
    base = naver_base(ctx.settings)
    if base is not None:
        # Naver's redirect tokens get their real URL in every pass, verification or not (headers only).
        jobs += resolve_jobs(ctx.store, {job.exposure.id for job in jobs})
    run = PageRun.build(
        ctx,
        targets=[t for t in states if not is_telegram_url(t.url)],
        channels=[t for t in states if is_telegram_url(t.url)],
        exposure_jobs=jobs,
        telegram=telegram,
        naver_base=base,
    )
    verifying = [job for job in jobs if job.purpose == "verify"]
    tokens = [job for job in jobs if base is not None and is_redirect_token(job.exposure.url)]
    sources = [PAGES]
    if run.channels or (telegram is not None and telegram.enabled):
        sources.append(TELEGRAM)
    if verifying:
        sources.append(VERIFY)
    if tokens:
        sources.append(RESOLVE)
    for source, total in (
        (PAGES, len(run.targets)),
        (TELEGRAM, len(run.channels)),
        (VERIFY, len(verifying)),
        (RESOLVE, len(tokens)),
    ):
        if source in sources:
            ctx.progress.emit("plan", source=source, total=total)
    if not ctx.terms:
        for source in sources:
            ctx.tally(source).partial_reasons.append("no active terms to match")
    return run, sources


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
