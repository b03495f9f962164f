"""Plan one run's searches: which query goes to which source, within each source's daily call budget.

Pure: the caller reads terms, budgets and history from storage and gets back a plan; nothing here does I/O.

Choices (a query is planned at the cost of its first page, one call: the spider reads further pages only
while they still bring matches or new results (`crawler.decide.worth_next_page`) and only while the
source's budget lasts, checked before every request; a term cut off there is reported unreached like
one the plan left out. Reserving `max_pages` per query instead made a quiet night meet the budget at a
third of it):
- Exact tier first. Every searchable term gets its exact phrase on the verticals worth searching for its
  kind (`KIND_VERTICALS` of the source, where each choice is argued from what the vertical holds): a
  handle or nickname is not news, and on Naver and Kakao, which cannot join alternatives out of the box
  (so each vertical is a call per term a night), a handle is searched on web documents and cafes only,
  where accounts are pointed at; a blog post about a victim names her, and her name and nickname keep
  the blog vertical. A term's own `aliases` are searched with it.
- Where the engine joins alternatives, a case's quiet terms share one query: its names, handles and
  nicknames (`POOLED_KINDS`), own phrases first, then generated spellings. The risk is crowding: in an
  OR query a common name fills the pages we read and pushes a rarer handle out of them. It is watched
  rather than assumed: the spider pages on only while a page names someone of the case (or is all
  new), so a joined query on a quiet night costs one call and on a busy one reads on to `max_pages`.
  A joined query still paying at `max_pages` carries each of its terms' own queries (`Query.split`,
  planned here, same vertical and freshness) and the spider runs them at once, budget permitting: the
  rarer term is searched alone the same night, never a night late. A term's own query still paying at
  `max_pages` leaves the term `busy` in the run's details, and the next plan keeps a busy term out of
  the pool. The first night joins too: no history says a name is busy, and the split covers the case
  where it is (its cost, the joined query's pages, is paid once; a quiet case saves a call per engine
  every night). Keywords (a school) never join: alone they find many unrelated pages. Results of a
  joined query are matched locally against every term of the case and each exposure names the term
  its text shows; an engine-only hit (the engine's word, nothing in the snippet) of a query carrying
  several terms names none of them (the engine answered one phrase, not which; a page fetch can tell).
  A joined query cut by the budget or a quota leaves every term it carries unreached.
- Where the engine joins alternatives (its `OR_OPERATOR`, the source's `or_operator` setting, or for
  Naver and Kakao the `|` that the deployment's `jikimi sources check` saw their API read as OR), a
  term's generated spellings (romanized name, school short forms) ride in the term's own query for free
  while it stays within `MAX_ALTERNATIVES`, `MAX_QUERY_CHARS` and `MAX_QUERY_WORDS` (the words Google,
  behind SearXNG, reads; crowding is handled by the busy rule above); what does not fit waits for the
  variant tier. A spelling that contains one of the term's own phrases as whole words (`@handle`) adds
  nothing and is not searched.
- Romanizations of a Korean name are searched only where they can find something: engines with reach
  beyond Korean sites, never on a Korean-only index (`KOREAN_ONLY`).
- A term is reached only as a whole (all its verticals and aliases) or not at all, so "unreached" is
  true and the next run can give it a full turn.
- Priority: terms starved on this source last time first, then terms it has not searched yet, then
  by kind (names, handles, aliases, keywords: a school alone finds many unrelated pages, and names
  pinpoint a victim; a kind added later still gets searched, last), then case id and term id. The same
  input always gives the same plan.
- Keyword terms (a school) are searched on their own like any term, never ANDed with names: a name
  search already finds pages with both, and abuse rooms cite a school with only a name's initials.
- Variant tier: generated spellings that did not ride along (on an engine that cannot join, all of
  them) are added only when every term of the source was reached, one query per term in turn (each
  term's best before anyone's second), while budget remains. Consonant-only strings (초성) are never
  searched: alone they match hundreds of people and the matcher never alerts on them.
- Freshness: `since` is the source's last successful run minus `FRESHNESS_OVERLAP` (engines index pages
  days after the date they show). A full search (`since=None`) instead for every term the source has not
  searched since it was added (added after that run, or `added_at` unknown), for terms starved last
  time, for sources that never succeeded, and for every variant-tier query (those run only now and then).
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
MAX_ALTERNATIVES = 8  # per OR query: a name, its four romanizations, a handle and a nickname fit
MAX_QUERY_CHARS = 300  # Brave accepts 400; room for the quotes and ORs of a few Korean names
# Google reads the first 32 words of a query (and SearXNG passes ours on to it); Brave 50. ORs count.
MAX_QUERY_WORDS = 32
KIND_ORDER = ("name", "handle", "alias", "keyword")
# The kinds whose terms of one case share a query where the engine joins alternatives, unless busy.
POOLED_KINDS = frozenset({"name", "alias", "handle"})
# Variants that identify nobody on their own; the matcher uses them only beside a second signal.
UNSEARCHED_VARIANTS = frozenset({"chosung", "partial_chosung", "mask", "anagram", "fuzzy", "respelled"})
# Latin spellings of a Korean name: found abroad, not on a Korean-only index.
FOREIGN_VARIANTS = frozenset({"romanization"})

_SortKey = tuple[bool, bool, int, int, int, str]
_JAMO_ONLY = re.compile(r"[\u3131-\u318e\s.\-_]+")
_WORD = re.compile(r"\w+")


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
    calls_planned: int  # first pages: one call per query (further pages only as they pay, budget permitting)
    unreached_term_ids: tuple[int, ...]  # not searched this run for lack of budget (starve them next time)
    reached_term_ids: tuple[int, ...] = ()  # whose exact search is planned (mark them searched on success)


@dataclass(frozen=True)
class _Unit:
    """Terms planned or skipped together: their phrases, each group one query per vertical."""

    terms: tuple[PlanTerm, ...]
    groups: tuple[tuple[str, ...], ...]
    verticals: tuple[str, ...]


@dataclass(frozen=True)
class _Engine:
    """What the planner needs to know about one configured source."""

    operator: str  # "" when alternatives go alone
    korean_only: bool
    verticals: tuple[str, ...]
    kind_verticals: Mapping[str, tuple[str, ...]]

    def verticals_for(self, kinds: Iterable[str]) -> tuple[str, ...]:
        """The configured verticals worth searching for any of these kinds (all, when none is)."""
        wanted: set[str] = set()
        for kind in kinds:
            wanted.update(self.kind_verticals.get(kind, self.verticals))
        chosen = tuple(v for v in self.verticals if v in wanted)
        return chosen or self.verticals


def or_operator(cfg: SourceConfig, module: SearchSource) -> str:
    """The operator this source joins alternatives with: the setting when given, else the engine's own."""
    return module.OR_OPERATOR if cfg.or_operator is None else cfg.or_operator


