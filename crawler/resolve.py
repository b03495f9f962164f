"""Storing what a redirect token said: the exposure's real URL (merged with the case's exposure there),
or the named reason the token could not be read. Called by `PagePipeline` for `TokenResolved` items."""

from __future__ import annotations

from crawler.page_items import TokenResolved
from crawler.page_run import RESOLVE, ExposureJob, PageRun
from crawler.page_status import tally_outcome
from crawler.sources.base import Outcome
from jikimi.config import Settings
from storage.database import Store
from storage.redirects import resolve_exposure, unresolved_tokens
from storage.targets_state import record_evidence


def naver_base(settings: Settings) -> str | None:
    """Where tokens are asked: the enabled Naver source's base URL; None leaves tokens alone."""
    naver = settings.sources.get("naver")
    return naver.base_url if naver is not None and naver.enabled else None


def resolve_jobs(store: Store, already: set[int]) -> list[ExposureJob]:
    """A `resolve` job for every token exposure of an open case that no other job of this crawl covers."""
    return [ExposureJob("resolve", e) for e in unresolved_tokens(store) if e.id not in already]


def record_resolution(run: PageRun, item: TokenResolved) -> None:
    ctx = run.context
    tally = ctx.tally(RESOLVE)
    run.finished(RESOLVE)
    exposure = item.exposure
    with ctx.store.session() as session:
        if item.final_url is not None:
            tally.results += 1
            run.merged[exposure.id] = resolve_exposure(
                session,
                ctx.store.crypto,
                exposure.id,
                item.final_url,
                run_id=ctx.run_id,
                http_status=item.http_status,
                resolved_at=item.fetched_at,
            )
        else:
            outcome = tally_outcome(item.reason) or Outcome.ERROR
            tally.fail(outcome, f"exposure {exposure.id}: {item.reason}")
            tally.drop(item.reason)
            record_evidence(
                session,
                exposure.id,
                run_id=ctx.run_id,
                purpose="resolve",
                http_status=item.http_status,
                text_sha256=None,
                outcome=item.reason,
                fetched_at=item.fetched_at,
            )
    if item.purpose == "resolve" or item.final_url is None:
        # A verification or recheck whose token could not be read ends here, and says why.
        run.fetched.add(exposure.id)
        if item.purpose != "resolve" and item.final_url is None:
            job = ExposureJob(item.purpose, exposure)
            ctx.tally(job.source).fail(
                tally_outcome(item.reason) or Outcome.ERROR,
                f"exposure {exposure.id}: its link could not be read ({item.reason})",
            )
