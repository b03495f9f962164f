"""Is a watch term specific enough to watch? The breadth guard `term add` and `term import` apply.

A term is compiled exactly as the matcher compiles it (`terms.compile_term`), so a term the matcher would
reject (`...`, `.*`, `!!!`: nothing left after removing spaces and symbols) is refused here with the same
reason. Then the compact form must carry enough of a name to be worth a nightly search: at least two Hangul
syllables (or Hanja, one syllable each), three Latin letters, or six digits (a phone or ID number), and it
must not be a common word from the shipped list. A one-letter term would match every "a" on the web.

Pure: no I/O beyond reading the shipped word list once. Reasons never repeat the term.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from matching.terms import TermSpec, TermSpecError, compile_term

MIN_HANGUL_SYLLABLES = 2
MIN_LATIN_LETTERS = 3
MIN_DIGITS = 6


class TermRejectedError(ValueError):
    """The matcher cannot use the term at all (nothing left after clean-up); `--broad` cannot help."""


@lru_cache(maxsize=1)
def common_words() -> frozenset[str]:
    """The shipped list (`common_words.txt`), in the matcher's compact form."""
    text = resources.files("matching").joinpath("common_words.txt").read_text(encoding="utf-8")
    words = (line.strip() for line in text.splitlines())
    return frozenset(compile_term(0, TermSpec(0, 0, w)).key for w in words if w and not w.startswith("#"))


def _is_jamo(char: str) -> bool:
    return 0x3131 <= ord(char) <= 0x318E


def _is_syllable(char: str) -> bool:
    code = ord(char)
    return 0xAC00 <= code <= 0xD7A3 or 0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF


def compact_term(text: str, kind: str = "name") -> str:
    """The term's compact form as the matcher sees it; raises `TermRejectedError` when nothing is left."""
    # compile_term is the matcher's own validation: the same clean-up, the same refusal.
    try:
        return compile_term(0, TermSpec(0, 0, text, kind if kind else "name")).key
    except TermSpecError:
        raise TermRejectedError(
            "the term has no letters or digits (only spaces or symbols), so it could never be found"
        ) from None


def breadth_problem(text: str, kind: str = "name") -> str | None:
    """Why the term is too broad to watch, or None when it is specific enough."""
    key = compact_term(text, kind)
    syllables = sum(1 for c in key if _is_syllable(c))
    latin = sum(1 for c in key if c.isascii() and c.isalpha())
    digits = sum(1 for c in key if c.isdigit())
    others = sum(
        1 for c in key if c.isalpha() and not c.isascii() and not _is_syllable(c) and not _is_jamo(c)
    )
    if key in common_words():
        return "the term is a common word and would match pages about anyone"
    if key and all(_is_jamo(c) for c in key):
        return "the term is only initials (초성): register the full name, jikimi finds its initials itself"
    if syllables < MIN_HANGUL_SYLLABLES and latin + others < MIN_LATIN_LETTERS and digits < MIN_DIGITS:
        return (
            "the term is too short to watch: it needs at least 2 Korean syllables, 3 Latin letters "
            "or 6 digits"
        )
    return None
