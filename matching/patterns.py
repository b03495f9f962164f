"""Aho-Corasick pattern sets shared by all cases, with compact payloads.

Each automaton stores a C integer per pattern (no Python object per pattern, so 100,000 terms stay small);
that integer indexes `lengths` and `entries`. An entry packs a term (or keyword) index with the role the
pattern plays for it; a pattern shared by several terms (two victims with the same name) keeps its entries in
`shared`.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Iterator

import ahocorasick

ROLE_BITS = 4
ROLE_MASK = (1 << ROLE_BITS) - 1

# Roles of a pattern for its term.
EXACT = 0
ALIAS = 1
ELONGATION = 2
CONTEXT = 3
EXCLUDE = 4
KEYWORD = 5  # a built-in exploitation keyword; the index is into lexicon.KEYWORDS
ROMANIZATION = 6
SURNAME = 7  # a bare romanized surname; the index is unused (candidates come from nearby case terms)
HANDLE = 8
RESPELLING = 9
HANDLE_SWAPPED = 10
LATIN_EXACT = 11
LATIN_ALIAS = 12
ANAGRAM = 13  # a full name with its syllables reordered (동길홍): weak, counted only near a second signal


def pack(index: int, role: int) -> int:
    return (index << ROLE_BITS) | role


class PatternSet:
    """One automaton and the payload tables behind it.

    Patterns are first gathered in a dict (merging the entries of a pattern several terms share), then
    `finish` adds each distinct pattern to the automaton once: cheaper than asking the automaton about every
    pattern. While gathering, a pattern's value is its entry (>= 0) or -1-k for the k-th list of shared
    entries, so that `finish` can turn all values into an array in one C-level call.
    """

    def __init__(self) -> None:
        self.automaton = ahocorasick.Automaton(ahocorasick.STORE_INTS)
        self.lengths = array("I")
        self.entries = array("q")
        self.shared: dict[int, tuple[int, ...]] = {}
        self.ready = False
        self._pending: dict[str, int] = {}
        self._lists: list[list[int]] = []

    def add(self, key: str, entry: int) -> None:
        self.add_all((key,), entry)

    def add_all(self, keys: Iterable[str], entry: int) -> None:
        pending = self._pending
        lists = self._lists
        for key in keys:
            current = pending.setdefault(key, entry)
            if current == entry:
                continue
            if current >= 0:
                pending[key] = -1 - len(lists)
                lists.append([current, entry])
            else:
                shared = lists[-1 - current]
                if entry not in shared[-8:]:
                    shared.append(entry)

    def finish(self) -> None:
        pending, lists = self._pending, self._lists
        self._pending, self._lists = {}, []
        if not pending:
            return
        add_word = self.automaton.add_word
        for pattern, key in enumerate(pending):
            add_word(key, pattern)
        self.lengths = array("I", map(len, pending))
        self.entries = array("q", pending.values())
        # Tuples of ints are not tracked by the cyclic garbage collector; lists would be walked at every
        # collection.
        self.shared = {p: tuple(lists[-1 - v]) for p, v in enumerate(self.entries) if v < 0}
        self.automaton.make_automaton()
        self.ready = True

    def entries_of(self, pattern: int) -> tuple[int, ...]:
        entry = self.entries[pattern]
        return (entry,) if entry >= 0 else self.shared[pattern]

    def lookup(self, key: str) -> tuple[int, ...]:
        pattern = self.automaton.get(key, -1) if self.ready else -1
        return self.entries_of(pattern) if pattern >= 0 else ()

    def find(self, text: str) -> Iterator[tuple[int, int, int]]:
        """(start, end, pattern) for every occurrence; end is exclusive."""
        if not self.ready or not text:
            return
        lengths = self.lengths
        for last, pattern in self.automaton.iter(text):
            yield last + 1 - lengths[pattern], last + 1, pattern

    def iter(self, text: str) -> Iterable[tuple[int, int]]:
        """(last, pattern) for every occurrence, straight from the automaton (last is inclusive)."""
        if not self.ready or not text:
            return ()
        return self.automaton.iter(text)  # type: ignore[no-any-return]

    def __len__(self) -> int:
        return len(self.lengths) + len(self._pending)
