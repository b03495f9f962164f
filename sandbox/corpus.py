"""The documents every fake engine searches, and the search itself.

Dates are stored as ages and turned into datetimes when the sandbox starts, so "recent" stays
recent whenever the tests run.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sandbox.corpus_data import INJECTION_SEEDS, SEEDS, Seed
from sandbox.query import Query

KST = timezone(timedelta(hours=9))
# "any" documents (those added by tests) appear in every vertical of every engine.
KINDS = frozenset({"web", "blog", "news", "cafe", "any"})


@dataclass(frozen=True)
class Document:
    url: str
    title: str
    body: str
    published: datetime | None  # aware; None when the page carries no date
    kind: str = "web"
    site: str = ""  # blog, cafe or site name shown by the engines
    naver_redirect: bool = False  # Naver shows a `http://openapi.naver.com/l?AAAB...` link for it


@dataclass(frozen=True)
class Hit:
    document: Document
    score: int


def _from_seed(seed: Seed, root: str, now: datetime) -> Document:
    published = (
        None if seed.age_days is None else (now - timedelta(days=seed.age_days)).replace(microsecond=0)
    )
    return Document(
        url=seed.url.replace("{root}", root),
        title=seed.title,
        body=seed.body,
        published=published,
        kind=seed.kind,
        site=seed.site,
        naver_redirect=seed.naver_redirect,
    )


def coerce_published(value: datetime | str | None) -> datetime | None:
    """Accept a datetime or an ISO string from tests; a naive value is taken as Korean time."""
    if value is None:
        return None
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment if moment.tzinfo else moment.replace(tzinfo=KST)


class Corpus:
    """Thread-safe document store; tests add and remove documents while engines search it."""

    def __init__(self, root: str) -> None:
        self._root = root
        self._lock = threading.Lock()
        now = datetime.now(KST)
        self._documents = [_from_seed(s, root, now) for s in SEEDS]
        self.injection = tuple(_from_seed(s, root, now) for s in INJECTION_SEEDS)

    def add(self, document: Document) -> None:
        if document.kind not in KINDS:
            raise ValueError(f"kind must be one of {sorted(KINDS)}, not {document.kind!r}")
        with self._lock:
            self._documents = [d for d in self._documents if d.url != document.url] + [document]

    def remove(self, url: str) -> bool:
        with self._lock:
            before = len(self._documents)
            self._documents = [d for d in self._documents if d.url != url]
            return len(self._documents) != before

    def documents(self) -> list[Document]:
        with self._lock:
            return list(self._documents) + list(self.injection)

    def search(
        self,
        query: Query,
        kind: str = "web",
        since: datetime | None = None,
        by_date: bool = False,
    ) -> list[Hit]:
        """Matching documents, best first (or newest first), ties broken by URL so order never varies.

        `kind="web"` is the general index (everything); a vertical (blog, news, cafe) keeps its own
        kind plus "any". With `since`, undated documents drop out, as on the engines' date filters.
        """
        with self._lock:
            pool = list(self._documents)
        hits: list[Hit] = []
        for doc in pool:
            if kind != "web" and doc.kind not in (kind, "any"):
                continue
            if since is not None and (doc.published is None or doc.published < since):
                continue
            score = query.score(doc.title, doc.body, doc.url)
            if score:
                hits.append(Hit(doc, score))
        if by_date:
            oldest = datetime.min.replace(tzinfo=KST)
            hits.sort(key=lambda h: h.document.url)
            hits.sort(key=lambda h: h.document.published or oldest, reverse=True)
        else:
            hits.sort(key=lambda h: (-h.score, h.document.url))
        return hits
