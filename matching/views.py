"""Compact views: the text with separators taken out, remembering what separated each pair of characters.

`DenseView` covers the whole text cheaply (two edit layers: clean, then separators removed). `UnitView` is
built character by character for short windows that need heavier work (jamo recomposition, look-alikes, Hanja
readings, QWERTY conversion, masks). Both answer the same questions: where a range came from in the original,
which clean-up flags it carries, and what kind of gap sits before a position.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from functools import cached_property
from itertools import accumulate
from operator import add

from matching.kinds import GAP_EDGE, GAP_NONE, GAP_SPACE, GAP_SYMBOL
from matching.textmap import Layer, identity

WORD_MARK = "\x01"

# A separator is anything str.isalnum() rejects (the same test the windows use); `_` counts as one too.
SEPARATOR_SPLIT = re.compile(r"([\W_]+)")


def _without_separators(text: str) -> tuple[Layer, list[str]]:
    """Deletes separator runs; also returns the words between them (some may be empty).

    Dense text has a run every few characters, so everything here is C-level: one split, then running sums of
    piece lengths give both the source and the output positions of each run.
    """
    pieces = SEPARATOR_SPLIT.split(text)
    if len(pieces) == 1:
        return identity(text), pieces
    bounds = list(accumulate(map(len, pieces), initial=0))
    src_starts = bounds[1:-1:2]
    src_ends = bounds[2::2]
    words = pieces[0::2]
    out_starts = list(accumulate(map(len, words[:-1])))
    layer = Layer(
        "".join(words), text, out_starts, list(out_starts), src_starts, src_ends, [0] * len(out_starts)
    )
    return layer, words


def gap_kind(separator: str) -> int:
    return GAP_SPACE if separator.isspace() else GAP_SYMBOL


# Clean text of ASCII and Hangul syllables only (most Korean pages): no jamo, Han, look-alike from another
# script or non-ASCII separator can be in it.
NOT_PURE = re.compile(r"[^\x00-\x7f\uac00-\ud7a3]")
# The ASCII characters that count next to a syllable: Latin letters (홍gil동) and the digits and signs that
# imitate jamo (호0길동, 7ㅣ, 0l서연). One class leads: the engine scans for it fast and looks at both
# sides only where it stands.
_LATIN_SPLIT = re.compile("([a-z]+)")
_NEXT_TO_SYLLABLE = re.compile(r"[a-z0127|!](?:(?=[\uac00-\ud7a3])|(?<=[\uac00-\ud7a3].))")


class Page:
    """A text and its clean layer: all that the per-character windows and the Latin views read, and what its
    pre-filters learn once for all of them."""

    def __init__(self, original: str, clean: Layer, pure: bool | None = None) -> None:
        self.original = original
        self.clean = clean
        self._pure = pure

    @property
    def pure(self) -> bool:
        """The clean text holds only ASCII and Hangul syllables (None at construction: not known yet)."""
        if self._pure is None:
            self._pure = NOT_PURE.search(self.clean.text) is None
        return self._pure

    @cached_property
    def latin_runs(self) -> tuple[list[str], list[str], list[int]]:
        """The runs of Latin letters of the clean text, the text between them and each run's start."""
        pieces = _LATIN_SPLIT.split(self.clean.text)
        bounds = list(accumulate(map(len, pieces), initial=0))
        return pieces[1::2], pieces[2:-1:2], bounds[1:-1:2]

    @cached_property
    def ascii_next_to_syllable(self) -> bool:
        """Some Latin letter, or digit or sign imitating a jamo, touches a Hangul syllable."""
        return _NEXT_TO_SYLLABLE.search(self.clean.text) is not None


