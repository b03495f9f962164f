"""The removal re-check stage of a run: every reported or removed exposure of an open case, fetched.

The verdicts and their recording are `crawler.recheck`; the crawl is the page crawl's
(`crawler.spiders.recheck.RecheckSpider`); this plans the fetches. The stage stores one outcome
(`recheck`) with the verdict counts in its details.
"""

from __future__ import annotations

from crawler.context import CrawlContext
from crawler.page_run import RECHECK, RESOLVE, ExposureJob, PageRun
from crawler.resolve import naver_base
from storage.targets_state import exposures_to_recheck
from storage.urls import is_redirect_token


def plan_recheck(ctx: CrawlContext) -> tuple[PageRun, list[str]]:
    """The exposures to re-check, and the one source that gets an outcome."""
    jobs = [
        ExposureJob("recheck", exposure)
        for exposure in exposures_to_recheck(ctx.store)
        if ctx.in_shard(exposure.case_id)
    ]
    # An exposure reported while still a redirect token (before tokens were resolved) is rechecked at
    # its real URL, read from the token's headers first.
    base = naver_base(ctx.settings)
    tokens = [job for job in jobs if base is not None and is_redirect_token(job.exposure.url)]
    run = PageRun.build(
        ctx, exposure_jobs=jobs, telegram=ctx.settings.sources.get("telegram"), naver_base=base
    )
    ctx.tally(RECHECK)
    ctx.progress.emit("plan", source=RECHECK, total=len(jobs))
    if tokens:
        ctx.progress.emit("plan", source=RESOLVE, total=len(tokens))
        return run, [RECHECK, RESOLVE]
    return run, [RECHECK]
