"""Search-hit verification: fetch the pages of this run's new search results and look for the term.

Optional, per source (`[sources.<name>] verify_pages = true`) or for all (`verify_pages = true`).
It runs in the pages stage, through the same address gate, robots.txt rules and media guard as
watched pages. A page that shows a term of the exposure's case raises it to `confidence="page"`
(with the page's own snippet); every fetch leaves an evidence row: HTTP status, time and the
SHA-256 of the extracted text, or the named reason it could not be read. Never a screenshot.
"""

from __future__ import annotations

from crawler.page_items import MESSAGE_MISSING, NO_PREVIEW, ExposureFetched
from crawler.page_matches import SNIPPET_WIDTH, best_per_case
from crawler.page_run import VERIFY, ExposureJob, PageRun
from crawler.page_status import tally_outcome
from crawler.sources.registry import SOURCES
from jikimi.config import Settings
from matching import snippet_around
from matching.fingerprint import try_fingerprint
from storage.database import Store
from storage.exposures import Observation, record_observation
from storage.lifecycle import fingerprint_key, link_reupload
from storage.targets_state import exposures_to_verify, record_evidence
from storage.urls import canonical_url, domain_of, platform_of

CONFIRMED = "confirmed"
TERM_ABSENT = "term-absent"


def absent_outcome(notice: str | None) -> str:
    """The evidence outcome of a page read without the term: why it is not there, when the page says."""
    if notice is None:
        return TERM_ABSENT
    return notice if notice in (MESSAGE_MISSING, NO_PREVIEW) else "removal-notice"


def verification_sources(settings: Settings) -> set[str]:
    """Search sources whose new results are verified on their pages."""
    return {
        cfg.name
        for cfg in settings.enabled_sources()
        if cfg.name in SOURCES and (settings.verify_pages or cfg.verify_pages)
    }


def verification_jobs(settings: Settings, store: Store, run_id: int) -> list[ExposureJob]:
    sources = verification_sources(settings)
    return [ExposureJob("verify", exposure) for exposure in exposures_to_verify(store, run_id, sources)]


def record_verification(run: PageRun, item: ExposureFetched) -> None:
    """Store what the fetch proved: the term on the page (confidence `page`), its absence, or why not read."""
    ctx = run.context
    tally = ctx.tally(VERIFY)
    exposure = item.exposure
    outcome = tally_outcome(item.reason)
    if outcome is not None:
        tally.fail(outcome, f"exposure {exposure.id}: {item.reason}")
        tally.drop(item.reason)
        with ctx.store.session() as session:
            record_evidence(
                session,
                exposure.id,
                run_id=ctx.run_id,
                purpose="verify",
                http_status=item.http_status,
                text_sha256=None,
                outcome=item.reason,
                fetched_at=item.fetched_at,
            )
        return
    tally.results += 1
    matches = ctx.matcher.scan(item.text, case_ids={exposure.case_id}) if item.text else []
    match = best_per_case(matches).get(exposure.case_id)
    with ctx.store.session() as session:
        if match is None:
            record_evidence(
                session,
                exposure.id,
                run_id=ctx.run_id,
                purpose="verify",
                http_status=item.http_status,
                text_sha256=item.text_sha256,
                outcome=absent_outcome(item.notice),
                fetched_at=item.fetched_at,
            )
            return
        tally.matched += 1
        fingerprint = try_fingerprint(item.text, fingerprint_key(ctx.store.crypto))
        canonical = canonical_url(exposure.url)
        exposure_id, _ = record_observation(
            session,
            ctx.store.crypto,
            Observation(
                case_id=exposure.case_id,
                url=exposure.url,
                canonical_url=canonical,
                domain=domain_of(canonical),
                platform=platform_of(canonical),
                title=item.title or None,
                snippet=snippet_around(item.text, match.start, match.end, SNIPPET_WIDTH),
                confidence="page",
                source=VERIFY,
                seen_at=item.fetched_at,
                run_id=ctx.run_id,
                variant=match.variant,
                match_confidence=match.confidence,
                match_level=match.level,
                context=match.context,
                term_id=match.term_id,
                fingerprint=fingerprint,
            ),
        )
        if fingerprint is not None:
            # A new search result that repeats a removed post's text is its re-upload.
            link_reupload(session, ctx.store.crypto, exposure_id, fingerprint)
        record_evidence(
            session,
            exposure_id,
            run_id=ctx.run_id,
            purpose="verify",
            http_status=item.http_status,
            text_sha256=item.text_sha256,
            outcome=CONFIRMED,
            fetched_at=item.fetched_at,
        )
