"""Whether a search result is an exposure of the case it was searched for, and how sure we are."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

from crawler.sources.base import Query, SearchResult
from matching import Match, Matcher
from storage.cases import TermView

KIND_PRIORITY = {"name": 3, "handle": 2, "alias": 2, "keyword": 1}


@dataclass(frozen=True)
class Decision:
    confidence: str  # snippet | engine (page comes from the page fetch)
    term_id: int | None  # None: an engine-only hit of a joined query: one of its terms (decide_search_hit)
    variant: str
    score: float  # the matcher's confidence (0-1); 0 for an engine-only hit
    level: str | None = None  # the matcher's level, None for an engine-only hit
    context: frozenset[str] = frozenset()  # second signals in the result's text (matching.Match.context)


def _fold(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).casefold().split())


# A term's text and exclude words are folded for every result searched for it: once is enough.
_fold_term_text = lru_cache(maxsize=4096)(_fold)


def excluded(text: str, term: TermView) -> bool:
    """An advocate's exclude word anywhere in the result drops it (a namesake's job title, say)."""
    return _excluded_folded(_fold(text), term)


def _excluded_folded(folded: str, term: TermView) -> bool:
    for word in term.exclude:
        folded_word = _fold_term_text(word)
        if folded_word and folded_word in folded:
            return True
    return False


def decide_search_hit(
    result: SearchResult,
    query: Query,
    term: TermView | None,
    matches: Sequence[Match],
    views: Mapping[int, TermView] | None = None,
) -> Decision | None:
    """`snippet` when the matcher saw a term of the case in the title or snippet; `engine` when it
    did not, but the engine returned the result for an exact-phrase query of the term; else None.

    A joined query carrying several terms of the case (`query.term_ids`, their views in `views`) is
    judged as its terms' own queries would have been: a result that shows one of them stands (the
    matcher has already applied that term's exclude words), one that shows none is dropped by any of
    their exclude words, and the engine's word alone makes it an `engine` exposure of the case with
    no term named (the engine answered one of the phrases, not which; a page fetch can tell)."""
    members = _members(query, term, views)
    # Folded once: the exclude words and the engine-only check below both look in it.
    folded = _fold(f"{result.title}\n{result.snippet}") if members else ""
    case_matches = [m for m in matches if m.case_id == query.case_id]
    shown = any(m.term_id in query.terms for m in case_matches)
    if (len(members) == 1 or not shown) and any(_excluded_folded(folded, view) for view in members):
        return None
    if case_matches:
        # The strongest evidence names the exposure: a name over a school keyword, an exact spelling
        # over a disguise; the term the engine was asked about breaks ties.
        best = max(
            case_matches,
            key=lambda m: (m.confidence, KIND_PRIORITY.get(m.kind, 0), m.term_id in query.terms),
        )
        return Decision(
            confidence="snippet",
            term_id=best.term_id,
            variant=best.variant,
            score=best.confidence,
            level=best.level,
            context=best.context,
        )
    if any(_fold_term_text(view.text) in folded for view in members):
        # The words are there but the matcher ruled them out (홍길동전, a join across words):
        # the engine's say-so does not overrule that.
        return None
    if query.exact and term is not None:
        return Decision(confidence="engine", term_id=term.id, variant="engine", score=0.0)
    if query.joined and len(query.terms) > 1 and members:
        return Decision(confidence="engine", term_id=None, variant="engine", score=0.0)
    return None


def _members(query: Query, term: TermView | None, views: Mapping[int, TermView] | None) -> list[TermView]:
    """The views of the terms the query searched for (the query's own term when no views are given)."""
    if views is None or len(query.terms) == 1:
        return [] if term is None else [term]
    return [views[t] for t in query.terms if t in views]


def worth_next_page(
    query: Query, results: Sequence[SearchResult], decisions: Sequence[Decision | None]
) -> bool:
    """Whether reading the next page can still pay: the matcher saw a term of the case on this page, or
    every result on it is newer than `since` (new since the last pass, so later pages may hold more).

    A page whose results name nobody ends the query, even when the engine's word alone made some of
    them `engine` exposures: engines rank by relevance or date, and a quiet page is followed by quieter
    ones. This is what keeps a quiet night at one call per query.
    """
    if any(d is not None and d.confidence != "engine" for d in decisions):
        return True
    if query.since is None or not results:
        return False
    cutoff = query.since
    return all(r.published is not None and _aware(r.published) >= _aware(cutoff) for r in results)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def judge_page(
    matcher: Matcher,
    term: TermView | None,
    query: Query,
    results: Sequence[SearchResult],
    views: Mapping[int, TermView] | None = None,
) -> list[Decision | None]:
    """Each result's decision, in order; the spider pages on them and the pipeline stores them.
    `views`: the active terms by id, for a joined query that carries several terms of its case."""
    case_ids = {query.case_id}
    return [
        decide_search_hit(r, query, term, matcher.scan(f"{r.title}\n{r.snippet}", case_ids=case_ids), views)
        for r in results
    ]
