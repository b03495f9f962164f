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


# Exposures wait in memory for at most this many results before one transaction stores them: fewer
# statements and commits per result. A crash loses at most this batch, which the next pass finds again.
BATCH_RESULTS = 500


class ExposurePipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self._pending: list[tuple[str, Observation]] = []  # (source, observation), oldest first

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

    def close_spider(self) -> None:
        self.flush()

    def flush(self) -> None:
        """Store every pending exposure in one transaction and count the new ones per source and case."""
        if not self._pending:
            return
        pending, self._pending = self._pending, []
        ctx = self.context
        with ctx.store.session() as session:
            recorded = record_observations(session, ctx.store.crypto, [obs for _, obs in pending])
        for (source, obs), (_exposure_id, created) in zip(pending, recorded, strict=True):
            if created:
                ctx.count_new(source, obs.case_id)

    def _search_page(self, page: SearchPage) -> None:
        """A page's exposures join the pending batch (stored together, see `BATCH_RESULTS`)."""
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
        self._pending.extend((page.source, obs) for obs in observations)
        if len(self._pending) >= BATCH_RESULTS:
            self.flush()
