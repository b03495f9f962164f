"""The common shapes every search source speaks: a planned query, an HTTP request, parsed results."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

# Declared with the rest of the settings (the scheduler reads it too and must not import the crawler).
from jikimi.config import SourceConfig

__all__ = [
    "HttpRequest",
    "Outcome",
    "PageCursor",
    "ParsedPage",
    "Query",
    "SearchResult",
    "SourceConfig",
    "SourceError",
]


class Outcome(enum.StrEnum):
    """How a source ended a run; never collapse a failure into EMPTY."""

    OK = "ok"
    EMPTY = "empty"
    QUOTA = "quota"
    BLOCKED = "blocked"
    AUTH = "auth"
    UNREACHABLE = "unreachable"
    ERROR = "error"


# Worst first: when several requests of one source end differently, the run reports the worst.
OUTCOME_SEVERITY: tuple[Outcome, ...] = (
    Outcome.AUTH,
    Outcome.QUOTA,
    Outcome.BLOCKED,
    Outcome.UNREACHABLE,
    Outcome.ERROR,
    Outcome.OK,
    Outcome.EMPTY,
)


@dataclass(frozen=True)
class Query:
    """One search a source runs: the text sent, and who it is for (never logged)."""

    text: str
    case_id: int
    term_id: int
    exact: bool = True
    vertical: str = ""  # which endpoint of a multi-endpoint source (naver/kakao)
    since: datetime | None = None  # results older than this end the paging
    # `text` is a ready-made OR expression of quoted phrases (`exact` then says they are all phrases of
    # the query's own term: its text, aliases or generated spellings).
    joined: bool = False
    # Every term whose phrases a joined query carries, its own `term_id` first, when that is more than one
    # (a case's quiet terms share one OR query); empty for a query of one term.
    term_ids: tuple[int, ...] = ()
    # For a query carrying several terms: each term's own queries, run at once when this one is still
    # paying at `max_pages` (a common name may have crowded the rarer alternatives out of its pages).
    split: tuple[Query, ...] = ()

    @property
    def terms(self) -> tuple[int, ...]:
        """The terms this query searches for: reached or unreached together."""
        return self.term_ids or (self.term_id,)


@dataclass(frozen=True)
class HttpRequest:
    """A request ready for Scrapy; headers may carry credentials (never logged)."""

    url: str
    method: str = "GET"
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes | None = None


@dataclass(frozen=True)
class SearchResult:
    """One hit, cleaned: markup stripped, entities unescaped, redirect links decoded."""

    url: str
    title: str
    snippet: str
    published: datetime | None
    source: str
    query: str
    rank: int


@dataclass(frozen=True)
class PageCursor:
    """Where the next page starts; `state` carries engine tokens such as DuckDuckGo's vqd."""

    page: int
    state: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ParsedPage:
    """The results of one response and whether to ask for more."""

    results: tuple[SearchResult, ...]
    next_page: PageCursor | None
    partial_reason: str | None = None  # e.g. SearXNG upstream engines unresponsive


class SourceError(Exception):
    """A response that is not results: carries the outcome it means for the run and a named reason."""

    def __init__(self, outcome: Outcome, reason: str, retry_after: float | None = None) -> None:
        super().__init__(f"{outcome.value}: {reason}")
        self.outcome = outcome
        self.reason = reason
        self.retry_after = retry_after
