"""One pass over a text: build the views, run the automata, weigh candidates against context and
exclusions."""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import accumulate, compress
from operator import add, itemgetter, ne, or_

from matching import patterns
from matching.candidate import Candidate, distance
from matching.index import Index, members
from matching.judge import judge
from matching.latin import SurnameHit, handle_candidates, mixed_candidates, roman_candidates
from matching.lexicon import GENERIC_KEYWORDS, KEYWORDS, MASK, PARTICLE_SET
from matching.normalize import clean, is_plain
from matching.regions import word_pieces
from matching.romanize import surname_keys
from matching.terms import Term
from matching.variants import reduced
from matching.views import SEPARATOR_SPLIT, WORD_MARK, DenseView, Page, View, WordsView
from matching.weak import initial_candidates
from matching.windows import mask_views, merge_ranges, qwerty_views, recomposition_views

CONTEXT_WINDOW = 50
FUZZY_BASES = frozenset({"respelled", "elongation"})
_FIRST_TWO = itemgetter(slice(0, 2))
_FIRST_THIRD = itemgetter(slice(0, 3, 2))
_SECOND_THIRD = itemgetter(slice(1, 3))
_CONSONANT = re.compile("[\u3131-\u314e" + MASK + "]")


@dataclass(slots=True)
class Signal:
    """A second signal: an exploitation keyword (case_id None) or a found term / context word of a case."""

    start: int
    end: int
    case_id: int | None
    generic: bool = False
    term: int = -1


@dataclass
class ScanState:
    """What one scan has gathered so far."""

    candidates: list[Candidate] = field(default_factory=list)
    signals: list[Signal] = field(default_factory=list)
    innocent: dict[int, list[tuple[int, int]]] = field(default_factory=dict)
    excluded: set[int] = field(default_factory=set)
    surnames: list[SurnameHit] = field(default_factory=list)


def _compact_hits(
    view: View,
    index: Index,
    allowed: set[int] | None,
    state: ScanState,
    hits: Iterable[tuple[int, int, int]] | None = None,
) -> None:
    """Candidates and signals from the main automaton's hits in `view` (found here unless given)."""
    term_of = index.term
    for start, end, pattern in index.main.find(view.text) if hits is None else hits:
        for entry in index.main.entries_of(pattern):
            role = entry & patterns.ROLE_MASK
            number = entry >> patterns.ROLE_BITS
            if role == patterns.KEYWORD:
                if judge(view, start, end, signal=True):
                    orig = view.orig_span(start, end)
                    state.signals.append(Signal(*orig, None, KEYWORDS[number] in GENERIC_KEYWORDS))
                continue
            term = term_of(number)
            if allowed is not None and term.case_id not in allowed:
                continue
            if role in (patterns.CONTEXT, patterns.EXCLUDE):
                if judge(view, start, end, signal=True, lenient=role == patterns.EXCLUDE):
                    orig = view.orig_span(start, end)
                    if role == patterns.CONTEXT:
                        state.signals.append(Signal(*orig, term.case_id))
                    elif term.key in view.text[start:end]:
                        state.innocent.setdefault(term.number, []).append(orig)
                    else:
                        state.excluded.add(term.number)
                continue
            if role == patterns.ANAGRAM and _particle_reading(
                term.key, term.surname_len, view.text[start:end]
            ):
                continue
            verdict = judge(
                view,
                start,
                end,
                surname_len=term.surname_len,
                school=term.kind == "keyword",
                fuzzy=role == patterns.ELONGATION,
            )
            if verdict is None:
                continue
            base = {
                patterns.ALIAS: "alias",
                patterns.ELONGATION: "elongation",
                patterns.ANAGRAM: "anagram",
            }.get(role, "particle" if verdict.particle else "exact")
            reasons = verdict.reasons
            if role == patterns.ELONGATION:
                reasons = ("elongation: one syllable stretched in two", *reasons)
            elif role == patterns.ALIAS:
                reasons = ("alias: registered spelling", *reasons)
            elif role == patterns.ANAGRAM:
                reasons = ("anagram: syllables reordered", *reasons)
            state.candidates.append(
                Candidate(
                    term.number,
                    base,
                    *view.orig_span(start, end),
                    view.flags(start, end),
                    verdict.spacing,
                    reasons,
                    verdict.needs_context or role == patterns.ANAGRAM,
                )
            )


