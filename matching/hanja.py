"""Korean readings of Hanja, with the initial-sound rule (두음법칙) variants names use
(李 리 -> 이, 林 림 -> 임)."""

from __future__ import annotations

from functools import lru_cache

from matching import hangul
from matching.hanja_data import READINGS

_TABLE: dict[str, tuple[str, ...]] = {entry[0]: tuple(entry[1:]) for entry in READINGS.split()}

_Y_VOWELS = frozenset("ㅑㅕㅖㅛㅠㅣ")
_RIEUL = hangul.CHO_INDEX["ㄹ"]
_NIEUN = hangul.CHO_INDEX["ㄴ"]
_IEUNG = hangul.CHO_INDEX["ㅇ"]


def initial_sound_variant(syllable: str) -> str | None:
    """The word-initial form of a syllable starting with ㄹ or ㄴ (리 -> 이, 로 -> 노, 녀 -> 여), if it
    differs."""
    cho, jung, jong = hangul.decompose(syllable)
    y_vowel = hangul.JUNG[jung] in _Y_VOWELS
    if cho == _RIEUL:
        return hangul.compose(_IEUNG if y_vowel else _NIEUN, jung, jong)
    if cho == _NIEUN and y_vowel:
        return hangul.compose(_IEUNG, jung, jong)
    return None


@lru_cache(maxsize=4096)
def readings(char: str) -> tuple[str, ...]:
    """Readings of a Han character, table order first, then initial-sound variants; () for anything else."""
    base = _TABLE.get(char, ())
    result = list(base)
    for syllable in base:
        variant = initial_sound_variant(syllable)
        if variant and variant not in result:
            result.append(variant)
    return tuple(result)
