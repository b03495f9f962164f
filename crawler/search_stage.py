"""One search stage of a run: plan within budgets, crawl every enabled source, store honest outcomes."""

from __future__ import annotations

import logging

from scrapy.crawler import CrawlerProcess

from crawler.context import CrawlContext, ProgressReporter, term_specs
from crawler.ledger import SourceTally
from crawler.page_stage import quiet_scrapy_loggers
from crawler.planning import PlanTerm, plan_run
from crawler.settings import scrapy_settings
from crawler.sources.base import Outcome
from crawler.sources.registry import SOURCES
from crawler.spiders.search import SearchSpider
from jikimi.config import Settings
from jikimi.logs import REDACTOR
from storage.cases import active_terms
from storage.database import Store
from storage.runs import calls_today, last_success, quota_exhausted_today, record_source, starved_terms

logger = logging.getLogger(__name__)


def _plan_terms(ctx: CrawlContext) -> list[PlanTerm]:
    out: list[PlanTerm] = []
    for term, spec in zip(ctx.terms.values(), term_specs(ctx.terms.values()), strict=True):
        variants = tuple(ctx.matcher.search_variants(spec))
        out.append(
            PlanTerm(
                case_id=term.case_id,
                term_id=term.id,
                text=term.text,
                kind=term.kind,
                variants=variants,
                added_at=term.created_at,
            )
        )
    return out


def run_search_stage(
    settings: Settings, store: Store, run_id: int, progress: ProgressReporter
) -> dict[str, SourceTally]:
    sources = [cfg for cfg in settings.enabled_sources() if cfg.name in SOURCES]
    terms = active_terms(store)
    ctx = CrawlContext.build(settings, store, run_id, terms, progress)
    if not sources:
        logger.warning("no search source is enabled")
        return {}
    preset: dict[str, tuple[Outcome, str]] = {}
    usable = []
    for cfg in sources:
        problems = SOURCES[cfg.name].check_config(cfg)
        if problems:
            preset[cfg.name] = (Outcome.ERROR, problems[0])
        elif quota_exhausted_today(store, cfg.name, settings.timezone):
            # A daily-quota error stops the source for the rest of its day: said, not hidden.
            preset[cfg.name] = (Outcome.QUOTA, "daily quota reached earlier today")
        else:
            usable.append(cfg)
    used = {cfg.name: calls_today(store, cfg.name, settings.timezone) for cfg in usable}
    plans = plan_run(
        _plan_terms(ctx),
        usable,
        used,
        {cfg.name: last_success(store, cfg.name) for cfg in usable},
        {cfg.name: starved_terms(store, cfg.name) for cfg in usable},
    )
    # Generated variants (a romanized name, say) are as identifying as the term: never in a log line.
    REDACTOR.add(q.text for plan in plans for q in plan.queries)
    if not terms:
        for cfg in usable:
            ctx.tally(cfg.name).partial_reasons.append("no active terms to search")
    process = CrawlerProcess(scrapy_settings(settings, obey_robots=False))
    quiet_scrapy_loggers()
    process.crawl(SearchSpider, context=ctx, plans=plans, calls_used_today=used, preset_outcomes=preset)
    process.start()
    for cfg in sources:
        tally = ctx.tally(cfg.name)
        outcome, reason = tally.outcome()
        record_source(
            store,
            run_id,
            cfg.name,
            outcome.value,
            reason,
            calls=tally.calls,
            results=tally.results,
            new_exposures=tally.new_exposures,
            unreached_terms=len(tally.unreached_term_ids),
            details=tally.details(),
        )
        progress.emit("source_done", source=cfg.name, outcome=outcome.value, new=tally.new_exposures)
    return ctx.tallies
