"""Aho-Corasick pattern sets shared by all cases, with compact payloads.

Each automaton stores a C integer per pattern (no Python object per pattern, so 100,000 terms stay small); that
integer indexes `lengths` and `entries`. An entry packs a term (or keyword) index with the role the pattern plays
for it; a pattern shared by several terms (two victims with the same name) keeps its entries in `shared`.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator

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


def pack(index: int, role: int) -> int:
    return (index << ROLE_BITS) | role


class PatternSet:
    """One automaton and the payload tables behind it."""

    def __init__(self) -> None:
        self.automaton = ahocorasick.Automaton(ahocorasick.STORE_INTS)
        self.lengths = array("H")
        self.entries = array("q")
        self.shared: dict[int, list[int]] = {}
        self.ready = False
        # Bound once: `add` runs a dozen times per registered term.
        self._get = self.automaton.get
        self._add_word = self.automaton.add_word

    def add(self, key: str, entry: int) -> None:
        pattern = self._get(key, -1)
        if pattern < 0:
            self._add_word(key, len(self.lengths))
            self.lengths.append(len(key) if len(key) < 65535 else 65535)
            self.entries.append(entry)
            return
        current = self.entries[pattern]
        if current >= 0:
            if current != entry:
                self.shared[pattern] = [current, entry]
                self.entries[pattern] = -1
        elif entry not in self.shared[pattern][-8:]:
            self.shared[pattern].append(entry)

    def finish(self) -> None:
        if len(self.lengths):
            self.automaton.make_automaton()
            self.ready = True

    def entries_of(self, pattern: int) -> list[int]:
        entry = self.entries[pattern]
        return [entry] if entry >= 0 else self.shared[pattern]

    def lookup(self, key: str) -> list[int]:
        pattern = self.automaton.get(key, -1) if len(self.lengths) else -1
        return self.entries_of(pattern) if pattern >= 0 else []

    def find(self, text: str) -> Iterator[tuple[int, int, int]]:
        """(start, end, pattern) for every occurrence; end is exclusive."""
        if not self.ready or not text:
            return
        lengths = self.lengths
        for last, pattern in self.automaton.iter(text):
            yield last + 1 - lengths[pattern], last + 1, pattern

    def __len__(self) -> int:
        return len(self.lengths)
