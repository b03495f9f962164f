"""The `recheck` stage spider: is a reported exposure gone yet, has a removed one come back?

The page crawl of `crawler.spiders.pages` over the exposures `crawler.recheck_stage.plan_recheck`
picks, judged by `crawler.recheck`; its one source (`recheck`) carries the verdict counts.
"""

from __future__ import annotations

from crawler.context import CrawlContext
from crawler.page_run import RECHECK, PageRun
from crawler.recheck_stage import plan_recheck
from crawler.spiders.pages import PageSpider


class RecheckSpider(PageSpider):
    name = "recheck"

    @staticmethod
    def plan(ctx: CrawlContext) -> tuple[PageRun, list[str]]:
        return plan_recheck(ctx)

    def record(self) -> None:
        self.stage.record(
            self.crawler, self.context.tally(RECHECK), details={"verdicts": dict(self.run.verdicts)}
        )
