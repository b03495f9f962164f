"""Naver Search Open API: web documents, blogs, cafe articles and news (the main Korean engine)."""

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
from crawler.sources.timestamps import parse_compact_date, parse_rfc822

NAME = "naver"
DEFAULT_BASE_URL = "https://openapi.naver.com"
VERTICALS: tuple[str, ...] = ("webkr", "blog", "cafearticle", "news")
# Naver documents `|` for its search page, not for the Open API: off until the deployment's
# `jikimi sources check` has seen the API read it as OR (crawler.source_check), or the setting says so
# (`sources.naver.or_operator`); a misread operator would silently find nothing.
OR_OPERATOR = ""
# A Korean index: generated Latin spellings of a Korean name find next to nothing here.
KOREAN_ONLY = True
# What each vertical holds decides which kinds are worth a call there (each is a call per term a night on
# an engine that cannot join alternatives). News names people by their names, never by a nickname or an
# account. A handle (an account name) is cited where people point at accounts: boards, SNS pages and other
# sites (webkr) and community posts in Naver's cafes (cafearticle, where 신상 threads and abuse rooms
# circulate); a blog post about a victim is long-form and names her, and her name and nickname are
# searched on the blog vertical. Given up: a Naver blog post citing the handle alone. Where the
# deployment has turned `|` on, the handle rides in the case's joined query on every vertical anyway.
KIND_VERTICALS: Mapping[str, tuple[str, ...]] = {
    "handle": ("webkr", "cafearticle"),
    "alias": ("webkr", "blog", "cafearticle"),
}

PAGE_SIZE = 100  # `display` maximum: fewest calls per result
MAX_START = 1000  # `start` maximum
# `sort=date` is documented for these only; webkr has neither a sort nor dates.
_DATE_SORTED = frozenset({"blog", "cafearticle", "news"})
_DAILY_QUOTA_CODE = "010"


def check_config(cfg: SourceConfig) -> list[str]:
    return checks.missing(cfg, "client_id", "client_secret") + checks.common_problems(cfg, VERTICALS)


def build_request(cfg: SourceConfig, query: Query, cursor: PageCursor) -> HttpRequest:
    vertical = _vertical(query)
    params = [("query", search_text(query)), ("display", str(PAGE_SIZE)), ("start", str(_start(cursor)))]
    # Newest first only for an incremental run: a first search wants the most relevant pages instead.
    if vertical in _DATE_SORTED and query.since is not None:
        params.append(("sort", "date"))
    return HttpRequest(
        url=f"{cfg.base_url.rstrip('/')}/v1/search/{vertical}.json?{urlencode(params)}",
        headers={
            "X-Naver-Client-Id": cfg.client_id,
            "X-Naver-Client-Secret": cfg.client_secret,
            "Accept": "application/json",
        },
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
    if "items" not in data:  # Naver always sends the list, empty when nothing matched
        raise SourceError(Outcome.ERROR, responses.MALFORMED)
    vertical = _vertical(query)
    first_rank = _start(cursor)
    results: list[SearchResult] = []
    for item in responses.json_list(data, "items"):
        result = _result(item, vertical, query, first_rank + len(results))
        if result is not None:
            results.append(result)
    return ParsedPage(tuple(results), _next_page(cfg, query, cursor, data, results, vertical))


def _vertical(query: Query) -> str:
    vertical = query.vertical or VERTICALS[0]
    if vertical not in VERTICALS:
        raise ValueError(f"naver has no vertical {vertical!r}")
    return vertical


def _start(cursor: PageCursor) -> int:
    return (max(cursor.page, 1) - 1) * PAGE_SIZE + 1


def _result(item: object, vertical: str, query: Query, rank: int) -> SearchResult | None:
    if not isinstance(item, dict):
        raise SourceError(Outcome.ERROR, responses.MALFORMED)
    # News carries the publisher's own URL as `originallink`; `link` may be Naver's copy or a redirect
    # token (`http://openapi.naver.com/l?...`), which stays usable and is kept as given otherwise.
    url = item.get("originallink") if vertical == "news" and is_web_url(item.get("originallink")) else None
    url = url or item.get("link")
    if not is_web_url(url):
        return None
    published = None
    if vertical == "blog":
        published = parse_compact_date(item.get("postdate"))
    elif vertical == "news":
        published = parse_rfc822(item.get("pubDate"))
    return SearchResult(
        url=str(url).strip(),
        title=clean_text(item.get("title")),
        snippet=clean_text(item.get("description")),
        published=published,
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
    vertical: str,
) -> PageCursor | None:
    if not results or cursor.page >= cfg.max_pages:
        return None
    start = _start(cursor)
    total = data.get("total")
    if isinstance(total, int) and start + PAGE_SIZE > total:
        return None
    if start + PAGE_SIZE > MAX_START:
        return None
    if freshness.passed_since(results, query.since, sorted_by_date=vertical in _DATE_SORTED):
        return None
    return PageCursor(cursor.page + 1)


def _error(status: int, headers: Mapping[str, str], body: bytes) -> SourceError:
    code = responses.error_body(body).get("errorCode")
    if status in (401, 403):
        return SourceError(Outcome.AUTH, f"credentials rejected (http {status})")
    if status == 429:
        if code == _DAILY_QUOTA_CODE:
            return SourceError(Outcome.QUOTA, "daily quota exhausted")
        return responses.rate_limited(headers)  # 012: the per-second limit
    if status >= 500:
        return responses.server_error(status)
    return responses.unexpected_status(status, responses.safe_code(code))
