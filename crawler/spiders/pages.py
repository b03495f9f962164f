"""The `pages` stage spider: watched pages, Telegram channels, and verification of new search hits.

`scrapy crawl pages -a run=N` joins pass N; without `run` the spider opens a run of its own
(`crawler.stage`). It plans in `from_crawler` (`crawler.page_stage.plan_pages`), fetches through
`crawler.page_crawl.PageCrawler`, hands script-only pages to the browser phase when it closes
(`crawler.render.browser_phase`), and then stores each source's outcome.
"""

from __future__ import annotations

from typing import Any, Self

from scrapy.crawler import Crawler

from crawler.context import CrawlContext
from crawler.page_crawl import PageCrawler
from crawler.page_run import PageRun
from crawler.page_stage import close_unfinished, plan_pages
from crawler.render import browser_phase
from crawler.settings import PAGE_SPIDER_SETTINGS
from crawler.stage import Stage


class PageSpider(PageCrawler):
    name = "pages"
    custom_settings = PAGE_SPIDER_SETTINGS

    def __init__(self, page_run: PageRun, stage: Stage, sources: list[str], **kwargs: Any) -> None:
        super().__init__(page_run, **kwargs)
        self.stage = stage
        self.sources = sources

    @classmethod
    def from_crawler(
        cls,
        crawler: Crawler,
        *args: Any,
        run: object = None,
        shard: object = None,
        ledger: object = None,
        _job: object = None,
        **kwargs: Any,
    ) -> Self:
        stage = Stage.open(crawler, cls.name, run, shard=shard, ledger=ledger, job=_job)
        try:
            # Shard 0 also crawls the targets watched for every case, matched against every case's terms.
            every_case = stage.shard is not None and stage.shard.index == 0
            ctx = CrawlContext.build(
                stage.settings,
                stage.store,
                stage.run_id,
                stage.terms(every_case=every_case),
                stage.progress,
                stage.shard,
            )
            page_run, sources = cls.plan(ctx)
        except BaseException:
            stage.store.close()
            raise
        spider = cls(page_run, stage, sources, *args, **kwargs)
        spider._set_crawler(crawler)
        return spider

    @staticmethod
    def plan(ctx: CrawlContext) -> tuple[PageRun, list[str]]:
        return plan_pages(ctx)

    def record(self) -> None:
        for source in self.sources:
            self.stage.record(self.crawler, self.context.tally(source))

    async def closed(self, reason: str) -> None:
        """The browser phase when the plain one found pages for it, then each source's outcome."""
        try:
            if self.run.render_jobs:
                await browser_phase(self.crawler, self.run)
            close_unfinished(self.run)
            self.record()
            self.stage.finished(reason)
        finally:
            self.stage.close(self.crawler, self.context.tallies)
