"""Variant forms generated once per term at registration (so scanning a text never loops over terms)."""

from __future__ import annotations

from matching import hangul
from matching.lexicon import SCHOOL_SUFFIXES

_IEUNG = hangul.CHO_INDEX["ㅇ"]
_EU = hangul.JUNG_INDEX["ㅡ"]


def _reducer(which: str) -> dict[int, str]:
    table: dict[int, str] = {}
    for code in range(hangul.SYLLABLE_FIRST, hangul.SYLLABLE_LAST + 1):
        cho, jung, jong = hangul.decompose(chr(code))
        if which == "initial":
            table[code] = hangul.compose(_IEUNG, jung, jong)
        elif which == "vowel":
            table[code] = hangul.compose(cho, _EU, jong)
        else:
            table[code] = hangul.compose(cho, jung, 0)
    return table


# A respelling changes one jamo of one syllable: the initial (홍길똥), the vowel (훙길동) or the final (홍긿동,
# 호길동). Blanking that component in every syllable of both text and name makes such a respelling an exact
# match, so three automata over three translated copies of the text find every candidate in linear time.
REDUCERS = {which: str.maketrans(_reducer(which)) for which in ("initial", "vowel", "final")}


def reduced(text: str, which: str) -> str:
    return text.translate(REDUCERS[which])


def elongations(name: str) -> list[str]:
    """Forms with one syllable stretched in two (홍 -> 호옹, 권 -> 구언), as in 호옹길동."""
    result: list[str] = []
    for i, syllable in enumerate(name):
        cho, jung, jong = hangul.decompose(syllable)
        if i == len(name) - 1 and not jong:
            continue  # 민지이 is the name plus a particle and is found as such
        vowel = hangul.JUNG[jung]
        first, second = hangul.SPLIT_JUNG.get(vowel, (vowel, vowel))
        stretched = hangul.compose(cho, hangul.JUNG_INDEX[first]) + hangul.compose(
            _IEUNG, hangul.JUNG_INDEX[second], jong)
        result.append(name[:i] + stretched + name[i + 1:])
    return result


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


def anagram_key(text: str) -> str:
    return "".join(sorted(text))
