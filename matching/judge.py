"""Boundary rules: is a compact-view hit a real occurrence of the term, and how was it written?

The compact view joins everything, so a hit may straddle words (`주홍 길동무`, `이 나라의 미래`).
A hit counts when
- it is written as one piece: particles or other letters may follow (홍길동이, 홍길동씨), unless they make an
  innocent compound (홍길동전) or the term has only two syllables (김구름 is a cloud, not 김구);
- or its syllables are separated evenly (홍 길 동, 홍.길.동) or once after the surname (홍 길동), and the word
  ends there or continues with a particle.
It never counts when it starts inside a word. Kept only as weak candidates, which need a second signal: a form
split once and followed by a case particle (이 나라의 "this country's"; an address suffix such as 씨 is fine),
a split after a surname that is also an everyday word (이, 한, 나), and any other split (홍길 동).
"""

from __future__ import annotations

from dataclasses import dataclass

from matching import hangul
from matching.kinds import GAP_NONE, GAP_SPACE
from matching.lexicon import (
    ADDRESS_SUFFIXES,
    INNOCENT_SUFFIXES,
    MAX_PARTICLE,
    PARTICLE_SET,
    ROAD_SUFFIXES,
    SCHOOL_WORDS,
    WORDLIKE_SURNAMES,
)
from matching.views import View


@dataclass(frozen=True, slots=True)
class Verdict:
    """How a hit was written: `spacing` is "spacing"/"separators" or ""; `needs_context` makes it a weak
    one."""

    spacing: str
    particle: bool
    needs_context: bool
    reasons: tuple[str, ...]


def _script(char: str) -> str:
    if hangul.is_syllable(char):
        return "hangul"
    if "a" <= char <= "z":
        return "latin"
    if char.isdigit():
        return "digit"
    if hangul.is_jamo(char):
        return "jamo"
    return "other"


def particle_run(tail: str) -> bool:
    """True if `tail` is one particle or two chained (씨가, 님이)."""
    for cut in range(1, min(len(tail), MAX_PARTICLE) + 1):
        head, rest = tail[:cut], tail[cut:]
        if head in PARTICLE_SET and (not rest or rest in PARTICLE_SET):
            return True
    return False


def _innocent(view: View, end: int, tail: str) -> bool:
    for suffix in INNOCENT_SUFFIXES:
        if not tail.startswith(suffix):
            continue
        if suffix not in ROAD_SUFFIXES:
            return True
        # Road names cancel only before a number (홍길동로 12), since 로 and 길 are also a particle and a
        # name.
        word_end = view.word_end(end)
        after = tail[len(suffix) :] or view.text[word_end : word_end + 1]
        if after[:1].isdigit():
            return True
    return False


def starts_inside_word(view: View, start: int) -> bool:
    """True when the character before `start` continues the same word in the same script."""
    if start == 0 or view.gap(start) != GAP_NONE:
        return False
    text = view.text
    previous, first = _script(text[start - 1]), _script(text[start])
    return previous == first or (
        first == "jamo" and previous == "jamo" and hangul.is_consonant(text[start - 1])
    )


def judge(
    view: View,
    start: int,
    end: int,
    *,
    surname_len: int = 0,
    school: bool = False,
    signal: bool = False,
    lenient: bool = False,
    fuzzy: bool = False,
) -> Verdict | None:
    """Verdict for a hit on compact positions [start, end), or None if it is not an occurrence at all.

    `signal` relaxes the rules for keywords, which may sit inside compounds (지인능욕방); `lenient` also
    accepts any spacing between word edges, for exclude words, where a false hit only costs a cancelled match;
    `fuzzy` (respellings, elongations) requires the word to end after the hit or after a particle.
    """
    text = view.text
    gaps = view.gaps(start, end)
    contiguous = not any(gaps)
    left = view.gap(start)
    if left == GAP_NONE and not (signal and contiguous) and starts_inside_word(view, start):
        return None
    right = view.gap(end)
    tail = text[end : view.word_end(end)] if right == GAP_NONE else ""
    if contiguous:
        if not tail:
            return Verdict("", False, False, ("boundary: whole word",))
        if signal:
            return Verdict("", False, False, ("boundary: inside a compound",))
        if _innocent(view, end, tail):
            return None
        if particle_run(tail):
            return Verdict("", True, False, ("boundary: particle follows",))
        if fuzzy and _script(tail[0]) in ("hangul", "latin"):
            return None
        if _script(text[start]) == "latin" and _script(tail[0]) == "latin":
            return None
        if end - start <= 2 and _script(tail[0]) == "hangul":
            return None  # a two-syllable term inside a longer word is usually another word (김구름)
        return Verdict("", False, False, ("boundary: other letters follow",))
    if left == GAP_NONE:
        return None
    spacing = "spacing" if all(g in (GAP_NONE, GAP_SPACE) for g in gaps) else "separators"
    splits = [i for i, g in enumerate(gaps, start=1) if g != GAP_NONE]
    uniform = len(splits) == len(gaps)
    reasons: list[str] = []
    needs_context = False
    if uniform:
        reasons.append("spacing: uniform between syllables")
    elif surname_len and splits in ([surname_len], [1]):  # 1 too: 황 보영 and 황보 영 are both read
        reasons.append("spacing: after the surname")
        if text[start : start + surname_len] in WORDLIKE_SURNAMES:
            needs_context = True
            reasons.append("spacing: surname that is also a common word")
    elif school and len(splits) == 1 and text[start + splits[0] : end] in SCHOOL_WORDS:
        reasons.append("spacing: before the school type")
    elif lenient:
        reasons.append("spacing: any, between word edges")
    elif signal:
        return None
    else:
        needs_context = True
        reasons.append("spacing: irregular")
    if tail:
        if particle_run(tail) and not signal:
            # 홍.길.동이 and 홍길동씨 are the name; 이 나라의 is "this country's": a case particle after a
            # form split only once needs context, an address suffix (씨, 님) or an evenly spaced form does
            # not.
            if not uniform and not any(tail.startswith(s) for s in ADDRESS_SUFFIXES):
                needs_context = True
                reasons.append("boundary: particle after a split form")
            else:
                reasons.append("boundary: particle follows")
        elif _script(tail[0]) in ("hangul", "latin") or signal:
            return None
    return Verdict(spacing, False, needs_context, tuple(reasons))
