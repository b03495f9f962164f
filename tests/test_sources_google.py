"""Google Custom Search (legacy, until 2027-01-01): request shape, paging and error mapping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from crawler.sources import google
from crawler.sources.base import Outcome, PageCursor, ParsedPage, Query, SourceConfig, SourceError
from crawler.sources.retry_after import RATE_LIMITED

FIXTURES = Path(__file__).parent / "fixtures" / "sources"
CFG = SourceConfig(
    name="google",
    enabled=True,
    base_url="https://www.googleapis.com",
    api_key="AIza-key",
    cx="engine-id",
    max_pages=20,
)


def body(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def q(since: datetime | None = None) -> Query:
    return Query(text="홍길동", case_id=1, term_id=2, since=since)


def parse(name: str, page: int = 1) -> ParsedPage:
    return google.parse_response(
        CFG, q(), PageCursor(page), 200, {"Content-Type": "application/json; charset=UTF-8"}, body(name)
    )


def test_request_keeps_the_key_in_a_header() -> None:
    request = google.build_request(CFG, q(datetime.now(UTC) - timedelta(days=2, hours=1)), PageCursor(2))
    assert request.url.startswith("https://www.googleapis.com/customsearch/v1?")
    assert request.headers["X-goog-api-key"] == "AIza-key" and "AIza-key" not in request.url
    assert parse_qs(urlsplit(request.url).query) == {
        "cx": ["engine-id"],
        "q": ['"홍길동"'],
        "num": ["10"],
        "start": ["11"],
        "safe": ["off"],
        "dateRestrict": ["d3"],
    }


def test_results_use_the_plain_fields_and_skip_pagemap_images() -> None:
    page = parse("google_page1.json")
    (only,) = page.results
    assert only.url == "https://board.example.com/view/1001"
    assert only.title == "홍길동 합성 사진 공유 - Example Board"
    assert only.snippet == "May 5, 2024 ... 홍길동 & 가나다고 요청 ..."
    assert "gstatic" not in repr(page) and "1001.jpg" not in repr(page)
    assert page.next_page == PageCursor(2)


def test_no_items_is_zero_results() -> None:
    page = parse("google_empty.json")
    assert page.results == () and page.next_page is None


def test_the_hundredth_result_is_the_last() -> None:
    assert parse("google_page1.json", page=9).next_page == PageCursor(10)
    assert parse("google_page1.json", page=10).next_page is None
    assert [r.rank for r in parse("google_page1.json", page=10).results] == [91]


def error(status: int, payload: bytes = b"", headers: dict[str, str] | None = None) -> SourceError:
    with pytest.raises(SourceError) as caught:
        google.parse_response(CFG, q(), PageCursor(1), status, headers or {}, payload)
    return caught.value


def test_resource_exhausted_is_quota() -> None:
    assert error(429, body("google_error_quota.json")).outcome is Outcome.QUOTA


def test_plain_429_is_retryable() -> None:
    assert error(429, b"", {"Retry-After": "5"}).reason == RATE_LIMITED


def test_invalid_key_and_denied_project_are_auth() -> None:
    assert error(400, body("google_error_key.json")).outcome is Outcome.AUTH
    assert error(403, body("google_error_denied.json")).outcome is Outcome.AUTH


def test_daily_limit_403_is_quota() -> None:
    payload = (
        b'{"error": {"code": 403, "errors": [{"reason": "dailyLimitExceeded", "domain": "usageLimits"}]}}'
    )
    assert error(403, payload).outcome is Outcome.QUOTA


def test_per_minute_resource_exhausted_is_only_a_rate_limit() -> None:
    payload = (
        b'{"error": {"code": 429, "message": "Quota exceeded for quota metric \'Queries\' and limit'
        b" 'Queries per minute per user' of service 'customsearch.googleapis.com'.\","
        b' "errors": [{"reason": "rateLimitExceeded"}], "status": "RESOURCE_EXHAUSTED"}}'
    )
    limited = error(429, payload, {"Retry-After": "20"})
    assert (limited.outcome, limited.reason, limited.retry_after) == (Outcome.ERROR, RATE_LIMITED, 20.0)


def test_resource_exhausted_without_a_window_is_quota() -> None:
    assert error(429, b'{"error": {"code": 429, "status": "RESOURCE_EXHAUSTED"}}').outcome is Outcome.QUOTA
