"""Hangul arithmetic: syllable (de)composition, initial consonants, and a 2-beolsik composer.

Everything works on compatibility jamo (U+3131-U+318E), the letters people actually type and paste; conjoining
jamo are mapped to them first (see `normalize`).
"""

from __future__ import annotations

from collections.abc import Sequence

SYLLABLE_FIRST = 0xAC00
SYLLABLE_LAST = 0xD7A3

CHO = "ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ"
JUNG = "ㅏㅐㅑㅒㅓㅔㅕㅖㅗㅘㅙㅚㅛㅜㅝㅞㅟㅠㅡㅢㅣ"
# Index 0 is "no final consonant".
JONG = (
    "",
    "ㄱ",
    "ㄲ",
    "ㄳ",
    "ㄴ",
    "ㄵ",
    "ㄶ",
    "ㄷ",
    "ㄹ",
    "ㄺ",
    "ㄻ",
    "ㄼ",
    "ㄽ",
    "ㄾ",
    "ㄿ",
    "ㅀ",
    "ㅁ",
    "ㅂ",
    "ㅄ",
    "ㅅ",
    "ㅆ",
    "ㅇ",
    "ㅈ",
    "ㅊ",
    "ㅋ",
    "ㅌ",
    "ㅍ",
    "ㅎ",
)

CHO_INDEX = {c: i for i, c in enumerate(CHO)}
JUNG_INDEX = {c: i for i, c in enumerate(JUNG)}
JONG_INDEX = {c: i for i, c in enumerate(JONG) if c}

CONSONANTS = frozenset(CHO) | frozenset(c for c in JONG if c)
VOWELS = frozenset(JUNG)

# How the 2-beolsik keyboard builds compound letters from two keystrokes.
COMPOUND_JUNG = {
    ("ㅗ", "ㅏ"): "ㅘ",
    ("ㅗ", "ㅐ"): "ㅙ",
    ("ㅗ", "ㅣ"): "ㅚ",
    ("ㅜ", "ㅓ"): "ㅝ",
    ("ㅜ", "ㅔ"): "ㅞ",
    ("ㅜ", "ㅣ"): "ㅟ",
    ("ㅡ", "ㅣ"): "ㅢ",
}
COMPOUND_JONG = {
    ("ㄱ", "ㅅ"): "ㄳ",
    ("ㄴ", "ㅈ"): "ㄵ",
    ("ㄴ", "ㅎ"): "ㄶ",
    ("ㄹ", "ㄱ"): "ㄺ",
    ("ㄹ", "ㅁ"): "ㄻ",
    ("ㄹ", "ㅂ"): "ㄼ",
    ("ㄹ", "ㅅ"): "ㄽ",
    ("ㄹ", "ㅌ"): "ㄾ",
    ("ㄹ", "ㅍ"): "ㄿ",
    ("ㄹ", "ㅎ"): "ㅀ",
    ("ㅂ", "ㅅ"): "ㅄ",
}
SPLIT_JUNG = {v: k for k, v in COMPOUND_JUNG.items()}
SPLIT_JONG = {v: k for k, v in COMPOUND_JONG.items()}

# Keys of a Korean keyboard in English mode (lower case: caps lock would otherwise turn r into ㄲ).
QWERTY = dict(zip("qwertyuiopasdfghjklzxcvbnm", "ㅂㅈㄷㄱㅅㅛㅕㅑㅐㅔㅁㄴㅇㄹㅎㅗㅓㅏㅣㅋㅌㅊㅍㅠㅜㅡ"))
# Shifted keys that type other letters; any other upper-case key types its lower-case letter.
QWERTY_SHIFT = dict(zip("QWERTOP", "ㅃㅉㄸㄲㅆㅒㅖ"))


def qwerty_jamo(key: str) -> str:
    return QWERTY_SHIFT.get(key) or QWERTY[key.lower()]


def is_syllable(char: str) -> bool:
    return SYLLABLE_FIRST <= ord(char) <= SYLLABLE_LAST


def is_jamo(char: str) -> bool:
    """True for a modern compatibility jamo letter."""
    return 0x3131 <= ord(char) <= 0x3163


def is_consonant(char: str) -> bool:
    return char in CONSONANTS


def decompose(char: str) -> tuple[int, int, int]:
    """(initial, medial, final) indices of a precomposed syllable."""
    offset = ord(char) - SYLLABLE_FIRST
    return offset // 588, (offset % 588) // 28, offset % 28


def compose(cho: int, jung: int, jong: int = 0) -> str:
    return chr(SYLLABLE_FIRST + cho * 588 + jung * 28 + jong)


