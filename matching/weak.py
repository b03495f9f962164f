"""Weak variants (초성, partial 초성, masks, anagrams), looked for only in windows around a second signal.

Thousands of names share the same initials, so these forms are meaningless alone and would flood a scan of a whole
page. Near a keyword or another term of the case they become worth reporting, at low confidence. Candidates come
from dictionaries keyed by initials or sorted syllables, so the work per window does not depend on how many terms
are registered (beyond the few that share a key).
"""

from __future__ import annotations

from matching import hangul
from matching.candidate import Candidate
from matching.index import Index, members
from matching.judge import judge
from matching.kinds import GAP_NONE
from matching.lexicon import MASK
from matching.variants import anagram_key
from matching.views import UnitView

_LAUGHTER = frozenset("ㅋㅎ")


def _kind(char: str) -> int:
    """0 syllable, 1 consonant jamo, 2 mask, 3 anything else."""
    if hangul.is_syllable(char):
        return 0
    if char == MASK:
        return 2
    if hangul.is_jamo(char) and hangul.is_consonant(char):
        return 1
    return 3


def _chosung_fits(span: str, key: str) -> bool:
    return all(s == k or s == hangul.initial(k) for s, k in zip(span, key))


def _chosung_edges_ok(view: UnitView, start: int, end: int) -> bool:
    """A string of initials must not be part of a longer one (ㅋㅋ after it is laughter and allowed)."""
    text = view.text
    if view.gap(start) == GAP_NONE and start > 0 and _kind(text[start - 1]) == 1:
        return False
    if end < len(text) and view.gap(end) == GAP_NONE and _kind(text[end]) == 1 and text[end] not in _LAUGHTER:
        return False
    return True


def weak_candidates(view: UnitView, index: Index, allowed: set[int] | None) -> list[Candidate]:
    found: list[Candidate] = []
    text = view.text
    lengths = sorted(index.weak_lengths)
    kinds = [_kind(c) for c in text]
    for start in range(len(text)):
        if kinds[start] == 3:
            continue
        counts = [0, 0, 0, 0]
        reached = start
        for length in lengths:
            end = start + length
            if end > len(text):
                break
            while reached < end:
                counts[kinds[reached]] += 1
                reached += 1
            if counts[3]:
                break
            span = text[start:end]
            syllables, consonants, masks = counts[0], counts[1], counts[2]
            if masks == 0 and consonants == 0:
                if length >= 3:
                    found.extend(_anagrams(view, index, allowed, start, end, span))
            elif masks == 0:
                found.extend(_initials(view, index, allowed, start, end, span, syllables))
            elif masks == 1 and consonants == 0 and length >= 3:
                found.extend(_masks(view, index, allowed, start, end, span))
    return found


def _accept(view: UnitView, index: Index, allowed: set[int] | None, term_index: int, start: int, end: int,
            base: str, reason: str) -> Candidate | None:
    term = index.terms[term_index]
    if allowed is not None and term.case_id not in allowed:
        return None
    verdict = judge(view, start, end, surname_len=term.surname_len)
    if verdict is None:
        return None
    orig_start, orig_end = view.orig_span(start, end)
    return Candidate(term_index, base, orig_start, orig_end, view.flags(start, end), verdict.spacing,
                     (reason, *verdict.reasons), needs_context=True)


def _anagrams(view: UnitView, index: Index, allowed: set[int] | None, start: int, end: int,
              span: str) -> list[Candidate]:
    result = []
    for term_index in members(index.anagrams, anagram_key(span)):
        if index.terms[term_index].key != span:
            found = _accept(view, index, allowed, term_index, start, end, "anagram", "anagram: syllables reordered")
            if found:
                result.append(found)
    return result


def _initials(view: UnitView, index: Index, allowed: set[int] | None, start: int, end: int, span: str,
              syllables: int) -> list[Candidate]:
    if syllables == 0 and (end - start < 3 or not _chosung_edges_ok(view, start, end)):
        return []
    base = "chosung" if syllables == 0 else "partial-chosung"
    result = []
    for term_index in members(index.chosung, hangul.chosung(span)):
        if _chosung_fits(span, index.terms[term_index].key):
            found = _accept(view, index, allowed, term_index, start, end, base, f"{base}: initials stand for syllables")
            if found:
                result.append(found)
    return result


def _masks(view: UnitView, index: Index, allowed: set[int] | None, start: int, end: int,
           span: str) -> list[Candidate]:
    hole = span.index(MASK)
    result = []
    for consonant in hangul.CHO:
        key = hangul.chosung(span[:hole] + consonant + span[hole + 1:])
        for term_index in members(index.chosung, key):
            term_key = index.terms[term_index].key
            if index.terms[term_index].is_full_name and all(
                    s == k for i, (s, k) in enumerate(zip(span, term_key)) if i != hole):
                found = _accept(view, index, allowed, term_index, start, end, "mask", "mask: one syllable hidden")
                if found:
                    result.append(found)
    return result
