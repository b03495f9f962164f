"""The text around a match, as the page wrote it, for storing as an exposure's snippet."""

from __future__ import annotations


def snippet_around(text: str, start: int, end: int, width: int = 120) -> str:
    """About `width` characters of `text` centred on [start, end), whitespace collapsed, cut at word edges.

    The match itself is always kept whole, even when it is longer than `width`. Ellipses mark cuts.
    """
    start = max(0, min(start, len(text)))
    end = max(start, min(end, len(text)))
    room = max(0, width - (end - start))
    lo = max(0, start - room // 2)
    hi = min(len(text), end + room - (start - lo))
    lo = max(0, min(lo, start - (room - (hi - end))))
    # Move the cuts outwards to whitespace when it is close, so words are not chopped.
    if lo > 0:
        space = text.rfind(" ", max(0, lo - 10), lo)
        lo = space + 1 if space >= 0 else lo
    if hi < len(text):
        space = text.find(" ", hi, min(len(text), hi + 10))
        hi = space if space >= 0 else hi
    body = " ".join(text[lo:hi].split())
    return ("…" if lo > 0 else "") + body + ("…" if hi < len(text) else "")
