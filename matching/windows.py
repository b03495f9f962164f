"""Short windows of text that need per-character work before matching.

The dense view handles the common disguises in C-speed passes. What remains is rare in real pages and costly
per character, so it is done only where a cheap regex says it may matter:
- recomposition: spelled-out or halfwidth jamo (ㅎㅗㅇ), look-alikes inside Hangul words
  (호o길동, 홍7ㅣㄹ동), Hanja;
- QWERTY: Latin runs that are valid 2-beolsik keystrokes (ghdrlfehd);
- weak: the neighbourhood of a second signal, keeping masks (홍○동) and jamo as written, for weak variants.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import lru_cache
from itertools import compress, product

import regex

from matching import hangul
from matching.hanja import readings
from matching.kinds import GAP_EDGE, GAP_NONE, HALFWIDTH, HANJA, JAMO, LOOKALIKE, QWERTY
from matching.lexicon import LOOKALIKES, MASK, MASK_CHARS, UPPER_LOOKALIKES
from matching.views import Page, Unit, UnitView, gap_kind

PAD = 14
MAX_READING_COMBOS = 81  # every combination of up to three readings for runs of up to four Hanja

_REC_TRIGGER = regex.compile(
    r"[\u3131-\u314eo027]\s?[\u314f-\u3163]"  # consonant (or look-alike) then a vowel jamo: ㅎㅗㅇ, 7ㅣ
    r"|(?<=[\uac00-\ud7a3])[\u3131-\u314eo027le](?![a-z])"  # a final typed apart: 호ㅇ길동, 호o길동, 박지후L
    r"|[\u3131-\u314e7][l1|!i]"  # consonant then a look-alike vowel
    r"|(?<=[\uac00-\ud7a3])[o027][l1|!i]|[o027][l1|!i](?=[\uac00-\ud7a3])"  # both look-alikes: 0l서연
    r"|\p{Han}+"
)
_C = "[rsefaqtdwczxvg]"
_V = "(?:h[kol]?|n[jpl]?|ml?|[yuiopjklb])"
_F = "(?:rt|sw|sg|fr|fa|fq|ft|fx|fv|fg|qt|[rsefaqtdwczxvg])(?![yuiophjklbnm])"
_MASK_RUN = regex.compile(
    "[" + regex.escape("".join(sorted(MASK_CHARS))) + "]|(?<=[\uac00-\ud7a3])[xoㅇ?？](?=[\uac00-\ud7a3])"
)
# Letters that hide a syllable only when written alone between two syllables (김x지, 김ㅇ지, 김?지).
_INLINE_MASKS = frozenset("xoㅇ?？")
# A QWERTY run is a whole run of Latin letters (`Page.latin_runs`) that spells keystrokes; each distinct run
# is checked once (the keystroke pattern, tried at every letter of a page, costs more).
_QWERTY_KEYS = re.compile(rf"(?:{_C}{_V}(?:{_F})?)+")
# Cheap pre-filters (the standard library's engine scans plain classes fastest): no Latin letter, no QWERTY
# view; no jamo, Han, or Latin/digit look-alike next to a syllable, no recomposition view.
_ANY_LATIN = re.compile(r"[a-z]")
_MAYBE_RECOMPOSE = (
    re.compile(
        r"[\u3131-\u318e\u2e80-\u2fdf\u3005\u3007\u3021-\u3029\u3038-\u303b\u3400-\u9fff\uf900-\ufaff"
        r"\U00016fe0-\U00016fff\U00020000-\U0003ffff]"
    ),
    re.compile(r"[o027le1|!i](?<=[\uac00-\ud7a3][o027le1|!i])"),
    re.compile(r"[o027l1|!i](?=[\uac00-\ud7a3])"),
    re.compile(r"[o027][l1|!i]"),
)


def _merge(ranges: list[tuple[int, int, int, int]]) -> list[tuple[int, int, int, int]]:
    ranges.sort()
    merged: list[tuple[int, int, int, int]] = []
    for lo, hi, c_lo, c_hi in ranges:
        if merged and lo <= merged[-1][1]:
            last = merged[-1]
            merged[-1] = (last[0], max(last[1], hi), min(last[2], c_lo), max(last[3], c_hi))
        else:
            merged.append((lo, hi, c_lo, c_hi))
    return merged


def _around(text: str, start: int, end: int, pad: int) -> tuple[int, int]:
    lo, hi = max(0, start - pad), min(len(text), end + pad)
    # Widen to whole words (bounded) so boundary rules see the real neighbours.
    for _ in range(pad):
        if lo == 0 or not text[lo - 1].isalnum():
            break
        lo -= 1
    for _ in range(pad):
        if hi >= len(text) or not text[hi].isalnum():
            break
        hi += 1
    return lo, hi


def _inline_question(text: str, i: int) -> bool:
    """A question mark between two syllables (김?지) hides one; anywhere else it is punctuation."""
    return (
        text[i] in "?？"
        and 0 < i < len(text) - 1
        and hangul.is_syllable(text[i - 1])
        and hangul.is_syllable(text[i + 1])
    )


def _base_units(view: Page, lo: int, hi: int, keep_masks: bool) -> tuple[list[Unit], int]:
    clean = view.clean
    text = clean.text
    pending = GAP_EDGE if lo == 0 else (GAP_NONE if text[lo - 1].isalnum() else gap_kind(text[lo - 1]))
    units: list[Unit] = []
    for i, (char, (start, end, flags)) in enumerate(zip(text[lo:hi], clean.char_sources(lo, hi)), start=lo):
        if char.isalnum() or (keep_masks and (char in MASK_CHARS or _inline_question(text, i))):
            if char in MASK_CHARS:
                char = MASK
            elif hangul.is_jamo(char) and not flags & HALFWIDTH:
                flags |= JAMO
            units.append(Unit(char, start, end, flags, pending))
            pending = GAP_NONE
        else:
            pending = max(pending, gap_kind(char))
    tail = GAP_EDGE if hi >= len(text) else GAP_NONE if text[hi].isalnum() else gap_kind(text[hi])
    return units, max(pending, tail) if pending else tail


def _tokens(units: list[Unit]) -> Iterator[list[Unit]]:
    token: list[Unit] = []
    for unit in units:
        if unit.gap != GAP_NONE and token:
            yield token
            token = []
        token.append(unit)
    if token:
        yield token


def _fold_lookalikes(view: Page, units: list[Unit]) -> None:
    for token in _tokens(units):
        if not any(hangul.is_syllable(u.char) or hangul.is_jamo(u.char) for u in token):
            continue
        for unit in token:
            original = view.original[unit.start : unit.end]
            jamo = UPPER_LOOKALIKES.get(original) or LOOKALIKES.get(unit.char)
            if jamo:
                unit.char = jamo
                unit.flags |= LOOKALIKE


def recompose(units: list[Unit]) -> list[Unit]:
    """Joins jamo runs (and the syllable just before them) into syllables with the 2-beolsik automaton."""
    out: list[Unit] = []
    i = 0
    while i < len(units):
        if not hangul.is_jamo(units[i].char):
            out.append(units[i])
            i += 1
            continue
        group: list[Unit] = []
        if out and units[i].gap == GAP_NONE and hangul.is_syllable(out[-1].char):
            group.append(out.pop())
        j = i
        while j < len(units) and hangul.is_jamo(units[j].char):
            group.append(units[j])
            j += 1
        keys: list[tuple[str, int]] = []
        for index, unit in enumerate(group):
            strokes = hangul.keystrokes(unit.char) if hangul.is_syllable(unit.char) else [unit.char]
            keys.extend((k, index) for k in strokes)
        for char, first, last in hangul.compose_keys(keys):
            chosen = group[first : last + 1]
            flags = 0
            for unit in chosen:
                flags |= unit.flags
            out.append(
                Unit(char, min(u.start for u in chosen), max(u.end for u in chosen), flags, chosen[0].gap)
            )
        i = j
    return out


def _reading_choices(units: list[Unit]) -> list[list[Unit]]:
    """One unit list per combination of Hanja readings (capped), each Hanja replaced by a syllable."""
    positions = [i for i, u in enumerate(units) if readings(u.char)]
    if not positions:
        return [units]
    options = [
        readings(units[i].char)[:3] if len(positions) <= 4 else readings(units[i].char)[:1] for i in positions
    ]
    result: list[list[Unit]] = []
    for combo in product(*options):
        copy = [Unit(u.char, u.start, u.end, u.flags, u.gap) for u in units]
        for i, syllable in zip(positions, combo):
            copy[i].char = syllable
            copy[i].flags |= HANJA
        result.append(copy)
        if len(result) >= MAX_READING_COMBOS:
            break
    return result


def recomposition_views(
    view: Page, worth_a_look: Callable[[str], bool], *, exhaustive: bool = False
) -> list[UnitView]:
    """Views where jamo are recomposed, look-alikes folded and Hanja read.

    A window with several Hanja readings yields one view per combination; combinations are first tried as
    plain strings with `worth_a_look` (an automaton probe), so a Chinese page does not build dozens of views
    per word.
    """
    text = view.clean.text
    # One class per search: the standard engine scans a single class far faster than an alternation. Jamo and
    # Han are not ASCII, the look-alikes next to a syllable are among the page's ASCII next to a syllable.
    if not exhaustive and not (
        (not view.pure and _MAYBE_RECOMPOSE[0].search(text))
        or (view.ascii_next_to_syllable and any(p.search(text) for p in _MAYBE_RECOMPOSE[1:3]))
        or _MAYBE_RECOMPOSE[3].search(text)
    ):
        return []
    ranges = [
        (*_around(text, m.start(), m.end(), PAD), m.start(), m.end()) for m in _REC_TRIGGER.finditer(text)
    ]
    result: list[UnitView] = []
    for lo, hi, _, _ in _merge(ranges):
        units, tail = _base_units(view, lo, hi, keep_masks=False)
        _fold_lookalikes(view, units)
        choices = _reading_choices(units)
        has_jamo = any(hangul.is_jamo(u.char) for u in units)
        for choice in choices:
            if len(choices) == 1 or has_jamo or worth_a_look("".join(u.char for u in choice)):
                result.append(UnitView(recompose(choice), tail))
    return result


@lru_cache(maxsize=4096)
def _is_keystrokes(run: str) -> bool:
    return _QWERTY_KEYS.fullmatch(run) is not None


@lru_cache(maxsize=4096)
def _typed(before: str, keys: str) -> str:
    """Hangul typed by `keys` in English mode, right after syllable `before` (which may take a final)."""
    return hangul.compose_text(before + "".join(hangul.qwerty_jamo(c) for c in keys))


def _keys_as_typed(view: Page, start: int, end: int) -> str:
    """A run's keys as typed: Shift gives ㄲ ㄸ ㅃ ㅆ ㅉ ㅒ ㅖ when the writer mixed cases (dP = 예), but a
    run all in capitals is caps lock and reads as lower case (GHDRLFEHD = 홍길동)."""
    orig_start, orig_end = view.clean.source_span(start, end)
    original = view.original[orig_start:orig_end]
    if len(original) != end - start or not original.isascii() or not original.isalpha():
        return view.clean.text[start:end]
    return original.lower() if original.isupper() else original


def qwerty_views(view: Page, worth_a_look: Callable[[str], bool]) -> list[UnitView]:
    """Views where valid QWERTY runs are typed back into Hangul.

    English words are often valid keystroke sequences too ("video"), so each run is first converted as a plain
    string and kept only if `worth_a_look` (an automaton probe) finds something in it and its neighbours.
    """
    text = view.clean.text
    if not _ANY_LATIN.search(text):
        return []
    ranges = []
    typed_at: dict[int, str] = {}
    runs, _, run_starts = view.latin_runs
    for number in compress(range(len(runs)), map(_is_keystrokes, runs)):
        start = run_starts[number]
        end = start + len(runs[number])
        touches_hangul = (start > 0 and hangul.is_syllable(text[start - 1])) or (
            end < len(text) and hangul.is_syllable(text[end])
        )
        if end - start >= 4 or (touches_hangul and end - start >= 2):
            lo, hi = _around(text, start, end, PAD)
            before = text[start - 1] if start > 0 and hangul.is_syllable(text[start - 1]) else ""
            keys = _keys_as_typed(view, start, end)
            if worth_a_look(text[lo : start - len(before)] + _typed(before, keys) + text[end:hi]):
                ranges.append((lo, hi, start, end))
                typed_at.update((start + i, hangul.qwerty_jamo(k)) for i, k in enumerate(keys))
    result: list[UnitView] = []
    for lo, hi, _, _ in _merge(ranges):
        units, tail = _base_units(view, lo, hi, keep_masks=False)
        position = lo
        for unit in units:
            # Units map to clean positions in order; only letters inside a QWERTY run are converted.
            while position < hi and not text[position].isalnum():
                position += 1
            if position in typed_at:
                unit.char = typed_at[position]
                unit.flags |= QWERTY
            position += 1
        result.append(UnitView(recompose(units), tail))
    return result


def merge_ranges(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    return [(lo, hi) for lo, hi, _, _ in _merge([(lo, hi, lo, hi) for lo, hi in ranges])]


def mask_views(view: Page, clean_ranges: list[tuple[int, int]]) -> list[UnitView]:
    """Views around mask characters (홍○동) inside the given clean-text ranges, with the masks kept."""
    text = view.clean.text
    ranges = []
    for lo, hi in clean_ranges:
        for found in _MASK_RUN.finditer(text, lo, min(hi, len(text))):
            ranges.append((*_around(text, found.start(), found.end(), PAD), found.start(), found.end()))
    result: list[UnitView] = []
    for lo, hi, _, _ in _merge(ranges):
        units, tail = _base_units(view, lo, hi, keep_masks=True)
        for before, unit, after in zip(units, units[1:], units[2:]):
            if (
                unit.char in _INLINE_MASKS
                and unit.gap == GAP_NONE
                and after.gap == GAP_NONE
                and hangul.is_syllable(before.char)
                and hangul.is_syllable(after.char)
            ):
                unit.char = MASK
        result.append(UnitView(units, tail))
    return result
