"""Removal re-checks (issue 6.5): is a reported exposure gone yet, and has a removed one come back?

Every `reported` exposure (and every `removed` one, to catch it reappearing) of an open case is
fetched through the same address gate, robots.txt rules and media guard as watched pages (a
Telegram message through the channel preview). The verdict is deliberately lopsided:

* removed: HTTP 404/410; the Telegram message or channel is missing; or the page no longer shows
  any term of the case, with or without a removal notice ("삭제된 게시물", "This post was deleted").
  A term that only a search engine ever claimed (confidence `engine`) proves nothing by its absence;
* not removed: a block or CAPTCHA page, a 5xx, a timeout, robots.txt saying no: inconclusive, with
  the reason in the evidence row and in the run report (a failure to look is not a removal);
* reappeared: a `removed` exposure whose page is live again and shows the term.

Status changes go through `storage.lifecycle.mark` (actor `recheck`), so they carry an event like an
advocate's; each fetch leaves an evidence row (purpose `recheck`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from crawler.page_items import MESSAGE_MISSING, NO_PREVIEW, ExposureFetched
from crawler.page_run import RECHECK, PageRun
from crawler.page_status import tally_outcome
from crawler.sources.base import Outcome
from storage.errors import ValidationError
from storage.lifecycle import StatusChange, mark
from storage.targets_state import ExposureToFetch, record_evidence

logger = logging.getLogger(__name__)

ACTOR = "recheck"
CHANNEL = "recheck"
GONE = ("http-404", "http-410")
# Confidences at which the term was seen in text (the page, or the engine's snippet of it).
SEEN_IN_TEXT = ("page", "snippet")


@dataclass(frozen=True)
class RecheckVerdict:
    """What a re-check concluded: a status change (or None) and the evidence outcome (<= 32 chars)."""

    action: str | None
    outcome: str

    @property
    def inconclusive(self) -> bool:
        return self.outcome.startswith("inconclusive")


def judge(exposure: ExposureToFetch, fetched: ExposureFetched, term_on_page: bool) -> RecheckVerdict:
    """The verdict for one fetch; pure, so every branch is a table row in the tests."""
    was_removed = exposure.status == "removed"
    gone = _gone_because(exposure, fetched, term_on_page)
    if gone is not None:
        return (
            RecheckVerdict(None, f"still-removed:{gone}")
            if was_removed
            else RecheckVerdict("removed", f"removed:{gone}")
        )
    if fetched.reason != "ok":
        return RecheckVerdict(None, f"inconclusive:{fetched.reason}")
    if term_on_page:
        return RecheckVerdict("reappeared", "reappeared") if was_removed else RecheckVerdict(None, "live")
    if was_removed:
        return RecheckVerdict(None, "still-removed:term-gone")
    return RecheckVerdict(None, "inconclusive:term-never-seen")


def _gone_because(exposure: ExposureToFetch, fetched: ExposureFetched, term_on_page: bool) -> str | None:
    if fetched.reason in GONE:
        return fetched.reason
    if fetched.reason != "ok" or term_on_page:
        return None
    if fetched.notice in (MESSAGE_MISSING, NO_PREVIEW):
        return fetched.notice
    if fetched.notice is not None:
        return "notice"
    if exposure.confidence in SEEN_IN_TEXT:
        return "term-gone"
    return None


def record_recheck(run: PageRun, item: ExposureFetched) -> None:
    """Apply and record one re-check: the status change (if any), the evidence row, the tally."""
    ctx = run.context
    tally = ctx.tally(RECHECK)
    exposure = item.exposure
    term_on_page = bool(item.text) and bool(ctx.matcher.scan(item.text, case_ids={exposure.case_id}))
    verdict = judge(exposure, item, term_on_page)
    outcome = verdict.outcome
    if verdict.action is not None:
        try:
            mark(
                ctx.store,
                exposure.id,
                StatusChange(
                    verdict.action,
                    actor=ACTOR,
                    channel=CHANNEL,
                    note=f"removal re-check: {outcome}",
                    verified_at=item.fetched_at if verdict.action == "removed" else None,
                ),
            )
        except ValidationError:
            # An advocate changed the exposure while we looked: their word stands.
            outcome = "inconclusive:status-changed"
            verdict = RecheckVerdict(None, outcome)
    with ctx.store.session() as session:
        record_evidence(
            session,
            exposure.id,
            run_id=ctx.run_id,
            purpose="recheck",
            http_status=item.http_status,
            text_sha256=item.text_sha256,
            outcome=outcome[:32],
            fetched_at=item.fetched_at,
        )
    run.verdicts[outcome.split(":", 1)[0]] += 1
    if verdict.inconclusive and item.reason != "ok":
        # A failure to look is reported as what it was (blocked, unreachable...), never as "nothing new".
        reason = outcome.split(":", 1)[1]
        tally.fail(tally_outcome(item.reason) or Outcome.ERROR, f"exposure {exposure.id}: {reason}")
        tally.drop(reason)
    else:
        # The page was read. A verdict it cannot settle (the term was only ever an engine's claim, or an
        # advocate changed the exposure meanwhile) is counted in the verdicts and `dropped`, not a failure.
        tally.results += 1
        if verdict.inconclusive:
            tally.drop(outcome.split(":", 1)[1])
