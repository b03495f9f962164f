"""Brave Search API (web results), an independent index with a paid key."""

from __future__ import annotations

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

NAME = "brave"
DEFAULT_BASE_URL = "https://api.search.brave.com"
VERTICALS: tuple[str, ...] = ("",)
OR_OPERATOR = "OR"  # between quoted phrases, seen working in the API
KOREAN_ONLY = False
KIND_VERTICALS: Mapping[str, tuple[str, ...]] = {}

PAGE_SIZE = 20  # `count` maximum
MAX_OFFSET = 9  # `offset` counts pages, 0-9
_FRESHNESS = {freshness.DAY: "pd", freshness.WEEK: "pw", freshness.MONTH: "pm", freshness.YEAR: "py"}


def check_config(cfg: SourceConfig) -> list[str]:
    return checks.missing(cfg, "api_key") + checks.common_problems(cfg, VERTICALS)


def build_request(cfg: SourceConfig, query: Query, cursor: PageCursor) -> HttpRequest:
    params = [
        ("q", search_text(query)),
        ("count", str(PAGE_SIZE)),
        ("offset", str(_offset(cursor))),
        # No `country`/`search_lang`: Brave narrows results to them, and abuse sites are often abroad.
        # Safe search would hide exactly the pages an advocate needs to find.
        ("safesearch", "off"),
    ]
    window = freshness.window(query.since)
    if window is not None:
        params.append(("freshness", _FRESHNESS[window]))
    return HttpRequest(
        url=f"{cfg.base_url.rstrip('/')}/res/v1/web/search?{urlencode(params)}",
        headers={"X-Subscription-Token": cfg.api_key, "Accept": "application/json"},
    )


def parse_response(
    cfg: SourceConfig,
    query: Query,
    cursor: PageCursor,
    status: int,
    headers: Mapping[str, str],
    body: bytes,
) -> ParsedPage:
    if status != 200:
        raise _error(status, headers, body)
    data = responses.decode_json(headers, body)
    # A search with no web hits has no `web` key at all, but always has the `query` block.
    web = data.get("web")
    if web is None and not isinstance(data.get("query"), dict):
        raise SourceError(Outcome.ERROR, responses.MALFORMED)
    if web is not None and not isinstance(web, dict):
        raise SourceError(Outcome.ERROR, responses.MALFORMED)
    first_rank = _offset(cursor) * PAGE_SIZE + 1
    results: list[SearchResult] = []
    for item in responses.json_list(web or {}, "results"):
        result = _result(item, query, first_rank + len(results))
        if result is not None:
            results.append(result)
    return ParsedPage(tuple(results), _next_page(cfg, query, cursor, data, results))


def _offset(cursor: PageCursor) -> int:
    return min(max(cursor.page, 1) - 1, MAX_OFFSET)


def _result(item: object, query: Query, rank: int) -> SearchResult | None:
    if not isinstance(item, dict):
        raise SourceError(Outcome.ERROR, responses.MALFORMED)
    url = item.get("url")
    if not is_web_url(url):
        return None
    # `thumbnail` and `profile.img` are deliberately not read: we never keep or fetch media.
    return SearchResult(
        url=str(url).strip(),
        title=clean_text(item.get("title")),
        snippet=clean_text(item.get("description")),
        published=parse_iso(item.get("page_age")),
        source=NAME,
        query=query.text,
        rank=rank,
    )


def _next_page(
    cfg: SourceConfig,
    query: Query,
    cursor: PageCursor,
    data: Mapping[str, object],
    results: list[SearchResult],
) -> PageCursor | None:
    if not results or cursor.page >= cfg.max_pages or _offset(cursor) >= MAX_OFFSET:
        return None
    block = data.get("query")
    if isinstance(block, dict) and block.get("more_results_available") is False:
        return None
    # Brave orders by relevance within the `freshness` window, so only an all-old page ends paging.
    if freshness.passed_since(results, query.since, sorted_by_date=False):
        return None
    return PageCursor(cursor.page + 1)


def _error(status: int, headers: Mapping[str, str], body: bytes) -> SourceError:
    details = responses.error_body(body).get("error")
    details = details if isinstance(details, dict) else {}
    code = details.get("code")
    if status in (401, 403) or (status == 422 and code == "SUBSCRIPTION_TOKEN_INVALID"):
        return SourceError(Outcome.AUTH, f"credentials rejected (http {status})")
    if status == 429:
        if _quota_spent(code, details, headers):
            return SourceError(Outcome.QUOTA, "plan quota exhausted")
        return responses.rate_limited(headers, fallback=_reset_seconds(headers))
    if status >= 500:
        return responses.server_error(status)
    return responses.unexpected_status(status, responses.safe_code(code))


def _quota_spent(code: object, details: Mapping[str, object], headers: Mapping[str, str]) -> bool:
    """Brave answers 429 both per second and when the plan's monthly quota is gone; only the latter stops."""
    if code == "QUOTA_LIMITED":
        return True
    detail = details.get("detail")
    if isinstance(detail, str) and "quota" in detail.lower():
        return True
    meta = details.get("meta")
    if isinstance(meta, dict):
        limit, current = meta.get("quota_limit"), meta.get("quota_current")
        if isinstance(limit, int) and isinstance(current, int) and limit > 0 and current >= limit:
            return True
    # `X-RateLimit-Remaining: <per second>, <per month>`: a spent monthly window is the quota.
    remaining = _header_numbers(headers, "X-RateLimit-Remaining")
    return len(remaining) >= 2 and remaining[-1] <= 0


def _reset_seconds(headers: Mapping[str, str]) -> float | None:
    """Brave sends no `Retry-After`; the first `X-RateLimit-Reset` value is seconds until the next slot."""
    reset = _header_numbers(headers, "X-RateLimit-Reset")
    return reset[0] if reset else None


def _header_numbers(headers: Mapping[str, str], name: str) -> list[float]:
    numbers: list[float] = []
    for part in (responses.header(headers, name) or "").split(","):
        try:
            numbers.append(float(part.strip()))
        except ValueError:
            return []
    return numbers
