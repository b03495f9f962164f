"""Items into storage: a search hit becomes an exposure of its case (once), every hit a sighting."""

from __future__ import annotations

import logging
from typing import Any

from scrapy.crawler import Crawler

from crawler.context import CrawlContext
from crawler.spiders.search import SearchPage, SearchSpider, now_utc
from storage.exposures import Observation, record_observations
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
        if not isinstance(spider, SearchSpider):
            raise TypeError("ExposurePipeline serves the search spider only")
        return spider.context

    def process_item(self, item: Any) -> Any:
        if isinstance(item, SearchPage):
            self._search_page(item)
        return item

    def _search_page(self, page: SearchPage) -> None:
        """Every exposure of one answer in one transaction: a commit per page, not per result."""
        ctx = self.context
        tally = ctx.tally(page.source)
        seen_at = now_utc()
        observations: list[Observation] = []
        for result, decision in zip(page.results, page.decisions, strict=True):
            if decision is None:
                tally.drop("no term in result")
                continue
            tally.matched += 1
            canonical = canonical_url(result.url)
            observations.append(
                Observation(
                    case_id=page.query.case_id,
                    url=result.url,
                    canonical_url=canonical,
                    domain=domain_of(canonical),
                    platform=platform_of(canonical),
                    title=result.title or None,
                    snippet=result.snippet or None,
                    confidence=decision.confidence,
                    source=page.source,
                    seen_at=seen_at,
                    run_id=ctx.run_id,
                    query=page.query.text,
                    rank=result.rank,
                    variant=decision.variant,
                    match_confidence=decision.score,
                    match_level=decision.level,
                    context=decision.context,
                    term_id=decision.term_id,
                    published_at=result.published,
                )
            )
        if not observations:
            return
        with ctx.store.session() as session:
            recorded = record_observations(session, ctx.store.crypto, observations)
        for _exposure_id, was_created in recorded:
            if was_created:
                ctx.count_new(page.source, page.query.case_id)
