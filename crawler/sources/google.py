"""Google Custom Search JSON API: legacy only (closed to new customers, shut down on 2027-01-01)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime
from urllib.parse import urlencode

from crawler.sources import checks, responses
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
from crawler.sources.timestamps import as_utc

NAME = "google"
DEFAULT_BASE_URL = "https://www.googleapis.com"
VERTICALS: tuple[str, ...] = ("",)
OR_OPERATOR = "OR"  # documented search operator
KOREAN_ONLY = False
KIND_VERTICALS: Mapping[str, tuple[str, ...]] = {}

PAGE_SIZE = 10  # `num` maximum
MAX_RESULTS = 100  # `start + num` may not pass 100
_QUOTA_REASONS = frozenset({"dailyLimitExceeded", "quotaExceeded", "RATE_LIMIT_EXCEEDED_DAILY"})
_RATE_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})
_KEY_REASONS = frozenset({"keyInvalid", "API_KEY_INVALID", "keyExpired", "API_KEY_EXPIRED"})


def check_config(cfg: SourceConfig) -> list[str]:
    return checks.missing(cfg, "api_key", "cx") + checks.common_problems(cfg, VERTICALS)


def build_request(cfg: SourceConfig, query: Query, cursor: PageCursor) -> HttpRequest:
    params = [
        ("cx", cfg.cx),
        ("q", search_text(query)),
        ("num", str(PAGE_SIZE)),
        ("start", str(_start(cursor))),
        # Safe search would hide exactly the pages an advocate needs to find.
        ("safe", "off"),
    ]
    if query.since is not None:
        params.append(("dateRestrict", f"d{_days_back(query.since)}"))
    # The key goes in Google's `X-goog-api-key` header rather than `key=`, so it never sits in a URL.
    return HttpRequest(
        url=f"{cfg.base_url.rstrip('/')}/customsearch/v1?{urlencode(params)}",
        headers={"X-goog-api-key": cfg.api_key, "Accept": "application/json"},
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
    # Without hits Google leaves `items` out but still describes the search.
    if "items" not in data and "searchInformation" not in data and "queries" not in data:
        raise SourceError(Outcome.ERROR, responses.MALFORMED)
    first_rank = _start(cursor)
    results: list[SearchResult] = []
    for item in responses.json_list(data, "items"):
        result = _result(item, query, first_rank + len(results))
        if result is not None:
            results.append(result)
    return ParsedPage(tuple(results), _next_page(cfg, cursor, data, results))


def _start(cursor: PageCursor) -> int:
    return (max(cursor.page, 1) - 1) * PAGE_SIZE + 1


def _days_back(since: datetime) -> int:
    """`dateRestrict=dN` counts whole days back from now; rounding up never hides a newer page."""
    age = datetime.now(UTC) - as_utc(since)
    return max(1, math.ceil(age.total_seconds() / 86400))


def _result(item: object, query: Query, rank: int) -> SearchResult | None:
    if not isinstance(item, dict):
        raise SourceError(Outcome.ERROR, responses.MALFORMED)
    url = item.get("link")
    if not is_web_url(url):
        return None
    # `pagemap` (thumbnails, cse_image) is deliberately not read: we never keep or fetch media.
    return SearchResult(
        url=str(url).strip(),
        title=clean_text(item.get("title")),
        snippet=clean_text(item.get("snippet")),
        published=None,  # no reliable date field
        source=NAME,
        query=query.text,
        rank=rank,
    )


def _next_page(
    cfg: SourceConfig, cursor: PageCursor, data: Mapping[str, object], results: list[SearchResult]
) -> PageCursor | None:
    if not results or cursor.page >= cfg.max_pages:
        return None
    if _start(cursor) + 2 * PAGE_SIZE - 1 > MAX_RESULTS:
        return None
    queries = data.get("queries")
    if not isinstance(queries, dict) or not queries.get("nextPage"):
        return None
    return PageCursor(cursor.page + 1)


def _error(status: int, headers: Mapping[str, str], body: bytes) -> SourceError:
    error = responses.error_body(body).get("error")
    error = error if isinstance(error, dict) else {}
    reasons = _reasons(error)
    exhausted = error.get("status") == "RESOURCE_EXHAUSTED"
    if status == 429 or exhausted or reasons & (_QUOTA_REASONS | _RATE_REASONS):
        # Google says RESOURCE_EXHAUSTED for its per-minute limit too; only the daily one stops the source.
        window = _quota_window(error)
        if reasons & _QUOTA_REASONS or window == "day" or (exhausted and window != "minute"):
            return SourceError(Outcome.QUOTA, "daily quota exhausted")
        return responses.rate_limited(headers)
    if status in (401, 403) or reasons & _KEY_REASONS:
        return SourceError(Outcome.AUTH, f"credentials rejected (http {status})")
    if status >= 500:
        return responses.server_error(status)
    return responses.unexpected_status(status, responses.safe_code(error.get("status")))


def _quota_window(error: Mapping[str, object]) -> str | None:
    """ "day" or "minute" from the limit's name ("Queries per day", `DefaultPerMinutePerProject`).

    The message is only inspected here, never copied into a reason.
    """
    texts = [str(error.get("message", ""))]
    details = error.get("details")
    if isinstance(details, list):
        for detail in details:
            metadata = detail.get("metadata") if isinstance(detail, dict) else None
            if isinstance(metadata, dict):
                texts.append(str(metadata.get("quota_limit", "")))
    joined = " ".join(texts).lower().replace(" ", "")
    if "perday" in joined:
        return "day"
    if "perminute" in joined or "per100seconds" in joined:
        return "minute"
    return None


def _reasons(error: Mapping[str, object]) -> set[str]:
    """Reason codes from both error shapes Google uses: `errors[].reason` and `details[].reason`."""
    found: set[str] = set()
    for key in ("errors", "details"):
        entries = error.get(key)
        if isinstance(entries, list):
            found.update(
                e["reason"] for e in entries if isinstance(e, dict) and isinstance(e.get("reason"), str)
            )
    return found
