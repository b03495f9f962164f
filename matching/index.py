"""Everything built from the registered terms: the automata and the small dictionaries for weak variants.

Building walks each term once; scanning never walks the terms. Pattern sets:
- `main`: compact forms in any script (terms, aliases, school short forms, elongations, full names with their
  syllables reordered, context and exclude words, built-in keywords and their 초성 such as ㄴㅇ);
- `respell[...]`: full names with one jamo component blanked in every syllable (see `variants.REDUCERS`);
- `roman`: spelling-blind keys of romanized names, bare surnames and Latin-script terms;
- `handles`: handle keys.
`chosung` maps a name's initials to the terms that have them; it is consulted only near a second signal.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable
from itertools import permutations
from typing import TypeVar

from matching import hangul, patterns
from matching.lexicon import KEYWORDS
from matching.patterns import ROLE_BITS, PatternSet, pack
from matching.romanize import name_keys, roman_key, surname_keys
from matching.terms import Term, TermSpec, compact, compile_term, is_hangul_word, is_latin_word
from matching.variants import (
    elongations,
    handle_key,
    handle_parts,
    reduced_keys,
    school_abbreviations,
)
from matching.views import WORD_MARK

Key = TypeVar("Key", str, int)
Members = int | list[int] | tuple[int, ...]


def _add_to(table: dict[Key, Members], key: Key, value: int) -> None:
    current = table.get(key)
    if current is None:
        table[key] = value
    elif isinstance(current, int):
        table[key] = [current, value]
    else:
        current.append(value)  # type: ignore[union-attr]  # lists until `_freeze`


def _freeze(table: dict[str, Members] | dict[int, Members]) -> None:
    """Lists become tuples: the cyclic garbage collector does not track tuples of ints."""
    for key, value in list(table.items()):
        if isinstance(value, list):
            table[key] = tuple(value)  # type: ignore[index]


def members(table: dict[Key, Members], key: Key) -> tuple[int, ...]:
    value = table.get(key)
    if value is None:
        return ()
    return (value,) if isinstance(value, int) else tuple(value)  # a list only while building


class Index:
    """The compiled form of all registered terms of all cases."""

    def __init__(self) -> None:
        # Plain tuples, not Term instances: the cyclic garbage collector stops tracking tuples of atoms, while
        # 100,000 named-tuple instances would be walked at every full collection. `term()` rebuilds the view.
        self.rows: list[tuple[int, int, int, str, str, str, int, tuple[str, ...]]] = []
        self.keys: list[str] = []  # each term's compact form, for the hot loops that compare forms
        self.main = PatternSet()
        self.respell = {which: PatternSet() for which in ("initial", "vowel", "final")}
        self._respell_sets = list(self.respell.values())
        self._surnames_added: set[str] = set()
        self.roman = PatternSet()
        self.handles = PatternSet()
        self.chosung: dict[str, Members] = {}
        self.case_terms: dict[int, Members] = {}
        self.weak_lengths: list[int] = []
        # The pairs of syllables (1st 2nd, 1st 3rd, 2nd 3rd) of every name that has respellings: two of them
        # survive any one-jamo change, so a word with none of them needs no respelling search.
        self.respell_heads: tuple[set[str], set[str], set[str]] = (set(), set(), set())
        self.longest = 0  # the longest pattern of `main`, in compact characters

    def term(self, number: int) -> Term:
        return tuple.__new__(Term, self.rows[number])

    def __len__(self) -> int:
        return len(self.rows)

    def _add_word(self, key: str, index: int, role: int, latin_role: int) -> None:
        if not key:
            return
        if is_latin_word(key):
            self.roman.add(roman_key(key), pack(index, latin_role))
        else:
            self.main.add(key, pack(index, role))

    def _add_keywords(self) -> None:
        for number, keyword in enumerate(KEYWORDS):
            key = compact(keyword)
            self.main.add(key, pack(number, patterns.KEYWORD))
            if is_hangul_word(key) and len(key) >= 2:
                # Keywords are disguised too: 능욕 -> ㄴㅇ.
                self.main.add(hangul.chosung(key), pack(number, patterns.KEYWORD))

    def add(self, spec: TermSpec) -> None:
        term = compile_term(len(self.rows), spec)
        self.rows.append(tuple(term))  # type: ignore[arg-type]
        self.keys.append(term.key)
        _add_to(self.case_terms, term.case_id, term.number)
        i = term.number
        if term.kind == "handle":
            self.handles.add(handle_key(spec.text), pack(i, patterns.HANDLE))
            parts = handle_parts(spec.text)
            if len(parts) >= 2:
                self.handles.add(handle_key("".join(reversed(parts))), pack(i, patterns.HANDLE_SWAPPED))
            for alias in spec.aliases:
                if handle_key(alias):
                    self.handles.add(handle_key(alias), pack(i, patterns.HANDLE))
        else:
            self._add_word(term.key, i, patterns.EXACT, patterns.LATIN_EXACT)
            alias_keys = [compact(a) for a in spec.aliases]
            for key in alias_keys:
                self._add_word(key, i, patterns.ALIAS, patterns.LATIN_ALIAS)
            if term.kind == "keyword":
                for key in [term.key, *alias_keys]:
                    for short in school_abbreviations(key):
                        self.main.add(short, pack(i, patterns.ALIAS))
        if term.surname_len:
            self._add_name(term)
        for word in spec.context:
            self._add_context(compact(word), pack(i, patterns.CONTEXT))
        for word in spec.exclude:
            self._add_context(compact(word), pack(i, patterns.EXCLUDE))

    def _add_context(self, key: str, entry: int) -> None:
        if key:
            self.main.add(key, entry)

    def _add_name(self, term: Term) -> None:
        i = term.number
        key = term.key
        self.roman.add_all(name_keys(key, term.surname_len), (i << ROLE_BITS) | patterns.ROMANIZATION)
        if term.surname_len == 2 and len(key) == 3:
            # 황보영 may be 황보 + 영 or 황 + 보영: romanize both readings.
            self.roman.add_all(name_keys(key, 1), (i << ROLE_BITS) | patterns.ROMANIZATION)
        surname = key[: term.surname_len]
        if surname not in self._surnames_added:
            self._surnames_added.add(surname)
            self.roman.add_all([r for r in surname_keys(surname) if len(r) >= 2], pack(0, patterns.SURNAME))
        _add_to(self.chosung, hangul.chosung(key), i)
        if len(key) not in self.weak_lengths:
            self.weak_lengths = sorted({*self.weak_lengths, len(key)})
        if len(key) >= 3:
            self.main.add_all(elongations(key), (i << ROLE_BITS) | patterns.ELONGATION)
            entry = (i << ROLE_BITS) | patterns.RESPELLING
            for pattern_set, reduced in zip(self._respell_sets, reduced_keys(key)):
                pattern_set.add(WORD_MARK + reduced, entry)
            for heads, pair in zip(self.respell_heads, (key[0:2], key[0:3:2], key[1:3])):
                heads.add(pair)
            # Reordered syllables go into the main automaton, so they cost nothing until one appears.
            self.main.add_all(
                ["".join(order) for order in dict.fromkeys(permutations(key)) if "".join(order) != key],
                (i << ROLE_BITS) | patterns.ANAGRAM,
            )

    def finish(self) -> None:
        for pattern_set in (self.main, self.roman, self.handles, *self.respell.values()):
            pattern_set.finish()
        for table in (self.chosung, self.case_terms):
            _freeze(table)
        self.longest = max(self.main.lengths, default=0)


def build_index(specs: Iterable[TermSpec]) -> Index:
    index = Index()
    # Building allocates millions of small objects that all survive; the cyclic collector would walk them
    # again and again (it dominated the build time at 100,000 terms), and they hold no cycles.
    collecting = gc.isenabled()
    gc.disable()
    try:
        index._add_keywords()
        for spec in specs:
            index.add(spec)
        index.finish()
    finally:
        if collecting:
            gc.enable()
    return index
