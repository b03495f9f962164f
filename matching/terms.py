"""Watch terms as registered (`TermSpec`) and in the matcher's own alphabet (`Term`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NamedTuple

from matching.kinds import TERM_KINDS
from matching.lexicon import COMPOUND_SURNAMES
from matching.normalize import clean

_SEPARATORS = re.compile(r"[\W_]+")  # the compact view's definition of a separator (views.SEPARATOR_SPLIT)
_PLAIN = re.compile(r"[\uac00-\ud7a3a-z0-9]+")


class TermSpecError(ValueError):
    """A watch term cannot be registered as given (the message never repeats the term)."""


@dataclass(frozen=True)
class TermSpec:
    """One registered watch term of a case.

    `aliases`: other spellings matched as this term. `context`: words that, near a weak variant of this case,
    count as the second signal. `exclude`: words that cancel this term's matches (a word containing the term,
    such as 홍길동전, cancels only the occurrence it covers; any other cancels every match in the text).
    """

    case_id: int
    term_id: int
    text: str
    kind: str = "name"
    aliases: tuple[str, ...] = ()
    context: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()


def compact(text: str) -> str:
    """A word or phrase as the compact view writes it: clean, lower-case, no separators."""
    if _PLAIN.fullmatch(text):
        return text  # the common case: plain syllables or lower-case letters need no clean-up
    return _SEPARATORS.sub("", clean(text).text)


_HANGUL_WORD = re.compile("[\uac00-\ud7a3]+")
_LATIN_WORD = re.compile("[a-z]+")


def is_hangul_word(text: str) -> bool:
    return _HANGUL_WORD.fullmatch(text) is not None


def is_latin_word(text: str) -> bool:
    return _LATIN_WORD.fullmatch(text) is not None


class Term(NamedTuple):
    """A compiled term: `key` is its compact form; `surname_len` is 0 unless it is a Hangul personal name.

    A named tuple rather than a dataclass: one is built per registered term and tuples are created in C.
    """

    number: int  # position in the matcher's term table (not `index`, which tuples already define)
    case_id: int
    term_id: int
    text: str
    kind: str
    key: str
    surname_len: int
    innocent: tuple[str, ...]

    @property
    def is_full_name(self) -> bool:
        """A Hangul name of three or more syllables: specific enough for respellings, masks and anagrams."""
        return self.surname_len > 0 and len(self.key) >= 3


def surname_length(name: str) -> int:
    if len(name) >= 3 and name[:2] in COMPOUND_SURNAMES:
        return 2
    return 1


def compile_term(number: int, spec: TermSpec) -> Term:
    """Validates a spec and derives its compact forms; errors name the problem, never the term."""
    if spec.kind not in TERM_KINDS:
        raise TermSpecError(f"term {spec.term_id}: unknown kind (expected one of {', '.join(TERM_KINDS)})")
    key = compact(spec.text)
    if not key:
        raise TermSpecError(f"term {spec.term_id}: empty after removing spaces and symbols")
    surname_len = 0
    if spec.kind == "name" and 2 <= len(key) <= 5 and is_hangul_word(key):
        surname_len = surname_length(key)
    innocent = tuple(w for w in (compact(x) for x in spec.exclude) if w and key in w) if spec.exclude else ()
    return Term(number, spec.case_id, spec.term_id, spec.text, spec.kind, key, surname_len, innocent)
