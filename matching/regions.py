"""Where a page needs its compact view: windows around the places where a hit can start.

The compact view (separators removed) is what finds spaced names (홍 길 동), but building it for a whole page
costs more than the automaton pass itself. The page's words joined are the compact view's text, so one
automaton pass over them finds every hit it can hold; the view itself, which maps positions back and tells
what separated two characters, is built only in windows around those hits. Each window starts at the
separator run before a hit's word and reaches far enough past the hit that every rule of `judge` sees what it
would see in the whole page.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable

from matching.views import NOT_PURE, DenseView, Page

# In text made of ASCII and Hangul syllables only (`Page.pure`), the separators are exactly the ASCII
# characters other than letters and digits, which a byte table finds many times faster than the regex.
_ASCII_SEPARATORS = bytes(
    b if chr(b).isascii() and chr(b).isalnum() else ord(" ") for b in range(128)
) + bytes(range(128, 256))
_SEPARATOR_CHAR = re.compile(r"[\W_]")  # the compact view's separators (views.SEPARATOR_SPLIT), one by one
# From a word: up to `reach` more letters or digits across separators, the rest of that word, the separator
# run after it (a window ends after a whole run, so the gap at its end is the page's).
_REACH = "(?:[\\W_]*[^\\W_]){{1,{reach}}}[^\\W_]*[\\W_]*"
# Beyond this share of the page, one view of the whole page is cheaper than many windows.
WHOLE_PAGE_SHARE = 0.5


def word_pieces(text: str, pure: bool | None = None) -> list[str]:
    """The words of clean `text` with one piece per separator character (an empty piece between two
    separators): piece k starts at the sum of the earlier pieces' lengths plus k. `pure`: whether the text is
    ASCII and Hangul syllables only, if known."""
    if pure if pure is not None else NOT_PURE.search(text) is None:
        return text.encode().translate(_ASCII_SEPARATORS).decode().split(" ")
    return _SEPARATOR_CHAR.sub(" ", text).split(" ")


def _run_start(text: str, position: int) -> int:
    """Start of the separator run before the word holding `position` (or 0)."""
    while position > 0 and text[position - 1].isalnum():
        position -= 1
    while position > 0 and not text[position - 1].isalnum():
        position -= 1
    return position


class Windows:
    """Compact views of merged windows of a page, or one view of the whole page."""

    def __init__(self, views: list[DenseView]) -> None:
        self.views = views
        self._los = [view.lo for view in views]

    @classmethod
    def whole(cls, page: Page) -> Windows:
        return cls([DenseView(page.original, page.clean)])

    @classmethod
    def around(cls, page: Page, spans: Iterable[tuple[int, int]], reach: int) -> Windows:
        """Views covering each clean-text span (start, end) from the separator run before its word to `reach`
        letters or digits past its end (and the separator run after them)."""
        text = page.clean.text
        beyond = re.compile(_REACH.format(reach=max(reach, 1)))
        merged: list[list[int]] = []
        for start, end in sorted(spans):
            lo = _run_start(text, start)
            found = beyond.match(text, end)
            hi = found.end() if found else len(text)
            if merged and lo <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], hi)
            else:
                merged.append([lo, hi])
        if sum(hi - lo for lo, hi in merged) > WHOLE_PAGE_SHARE * len(text):
            return cls.whole(page)
        return cls([DenseView(page.original, page.clean, lo, hi) for lo, hi in merged])

    def at(self, clean_pos: int) -> DenseView:
        """The view whose window holds clean position `clean_pos` (windows cover every trigger)."""
        return self.views[max(0, bisect_right(self._los, clean_pos) - 1)]
