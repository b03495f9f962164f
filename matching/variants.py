"""Variant forms generated once per term at registration (so scanning a text never loops over terms)."""

from __future__ import annotations

from functools import lru_cache

from matching import hangul
from matching.lexicon import SCHOOL_SUFFIXES

_IEUNG = hangul.CHO_INDEX["ㅇ"]
_EU = hangul.JUNG_INDEX["ㅡ"]


# Initial consonants a respelling swaps, as equivalence classes: the same series (plain, tense, aspirated:
# 동 -> 똥, 김 -> 킴) joined with shapes one stroke away (ㄴ/ㄷ/ㄹ, ㅁ/ㅂ, ㅅ/ㅈ, ㅇ/ㅎ). Other swaps
# (김 -> 심) make another common name more often than a disguise, and at 100,000 registered names they would
# flood every page.
INITIAL_CLASSES = ("ㄱㄲㅋ", "ㄴㄷㄸㅌㄹ", "ㅁㅂㅃㅍ", "ㅅㅆㅈㅉㅊ", "ㅇㅎ")
_INITIAL_CLASS = {hangul.CHO_INDEX[c]: hangul.CHO_INDEX[group[0]] for group in INITIAL_CLASSES for c in group}


def _reducer(which: str) -> list[str]:
    table = [chr(code) for code in range(hangul.SYLLABLE_LAST + 1)]
    for code in range(hangul.SYLLABLE_FIRST, hangul.SYLLABLE_LAST + 1):
        offset = code - hangul.SYLLABLE_FIRST
        cho, jung, jong = offset // 588, (offset % 588) // 28, offset % 28
        if which == "initial":
            cho = _INITIAL_CLASS[cho]
        elif which == "vowel":
            jung = _EU
        else:
            jong = 0
        table[code] = chr(hangul.SYLLABLE_FIRST + cho * 588 + jung * 28 + jong)
    return table


# A respelling changes one jamo of one syllable: the initial (홍길똥), the vowel (훙길동) or the final
# (홍긿동, 호길동). Blanking that component in every syllable of both text and name (for initials: replacing
# it by its class) makes such a respelling an exact match, so three automata over three translated copies of
# the text find every candidate in linear time. The tables are lists indexed by code point: str.translate
# looks lists up several times faster than dicts.
REDUCERS = {which: _reducer(which) for which in ("initial", "vowel", "final")}


def reduced(text: str, which: str) -> str:
    return text.translate(REDUCERS[which])


_REDUCER_LIST = [REDUCERS[which] for which in ("initial", "vowel", "final")]


def reduced_keys(key: str) -> tuple[str, str, str]:
    """`reduced` of a short all-syllable key for the three components at once (initial, vowel, final)."""
    codes = [ord(c) for c in key]
    initial, vowel, final = _REDUCER_LIST
    return (
        "".join([initial[c] for c in codes]),
        "".join([vowel[c] for c in codes]),
        "".join([final[c] for c in codes]),
    )


def elongations(name: str) -> list[str]:
    """Forms with one syllable stretched in two (홍 -> 호옹, 유 -> 유우, 권 -> 구언), as in 호옹길동."""
    result: list[str] = []
    last = len(name) - 1
    for i, syllable in enumerate(name):
        # 민지이 is the name plus a particle and is found as such: an open last syllable is not stretched.
        for stretched in _stretched(syllable, i == last):
            result.append(name[:i] + stretched + name[i + 1 :])
    return result


@lru_cache(maxsize=16384)
def _stretched(syllable: str, last: bool) -> tuple[str, ...]:
    offset = ord(syllable) - hangul.SYLLABLE_FIRST
    cho, jung, jong = offset // 588, (offset % 588) // 28, offset % 28
    if last and not jong:
        return ()
    return tuple(
        chr(hangul.SYLLABLE_FIRST + cho * 588 + first * 28)
        + chr(hangul.SYLLABLE_FIRST + _IEUNG * 588 + second * 28 + jong)
        for first, second in _STRETCH[jung]
    )


# The vowel a stretched syllable repeats: itself (호옹), its plain sound after a y-glide (유우, 여어), or the
# two halves of a compound vowel (구언 for 권).
_PLAIN = {"ㅑ": "ㅏ", "ㅕ": "ㅓ", "ㅛ": "ㅗ", "ㅠ": "ㅜ", "ㅒ": "ㅐ", "ㅖ": "ㅔ"}


def _stretch(jung: int) -> list[tuple[int, int]]:
    vowel = hangul.JUNG[jung]
    if vowel in hangul.SPLIT_JUNG:
        first, second = hangul.SPLIT_JUNG[vowel]
        return [(hangul.JUNG_INDEX[first], hangul.JUNG_INDEX[second])]
    options = [(jung, jung)]
    if vowel in _PLAIN:
        options.append((jung, hangul.JUNG_INDEX[_PLAIN[vowel]]))
    return options


_STRETCH = [_stretch(j) for j in range(len(hangul.JUNG))]


def school_abbreviations(key: str) -> list[str]:
    """Short forms of a school name: 가나다고등학교 -> 가나다고, 가나다고교."""
    for suffix, shorts in SCHOOL_SUFFIXES:
        if key.endswith(suffix) and len(key) - len(suffix) >= 2:
            stem = key[: -len(suffix)]
            return [stem + short for short in shorts]
    return []


_LEET = str.maketrans("01l|345$7@", "oiiieassta")


def handle_key(text: str) -> str:
    """Handle with separators dropped and look-alike digits folded: @G1ld0ng.Hong -> giidonghong."""
    lowered = text.strip().lower().lstrip("@")
    return "".join(c for c in lowered.translate(_LEET) if c.isalnum())


def handle_parts(text: str) -> list[str]:
    parts = [p for p in text.strip().lower().lstrip("@").replace(".", "_").replace("-", "_").split("_") if p]
    return parts
