"""Weak variants (초성, partial 초성, masks), looked for only in windows around a second signal (anagrams are
reordered names in the main automaton, see `index`).

Thousands of names share the same initials, so these forms are meaningless alone and would flood a scan of a
whole page. Near a keyword or another term of the case they become worth reporting, at low confidence.
Candidates come from a dictionary keyed by initials, so the work per
window does not depend on how many terms are registered (beyond the few that share a key).
"""

from __future__ import annotations

import re

from matching import hangul
from matching.candidate import Candidate
from matching.index import Index, members
from matching.judge import judge, starts_inside_word
from matching.kinds import GAP_NONE
from matching.lexicon import MASK
from matching.views import View

_LAUGHTER = frozenset("ㅋㅎ")
_CONSONANT_OR_MASK = re.compile("[\u3131-\u314e" + MASK + "]")
SYLLABLE, CONSONANT, MASKED, OTHER = 0, 1, 2, 3


def _kind(char: str) -> int:
    if hangul.is_syllable(char):
        return SYLLABLE
    if char == MASK:
        return MASKED
    if hangul.is_jamo(char) and hangul.is_consonant(char):
        return CONSONANT
    return OTHER


def _accept(
    view: View,
    index: Index,
    allowed: set[int] | None,
    term_index: int,
    start: int,
    end: int,
    base: str,
    reason: str,
) -> Candidate | None:
    term = index.term(term_index)
    if allowed is not None and term.case_id not in allowed:
        return None
    verdict = judge(view, start, end, surname_len=term.surname_len)
    if verdict is None:
        return None
    orig_start, orig_end = view.orig_span(start, end)
    return Candidate(
        term_index,
        base,
        orig_start,
        orig_end,
        view.flags(start, end),
        verdict.spacing,
        (reason, *verdict.reasons),
        needs_context=True,
    )


def _chosung_edges_ok(view: View, start: int, end: int) -> bool:
    """A string of initials must not be part of a longer one (ㅋㅋ after it is laughter and allowed)."""
    text = view.text
    if start > 0 and view.gap(start) == GAP_NONE and _kind(text[start - 1]) == CONSONANT:
        return False
    return not (
        end < len(text)
        and view.gap(end) == GAP_NONE
        and _kind(text[end]) == CONSONANT
        and text[end] not in _LAUGHTER
    )


def initial_candidates(
    view: View, lo: int, hi: int, index: Index, allowed: set[int] | None
) -> list[Candidate]:
    """초성, partial 초성 and masks: spans in [lo, hi) holding at least one consonant jamo or one mask."""
    text = view.text
    if not _CONSONANT_OR_MASK.search(text, lo, hi):
        return []
    kinds = [_kind(c) for c in text[lo:hi]]
    longest = max(index.weak_lengths, default=0)
    starts: set[int] = set()
    for offset, kind in enumerate(kinds):
        if kind in (CONSONANT, MASKED):
            starts.update(range(max(0, offset - longest + 1), offset + 1))
    found: list[Candidate] = []
    for offset in sorted(starts):
        start = lo + offset
        if starts_inside_word(view, start):
            continue
        counts = [0, 0, 0, 0]
        reached = offset
        for length in index.weak_lengths:
            end = offset + length
            if end > len(kinds):
                break
            while reached < end:
                counts[kinds[reached]] += 1
                reached += 1
            if counts[OTHER]:
                break
            if not _evenly_written(view, start, start + length):
                continue
            span = text[start : start + length]
            if counts[MASKED] == 0 and counts[CONSONANT]:
                found += _initials(view, index, allowed, start, span, counts[SYLLABLE])
            elif counts[MASKED] == 1 and counts[CONSONANT] == 0 and length >= 3:
                found += _masks(view, index, allowed, start, span)
    return found


def _evenly_written(view: View, start: int, end: int) -> bool:
    """Written as one word, split once (ㄱ 민지), or with a gap between every pair of characters (ㅎ ㄱ ㄷ):
    cheap to check before the dictionary look-ups, and anything else joins pieces of unrelated words."""
    gaps = view.gaps(start, end)
    return sum(1 for g in gaps if g) <= 1 or all(gaps)


def _initials(
    view: View, index: Index, allowed: set[int] | None, start: int, span: str, syllables: int
) -> list[Candidate]:
    end = start + len(span)
    if syllables == 0 and (len(span) < 3 or not _chosung_edges_ok(view, start, end)):
        return []
    base = "chosung" if syllables == 0 else "partial-chosung"
    # The initials already agree (they are the dictionary key): only the syllables written out must be exact.
    written = [(i, c) for i, c in enumerate(span) if hangul.is_syllable(c)]
    keys = index.keys
    result = []
    for number in members(index.chosung, hangul.chosung(span)):
        key = keys[number]
        if all(key[i] == c for i, c in written):
            candidate = _accept(
                view, index, allowed, number, start, end, base, f"{base}: initials stand for syllables"
            )
            if candidate:
                result.append(candidate)
    return result


def _masks(view: View, index: Index, allowed: set[int] | None, start: int, span: str) -> list[Candidate]:
    hole = span.index(MASK)
    before, after = span[:hole], span[hole + 1 :]
    keys = index.keys
    result = []
    for consonant in hangul.CHO:
        for number in members(index.chosung, hangul.chosung(before + consonant + after)):
            key = keys[number]
            # Names in the initials dictionary are Hangul names of this length; the shown syllables must
            # agree.
            if len(key) >= 3 and key.startswith(before) and key.endswith(after):
                candidate = _accept(
                    view,
                    index,
                    allowed,
                    number,
                    start,
                    start + len(span),
                    "mask",
                    "mask: one syllable hidden",
                )
                if candidate:
                    result.append(candidate)
    return result
