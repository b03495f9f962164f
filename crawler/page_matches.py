"""Which match of a page stands for each case: shared by page, verification and re-check recording."""

from __future__ import annotations

from matching import Match

# Characters of page text kept around a match in the exposure's snippet.
SNIPPET_WIDTH = 160


def best_per_case(matches: list[Match]) -> dict[int, Match]:
    """The most convincing match of each case: high level first, then confidence, then the earliest."""
    best: dict[int, Match] = {}
    for match in matches:
        current = best.get(match.case_id)
        if current is None or _rank(match) > _rank(current):
            best[match.case_id] = match
    return best


def _rank(match: Match) -> tuple[bool, float, int]:
    return (match.level == "high", match.confidence, -match.start)
