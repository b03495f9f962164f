"""Page and channel items into storage: exposures with page confidence, target state, evidence.

`TextSeen` is matched against the terms of every open case (or of the target's case only) and each
case with a match gets one exposure for the page or message URL: the best match's snippet as the
page wrote it, `confidence="page"`, a SimHash fingerprint of the text, a link to the removed
exposure it re-uploads, and an evidence row. `TargetVisited` is stored after that (batched, one
transaction per batch), so a crash repeats a visit rather than losing what it found.
`ExposureFetched` goes to verification (`crawler.verify`) or the removal re-check
(`crawler.recheck`); `TokenResolved` gives a token exposure its real URL (`crawler.resolve`).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from scrapy.crawler import Crawler

from crawler.extract import text_sha256
from crawler.page_crawl import PageCrawler
from crawler.page_items import ExposureFetched, TargetVisited, TextSeen, TokenResolved
from crawler.page_matches import SNIPPET_WIDTH, best_per_case
from crawler.page_run import PageRun
from crawler.page_status import describe, tally_outcome
from crawler.recheck import record_recheck
from crawler.resolve import record_resolution
from crawler.verify import record_verification
from matching import snippet_around
from matching.fingerprint import try_fingerprint
from storage.exposures import Observation, record_observation
from storage.lifecycle import fingerprint_key, link_reupload
from storage.models import utcnow
from storage.targets_state import TargetUpdate, record_evidence, update_targets
from storage.urls import canonical_url, domain_of, platform_of

logger = logging.getLogger(__name__)

STATE_BATCH = 200


class PagePipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self._pending: list[TargetUpdate] = []
        self._fingerprint_key: bytes | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PagePipeline:
        return cls(crawler)

    @property
    def run(self) -> PageRun:
        spider = self.crawler.spider
        if not isinstance(spider, PageCrawler):
            raise TypeError("PagePipeline serves page crawls only")
        return spider.run

    def process_item(self, item: Any) -> Any:
        if isinstance(item, TextSeen):
            self._text_seen(item)
        elif isinstance(item, TargetVisited):
            self._visited(item)
        elif isinstance(item, ExposureFetched):
            self._fetched(item)
        elif isinstance(item, TokenResolved):
            record_resolution(self.run, item)
        return item

    def close_spider(self) -> None:
        self._flush()

    # -- text to match ---------------------------------------------------------------------------

    def _key(self) -> bytes:
        if self._fingerprint_key is None:
            self._fingerprint_key = fingerprint_key(self.run.context.store.crypto)
        return self._fingerprint_key

    def _text_seen(self, item: TextSeen) -> None:
        ctx = self.run.context
        tally = ctx.tally(item.source)
        case_ids = {item.case_id} if item.case_id is not None else None
        matches = ctx.matcher.scan(item.text, case_ids=case_ids)
        if not matches:
            return
        fingerprint = try_fingerprint(item.text, self._key())
        digest = item.text_sha256 or text_sha256(item.text)
        canonical = canonical_url(item.url)
        now = utcnow()
        for case_id, match in best_per_case(matches).items():
            tally.matched += 1
            obs = Observation(
                case_id=case_id,
                url=item.url,
                canonical_url=canonical,
                domain=domain_of(canonical),
                platform=platform_of(canonical),
                title=item.title,
                snippet=snippet_around(item.text, match.start, match.end, SNIPPET_WIDTH),
                confidence="page",
                source=item.source,
                seen_at=now,
                run_id=ctx.run_id,
                variant=match.variant,
                match_confidence=match.confidence,
                match_level=match.level,
                context=match.context,
                term_id=match.term_id,
                published_at=item.published_at,
                fingerprint=fingerprint,
            )
            with ctx.store.session() as session:
                exposure_id, created = record_observation(session, ctx.store.crypto, obs)
                if created and fingerprint is not None:
                    link_reupload(session, ctx.store.crypto, exposure_id, fingerprint)
                record_evidence(
                    session,
                    exposure_id,
                    run_id=ctx.run_id,
                    purpose="page",
                    http_status=item.http_status,
                    text_sha256=digest,
                    outcome="term-found",
                    fetched_at=now,
                )
            if created:
                ctx.count_new(item.source, case_id)

    # -- how a target's visit ended ----------------------------------------------------------------

    def _visited(self, item: TargetVisited) -> None:
        for text in item.seen:
            self._text_seen(text)
        ctx = self.run.context
        tally = ctx.tally(item.source)
        outcome = tally_outcome(item.reason)
        error = None
        if outcome is None:
            tally.results += 1
        else:
            error = describe(item.reason) + (f" ({item.detail})" if item.detail else "")
            tally.fail(outcome, f"target {item.target_id}: {item.reason}")
            tally.drop(item.reason)
        self._pending.append(
            TargetUpdate(
                item.target_id,
                item.reason,
                error,
                utcnow(),
                etag=item.etag,
                last_modified=item.last_modified,
                text_sha256=item.text_sha256,
                last_message_id=item.last_message_id,
            )
        )
        self.run.visited.add(item.target_id)
        self.run.finished(item.source)
        if len(self._pending) >= STATE_BATCH:
            self._flush()

    def _flush(self) -> None:
        if self._pending:
            pending, self._pending = self._pending, []
            update_targets(self.run.context.store, pending)

    # -- exposure pages ----------------------------------------------------------------------------

    def _fetched(self, item: ExposureFetched) -> None:
        self.run.fetched.add(item.exposure.id)
        merged = self.run.merged.get(item.exposure.id)
        if merged is not None and merged != item.exposure.id:
            # Its token led to a URL the case already had: the fetch belongs to that exposure now.
            item = replace(item, exposure=replace(item.exposure, id=merged))
        self.run.finished("verify" if item.purpose == "verify" else "recheck")
        if item.purpose == "verify":
            record_verification(self.run, item)
        else:
            record_recheck(self.run, item)