class DenseView(Page):
    """Compact view of clean text [lo, hi) (the whole text by default): `clean` layer over the original,
    then a layer deleting separator runs.

    A window must start at a separator run (or at 0) and end after one (or at the end), so that the gaps at
    its edges are those the whole text has.
    """

    def __init__(self, original: str, clean: Layer, lo: int = 0, hi: int | None = None) -> None:
        super().__init__(original, clean)
        self.lo = lo
        whole = lo == 0 and (hi is None or hi >= len(clean.text))
        self.layer, self.words = _without_separators(clean.text if whole else clean.text[lo:hi])
        self.text = self.layer.text

    def marked_words(self) -> tuple[str, list[int], list[int]]:
        """The words, each preceded by WORD_MARK, with the mark positions and each word's compact start.

        An automaton whose patterns begin with the mark then only matches at word starts.
        """
        starts = list(accumulate(map(len, self.words[:-1]), initial=0))
        marks = list(map(add, starts, range(len(starts))))  # each earlier word also brought its mark
        return WORD_MARK + WORD_MARK.join(self.words), marks, starts

    def clean_span(self, start: int, end: int) -> tuple[int, int]:
        clean_start, clean_end = self.layer.source_span(start, end)
        return clean_start + self.lo, clean_end + self.lo

    def orig_span(self, start: int, end: int) -> tuple[int, int]:
        return self.clean.source_span(*self.clean_span(start, end))

    def flags(self, start: int, end: int) -> int:
        return self.clean.flags_in(*self.clean_span(start, end))

    def gap(self, position: int) -> int:
        """What separates compact positions position-1 and position (GAP_EDGE at either end of the text)."""
        k = self.layer.deletion_at(position)
        if k < 0:
            return GAP_EDGE if position <= 0 or position >= len(self.text) else GAP_NONE
        return gap_kind(self.layer.source[self.layer.src_starts[k] : self.layer.src_ends[k]])

    def gaps(self, start: int, end: int) -> list[int]:
        """Gap kinds at positions start+1 .. end-1 (one bisect, then only the separators inside)."""
        result = [GAP_NONE] * max(0, end - start - 1)
        out_starts = self.layer.out_starts
        source = self.layer.source
        k = bisect_right(out_starts, start)
        while k < len(out_starts) and out_starts[k] < end:
            result[out_starts[k] - start - 1] = gap_kind(
                source[self.layer.src_starts[k] : self.layer.src_ends[k]]
            )
            k += 1
        return result

    def word_end(self, position: int) -> int:
        """End of the word that continues at `position` (the next gap), at most 12 characters on."""
        k = bisect_right(self.layer.out_starts, position)
        end = self.layer.out_starts[k] if k < len(self.layer.out_starts) else len(self.text)
        return min(end, position + 12)

    def compact_of_clean(self, clean_pos: int) -> int:
        """First compact position at or after clean position `clean_pos`."""
        return self.layer.output_index(clean_pos - self.lo)

    def compact_index(self, orig_pos: int) -> int:
        """First compact position at or after original position `orig_pos`."""
        return self.compact_of_clean(self.clean.output_index(orig_pos))


