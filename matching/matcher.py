"""Public API: `Matcher.build(specs)` once per change of terms, then `matcher.scan(text)` for every text."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass

from matching.candidate import Candidate
from matching.index import Index, build_index
from matching.kinds import HIGH_LEVEL, WEAK_VARIANTS
from matching.queries import search_queries
from matching.scan import Signal, context_for, gather
from matching.terms import TermSpec

# A weak variant with a second signal is reported, but stays below the alert level.
WEAK_CEILING = 0.55
CASE_CONTEXT_BONUS = 0.25
KEYWORD_CONTEXT_BONUS = 0.2
GENERIC_CONTEXT_BONUS = 0.1


@dataclass(frozen=True)
class Match:
    """One exposure of a term: where (span in the original text, end exclusive), how it was written, how
    sure."""

    case_id: int
    term_id: int
    term: str
    kind: str
    variant: str
    start: int
    end: int
    text: str
    confidence: float
    level: str
    reasons: tuple[str, ...]
    # Second signals anywhere in the same text (not only near the match), for triage scoring: "case" (another
    # term or a context word of the case), "keyword" (an exploitation keyword), "generic" (a common one).
    context: frozenset[str] = frozenset()


class Matcher:
    """All registered terms of all cases, compiled into one set of automata."""

    def __init__(self, index: Index) -> None:
        self._index = index

    @classmethod
    def build(cls, specs: Iterable[TermSpec]) -> Matcher:
        """Compiles the terms; raises `TermSpecError` (naming the term id, never its text) on a bad spec."""
        return cls(build_index(specs))

    @property
    def term_count(self) -> int:
        return len(self._index)

    def scan(self, text: str, case_ids: Collection[int] | None = None) -> list[Match]:
        """Best match per (case, term, span) in `text`, for the given cases (None: all), in text order."""
        return self._scan(text, case_ids, exhaustive=False)

    def reference_scan(self, text: str, case_ids: Collection[int] | None = None) -> list[Match]:
        """What `scan` returns, computed without any pre-filter (every view over the whole text): slow, the
        reference that tests hold `scan` to."""
        return self._scan(text, case_ids, exhaustive=True)

    def _scan(self, text: str, case_ids: Collection[int] | None, *, exhaustive: bool) -> list[Match]:
        if not text:
            return []
        allowed = set(case_ids) if case_ids is not None else None
        state = gather(text, self._index, allowed, exhaustive=exhaustive)
        signals = sorted(state.signals, key=lambda s: s.start)
        starts = [s.start for s in signals]
        longest = max((s.end - s.start for s in signals), default=0)
        matches: list[Match] = []
        for candidate in state.candidates:
            match = self._decide(text, candidate, signals, starts, longest)
            if match is not None:
                matches.append(match)
        return _with_context(_best_per_span(matches), signals, lambda n: self._index.term(n).term_id)

    def spans_to_mask(
        self, text: str, case_ids: Collection[int] | None = None, *, exhaustive: bool = False
    ) -> list[tuple[int, int]]:
        """Every span of `text` (original positions, end exclusive) that any variant of a term of the given
        cases may occupy, weak ones included with or without a second signal: what an export must mask.

        A masked innocent word costs little; a name left readable because it lacked context leaks it.
        """
        if not text:
            return []
        allowed = set(case_ids) if case_ids is not None else None
        state = gather(text, self._index, allowed, everywhere=True, exhaustive=exhaustive)
        return sorted({(c.start, c.end) for c in state.candidates})

    def _decide(
        self, text: str, candidate: Candidate, signals: list[Signal], starts: list[int], longest: int
    ) -> Match | None:
        term = self._index.term(candidate.term)
        variant, confidence = candidate.variant_and_weight()
        reasons = list(candidate.reasons)
        weak = candidate.needs_context or candidate.base in WEAK_VARIANTS
        if weak:
            context = context_for(candidate, term.case_id, signals, starts, longest)
            if context is None:
                return None
            reasons.append(context)
            bonus = (
                CASE_CONTEXT_BONUS
                if "case" in context
                else (GENERIC_CONTEXT_BONUS if "generic" in context else KEYWORD_CONTEXT_BONUS)
            )
            confidence = round(min(WEAK_CEILING, confidence + bonus), 2)
        level = "high" if confidence >= HIGH_LEVEL and not weak else "low"
        return Match(
            term.case_id,
            term.term_id,
            term.text,
            term.kind,
            variant,
            candidate.start,
            candidate.end,
            text[candidate.start : candidate.end],
            confidence,
            level,
            (f"variant: {variant}", *reasons),
        )

    def search_variants(self, spec: TermSpec) -> list[tuple[str, str]]:
        """(variant kind, query) pairs worth sending to a search engine, best first: the term as registered,
        its aliases (and a school's short forms), then full romanizations in both name orders."""
        return search_queries(spec)


def _with_context(
    matches: list[Match], signals: list[Signal], term_id_of: Callable[[int], int]
) -> list[Match]:
    """Each match with the second signals its text holds: one pass over the signals, one over the matches."""
    if not matches or not signals:
        return matches
    keywords: set[str] = set()
    case_terms: dict[int, set[int]] = {}  # case -> term ids seen (-1: a context word)
    for signal in signals:
        if signal.case_id is None:
            keywords.add("generic" if signal.generic else "keyword")
        else:
            term_id = term_id_of(signal.term) if signal.term >= 0 else -1
            case_terms.setdefault(signal.case_id, set()).add(term_id)
    out = []
    for match in matches:
        found = set(keywords)
        # A term is not its own context: only a context word or another of the case's terms counts.
        if case_terms.get(match.case_id, set()) - {match.term_id}:
            found.add("case")
        if found:
            # Positional, not dataclasses.replace: this runs for every match of every page.
            m = match
            match = Match(
                m.case_id,
                m.term_id,
                m.term,
                m.kind,
                m.variant,
                m.start,
                m.end,
                m.text,
                m.confidence,
                m.level,
                m.reasons,
                frozenset(found),
            )
        out.append(match)
    return out


def _best_per_span(matches: list[Match]) -> list[Match]:
    """Keeps, per (case, term), the most confident of overlapping matches; ties go to the longer, then
    earlier."""
    matches.sort(key=lambda m: (-m.confidence, -(m.end - m.start), m.start))
    kept: list[Match] = []
    # Per term, the kept spans never overlap, so sorted by start they are sorted by end too: two neighbours
    # are all a new span can overlap.
    starts: dict[tuple[int, int], list[int]] = {}
    ends: dict[tuple[int, int], list[int]] = {}
    for match in matches:
        key = (match.case_id, match.term_id)
        term_starts = starts.setdefault(key, [])
        term_ends = ends.setdefault(key, [])
        position = bisect_left(term_starts, match.start)
        if position < len(term_starts) and term_starts[position] < match.end:
            continue
        if position > 0 and term_ends[position - 1] > match.start:
            continue
        term_starts.insert(position, match.start)
        term_ends.insert(position, match.end)
        kept.append(match)
    kept.sort(key=lambda m: (m.start, m.end, m.case_id, m.term_id))
    return kept