def _particle_reading(key: str, surname_len: int, written: str) -> bool:
    """서연이 is 서연 with a particle, not 이서연 reordered."""
    surname = key[:surname_len]
    return surname in PARTICLE_SET and written == key[len(surname) :] + surname


def _is_registered_name(index: Index, written: str) -> bool:
    return any(
        entry & patterns.ROLE_MASK == patterns.EXACT and index.term(entry >> patterns.ROLE_BITS).surname_len
        for entry in index.main.lookup(written)
    )


def _respelling_sites(
    pieces: list[str], index: Index, allowed: set[int] | None, *, filtered: bool = True
) -> list[tuple[int, list[Term], str, int]]:
    """Names with one jamo changed, found in three reduced copies of the page's words (see
    `variants.REDUCERS`): (piece index of the word, terms, which jamo, length written), in the order the
    matcher has always reported them.

    Only word starts are searched (the patterns begin with a word mark): a respelling inside a longer word is
    rejected anyway, and in name-heavy text most reduced hits are exactly those.
    """
    term_of = index.term
    keys = index.keys
    # Pages repeat their words (particles, everyday words, the names themselves): each distinct word is
    # searched once, and only a word that proves a respelling is looked up in the page. Respelled names have
    # three syllables or more, so shorter words (half of Korean text) are left out, with C-level calls only.
    # A set, not an ordered dict (half the cost): the order is restored below, for the few words found.
    unique = set(pieces)
    distinct = list(compress(unique, map((2).__lt__, map(len, unique))))  # three characters or more
    if filtered:
        # One jamo of one syllable differs, so two of the first three syllables are as registered: a word none
        # of whose pairs (1st 2nd, 1st 3rd, 2nd 3rd) is that pair of a registered name is no respelling.
        first, second, third = index.respell_heads
        maybe = map(
            or_,
            map(
                or_,
                map(first.__contains__, map(_FIRST_TWO, distinct)),
                map(second.__contains__, map(_FIRST_THIRD, distinct)),
            ),
            map(third.__contains__, map(_SECOND_THIRD, distinct)),
        )
        distinct = list(compress(distinct, maybe))
    if not distinct:
        return []
    distinct_starts = list(accumulate(map(len, distinct[:-1]), initial=0))
    marks = list(map(add, distinct_starts, range(len(distinct_starts))))  # each earlier word brought a mark
    marked = WORD_MARK + WORD_MARK.join(distinct)
    found: list[tuple[int, str, list[Term], str, int]] = []
    for rank, (which, pattern_set) in enumerate(index.respell.items()):
        if not len(pattern_set):
            continue
        for mark, end, pattern in pattern_set.find(reduced(marked, which)):
            word = bisect_left(marks, mark)
            written = distinct[word][: end - mark - 1]
            chosen = []
            for entry in pattern_set.entries_of(pattern):
                number = entry >> patterns.ROLE_BITS
                if sum(map(ne, written, keys[number])) == 1:
                    term = term_of(number)
                    if allowed is None or term.case_id in allowed:
                        chosen.append(term)
            # When the text names another registered person exactly, reading it as a disguise of a neighbour
            # (성성규 -> 서성규) would flag every victim one jamo away from every name in the text.
            if not chosen or _is_registered_name(index, written):
                continue
            found.append((rank, distinct[word], chosen, which, len(written)))
    if not found:
        return []
    words = {word for _, word, _, _, _ in found}
    where: dict[str, list[int]] = {}
    for k in compress(range(len(pieces)), map(words.__contains__, pieces)):
        where.setdefault(pieces[k], []).append(k)
    # Words in the order they first appear in the page (a stable sort keeps each word's hits in order).
    found.sort(key=lambda item: (item[0], where[item[1]][0]))
    return [(k, chosen, which, size) for _, word, chosen, which, size in found for k in where[word]]


