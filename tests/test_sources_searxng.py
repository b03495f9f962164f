"""SearXNG: JSON format request, limiter-proof headers, partial coverage and the 403 "JSON disabled"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from crawler.sources import searxng
from crawler.sources.base import Outcome, PageCursor, ParsedPage, Query, SourceConfig, SourceError
from crawler.sources.retry_after import RATE_LIMITED

FIXTURES = Path(__file__).parent / "fixtures" / "sources"
CFG = SourceConfig(name="searxng", enabled=True, base_url="http://127.0.0.1:8888", max_pages=4)


def body(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def q(since: datetime | None = None) -> Query:
    return Query(text="홍길동", case_id=1, term_id=2, since=since)


def parse(name: str, cursor: PageCursor | None = None, query: Query | None = None) -> ParsedPage:
    return searxng.parse_response(
        CFG, query or q(), cursor or PageCursor(1), 200, {"Content-Type": "application/json"}, body(name)
    )


def test_request_asks_for_json_with_browser_like_accept() -> None:
    request = searxng.build_request(CFG, q(), PageCursor(2))
    assert request.url.startswith("http://127.0.0.1:8888/search?")
    assert parse_qs(urlsplit(request.url).query) == {
        "q": ['"홍길동"'],
        "format": ["json"],
        "pageno": ["2"],
        "safesearch": ["0"],
    }
    # The limiter answers 429 unless Accept names text/html and Accept-Encoding gzip or deflate.
    assert "text/html" in request.headers["Accept"] and "application/json" in request.headers["Accept"]
    assert "gzip" in request.headers["Accept-Encoding"] and request.headers["Accept-Language"]


@pytest.mark.parametrize(
    ("age", "value"),
    [
        (timedelta(hours=1), "day"),
        (timedelta(days=6), "week"),
        (timedelta(days=30), "month"),
        (timedelta(days=100), "year"),
    ],
)
def test_time_range_from_since(age: timedelta, value: str) -> None:
    request = searxng.build_request(CFG, q(datetime.now(UTC) - age), PageCursor(1))
    assert parse_qs(urlsplit(request.url).query)["time_range"] == [value]


def test_results_and_partial_coverage() -> None:
    page = parse("searxng_page1.json")
    first, second = page.results
    assert first.title == "홍길동 합성 사진"
    assert first.snippet == '홍길동 & 가나다고 "능욕" 요청'
    assert first.published == datetime(2024, 5, 5, tzinfo=UTC)
    assert second.snippet == "" and second.published is None
    assert "thumb" not in repr(page) and "media/1001.jpg" not in repr(page)
    # Engine names only: the reasons are upstream free text.
    assert page.partial_reason == "unresponsive engines: qwant, startpage"
    assert page.next_page == PageCursor(2, {"ranked": "2"})


def test_ranks_continue_across_pages_of_varying_size() -> None:
    page = parse("searxng_page2.json", PageCursor(2, {"ranked": "2"}))
    assert [r.rank for r in page.results] == [3]
    assert page.results[0].published == datetime(2024, 5, 4, 3, 30, tzinfo=UTC)
    assert page.partial_reason is None
    assert page.next_page == PageCursor(3, {"ranked": "3"})


def test_an_empty_page_is_the_end() -> None:
    page = parse("searxng_empty.json")
    assert page.results == () and page.next_page is None


def test_max_pages() -> None:
    assert parse("searxng_page2.json", PageCursor(4, {"ranked": "30"})).next_page is None


def test_no_results_while_engines_failed_is_not_empty() -> None:
    with pytest.raises(SourceError) as blocked:
        parse("searxng_all_failed.json")
    assert blocked.value.outcome is Outcome.BLOCKED  # an engine answered with a CAPTCHA
    assert blocked.value.reason == "no results; unresponsive engines: duckduckgo, google"
    with pytest.raises(SourceError) as down:
        parse("searxng_all_timeout.json")
    assert down.value.outcome is Outcome.UNREACHABLE


def test_a_later_empty_page_with_failures_just_ends() -> None:
    page = parse("searxng_all_timeout.json", PageCursor(2, {"ranked": "10"}))
    assert page.results == () and page.next_page is None and page.partial_reason


def error(status: int, payload: bytes = b"", headers: dict[str, str] | None = None) -> SourceError:
    with pytest.raises(SourceError) as caught:
        searxng.parse_response(CFG, q(), PageCursor(1), status, headers or {}, payload)
    return caught.value


def test_403_means_json_output_disabled() -> None:
    disabled = error(403, b"<html><body>Forbidden</body></html>")
    assert (disabled.outcome, disabled.reason) == (Outcome.ERROR, "searxng JSON output disabled")


def test_limiter_429_is_retryable() -> None:
    limited = error(429, b"Too Many Requests", {"Retry-After": "10"})
    assert (limited.outcome, limited.reason, limited.retry_after) == (Outcome.ERROR, RATE_LIMITED, 10.0)


def test_no_query_400_is_an_error() -> None:
    assert (error(400, body("searxng_error_no_query.json")).reason) == "http 400"


def test_401_behind_a_proxy_is_auth() -> None:
    assert error(401).outcome is Outcome.AUTH


def test_odd_unresponsive_entries_never_leak_text() -> None:
    payload = (
        b'{"results": [{"url": "https://a.example/", "title": "t", "content": "c"}],'
        b' "unresponsive_engines": [["bad name <script>", "x"], "google", 5]}'
    )
    page = searxng.parse_response(CFG, q(), PageCursor(1), 200, {}, payload)
    assert page.partial_reason == "unresponsive engines: google, unknown"
