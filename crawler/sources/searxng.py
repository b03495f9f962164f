"""A self-hosted SearXNG instance: broad engine coverage (Google, Bing, ...) without scraping code of ours."""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import urlencode

from crawler.sources import checks, freshness, responses
from crawler.sources.base import (
    HttpRequest,
    Outcome,
    PageCursor,
    ParsedPage,
    Query,
    SearchResult,
    SourceConfig,
    SourceError,
)
from crawler.sources.markup import clean_text, is_web_url
from crawler.sources.query_syntax import search_text
from crawler.sources.timestamps import parse_iso

NAME = "searxng"
DEFAULT_BASE_URL = "http://127.0.0.1:8888"
VERTICALS: tuple[str, ...] = ("",)
# SearXNG passes the query to its engines; the general web engines (Google, Bing, DuckDuckGo, Brave)
# document OR. An instance whose engines read it as a word sets `sources.searxng.or_operator = ""`.
OR_OPERATOR = "OR"
KOREAN_ONLY = False
KIND_VERTICALS: Mapping[str, tuple[str, ...]] = {}

# How many results earlier pages held: SearXNG merges engines, so page sizes vary and rank is counted.
RANKED = "ranked"
_TIME_RANGE = {freshness.DAY: "day", freshness.WEEK: "week", freshness.MONTH: "month", freshness.YEAR: "year"}
# The limiter answers 429 to a request whose headers do not look like a browser's (Accept must name
# text/html, Accept-Encoding gzip or deflate, Accept-Language present).
_HEADERS = {
    "Accept": "application/json, text/html;q=0.8",
    "Accept-Encoding": "gzip, deflate",
    "Accept-Language": "ko-KR,ko;q=0.9,en;q=0.5",
}
_BLOCK_WORDS = ("captcha", "denied", "too many requests", "suspended", "blocked")
_ENGINE_NAME = re.compile(r"[A-Za-z0-9 _.()-]{1,40}")


def check_config(cfg: SourceConfig) -> list[str]:
    return checks.common_problems(cfg, VERTICALS)


def build_request(cfg: SourceConfig, query: Query, cursor: PageCursor) -> HttpRequest:
    params = [
        ("q", search_text(query)),
        ("format", "json"),
        ("pageno", str(max(cursor.page, 1))),
        # Safe search would hide exactly the pages an advocate needs to find.
        ("safesearch", "0"),
    ]
    window = freshness.window(query.since)
    if window is not None:
        params.append(("time_range", _TIME_RANGE[window]))
    return HttpRequest(url=f"{cfg.base_url.rstrip('/')}/search?{urlencode(params)}", headers=dict(_HEADERS))


def parse_response(
    cfg: SourceConfig,
    query: Query,
    cursor: PageCursor,
    status: int,
    headers: Mapping[str, str],
    body: bytes,
) -> ParsedPage:
    if status != 200:
        raise _error(status, headers)
    data = responses.decode_json(headers, body)
    if "results" not in data:
        raise SourceError(Outcome.ERROR, responses.MALFORMED)
    first_rank = _ranked(cursor) + 1
    results: list[SearchResult] = []
    for item in responses.json_list(data, "results"):
        result = _result(item, query, first_rank + len(results))
        if result is not None:
            results.append(result)
    partial = _unresponsive(data)
    if not results and partial and cursor.page <= 1:
        # Nothing found while engines failed is not "nothing there": the spider would record EMPTY.
        raise SourceError(_failure_outcome(data), f"no results; {partial}")
    return ParsedPage(tuple(results), _next_page(cfg, query, cursor, results), partial_reason=partial)


def _ranked(cursor: PageCursor) -> int:
    try:
        return max(int(cursor.state.get(RANKED, "0")), 0)
    except ValueError:
        return 0


def _result(item: object, query: Query, rank: int) -> SearchResult | None:
    if not isinstance(item, dict):
        raise SourceError(Outcome.ERROR, responses.MALFORMED)
    url = item.get("url")
    if not is_web_url(url):
        return None
    # `img_src` and `thumbnail` are deliberately not read: we never keep or fetch media.
    return SearchResult(
        url=str(url).strip(),
        title=clean_text(item.get("title")),
        snippet=clean_text(item.get("content")),
        published=parse_iso(item.get("publishedDate")),
        source=NAME,
        query=query.text,
        rank=rank,
    )


def _next_page(
    cfg: SourceConfig, query: Query, cursor: PageCursor, results: list[SearchResult]
) -> PageCursor | None:
    # SearXNG has no total and no end marker: an empty page is the end.
    if not results or cursor.page >= cfg.max_pages:
        return None
    if freshness.passed_since(results, query.since, sorted_by_date=False):
        return None
    return PageCursor(cursor.page + 1, {RANKED: str(_ranked(cursor) + len(results))})


def _unresponsive(data: Mapping[str, object]) -> str | None:
    """`unresponsive_engines: [[name, reason], ...]` -> "unresponsive engines: a, b" (names only).

    The reasons are free text from upstream errors and are left out.
    """
    entries = data.get("unresponsive_engines")
    if not isinstance(entries, list):
        return None
    names: list[str] = []
    for entry in entries:
        name = entry[0] if isinstance(entry, (list, tuple)) and entry else entry
        label = name if isinstance(name, str) and _ENGINE_NAME.fullmatch(name) else "unknown"
        if label not in names:
            names.append(label)
    return f"unresponsive engines: {', '.join(sorted(names))}" if names else None


def _failure_outcome(data: Mapping[str, object]) -> Outcome:
    """BLOCKED when an upstream engine says it blocked us (CAPTCHA, access denied, too many requests)."""
    entries = data.get("unresponsive_engines")
    reasons = [
        str(entry[1]).lower()
        for entry in (entries if isinstance(entries, list) else [])
        if isinstance(entry, (list, tuple)) and len(entry) > 1
    ]
    if any(word in reason for reason in reasons for word in _BLOCK_WORDS):
        return Outcome.BLOCKED
    return Outcome.UNREACHABLE


def _error(status: int, headers: Mapping[str, str]) -> SourceError:
    if status == 403:
        # An instance answers 403 to format=json unless settings.yml lists json under search.formats.
        return SourceError(Outcome.ERROR, "searxng JSON output disabled")
    if status == 401:
        return SourceError(Outcome.AUTH, "credentials rejected (http 401)")
    if status == 429:
        return responses.rate_limited(headers)
    if status >= 500:
        return responses.server_error(status)
    return responses.unexpected_status(status)