def plan_run(
    terms: Sequence[PlanTerm],
    sources: Sequence[SourceConfig],
    calls_used_today: Mapping[str, int],
    last_success: Mapping[str, datetime | None],
    starved: Mapping[str, Sequence[int]],
    busy: Mapping[str, Sequence[int]] | None = None,
) -> list[SourcePlan]:
    """A plan per enabled search source, in the order given (sources that are not search engines skipped).
    `busy`: per source, the terms whose own query its last run ended at `max_pages` while still paying."""
    plans: list[SourcePlan] = []
    for cfg in sources:
        module = source_module(cfg.name)
        if not cfg.enabled or module is None:
            continue
        budget = max(0, cfg.daily_budget - calls_used_today.get(cfg.name, 0))
        starved_here = frozenset(starved.get(cfg.name, ()))
        engine = _Engine(
            operator=or_operator(cfg, module),
            korean_only=module.KOREAN_ONLY,
            verticals=active_verticals(cfg, module.VERTICALS),
            kind_verticals=module.KIND_VERTICALS,
        )
        history = frozenset((busy or {}).get(cfg.name, ()))
        last_ok = last_success.get(cfg.name)
        plans.append(_plan_source(terms, cfg, engine, budget, last_ok, starved_here, history))
    return plans


def _plan_source(
    terms: Sequence[PlanTerm],
    cfg: SourceConfig,
    engine: _Engine,
    budget: int,
    last_ok: datetime | None,
    starved: frozenset[int],
    busy: frozenset[int],
) -> SourcePlan:
    query_cost = 1  # the first page; see the module notes
    full = _needs_full_search(last_ok, starved)
    ordered = sorted((t for t in terms if _phrases(t)), key=_priority(starved, full))
    since = None if last_ok is None else _utc(last_ok) - FRESHNESS_OVERLAP
    queries: list[Query] = []
    spent = 0
    reached: list[int] = []
    unreached: list[int] = []
    units, leftovers = _exact_units(ordered, engine, busy)
    for unit in units:
        cost = len(unit.groups) * len(unit.verticals) * query_cost
        if spent + cost > budget:
            unreached.extend(t.term_id for t in unit.terms)
            continue
        unit_since = None if any(full(t) for t in unit.terms) else since
        queries.extend(_queries(unit.groups, unit.verticals, unit.terms, unit_since, engine))
        spent += cost
        reached.extend(t.term_id for t in unit.terms)
    if not unreached:
        for term, group in _variant_rounds(ordered, leftovers):
            verticals = engine.verticals_for((term.kind,))
            group_cost = len(verticals) * query_cost
            if spent + group_cost > budget:
                break
            queries.extend(_queries((group,), verticals, (term,), None, engine))
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


