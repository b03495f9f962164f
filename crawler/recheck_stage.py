"""The removal re-check stage of a run: fetch every reported or removed exposure, judge, record.

The verdicts and their recording are `crawler.recheck`; this module plans the fetches, runs the
crawl and stores the stage's one outcome (`recheck`) with the verdict counts.
"""

from __future__ import annotations

from crawler.context import CrawlContext, ProgressReporter
from crawler.ledger import SourceTally
from crawler.page_run import RECHECK, ExposureJob, PageRun
from crawler.page_stage import close_unfinished, crawl_pages
from jikimi.config import Settings
from storage.cases import active_terms
from storage.database import Store
from storage.runs import record_source
from storage.targets_state import exposures_to_recheck


def run_recheck_stage(
    settings: Settings, store: Store, run_id: int, progress: ProgressReporter
) -> dict[str, SourceTally]:
    ctx = CrawlContext.build(settings, store, run_id, active_terms(store), progress)
    jobs = [ExposureJob("recheck", exposure) for exposure in exposures_to_recheck(store)]
    run = PageRun.build(ctx, exposure_jobs=jobs, telegram=settings.sources.get("telegram"))
    tally = ctx.tally(RECHECK)
    progress.emit("plan", source=RECHECK, total=len(jobs))
    if jobs:
        crawl_pages(settings, run)
    close_unfinished(run)
    outcome, reason = tally.outcome()
    details = {**tally.details(), "verdicts": dict(run.verdicts)}
    record_source(
        store,
        run_id,
        RECHECK,
        outcome.value,
        reason,
        calls=tally.calls,
        results=tally.results,
        details=details,
    )
    progress.emit("source_done", source=RECHECK, outcome=outcome.value, new=0)
    return ctx.tallies