def _add_respelling(
    view: DenseView | WordsView, state: ScanState, chosen: list[Term], which: str, start: int, end: int
) -> None:
    # Respellings are contiguous and start a word, so the verdict is the same for every term here.
    verdict = judge(view, start, end, surname_len=chosen[0].surname_len, fuzzy=True)
    if verdict is None:
        return
    span = view.orig_span(start, end)
    flags = view.flags(start, end)
    reasons = (f"respelled: the {which} jamo of one syllable differs", *verdict.reasons)
    for term in chosen:
        state.candidates.append(
            Candidate(
                term.number,
                "respelled",
                *span,
                flags,
                verdict.spacing,
                reasons,
                verdict.needs_context,
            )
        )


def _finds_any(index: Index, probe: str) -> bool:
    return any(index.main.find(SEPARATOR_SPLIT.sub("", probe)))


def gather(
    text: str,
    index: Index,
    allowed: set[int] | None,
    *,
    everywhere: bool = False,
    exhaustive: bool = False,
) -> ScanState:
    """Runs every view and automaton over `text` and returns candidates, signals and exclusions.

    Weak variants are looked for near the signals only, or over the whole text with `everywhere` (for
    masking, where a false hit costs one masked word and a missed one leaks a name). The compact view is
    answered from the page's words (`views.WordsView`) and every view runs behind a pre-filter; `exhaustive`
    builds the compact view's edit layer and turns the pre-filters off: the reference the tests hold the
    filtered scan to.
    """
    state = ScanState()
    plain = is_plain(text)
    page = Page(text, clean(text, plain), pure=True if plain else None)
    pieces = word_pieces(page.clean.text, page.pure)
    sites = _respelling_sites(pieces, index, allowed, filtered=not exhaustive)
    # Compact start of every piece; a piece's clean start is that plus its index (one separator each).
    sums = list(accumulate(map(len, pieces), initial=0))
    view: DenseView | WordsView
    if exhaustive:
        view = DenseView(text, page.clean)
        _compact_hits(view, index, allowed, state)
    else:
        # The words joined are the compact view's text: one automaton pass, and the view answers from them.
        joined = "".join(pieces)
        view = WordsView(page, pieces, sums, joined)
        _compact_hits(view, index, allowed, state, index.main.find(joined))

    def probe(candidate: str) -> bool:
        return _finds_any(index, candidate)

    for window in recomposition_views(page, probe, exhaustive=exhaustive) + qwerty_views(page, probe):
        _compact_hits(window, index, allowed, state)
    for k, chosen, which, size in sites:
        _add_respelling(view, state, chosen, which, sums[k], sums[k] + size)
    romanized, state.surnames = roman_candidates(page, index, allowed, exhaustive=exhaustive)
    state.candidates += romanized
    state.candidates += handle_candidates(page, index, allowed, exhaustive=exhaustive)
    state.candidates += mixed_candidates(page, index, allowed, exhaustive=exhaustive)
    _apply_exclusions(state)
    for candidate in state.candidates:
        # Only clear occurrences vouch for a neighbour; a respelling or a stretched name is itself uncertain.
        # A match of a case's only term vouches for nothing (a term is not its own context), so it is skipped:
        # with a big registry most matches are of that kind, and each signal costs a window of weak-variant
        # work.
        if not candidate.needs_context and candidate.base not in FUZZY_BASES:
            case_id = index.term(candidate.term).case_id
            if len(members(index.case_terms, case_id)) > 1:
                state.signals.append(Signal(candidate.start, candidate.end, case_id, term=candidate.term))
    if state.signals or everywhere:
        _weak(page, view, index, allowed, state, everywhere, exhaustive=exhaustive)
        _apply_exclusions(state)
    return state


def _weak(
    page: Page,
    view: DenseView | WordsView,
    index: Index,
    allowed: set[int] | None,
    state: ScanState,
    everywhere: bool = False,
    *,
    exhaustive: bool = False,
) -> None:
    """Weak variants in the neighbourhood of the signals (in clean-text coordinates, then compact ones), or
    in the whole text."""
    reach = CONTEXT_WINDOW + 12
    text = page.clean.text
    clean_ranges = merge_ranges(
        [(0, len(text))]
        if everywhere
        else [
            (max(0, page.clean.output_index(s.start) - reach), page.clean.output_index(s.end) + reach)
            for s in state.signals
        ]
    )
    for lo, hi in clean_ranges:
        hi = min(hi, len(text))
        # 초성 and partial 초성 need a consonant jamo in the compact view (whose characters are the clean
        # text's).
        if exhaustive or _CONSONANT.search(text, lo, hi):
            state.candidates += initial_candidates(
                view, view.compact_of_clean(lo), view.compact_of_clean(hi), index, allowed
            )
    for window in mask_views(page, clean_ranges):
        state.candidates += initial_candidates(window, 0, len(window.text), index, allowed)
    state.candidates += _surname_candidates(page, state, index, allowed)


