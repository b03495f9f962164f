"""Items into storage: a search hit becomes an exposure of its case (once), every hit a sighting."""

from __future__ import annotations

import logging
from typing import Any

from scrapy.crawler import Crawler

from crawler.context import CrawlContext
from crawler.decide import decide_search_hit
from crawler.spiders.search import SearchHit, now_utc
from storage.exposures import Observation, record_observation
from storage.urls import canonical_url, domain_of, platform_of

logger = logging.getLogger(__name__)


class ExposurePipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ExposurePipeline:
        return cls(crawler)

    @property
    def context(self) -> CrawlContext:
        spider = self.crawler.spider
        assert spider is not None
        return spider.context  # type: ignore[no-any-return,attr-defined]

    def process_item(self, item: Any) -> Any:
        if isinstance(item, SearchHit):
            self._search_hit(item)
        return item

    def _search_hit(self, hit: SearchHit) -> None:
        ctx = self.context
        tally = ctx.tally(hit.source)
        term = ctx.terms.get(hit.query.term_id)
        text = f"{hit.result.title}\n{hit.result.snippet}"
        matches = ctx.matcher.scan(text, case_ids={hit.query.case_id})
        decision = decide_search_hit(hit.result, hit.query, term, matches)
        if decision is None:
            tally.drop("no term in result")
            return
        tally.matched += 1
        canonical = canonical_url(hit.result.url)
        obs = Observation(
            case_id=hit.query.case_id,
            url=hit.result.url,
            canonical_url=canonical,
            domain=domain_of(canonical),
            platform=platform_of(canonical),
            title=hit.result.title or None,
            snippet=hit.result.snippet or None,
            confidence=decision.confidence,
            source=hit.source,
            seen_at=now_utc(),
            run_id=ctx.run_id,
            query=hit.query.text,
            rank=hit.result.rank,
            variant=decision.variant,
            score=decision.score,
            term_id=decision.term_id,
            published_at=hit.result.published,
        )
        with ctx.store.session() as session:
            _exposure_id, created = record_observation(session, ctx.store.crypto, obs)
        if created:
            ctx.count_new(hit.source, hit.query.case_id)
