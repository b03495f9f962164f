"""The search stage of a run: plan within budgets, and which sources get an outcome.

The crawl is `crawler.spiders.search.SearchSpider`; this decides, before it starts, what each
enabled search source will be asked: a source with a configuration problem, or whose daily quota
ran out earlier today, gets that outcome up front and no request (said, not hidden).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace

from crawler.context import CrawlContext, term_specs
from crawler.planning import PlanTerm, SourcePlan, plan_run
from crawler.source_check import OR_PROBE_KEY
from crawler.sources.base import Outcome, SourceConfig
from crawler.sources.registry import SOURCES
from jikimi.logs import REDACTOR
from storage import budgets
from storage.database import Store
from storage.meta import get_meta_prefix
from storage.runs import (
    budget_day,
    busy_terms,
    calls_today,
    last_success,
    quota_exhausted_today,
    starved_terms,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SearchPlan:
    """Every enabled search source (each ends with an outcome), what to ask, and what is known up front."""

    sources: list[SourceConfig]
    plans: list[SourcePlan] = field(default_factory=list)
    calls_used_today: dict[str, int] = field(default_factory=dict)
    preset_outcomes: dict[str, tuple[Outcome, str]] = field(default_factory=dict)


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


def probed_operators(store: Store, sources: list[SourceConfig]) -> list[SourceConfig]:
    """Each source as the plan should see it: an engine whose `or_operator` is not set joins alternatives
    with the operator `jikimi sources check` confirmed on this deployment (crawler.source_check)."""
    answers = get_meta_prefix(store, OR_PROBE_KEY.format(""))
    out = []
    for cfg in sources:
        confirmed = answers.get(OR_PROBE_KEY.format(cfg.name), "")
        out.append(replace(cfg, or_operator=confirmed) if cfg.or_operator is None and confirmed else cfg)
    return out


def plan_search(ctx: CrawlContext) -> SearchPlan:
    settings, store = ctx.settings, ctx.store
    sources = [cfg for cfg in settings.enabled_sources() if cfg.name in SOURCES]
    if not sources:
        logger.warning("no search source is enabled")
        return SearchPlan(sources=[])
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
    if settings.cluster is not None:
        # Other nodes are spending the same budgets right now: plan with what the shared counter says.
        day = budget_day(settings.timezone)
        used = {name: max(n, budgets.used(store, name, day)) for name, n in used.items()}
    plan_terms = _plan_terms(ctx)
    for name in preset:
        # A source that cannot run today (quota, configuration) reached none of the terms.
        tally = ctx.tally(name)
        tally.planned_terms = len(plan_terms)
        for term in plan_terms:
            tally.not_reached(term.term_id)
    plans = plan_run(
        plan_terms,
        probed_operators(store, usable),
        used,
        {cfg.name: last_success(store, cfg.name) for cfg in usable},
        {cfg.name: starved_terms(store, cfg.name) for cfg in usable},
        {cfg.name: busy_terms(store, cfg.name) for cfg in usable},
    )
    # Generated variants (a romanized name, say) are as identifying as the term: never in a log line.
    # A joined query's own split queries (run only if it is cut short) are as identifying as it is.
    REDACTOR.add(
        text for plan in plans for q in plan.queries for text in (q.text, *(s.text for s in q.split))
    )
    if not ctx.terms:
        for cfg in usable:
            ctx.tally(cfg.name).partial_reasons.append("no active terms to search")
    return SearchPlan(sources=sources, plans=plans, calls_used_today=used, preset_outcomes=preset)