def _exact_units(
    ordered: Sequence[PlanTerm], engine: _Engine, busy: frozenset[int]
) -> tuple[list[_Unit], dict[int, list[str]]]:
    """Units in priority order (a case's pooled terms are planned where its best-placed member stands),
    and per term id the generated spellings left for the variant tier. A busy term is never pooled."""
    joins = bool(engine.operator)
    pooled: dict[int, list[PlanTerm]] = {}

    def pools(term: PlanTerm) -> bool:
        return joins and term.kind in POOLED_KINDS and term.term_id not in busy

    for term in ordered:
        if pools(term):
            pooled.setdefault(term.case_id, []).append(term)
    units: list[_Unit] = []
    leftovers: dict[int, list[str]] = {}
    for term in ordered:
        members = pooled.get(term.case_id) if pools(term) else None
        if members is None:
            members = [term]
        elif members[0] is not term:
            continue
        own = _distinct(text for member in members for text in _phrases(member))
        groups = _groups(own, engine.operator)
        for member in members:
            extra = _variant_texts(member, own, engine.korean_only)
            if joins:
                groups, extra = _ride_along(groups, extra, engine.operator)
            if extra:
                leftovers[member.term_id] = extra
        verticals = engine.verticals_for(member.kind for member in members)
        units.append(_Unit(tuple(members), groups, verticals))
    return units, leftovers


def _ride_along(
    groups: tuple[tuple[str, ...], ...], extra: Sequence[str], operator: str
) -> tuple[tuple[tuple[str, ...], ...], list[str]]:
    """Spellings added to the last group while it stays within bounds; the rest is returned."""
    if not groups:
        return groups, list(extra)
    last = list(groups[-1])
    rest: list[str] = []
    for text in extra:
        if _fits([*last, text], operator):
            last.append(text)
        else:
            rest.append(text)
    return (*groups[:-1], tuple(last)), rest


def _variant_rounds(
    ordered: Sequence[PlanTerm], leftovers: Mapping[int, Sequence[str]]
) -> Iterable[tuple[PlanTerm, tuple[str, ...]]]:
    """(term, group) in rounds: every term's first variant, then every term's second, ..."""
    per_term = [(term, leftovers.get(term.term_id, ())) for term in ordered]
    depth = max((len(texts) for _, texts in per_term), default=0)
    for level in range(depth):
        for term, texts in per_term:
            if level < len(texts):
                yield term, (texts[level],)


def _phrases(term: PlanTerm) -> list[str]:
    return _distinct([term.text, *term.aliases])


