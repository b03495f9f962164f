"""The `search` stage spider: runs each source's planned queries, pages, retries politely, reports honestly.

`scrapy crawl search -a run=N` joins pass N; without `run` the spider opens a run of its own
(`crawler.stage`). It plans in `from_crawler` (`crawler.search_stage.plan_search`) and stores every
enabled source's outcome when it closes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Self

import scrapy
from scrapy.crawler import Crawler
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
    IgnoreRequest,
)
from scrapy.http import Response
from twisted.internet.error import ConnectionRefusedError as TxConnectionRefused
from twisted.internet.error import DNSLookupError, TCPTimedOutError
from twisted.internet.error import TimeoutError as TxTimeoutError
from twisted.python.failure import Failure

from crawler.context import CrawlContext
from crawler.decide import Decision, judge_page, worth_next_page
from crawler.search_stage import SearchPlan, plan_search
from crawler.settings import SEARCH_SPIDER_SETTINGS
from crawler.sources.base import Outcome, PageCursor, Query, SearchResult, SourceConfig, SourceError
from crawler.sources.registry import SOURCES
from crawler.sources.retry_after import RATE_LIMITED
from crawler.stage import Stage
from storage import budgets
from storage.runs import budget_day

logger = logging.getLogger(__name__)

MAX_RATE_LIMIT_RETRIES = 3


@dataclass(frozen=True)
class SearchPage:
    """One answer's cleaned results, each with its decision (None: names nobody of the case), and the
    query (case, term) that found them: the pipeline stores a page in one transaction."""

    source: str
    query: Query
    results: tuple[SearchResult, ...]
    decisions: tuple[Decision | None, ...]

    def __repr__(self) -> str:  # items end up in tracebacks and logs: never their text
        return f"SearchPage(source={self.source!r}, case={self.query.case_id}, results={len(self.results)})"


class SearchSpider(scrapy.Spider):
    name = "search"
    custom_settings = SEARCH_SPIDER_SETTINGS

    def __init__(self, stage: Stage, context: CrawlContext, plan: SearchPlan, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.stage = stage
        self.context = context
        self.plan = plan
        self.plans = plan.plans
        self.calls_used_today = plan.calls_used_today
        self.requested: dict[str, int] = {}  # calls made this crawl, per source (answered or not yet)
        self.configs: dict[str, SourceConfig] = {
            name: cfg for name, cfg in context.settings.sources.items() if name in SOURCES
        }
        for source, (outcome, reason) in plan.preset_outcomes.items():
            context.tally(source).fail(outcome, reason)

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
            ctx = CrawlContext.build(
                stage.settings, stage.store, stage.run_id, stage.terms(), stage.progress, stage.shard
            )
            plan = plan_search(ctx)
        except BaseException:
            stage.store.close()
            raise
        spider = cls(stage, ctx, plan, *args, **kwargs)
        spider._set_crawler(crawler)
        return spider

    def closed(self, reason: str) -> None:
        """Every enabled source's outcome on the run, whatever ended the crawl."""
        try:
            for cfg in self.plan.sources:
                tally = self.context.tally(cfg.name)
                self.stage.record(self.crawler, tally, unreached_terms=len(tally.unreached_term_ids))
            self.stage.finished(reason)
        finally:
            self.stage.close(self.crawler, self.context.tallies)

    async def start(self) -> AsyncIterator[Any]:
        for plan in self.plans:
            tally = self.context.tally(plan.source)
            tally.planned_queries = len(plan.queries)
            tally.unreached_term_ids = list(plan.unreached_term_ids)
            tally.planned_terms = len(set(plan.unreached_term_ids) | set(plan.reached_term_ids))
            self.context.progress.emit("plan", source=plan.source, total=len(plan.queries))
        for request in self._first_requests():
            yield request

    def _first_requests(self) -> Iterable[scrapy.Request]:
        # Interleave sources so one slow engine does not hold back the others' first pages.
        queues = [list(plan.queries) for plan in self.plans]
        sources = [plan.source for plan in self.plans]
        while any(queues):
            for source, queue in zip(sources, queues, strict=True):
                if queue:
                    query = queue.pop(0)
                    request = self._request(source, query, PageCursor(page=1), attempt=0)
                    if request is not None:
                        yield request

    def _budget_left(self, source: str) -> bool:
        cfg = self.configs[source]
        if self.context.settings.cluster is not None:
            # Several nodes search at once: each call is taken from the one shared, row-locked counter.
            day = budget_day(self.context.settings.timezone)
            return budgets.reserve(self.stage.store, source, day, 1, cfg.daily_budget) == 1
        # Counted as requests are made, not as answers come back: two queries whose answers are still on
        # their way must not both be allowed the budget's last call.
        used = self.calls_used_today.get(source, 0) + self.requested.get(source, 0)
        return used < cfg.daily_budget

    def _request(self, source: str, query: Query, cursor: PageCursor, attempt: int) -> scrapy.Request | None:
        tally = self.context.tally(source)
        if tally.stopped or not self._budget_left(source):
            # Quota, auth or the daily budget: these terms were not searched whole, and the run says so.
            for term_id in query.terms:
                tally.not_reached(term_id)
            self._query_done(source)
            return None
        built = SOURCES[source].build_request(self.configs[source], query, cursor)
        self.requested[source] = self.requested.get(source, 0) + 1
        return scrapy.Request(
            built.url,
            method=built.method,
            headers=dict(built.headers),
            body=built.body,
            callback=self.parse_source,
            errback=self.on_error,
            dont_filter=True,
            meta={
                "source": source,
                "query": query,
                "cursor": cursor,
                "attempt": attempt,
                "handle_httpstatus_all": True,
                "jikimi_trusted": True,
            },
        )

    def _query_done(self, source: str) -> None:
        tally = self.context.tally(source)
        tally.queries_done += 1
        self.context.progress.emit("progress", source=source, done=tally.queries_done)

    async def parse_source(self, response: Response) -> AsyncIterator[Any]:
        source: str = response.meta["source"]
        query: Query = response.meta["query"]
        cursor: PageCursor = response.meta["cursor"]
        attempt: int = response.meta["attempt"]
        tally = self.context.tally(source)
        tally.calls += 1
        module = SOURCES[source]
        headers = {
            k.decode("latin-1").lower(): v[0].decode("latin-1") for k, v in response.headers.items() if v
        }
        try:
            parsed = module.parse_response(
                self.configs[source], query, cursor, response.status, headers, response.body
            )
        except SourceError as exc:
            cap = self.context.settings.network.max_retry_after
            if exc.reason == RATE_LIMITED and exc.retry_after is not None and exc.retry_after > cap:
                # Asking again before the server said would be impolite, and refused again: the source
                # sits out the rest of this pass, and says so.
                tally.fail(
                    exc.outcome,
                    f"rate limited: asked to wait {exc.retry_after:.0f} s, more than max_retry_after "
                    f"({cap:g} s); not asked again this pass",
                )
                tally.stopped = True
                self._query_done(source)
                return
            if exc.reason == RATE_LIMITED and attempt < MAX_RATE_LIMIT_RETRIES:
                delay = self._backoff(exc.retry_after, attempt)
                tally.retries += 1
                await asyncio.sleep(delay)
                retry = self._request(source, query, cursor, attempt + 1)
                if retry is not None:
                    yield retry
                return
            reason = "rate limited, retries exhausted" if exc.reason == RATE_LIMITED else exc.reason
            tally.fail(exc.outcome, reason)
            for term_id in query.terms:
                tally.not_reached(term_id)
            self._query_done(source)
            return
        except Exception as exc:  # noqa: BLE001 - a hostile or changed response must not take the run down
            logger.warning("source %s: unreadable response (%s)", source, exc.__class__.__name__)
            tally.fail(Outcome.ERROR, f"unreadable response ({exc.__class__.__name__})")
            self._query_done(source)
            return
        if parsed.partial_reason and parsed.partial_reason not in tally.partial_reasons:
            tally.partial_reasons.append(parsed.partial_reason)
        tally.results += len(parsed.results)
        decisions = judge_page(
            self.context.matcher,
            self.context.terms.get(query.term_id),
            query,
            parsed.results,
            self.context.terms,
        )
        if parsed.results:
            yield SearchPage(source, query, parsed.results, tuple(decisions))
        worth = worth_next_page(query, parsed.results, decisions)
        if parsed.next_page is not None and not tally.stopped and worth:
            nxt = self._request(source, query, parsed.next_page, attempt=0)
            if nxt is not None:
                yield nxt
            return
        if worth and parsed.next_page is None and cursor.page >= self.configs[source].max_pages:
            if query.split:
                # A joined query still naming someone at its last page: its rarer terms may have been
                # crowded out, so each term's own query runs now (budget permitting, else unreached).
                tally.planned_queries += len(query.split)
                for alone in query.split:
                    request = self._request(source, alone, PageCursor(page=1), attempt=0)
                    if request is not None:
                        yield request
            else:
                tally.cut_short(query.terms)  # the next plan gives these terms a query of their own
        self._query_done(source)

    def _backoff(self, retry_after: float | None, attempt: int) -> float:
        """The server's wait when it named one (within max_retry_after: checked before), else ours."""
        if retry_after is not None:
            return max(0.0, retry_after)
        cap = self.context.settings.network.max_retry_after
        return min(2.0 ** (attempt + 1), cap)

    def on_error(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        source: str = request.meta["source"]
        tally = self.context.tally(source)
        if isinstance(failure.value, IgnoreRequest):
            rule = getattr(failure.value, "rule", "refused")
            tally.fail(Outcome.ERROR, f"request refused by the safety gate ({rule})")
        else:
            tally.calls += 1
            # Scrapy 2.19 wraps Twisted's errors in its own classes; older ones raise Twisted's.
            if isinstance(failure.value, (DownloadTimeoutError, TxTimeoutError, TCPTimedOutError)):
                tally.fail(Outcome.UNREACHABLE, "timed out")
            elif isinstance(failure.value, (CannotResolveHostError, DNSLookupError)):
                tally.fail(Outcome.UNREACHABLE, "host not found")
            elif isinstance(failure.value, (DownloadConnectionRefusedError, TxConnectionRefused)):
                tally.fail(Outcome.UNREACHABLE, "connection refused")
            else:
                tally.fail(Outcome.UNREACHABLE, f"network error ({type(failure.value).__name__})")
        self._query_done(source)


def now_utc() -> datetime:
    return datetime.now(UTC)