class WordsView(Page):
    """The compact view of a whole page answered from its words, without an edit layer: `pieces` are the
    clean text cut at every separator character (empty between two separators), `sums` their running lengths
    (`sums[k]` is where piece k starts in the compact text, `sums[k] + k` in the clean text), `text` the
    pieces joined. Every answer is the one `DenseView` of the same page gives; building it costs nothing the
    scan has not already paid for.
    """

    def __init__(self, page: Page, pieces: list[str], sums: list[int], text: str) -> None:
        super().__init__(page.original, page.clean, page.pure)
        self.pieces = pieces
        self.sums = sums
        self.text = text
        self._clean_starts: list[int] = []

    def _clean_pos(self, position: int) -> int:
        """Clean position of compact character `position`: one separator per earlier piece."""
        return position + bisect_right(self.sums, position) - 1

    def clean_span(self, start: int, end: int) -> tuple[int, int]:
        first = self._clean_pos(start)
        return first, (self._clean_pos(end - 1) if end - 1 > start else first) + 1

    def orig_span(self, start: int, end: int) -> tuple[int, int]:
        return self.clean.source_span(*self.clean_span(start, end))

    def flags(self, start: int, end: int) -> int:
        return self.clean.flags_in(*self.clean_span(start, end))

    def gap(self, position: int) -> int:
        """What separates compact positions position-1 and position (GAP_EDGE at either end of the text)."""
        sums = self.sums
        last = len(sums) - 2  # the last piece
        if position <= 0:
            # Separators before the first word: the pieces that start at 0, but the last of them, are empty.
            run = self.clean.text[: bisect_right(sums, 0) - 1]
        elif position >= len(self.text):
            # After the last word: the separators of the empty pieces behind it.
            first = bisect_left(sums, len(self.text))
            run = self.clean.text[len(self.text) + first - 1 :] if first <= last else ""
        else:
            first = bisect_left(sums, position)
            if first > last or sums[first] != position:
                return GAP_NONE
            # Piece first-1 ends here, pieces first..behind start here (all but the last empty): one separator
            # between each two of them.
            behind = bisect_right(sums, position) - 1
            run = self.clean.text[position + first - 1 : position + behind]
        return gap_kind(run) if run else GAP_EDGE

    def gaps(self, start: int, end: int) -> list[int]:
        """Gap kinds at positions start+1 .. end-1 (one bisect, then only the word edges inside)."""
        result = [GAP_NONE] * max(0, end - start - 1)
        sums = self.sums
        k = bisect_right(sums, start)
        while k < len(sums) - 1 and sums[k] < end:
            result[sums[k] - start - 1] = self.gap(sums[k])
            k = bisect_right(sums, sums[k])
        return result

    def word_end(self, position: int) -> int:
        """End of the word that continues at `position` (the next gap), at most 12 characters on."""
        k = bisect_right(self.sums, position)
        end = self.sums[k] if k < len(self.sums) - 1 else len(self.text)
        return min(end, position + 12)

    def compact_of_clean(self, clean_pos: int) -> int:
        """First compact position at or after clean position `clean_pos`."""
        if not self._clean_starts:
            self._clean_starts = list(map(add, self.sums[:-1], range(len(self.sums) - 1)))
        k = bisect_right(self._clean_starts, clean_pos) - 1
        if k < 0:
            return 0
        inside = clean_pos - self._clean_starts[k]
        if inside < len(self.pieces[k]):
            return self.sums[k] + inside
        return min(self.sums[k + 1], len(self.text))


@dataclass(slots=True)
class Unit:
    """One character of a window view with its original span, clean-up flags and the gap before it."""

    char: str
    start: int
    end: int
    flags: int
    gap: int


class UnitView:
    """Compact view of a short window, one `Unit` per character; `tail_gap` is the gap after the last unit."""

    def __init__(self, units: list[Unit], tail_gap: int) -> None:
        self.units = units
        self.tail_gap = tail_gap
        self.text = "".join(u.char for u in units)

    def orig_span(self, start: int, end: int) -> tuple[int, int]:
        chosen = self.units[start:end]
        return min(u.start for u in chosen), max(u.end for u in chosen)

    def flags(self, start: int, end: int) -> int:
        result = 0
        for unit in self.units[start:end]:
            result |= unit.flags
        return result

    def gaps(self, start: int, end: int) -> list[int]:
        return [u.gap for u in self.units[start + 1 : end]]

    def word_end(self, position: int) -> int:
        end = position + 1
        while end < len(self.units) and end < position + 12 and self.units[end].gap == GAP_NONE:
            end += 1
        return min(end, len(self.units))

    def gap(self, position: int) -> int:
        if position >= len(self.units):
            return self.tail_gap
        return self.units[position].gap


View = DenseView | WordsView | UnitView


def is_boundary(gap: int) -> bool:
    return gap != GAP_NONE


__all__ = [
    "GAP_EDGE",
    "GAP_NONE",
    "GAP_SPACE",
    "GAP_SYMBOL",
    "NOT_PURE",
    "DenseView",
    "Page",
    "Unit",
    "UnitView",
    "View",
    "WordsView",
    "gap_kind",
    "is_boundary",
]