def _variant_texts(term: PlanTerm, own: Sequence[str], korean_only: bool) -> list[str]:
    """The term's generated spellings worth a search on this engine, best first."""
    known = {_fold(text) for text in own}
    own_words = [_words(text) for text in own]
    texts: list[str] = []
    for kind, text in term.variants:
        if kind in UNSEARCHED_VARIANTS or _JAMO_ONLY.fullmatch(text) or len(text.strip()) < 2:
            continue
        if korean_only and kind in FOREIGN_VARIANTS:
            continue
        folded = _fold(text)
        if folded in known or not phrase(text):
            continue
        if any(_contains(_words(text), words) for words in own_words):
            continue  # `@handle`: every page with it already answers the phrase `handle`
        known.add(folded)
        texts.append(text)
    return texts


def _words(text: str) -> list[str]:
    return _WORD.findall(text.casefold())


def _contains(words: Sequence[str], part: Sequence[str]) -> bool:
    """Whether `part` occurs in `words` as a run of whole words."""
    if not part or len(part) > len(words):
        return False
    return any(list(words[i : i + len(part)]) == list(part) for i in range(len(words) - len(part) + 1))


def _fits(texts: Sequence[str], operator: str) -> bool:
    joined = any_of(texts, operator)
    return (
        len(texts) <= MAX_ALTERNATIVES
        and len(joined) <= MAX_QUERY_CHARS
        and len(joined.split()) <= MAX_QUERY_WORDS
    )


def _groups(texts: Sequence[str], operator: str) -> tuple[tuple[str, ...], ...]:
    """One group per query: every text alone, or OR groups bounded by count and length."""
    if not operator:
        return tuple((text,) for text in texts)
    groups: list[tuple[str, ...]] = []
    current: list[str] = []
    for text in texts:
        candidate = [*current, text]
        if current and not _fits(candidate, operator):
            groups.append(tuple(current))
            candidate = [text]
        current = candidate
    if current:
        groups.append(tuple(current))
    return tuple(groups)


def _queries(
    groups: Sequence[tuple[str, ...]],
    verticals: Sequence[str],
    members: Sequence[PlanTerm],
    since: datetime | None,
    engine: _Engine,
) -> list[Query]:
    """A single phrase stays `exact` (the source quotes it if its engine can); a group is sent as written,
    already quoted, and stays `exact` when all its phrases are one term's. A query is filed under the
    highest-priority term it carries and names every term it carries (`term_ids`), so that each is
    reported unreached when the query is cut, and its results are matched against all of them. A query
    carrying several terms also carries their own queries (`split`), run if it is cut short."""
    lead = members[0]
    out: list[Query] = []
    for group in groups:
        joined = len(group) > 1
        text = any_of(group, engine.operator) if joined else " ".join(group[0].split())
        carried = _carried(group, members) or (lead.term_id,)
        exact = len(carried) == 1
        for vertical in verticals:
            split: tuple[Query, ...] = ()
            if len(carried) > 1:
                alone = [
                    member
                    for member in members
                    if member.term_id in carried and vertical in engine.verticals_for((member.kind,))
                ]
                split = tuple(
                    query
                    for member in alone
                    for query in _queries(_own_groups(member, engine), (vertical,), (member,), since, engine)
                )
            out.append(
                Query(
                    text=text,
                    case_id=lead.case_id,
                    term_id=carried[0],
                    exact=exact,
                    vertical=vertical,
                    since=since,
                    joined=joined,
                    term_ids=carried if len(carried) > 1 else (),
                    split=split,
                )
            )
    return out


def _own_groups(term: PlanTerm, engine: _Engine) -> tuple[tuple[str, ...], ...]:
    """A term's groups when it has a query of its own: its phrases, then the spellings that fit."""
    own = _phrases(term)
    extra = _variant_texts(term, own, engine.korean_only)
    groups, _ = _ride_along(_groups(own, engine.operator), extra, engine.operator)
    return groups


def _carried(group: Sequence[str], members: Sequence[PlanTerm]) -> tuple[int, ...]:
    """The members (lead first) one of whose phrases (text, alias or generated spelling) is in the group."""
    if len(members) == 1:
        return (members[0].term_id,)
    folded = {_fold(text) for text in group}
    return tuple(
        member.term_id
        for member in members
        if folded & {_fold(t) for t in (member.text, *member.aliases, *(text for _, text in member.variants))}
    )


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