def initial(char: str) -> str:
    """The initial consonant of a syllable; any other character is returned unchanged."""
    if is_syllable(char):
        return CHO[(ord(char) - SYLLABLE_FIRST) // 588]
    return char


# Code point -> initial consonant for every syllable (a list: str.translate looks lists up quickly).
_INITIALS = [chr(code) for code in range(SYLLABLE_LAST + 1)]
for _code in range(SYLLABLE_FIRST, SYLLABLE_LAST + 1):
    _INITIALS[_code] = CHO[(_code - SYLLABLE_FIRST) // 588]


def chosung(text: str) -> str:
    """Each syllable replaced by its initial consonant (홍길동 -> ㅎㄱㄷ); other characters unchanged."""
    return text.translate(_INITIALS)


def keystrokes(char: str) -> list[str]:
    """The 2-beolsik keystrokes (basic jamo) that type one syllable, e.g. 괜 -> ㄱ ㅗ ㅐ ㄴ."""
    cho, jung, jong = decompose(char)
    keys = [CHO[cho]]
    keys.extend(SPLIT_JUNG.get(JUNG[jung], (JUNG[jung],)))
    if jong:
        keys.extend(SPLIT_JONG.get(JONG[jong], (JONG[jong],)))
    return keys


class _Composer:
    """State of the 2-beolsik automaton: the syllable being typed, with the unit index of each keystroke."""

    def __init__(self) -> None:
        self.out: list[tuple[str, int, int]] = []
        self.cho: tuple[str, int] | None = None
        self.jung: list[tuple[str, int]] = []
        self.jong: list[tuple[str, int]] = []

    def flush(self) -> None:
        parts = ([self.cho] if self.cho else []) + self.jung + self.jong
        if not parts:
            return
        lo = min(i for _, i in parts)
        hi = max(i for _, i in parts)
        vowel = _join(self.jung, COMPOUND_JUNG)
        if self.cho and vowel:
            final = _join(self.jong, COMPOUND_JONG) if self.jong else ""
            char = compose(CHO_INDEX[self.cho[0]], JUNG_INDEX[vowel], JONG_INDEX[final] if final else 0)
            self.out.append((char, lo, hi))
        elif self.cho:
            self.out.append((self.cho[0], lo, hi))
        else:
            self.out.append((vowel, lo, hi))
        self.cho, self.jung, self.jong = None, [], []

    def consonant(self, key: str, index: int) -> None:
        if not self.jung or self.cho is None:
            self.flush()
            self.cho = (key, index)
        elif not self.jong and key in JONG_INDEX:
            self.jong = [(key, index)]
        elif len(self.jong) == 1 and (self.jong[0][0], key) in COMPOUND_JONG:
            self.jong.append((key, index))
        else:
            self.flush()
            self.cho = (key, index)

    def vowel(self, key: str, index: int) -> None:
        if self.jong:
            # The last final consonant moves to the new syllable, as the keyboard does (홍+ㅣ -> 호이).
            moved = self.jong.pop()
            self.flush()
            self.cho = moved
            self.jung = [(key, index)]
        elif self.jung:
            if len(self.jung) == 1 and (self.jung[0][0], key) in COMPOUND_JUNG:
                self.jung.append((key, index))
            else:
                self.flush()
                self.jung = [(key, index)]
        else:
            self.jung = [(key, index)]


def _join(parts: list[tuple[str, int]], table: dict[tuple[str, str], str]) -> str:
    if not parts:
        return ""
    if len(parts) == 1:
        return parts[0][0]
    return table[(parts[0][0], parts[1][0])]


def compose_keys(keys: Sequence[tuple[str, int]]) -> list[tuple[str, int, int]]:
    """Runs basic jamo keystrokes through the 2-beolsik automaton.

    Each key carries the index of the unit it came from; each output letter (a syllable, or a jamo that could
    not join one) reports the first and last unit index it consumed.
    """
    state = _Composer()
    for key, index in keys:
        for basic in SPLIT_JONG.get(key) or SPLIT_JUNG.get(key) or (key,):
            if basic in VOWELS:
                state.vowel(basic, index)
            elif basic in CONSONANTS:
                state.consonant(basic, index)
            else:
                state.flush()
                state.out.append((basic, index, index))
    state.flush()
    return state.out


def compose_text(text: str) -> str:
    """Recomposes a string of jamo and syllables (syllables are re-typed), e.g. ㅎㅗㅇ길동 -> 홍길동."""
    keys: list[tuple[str, int]] = []
    for index, char in enumerate(text):
        if is_syllable(char):
            keys.extend((k, index) for k in keystrokes(char))
        else:
            keys.append((char, index))
    return "".join(c for c, _, _ in compose_keys(keys))
