"""First clean-up of a text, keeping an offset map back to the original.

Removes invisible characters (Default_Ignorable_Code_Point and combining marks), applies compatibility folding
(NFKD, then marks dropped) to everything except compatibility jamo, because NFKC would turn ㅎㅗㅇ into
conjoining jamo that compose wrongly, maps conjoining and halfwidth jamo to compatibility jamo, composes
standard conjoining sequences (NFD Hangul, as macOS writes it) back into syllables, folds letters of other
scripts that imitate Latin ones (Cyrillic а, Greek ο: `confusables`), and lower-cases Latin.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import regex

from matching import hangul
from matching.confusables import latin_lookalike
from matching.kinds import HALFWIDTH, HOMOGLYPH, INVISIBLE, JAMO, WIDTH
from matching.textmap import Layer, apply_edits

# Standard conjoining sequence (leading consonant, vowel, optional trailing consonant), or any character
# outside ASCII and precomposed Hangul: the only ones that can need work, so plain Korean and ASCII text costs
# nothing.
_SPECIAL = regex.compile(r"([\u1100-\u1112][\u1161-\u1175][\u11a8-\u11c2]?)|[^\x00-\x7f\uac00-\ud7a3]")
# The same test without the conjoining group, in the standard engine: a single class is scanned several times
# faster there, and most Korean pages hold nothing outside ASCII and precomposed Hangul.
_ANY_SPECIAL = re.compile(r"[^\x00-\x7f\uac00-\ud7a3]")
_IGNORABLE = regex.compile(r"\p{Default_Ignorable_Code_Point}")
_LOWER_ASCII = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")

_CONJOINING_TO_COMPAT: dict[str, str] = {}
for _i, _c in enumerate(hangul.CHO):
    _CONJOINING_TO_COMPAT[chr(0x1100 + _i)] = _c
for _i, _c in enumerate(hangul.JUNG):
    _CONJOINING_TO_COMPAT[chr(0x1161 + _i)] = _c
for _i, _c in enumerate(hangul.JONG[1:]):
    _CONJOINING_TO_COMPAT[chr(0x11A8 + _i)] = _c


def _is_compat_jamo(char: str) -> bool:
    return 0x3131 <= ord(char) <= 0x318E


@lru_cache(maxsize=8192)
def fold_char(char: str) -> tuple[str, int]:
    """(replacement, flag) for one character outside ASCII and precomposed Hangul."""
    if _IGNORABLE.match(char) or unicodedata.category(char) == "Mn":
        return "", INVISIBLE
    if _is_compat_jamo(char):
        return char, 0
    if char in _CONJOINING_TO_COMPAT:
        return _CONJOINING_TO_COMPAT[char], JAMO
    decomposed = unicodedata.normalize("NFKD", char)
    letters = [c for c in decomposed if unicodedata.category(c) != "Mn"]
    # Look-alikes are read on the letter as written, before case folding: Greek capital Ν imitates N, its
    # lower case ν imitates v.
    lookalikes = [latin_lookalike(c) for c in letters]
    folded = "".join(latin or c.casefold() for latin, c in zip(lookalikes, letters))
    folded = "".join(_CONJOINING_TO_COMPAT.get(c, c) for c in folded)
    folded = unicodedata.normalize("NFC", folded)
    if folded == char:
        return char, 0
    if any(lookalikes):
        return folded, HOMOGLYPH
    if 0xFFA0 <= ord(char) <= 0xFFDC:
        return folded, HALFWIDTH
    if any(c.isalnum() for c in folded) and unicodedata.decomposition(char).startswith("<"):
        # Fullwidth, styled (mathematical) and enclosed letters; plain accented letters are not a disguise.
        return folded, WIDTH
    return folded, 0


def _compose_conjoining(sequence: str) -> str:
    cho = ord(sequence[0]) - 0x1100
    jung = ord(sequence[1]) - 0x1161
    jong = ord(sequence[2]) - 0x11A7 if len(sequence) == 3 else 0
    return hangul.compose(cho, jung, jong)


def is_plain(text: str) -> bool:
    """`text` holds only ASCII and precomposed Hangul: its clean view is its lower-case copy, of the same."""
    return _ANY_SPECIAL.search(text) is None


def clean(text: str, plain: bool | None = None) -> Layer:
    """The clean view of `text` (see module docstring), as a layer over the original; `plain` is
    `is_plain(text)` when the caller knows it."""
    edits: list[tuple[int, int, str, int]] = []
    # Conjoining jamo are outside ASCII and precomposed Hangul too, so a plain text needs no edit.
    for found in () if (is_plain(text) if plain is None else plain) else _SPECIAL.finditer(text):
        start, end = found.span()
        if found.group(1):
            edits.append((start, end, _compose_conjoining(found.group(1)), 0))
            continue
        replacement, flag = fold_char(text[start])
        if replacement != text[start]:
            edits.append((start, end, replacement, flag))
    layer = apply_edits(text, edits)
    # Lower-casing maps one character to one here (every character whose case folding changes more than its
    # case was replaced by an edit above), so it needs no edit entries; str.lower is a C pass, while
    # translate looks every character up in a dict.
    lowered = layer.text.lower()
    layer.text = lowered if len(lowered) == len(layer.text) else layer.text.translate(_LOWER_ASCII)
    return layer


def clean_term(text: str) -> str:
    """A registered term in the clean view's alphabet, with its own whitespace collapsed."""
    return " ".join(clean(text).text.split())
