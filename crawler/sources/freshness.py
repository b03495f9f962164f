"""From "results since when" to the coarse time filters engines offer, and the client-side cut-off."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from crawler.sources.base import SearchResult
from crawler.sources.timestamps import as_utc

# Engines only offer fixed windows; the smallest one that still reaches back to `since` is used, so a
# filter never hides a result newer than `since`.
DAY, WEEK, MONTH, YEAR = "day", "week", "month", "year"
_WINDOWS: tuple[tuple[timedelta, str], ...] = (
    (timedelta(days=1), DAY),
    (timedelta(days=7), WEEK),
    (timedelta(days=31), MONTH),
    (timedelta(days=365), YEAR),
)


def window(since: datetime | None, now: datetime | None = None) -> str | None:
    """The smallest window covering `since` (day/week/month/year), or None for "no filter".

    `now` defaults to the clock: a filter is relative to when the request is sent.
    """
    if since is None:
        return None
    age = (now or datetime.now(UTC)) - as_utc(since)
    for span, name in _WINDOWS:
        if age <= span:
            return name
    return None


def passed_since(results: Sequence[SearchResult], since: datetime | None, sorted_by_date: bool) -> bool:
    """Whether this page already reaches back before `since`, so later pages hold nothing newer.

    Date-sorted engines: the oldest dated result is older than `since`. Other engines order by relevance,
    so only a page whose every result is dated and older proves the rest is old too.
    """
    if since is None or not results:
        return False
    cutoff = as_utc(since)
    dates = [r.published for r in results if r.published is not None]
    if sorted_by_date:
        return any(d < cutoff for d in dates)
    return len(dates) == len(results) and all(d < cutoff for d in dates)
