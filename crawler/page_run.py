"""What one page or re-check crawl shares between its spiders and `PagePipeline`.

A crawl has up to two phases in one process: the plain phase (Scrapy's HTTP client, with every
guard) and, only when some page needs it, the browser phase. The plain phase decides what the
browser renders: targets marked `render` and pages that turned out to be script-only. The browser
never fetches such a page itself: it is served the body the plain phase already fetched (and vetted)
and only loads the page's scripts and data through the browser gate.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from crawler.context import CrawlContext
from jikimi.config import SourceConfig
from storage.cases import TermView
from storage.targets_state import ExposureToFetch, TargetState

PAGES, TELEGRAM, VERIFY, RECHECK = "pages", "telegram", "verify", "recheck"
# Reading where search engines' redirect tokens lead (Naver's `openapi.naver.com/l?...` links).
RESOLVE = "redirects"


@dataclass(frozen=True)
class ExposureJob:
    """Fetch an exposure's page: to confirm a search hit (`verify`), to see if it is gone (`recheck`), or only
    to read where its redirect token leads (`resolve`). A token is always resolved first."""

    purpose: str
    exposure: ExposureToFetch

    @property
    def source(self) -> str:
        return {"verify": VERIFY, "resolve": RESOLVE}.get(self.purpose, RECHECK)


@dataclass(frozen=True)
class RenderJob:
    """A page the browser must render: served from `body` (fetched by the plain phase) at `url`."""

    url: str
    body: bytes
    content_type: str
    http_status: int
    etag: str | None = None
    last_modified: str | None = None
    target: TargetState | None = None
    exposure_job: ExposureJob | None = None


@dataclass
class PageRun:
    context: CrawlContext
    targets: list[TargetState] = field(default_factory=list)  # web pages
    channels: list[TargetState] = field(default_factory=list)  # t.me/s/<channel>
    exposure_jobs: list[ExposureJob] = field(default_factory=list)
    telegram: SourceConfig | None = None
    render_jobs: list[RenderJob] = field(default_factory=list)
    visited: set[int] = field(default_factory=set)  # target ids whose visit ended (TargetVisited stored)
    fetched: set[int] = field(default_factory=set)  # exposure ids whose fetch ended (ExposureFetched stored)
    newest_term: dict[int, datetime] = field(default_factory=dict)  # case id -> newest active term
    verdicts: Counter[str] = field(default_factory=Counter)  # re-check verdicts (removed, live, ...)
    done: Counter[str] = field(default_factory=Counter)  # finished targets or fetches per source
    # Where redirect tokens are read: the enabled Naver source's base URL (None: tokens are left alone).
    naver_base: str | None = None
    merged: dict[int, int] = field(default_factory=dict)  # token exposure id -> the id it lives on as

    def finished(self, source: str) -> None:
        """Count one finished target or fetch of `source` and tell the parent process."""
        self.done[source] += 1
        self.context.progress.emit("progress", source=source, done=self.done[source])

    @classmethod
    def build(cls, context: CrawlContext, **kwargs: object) -> PageRun:
        run = cls(context=context, **kwargs)  # type: ignore[arg-type]
        run.newest_term = newest_terms(context.terms.values())
        return run

    def full_read(self, target: TargetState) -> bool:
        """Whether to read a target as if for the first time (ignore validators, hash, last message).

        A term registered after the last visit must be looked for in text that has not changed
        since: an unchanged page is skipped only when every term it is matched against is older.
        """
        if target.last_checked_at is None:
            return True
        if target.case_id is not None:
            newest = self.newest_term.get(target.case_id)
        else:
            newest = max(self.newest_term.values(), default=None)
        return newest is not None and newest > target.last_checked_at


def newest_terms(terms: Iterable[TermView]) -> dict[int, datetime]:
    out: dict[int, datetime] = {}
    for term in terms:
        if term.case_id not in out or term.created_at > out[term.case_id]:
            out[term.case_id] = term.created_at
    return out
