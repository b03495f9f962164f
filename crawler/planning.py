"""Plan one run's searches: which query goes to which source, within each source's daily call budget.

Pure: the caller reads terms, budgets and history from storage and gets back a plan; nothing here does I/O.

Choices (a query's worst-case cost is `max_pages` calls, and every term costs the same per source):
- Exact tier first. Every searchable term gets its exact phrase on every active vertical of the source.
  A term's own `aliases` are searched with it. Names and keywords each keep their own query, because
  in an OR query a common name would crowd the rarer alternatives out of the few pages we read; the
  `alias` and `handle` terms of one case are rare strings, so where the engine supports OR they share
  one query (split when it would grow past `MAX_ALTERNATIVES` or `MAX_QUERY_CHARS`).
- A term is reached only as a whole (all its verticals and aliases) or not at all, so "unreached" is
  true and the next run can give it a full turn.
- Priority: terms starved on this source last time first, then terms it has not searched yet, then
  by kind (names, handles, aliases, keywords: a school alone finds many unrelated pages, and names
  pinpoint a victim; a kind added later still gets searched, last), then case id and term id. The same
  input always gives the same plan.
- Keyword terms (a school) are searched on their own like any term, never ANDed with names: a name
  search already finds pages with both, and abuse rooms cite a school with only a name's initials.
- Variant tier: the matcher's generated variants (romanized name, Hanja, ...) are added only when every
  term of the source was reached, one variant query per term in turn (each term's best variant before
  anyone's second), while budget remains. Consonant-only strings (초성) are never searched: alone they
  match hundreds of people and the matcher never alerts on them.
- Freshness: `since` is the source's last successful run minus `FRESHNESS_OVERLAP` (engines index pages
  days after the date they show). A full search (`since=None`) instead for every term the source has not
  searched since it was added (added after that run, or `added_at` unknown), for terms starved last
  time, for sources that never succeeded, and for every variant query (variants run only now and then).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from crawler.sources.base import Query, SourceConfig
from crawler.sources.checks import active_verticals
from crawler.sources.query_syntax import any_of, phrase
from crawler.sources.registry import SearchSource
from crawler.sources.registry import source as source_module

FRESHNESS_OVERLAP = timedelta(days=3)
MAX_ALTERNATIVES = 5  # per OR query
MAX_QUERY_CHARS = 300  # Brave accepts 400; room for the quotes and ORs of a few Korean names
KIND_ORDER = ("name", "handle", "alias", "keyword")
POOLED_KINDS = frozenset({"alias", "handle"})
# Variants that identify nobody on their own; the matcher uses them only beside a second signal.
UNSEARCHED_VARIANTS = frozenset({"chosung", "partial_chosung", "mask", "anagram", "fuzzy", "respelled"})

_SortKey = tuple[bool, bool, int, int, int, str]
_JAMO_ONLY = re.compile(r"[\u3131-\u318e\s.\-_]+")


@dataclass(frozen=True)
class PlanTerm:
    """An active term of an open case, as the planner needs it (the text is never logged)."""

    case_id: int
    term_id: int
    text: str
    kind: str  # name | handle | alias | keyword (storage.cases.TERM_KINDS)
    aliases: tuple[str, ...] = ()
    variants: tuple[tuple[str, str], ...] = ()  # (variant_kind, text) from the matcher, best first
    # When the term was registered (storage's `created_at`): a term added after a source's last success
    # has never been searched there and needs a full search. None = unknown, which also means full.
    added_at: datetime | None = None


@dataclass(frozen=True)
class SourcePlan:
    """One source's queries for this run; exact-tier queries come before variant queries."""

    source: str
    queries: tuple[Query, ...]
    calls_planned: int  # worst case: every query reads max_pages pages
    unreached_term_ids: tuple[int, ...]  # not searched this run for lack of budget (starve them next time)
    reached_term_ids: tuple[int, ...] = ()  # whose exact search is planned (mark them searched on success)


@dataclass(frozen=True)
class _Unit:
    """Terms planned or skipped together: their phrases, each OR group one query per vertical."""

    terms: tuple[PlanTerm, ...]
    groups: tuple[tuple[str, ...], ...]


def plan_run(
    terms: Sequence[PlanTerm],
    sources: Sequence[SourceConfig],
    calls_used_today: Mapping[str, int],
    last_success: Mapping[str, datetime | None],
    starved: Mapping[str, Sequence[int]],
) -> list[SourcePlan]:
    """A plan per enabled search source, in the order given (sources that are not search engines skipped)."""
    plans: list[SourcePlan] = []
    for cfg in sources:
        module = source_module(cfg.name)
        if not cfg.enabled or module is None:
            continue
        budget = max(0, cfg.daily_budget - calls_used_today.get(cfg.name, 0))
        starved_here = frozenset(starved.get(cfg.name, ()))
        plans.append(_plan_source(terms, cfg, module, budget, last_success.get(cfg.name), starved_here))
    return plans


