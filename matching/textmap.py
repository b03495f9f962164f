"""A derived text that remembers where each of its characters came from.

Normalising a page changes its length (invisible characters dropped, fullwidth letters folded, separators
removed), yet a match must point at what the page really says. A `Layer` stores only the edits, sorted, so
building it costs time proportional to the number of edits, and mapping a position back costs one binary
search.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable


class Layer:
    """`text` derived from `source` by a sorted list of non-overlapping edits.

    Edit k replaced source[src_starts[k]:src_ends[k]] by text[out_starts[k]:out_ends[k]] and carries
    `flags[k]` (what kind of clean-up it was). Outside edits the two texts agree character for character. An
    edit whose replacement has the source's length maps character to character; any other maps each output
    character to the whole source range (a deletion maps to nothing and shows up only between its neighbours).
    """

    __slots__ = ("flags", "out_ends", "out_starts", "source", "src_ends", "src_starts", "text")

    def __init__(
        self,
        text: str,
        source: str,
        out_starts: list[int],
        out_ends: list[int],
        src_starts: list[int],
        src_ends: list[int],
        flags: list[int],
    ) -> None:
        self.text = text
        self.source = source
        self.out_starts = out_starts
        self.out_ends = out_ends
        self.src_starts = src_starts
        self.src_ends = src_ends
        self.flags = flags

    def source_span_of(self, index: int) -> tuple[int, int]:
        """The source range that output character `index` came from."""
        k = bisect_right(self.out_starts, index) - 1
        # Deletions share their out position with the next edit or character; skip back over none: a deletion
        # at `index` sorts before a replacement at `index`, and bisect_right lands on the last of them.
        if k < 0:
            return index, index + 1
        out_start, out_end = self.out_starts[k], self.out_ends[k]
        if index < out_end:
            src_start, src_end = self.src_starts[k], self.src_ends[k]
            if out_end - out_start == src_end - src_start:
                pos = src_start + index - out_start
                return pos, pos + 1
            return src_start, src_end
        pos = index - out_end + self.src_ends[k]
        return pos, pos + 1

    def source_span(self, start: int, end: int) -> tuple[int, int]:
        """The source range covered by output characters [start, end)."""
        first = self.source_span_of(start)
        last = self.source_span_of(end - 1) if end - 1 > start else first
        return first[0], max(first[1], last[1])

    def flags_in(self, start: int, end: int) -> int:
        """OR of the flags of edits inside output range [start, end), deletions strictly between its
        characters."""
        result = 0
        k = bisect_left(self.out_ends, start + 1)
        while k < len(self.out_starts) and self.out_starts[k] < end:
            out_start, out_end = self.out_starts[k], self.out_ends[k]
            if out_end > out_start or start < out_start:
                result |= self.flags[k]
            k += 1
        return result

    def char_sources(self, start: int, end: int) -> list[tuple[int, int, int]]:
        """(source start, source end, flags) of each output character in [start, end), in one forward walk."""
        result: list[tuple[int, int, int]] = []
        k = bisect_right(self.out_starts, start) - 1
        if k >= 0 and self.out_ends[k] <= start:
            k += 1
        k = max(k, 0)
        edits = len(self.out_starts)
        for index in range(start, end):
            while (
                k < edits
                and self.out_ends[k] <= index
                and not (self.out_starts[k] == self.out_ends[k] == index)
            ):
                k += 1
            # Deletions right before `index` do not cover it: skip them too.
            while k < edits and self.out_starts[k] == self.out_ends[k] == index:
                k += 1
            if k < edits and self.out_starts[k] <= index < self.out_ends[k]:
                out_start, out_end = self.out_starts[k], self.out_ends[k]
                src_start, src_end = self.src_starts[k], self.src_ends[k]
                if out_end - out_start == src_end - src_start:
                    pos = src_start + index - out_start
                    result.append((pos, pos + 1, self.flags[k]))
                else:
                    result.append((src_start, src_end, self.flags[k]))
            elif k > 0 and self.out_ends[k - 1] <= index:
                pos = index - self.out_ends[k - 1] + self.src_ends[k - 1]
                result.append((pos, pos + 1, 0))
            else:
                result.append((index, index + 1, 0))
        return result

    def deletion_at(self, position: int) -> int:
        """Index of the deletion sitting just before output position `position`, or -1."""
        k = bisect_left(self.out_starts, position)
        while k < len(self.out_starts) and self.out_starts[k] == position:
            if self.out_ends[k] == position:
                return k
            k += 1
        return -1

    def output_index(self, source_pos: int) -> int:
        """First output position whose source starts at or after `source_pos` (clamped to the text)."""
        k = bisect_right(self.src_starts, source_pos) - 1
        if k < 0:
            return min(source_pos, len(self.text))
        if source_pos < self.src_ends[k]:
            return self.out_starts[k]
        return min(source_pos - self.src_ends[k] + self.out_ends[k], len(self.text))


def identity(text: str) -> Layer:
    return Layer(text, text, [], [], [], [], [])


def apply_edits(source: str, edits: Iterable[tuple[int, int, str, int]]) -> Layer:
    """Builds a layer from (src_start, src_end, replacement, flag) edits sorted by position, not
    overlapping."""
    pieces: list[str] = []
    out_starts: list[int] = []
    out_ends: list[int] = []
    src_starts: list[int] = []
    src_ends: list[int] = []
    flags: list[int] = []
    previous = 0
    out = 0
    for src_start, src_end, replacement, flag in edits:
        if src_start > previous:
            pieces.append(source[previous:src_start])
            out += src_start - previous
        pieces.append(replacement)
        out_starts.append(out)
        out += len(replacement)
        out_ends.append(out)
        src_starts.append(src_start)
        src_ends.append(src_end)
        flags.append(flag)
        previous = src_end
    pieces.append(source[previous:])
    return Layer("".join(pieces), source, out_starts, out_ends, src_starts, src_ends, flags)
