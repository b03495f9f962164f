"""Kakao (Daum) Search API: web documents, blogs and cafe articles."""

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
from crawler.sources.timestamps import KST, parse_iso

NAME = "kakao"
DEFAULT_BASE_URL = "https://dapi.kakao.com"
VERTICALS: tuple[str, ...] = ("web", "blog", "cafe")
# Daum's search page reads `|` and OR, the API is not documented to: off until the deployment's
# `jikimi sources check` has seen the API read `|` as OR (crawler.source_check), or the setting says so
# (`sources.kakao.or_operator`); a misread operator would silently find nothing.
OR_OPERATOR = ""
# A Korean index: generated Latin spellings of a Korean name find next to nothing here.
KOREAN_ONLY = True
# A handle (an account name) is cited where people point at accounts: boards, SNS pages and other sites
# (web) and Daum cafe posts (cafe); a blog post about a victim names her, and her name and nickname are
# searched on the blog vertical (as on Naver, crawler.sources.naver). Given up: a blog post citing the
# handle alone.
KIND_VERTICALS: Mapping[str, tuple[str, ...]] = {"handle": ("web", "cafe")}

PAGE_SIZE = 50  # `size` maximum
MAX_PAGE = 50  # `page` maximum
_SHORT_WAIT = 3600.0  # seconds; a longer Retry-After on a throttle is the daily quota


def check_config(cfg: SourceConfig) -> list[str]:
    return checks.missing(cfg, "api_key") + checks.common_problems(cfg, VERTICALS)


def build_request(cfg: SourceConfig, query: Query, cursor: PageCursor) -> HttpRequest:
    vertical = _vertical(query)
    params = [("query", search_text(query)), ("page", str(max(cursor.page, 1))), ("size", str(PAGE_SIZE))]
    # Newest first only for an incremental run: a first search wants the most relevant pages instead.
    if query.since is not None:
        params.append(("sort", "recency"))
    return HttpRequest(
        url=f"{cfg.base_url.rstrip('/')}/v2/search/{vertical}?{urlencode(params)}",
        headers={"Authorization": f"KakaoAK {cfg.api_key}", "Accept": "application/json"},
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
    meta = data.get("meta")
    if not isinstance(meta, dict):
        raise SourceError(Outcome.ERROR, responses.MALFORMED)
    first_rank = (max(cursor.page, 1) - 1) * PAGE_SIZE + 1
    results: list[SearchResult] = []
    for document in responses.json_list(data, "documents"):
        result = _result(document, query, first_rank + len(results))
        if result is not None:
            results.append(result)
    return ParsedPage(tuple(results), _next_page(cfg, query, cursor, meta, results))


def _vertical(query: Query) -> str:
    vertical = query.vertical or VERTICALS[0]
    if vertical not in VERTICALS:
        raise ValueError(f"kakao has no vertical {vertical!r}")
    return vertical


def _result(document: object, query: Query, rank: int) -> SearchResult | None:
    if not isinstance(document, dict):
        raise SourceError(Outcome.ERROR, responses.MALFORMED)
    url = document.get("url")
    if not is_web_url(url):
        return None
    # `thumbnail` (blog, cafe) is deliberately not read: we never keep or fetch media.
    return SearchResult(
        url=str(url).strip(),
        title=clean_text(document.get("title")),
        snippet=clean_text(document.get("contents")),
        published=parse_iso(document.get("datetime"), naive_tz=KST),
        source=NAME,
        query=query.text,
        rank=rank,
    )


def _next_page(
    cfg: SourceConfig,
    query: Query,
    cursor: PageCursor,
    meta: Mapping[str, object],
    results: list[SearchResult],
) -> PageCursor | None:
    # `is_end` is authoritative: `total_count` counts documents that paging can never reach.
    if meta.get("is_end") is not False or not results:
        return None
    if cursor.page >= cfg.max_pages or cursor.page >= MAX_PAGE:
        return None
    if freshness.passed_since(results, query.since, sorted_by_date=True):
        return None
    return PageCursor(cursor.page + 1)


def _error(status: int, headers: Mapping[str, str], body: bytes) -> SourceError:
    details = responses.error_body(body)
    error_type = details.get("errorType")
    if status in (401, 403):
        return SourceError(Outcome.AUTH, f"credentials rejected (http {status})")
    if status == 429:
        # Kakao words its per-second and its daily limit alike ("RequestThrottled", "API limit has been
        # exceeded."); a short Retry-After is the only sign of a limit that lifts within the run.
        limited = responses.rate_limited(headers)
        if limited.retry_after is not None and limited.retry_after <= _SHORT_WAIT:
            return limited
        message = details.get("message")
        if error_type == "RequestThrottled" or (isinstance(message, str) and "limit" in message.lower()):
            return SourceError(Outcome.QUOTA, "quota exhausted")
        return limited
    if status >= 500:
        return responses.server_error(status)
    return responses.unexpected_status(status, responses.safe_code(error_type))
