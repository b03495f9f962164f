"""Snippets as text segments with the matched words marked: templates escape each segment, never HTML.

Matched words are masked (●●●) unless the advocate asked to see the names on this view (audited).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from takedown.term_masking import MASK_CHAR


@dataclass(frozen=True)
class Segment:
    text: str
    marked: bool


def merge(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for start, end in sorted(s for s in spans if s[1] > s[0]):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def segments(text: str | None, spans: Iterable[tuple[int, int]], *, reveal: bool) -> list[Segment]:
    if not text:
        return []
    out: list[Segment] = []
    pos = 0
    for start, end in merge(spans):
        start, end = max(start, pos), min(end, len(text))
        if start >= end:
            continue
        if start > pos:
            out.append(Segment(text[pos:start], False))
        word = text[start:end]
        out.append(Segment(word if reveal else "".join(c if c.isspace() else MASK_CHAR for c in word), True))
        pos = end
    if pos < len(text):
        out.append(Segment(text[pos:], False))
    return out
