"""Latin look-alikes from other scripts (Cyrillic а, Greek ο, Cherokee Ꭰ ...), folded to the ASCII letter
they imitate, so that `cаnаry` written with Cyrillic а is read as the handle `canary`.

Data: the confusables table of Unicode Technical Standard #39 (Unicode Security Mechanisms), as shipped and
kept current by the `confusable-homoglyphs` package; only its documented `is_confusable` is used, once per
distinct character (`normalize.fold_char` caches the answer), and the package is imported on first use so
that importing the matcher stays cheap.
"""

from __future__ import annotations

import unicodedata
from typing import Any

import regex

# Hangul and Han are read by their own views (jamo recomposition, Hanja readings, the Hangul look-alike fold
# that only works inside Hangul words): never turn them into Latin letters here.
_OWN_VIEWS = regex.compile(r"[\p{Hangul}\p{Han}]")
_ASCII_ALNUM = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
_data: Any = None


def _is_confusable(char: str) -> Any:
    global _data
    if _data is None:
        from confusable_homoglyphs import confusables

        _data = confusables
    return _data.is_confusable(char, preferred_aliases=[])


def latin_lookalike(char: str) -> str | None:
    """The lower-case ASCII letter or digit that the letter or digit `char` imitates, or None.

    Only letters and digits are folded: a separator that looks like `l` (a vertical bar, a box-drawing line)
    must stay a separator, or `홍│길│동` would stop reading as a spaced name.
    """
    if char.isascii() or unicodedata.category(char)[0] not in "LN" or _OWN_VIEWS.match(char):
        return None
    found = _is_confusable(char)
    if not found:
        return None
    for glyph in found[0]["homoglyphs"]:
        target = str(glyph["c"])
        if len(target) == 1 and target in _ASCII_ALNUM:
            # UTS #39 maps capital I look-alikes to `l` (the two are one shape in sans-serif), but a writer
            # who typed a capital meant the capital: Ι and І stand for I, which the lower-cased view reads
            # as i.
            if target == "l" and char.isupper():
                return "i"
            return target.lower()
    return None