def _plan_source(
    terms: Sequence[PlanTerm],
    cfg: SourceConfig,
    module: SearchSource,
    budget: int,
    last_ok: datetime | None,
    starved: frozenset[int],
) -> SourcePlan:
    verticals = active_verticals(cfg, module.VERTICALS)
    query_cost = max(cfg.max_pages, 1)
    full = _needs_full_search(last_ok, starved)
    ordered = sorted((t for t in terms if _phrases(t)), key=_priority(starved, full))
    since = None if last_ok is None else _utc(last_ok) - FRESHNESS_OVERLAP
    queries: list[Query] = []
    spent = 0
    reached: list[int] = []
    unreached: list[int] = []
    for unit in _exact_units(ordered, module.SUPPORTS_OR):
        cost = len(unit.groups) * len(verticals) * query_cost
        if spent + cost > budget:
            unreached.extend(t.term_id for t in unit.terms)
            continue
        unit_since = None if any(full(t) for t in unit.terms) else since
        queries.extend(_queries(unit.groups, verticals, unit.terms[0], unit_since))
        spent += cost
        reached.extend(t.term_id for t in unit.terms)
    if not unreached:
        group_cost = len(verticals) * query_cost
        for term, group in _variant_rounds(ordered, module.SUPPORTS_OR):
            if spent + group_cost > budget:
                break
            queries.extend(_queries((group,), verticals, term, None))
            spent += group_cost
    return SourcePlan(cfg.name, tuple(queries), spent, tuple(unreached), tuple(reached))


def _priority(starved: frozenset[int], full: Callable[[PlanTerm], bool]) -> Callable[[PlanTerm], _SortKey]:
    def key(term: PlanTerm) -> _SortKey:
        never_searched = full(term)
        return (
            term.term_id not in starved,
            not never_searched,
            _kind_rank(term.kind),
            term.case_id,
            term.term_id,
            term.text,
        )

    return key


def _kind_rank(kind: str) -> int:
    """Known kinds in `KIND_ORDER`; a kind added later is still searched, last."""
    return KIND_ORDER.index(kind) if kind in KIND_ORDER else len(KIND_ORDER)


def _exact_units(ordered: Sequence[PlanTerm], supports_or: bool) -> list[_Unit]:
    """Units in priority order; a case's pooled terms are planned where its best-placed member stands."""
    pooled: dict[int, list[PlanTerm]] = {}
    if supports_or:
        for term in ordered:
            if term.kind in POOLED_KINDS:
                pooled.setdefault(term.case_id, []).append(term)
    units: list[_Unit] = []
    for term in ordered:
        members = pooled.get(term.case_id) if term.kind in POOLED_KINDS else None
        if members is None:
            units.append(_Unit((term,), _groups(_phrases(term), supports_or)))
        elif members[0] is term:
            texts = _distinct(text for member in members for text in _phrases(member))
            units.append(_Unit(tuple(members), _groups(texts, supports_or=True)))
    return units


def _variant_rounds(
    ordered: Sequence[PlanTerm], supports_or: bool
) -> Iterable[tuple[PlanTerm, tuple[str, ...]]]:
    """(term, group) in rounds: every term's first variant group, then every term's second, ..."""
    per_term = [(term, _groups(_variant_texts(term), supports_or)) for term in ordered]
    depth = max((len(groups) for _, groups in per_term), default=0)
    for level in range(depth):
        for term, groups in per_term:
            if level < len(groups):
                yield term, groups[level]


def _phrases(term: PlanTerm) -> list[str]:
    return _distinct([term.text, *term.aliases])


def _variant_texts(term: PlanTerm) -> list[str]:
    known = {_fold(text) for text in _phrases(term)}
    texts: list[str] = []
    for kind, text in term.variants:
        if kind in UNSEARCHED_VARIANTS or _JAMO_ONLY.fullmatch(text) or len(text.strip()) < 2:
            continue
        if _fold(text) not in known:
            known.add(_fold(text))
            texts.append(text)
    return texts


def _groups(texts: Sequence[str], supports_or: bool) -> tuple[tuple[str, ...], ...]:
    """One group per query: every text alone, or OR groups bounded by count and length."""
    if not supports_or:
        return tuple((text,) for text in texts)
    groups: list[tuple[str, ...]] = []
    current: list[str] = []
    for text in texts:
        candidate = [*current, text]
        if current and (len(candidate) > MAX_ALTERNATIVES or len(any_of(candidate)) > MAX_QUERY_CHARS):
            groups.append(tuple(current))
            candidate = [text]
        current = candidate
    if current:
        groups.append(tuple(current))
    return tuple(groups)


def _queries(
    groups: Sequence[tuple[str, ...]], verticals: Sequence[str], lead: PlanTerm, since: datetime | None
) -> list[Query]:
    """A single phrase stays `exact` (the source quotes it if its engine can); an OR group is sent as
    written, already quoted. A combined query is filed under its highest-priority term."""
    out: list[Query] = []
    for group in groups:
        exact = len(group) == 1
        text = " ".join(group[0].split()) if exact else any_of(group)
        for vertical in verticals:
            out.append(
                Query(
                    text=text,
                    case_id=lead.case_id,
                    term_id=lead.term_id,
                    exact=exact,
                    vertical=vertical,
                    since=since,
                )
            )
    return out


def _needs_full_search(last_ok: datetime | None, starved: frozenset[int]) -> Callable[[PlanTerm], bool]:
    """Whether a term must be searched without a freshness cut-off on this source (see module notes)."""

    def full(term: PlanTerm) -> bool:
        if last_ok is None or term.added_at is None or term.term_id in starved:
            return True
        return _utc(term.added_at) >= _utc(last_ok)

    return full


def _distinct(texts: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for text in texts:
        folded = _fold(text)
        if folded and folded not in seen and phrase(text):
            seen.add(folded)
            out.append(text)
    return out


def _fold(text: str) -> str:
    return " ".join(text.casefold().split())


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
