"""The removal re-check stage of a run: every reported or removed exposure of an open case, fetched.

The verdicts and their recording are `crawler.recheck`; the crawl is the page crawl's
(`crawler.spiders.recheck.RecheckSpider`); this plans the fetches. The stage stores one outcome
(`recheck`) with the verdict counts in its details.
"""

from __future__ import annotations

from crawler.context import CrawlContext
from crawler.page_run import RECHECK, ExposureJob, PageRun
from storage.targets_state import exposures_to_recheck


def plan_recheck(ctx: CrawlContext) -> tuple[PageRun, list[str]]:
    """The exposures to re-check, and the one source that gets an outcome."""
    jobs = [ExposureJob("recheck", exposure) for exposure in exposures_to_recheck(ctx.store)]
    run = PageRun.build(ctx, exposure_jobs=jobs, telegram=ctx.settings.sources.get("telegram"))
    ctx.tally(RECHECK)
    ctx.progress.emit("plan", source=RECHECK, total=len(jobs))
    return run, [RECHECK]