def _apply_exclusions(state: ScanState) -> None:
    """Drops candidates of excluded terms and those inside an innocent word of their term (홍길동전)."""
    covering: dict[int, tuple[list[int], list[int]]] = {}
    for term, spans in state.innocent.items():
        spans.sort()
        # Running maximum of ends: the span starting last at or before a candidate covers it if any does.
        covering[term] = ([s for s, _ in spans], list(accumulate((e for _, e in spans), max)))

    def kept(candidate: Candidate) -> bool:
        if candidate.term in state.excluded:
            return False
        if candidate.term not in covering:
            return True
        starts, reach = covering[candidate.term]
        position = bisect_right(starts, candidate.start) - 1
        return position < 0 or reach[position] < candidate.end

    state.candidates = [c for c in state.candidates if kept(c)]


def _surname_candidates(
    dense: Page, state: ScanState, index: Index, allowed: set[int] | None
) -> list[Candidate]:
    """A bare romanized surname counts only next to another term of the same case (Kim is 20% of Korea).

    Surname hits are in clean-text positions; the few case signals are moved there too, so the many surnames
    of an English page cost a bisect each.
    """
    case_signals = sorted(
        (
            (dense.clean.output_index(s.start), dense.clean.output_index(s.end), s)
            for s in state.signals
            if s.case_id is not None
        ),
        key=lambda item: item[0],
    )
    if not case_signals or not state.surnames:
        return []
    starts = [start for start, _, _ in case_signals]
    longest = max(end - start for start, end, _ in case_signals)
    result: list[Candidate] = []
    for hit in state.surnames:
        low = bisect_left(starts, hit.start - CONTEXT_WINDOW - longest)
        high = bisect_left(starts, hit.end + CONTEXT_WINDOW + 1)
        for start, end, signal in case_signals[low:high]:
            case_id = signal.case_id
            if case_id is None or distance(hit.start, hit.end, start, end) > CONTEXT_WINDOW:
                continue
            if allowed is not None and case_id not in allowed:
                continue
            for number in members(index.case_terms, case_id):
                term = index.term(number)
                if (
                    term.surname_len
                    and number != signal.term
                    and hit.key in surname_keys(term.key[: term.surname_len])
                ):
                    orig_start, orig_end = dense.clean.source_span(hit.start, hit.end)
                    result.append(
                        Candidate(
                            number,
                            "romanized-surname",
                            orig_start,
                            orig_end,
                            0,
                            "",
                            ("romanized-surname: surname alone",),
                            True,
                            True,
                        )
                    )
    return result


def context_for(
    candidate: Candidate, case_id: int, signals: list[Signal], starts: list[int], longest: int
) -> str | None:
    """The reason a weak candidate may count, or None if no second signal is near enough.

    `signals` are sorted by start and none is longer than `longest`, so the search can begin that far back.
    """
    keyword: str | None = None
    first, last = candidate.start - CONTEXT_WINDOW, candidate.end + CONTEXT_WINDOW
    position = bisect_left(starts, first - longest)
    while position < len(signals):
        signal = signals[position]
        position += 1
        if signal.start > last:
            break
        if signal.end < first or (signal.start < candidate.end and candidate.start < signal.end):
            continue  # too far, or overlapping: the same words cannot be their own context
        if signal.case_id == case_id and signal.term != candidate.term:
            return "context: another term of the case nearby"
        if signal.case_id is None and not candidate.case_signal_only:
            if not signal.generic:
                keyword = "context: exploitation keyword nearby"
            elif keyword is None:
                keyword = "context: generic keyword nearby"
    return keyword


__all__ = ["CONTEXT_WINDOW", "ScanState", "Signal", "context_for", "gather"]
