"""Brave Search API: request shape, freshness, more_results_available paging and 429 quota vs rate."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from crawler.sources import brave
from crawler.sources.base import Outcome, PageCursor, ParsedPage, Query, SourceConfig, SourceError
from crawler.sources.retry_after import RATE_LIMITED

FIXTURES = Path(__file__).parent / "fixtures" / "sources"
CFG = SourceConfig(
    name="brave", enabled=True, base_url="https://api.search.brave.com", api_key="BSA-key", max_pages=20
)


def body(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def q(since: datetime | None = None, text: str = "홍길동", exact: bool = True) -> Query:
    return Query(text=text, case_id=1, term_id=2, exact=exact, since=since)


def parse(name: str, query: Query | None = None, page: int = 1) -> ParsedPage:
    return brave.parse_response(
        CFG, query or q(), PageCursor(page), 200, {"content-type": "application/json"}, body(name)
    )


def test_request_shape() -> None:
    request = brave.build_request(CFG, q(), PageCursor(3))
    assert request.url.startswith("https://api.search.brave.com/res/v1/web/search?")
    assert request.headers == {"X-Subscription-Token": "BSA-key", "Accept": "application/json"}
    assert parse_qs(urlsplit(request.url).query) == {
        "q": ['"홍길동"'],
        "count": ["20"],
        "offset": ["2"],
        "safesearch": ["off"],
    }


def test_or_queries_are_sent_as_written() -> None:
    request = brave.build_request(CFG, q(text='"gildong_hong" OR "길동이"', exact=False), PageCursor(1))
    assert parse_qs(urlsplit(request.url).query)["q"] == ['"gildong_hong" OR "길동이"']


@pytest.mark.parametrize(
    ("age", "value"),
    [
        (timedelta(hours=5), "pd"),
        (timedelta(days=4), "pw"),
        (timedelta(days=25), "pm"),
        (timedelta(days=90), "py"),
    ],
)
def test_freshness_from_since(age: timedelta, value: str) -> None:
    request = brave.build_request(CFG, q(since=datetime.now(UTC) - age), PageCursor(1))
    assert parse_qs(urlsplit(request.url).query)["freshness"] == [value]


def test_results_are_cleaned_dated_and_media_free() -> None:
    page = parse("brave_web_page1.json")
    first, second, third = page.results
    assert first.title == "홍길동 합성 사진 공유방"
    assert first.snippet == "홍길동 & 친구들 '능욕' 요청 <주의>"
    assert first.published == datetime(2024, 5, 5, 10, 12, tzinfo=UTC)
    assert second.published == datetime(2024, 4, 20, tzinfo=UTC)
    assert third.published is None
    assert "imgs.search.brave.com" not in repr(page) and "media/1001.jpg" not in repr(page)
    assert [r.rank for r in page.results] == [1, 2, 3]
    assert page.next_page == PageCursor(2)


def test_ranks_continue_from_the_offset() -> None:
    assert [r.rank for r in parse("brave_web_last.json", page=2).results] == [21]


def test_no_web_block_is_zero_results() -> None:
    page = parse("brave_empty.json")
    assert page.results == () and page.next_page is None


def test_more_results_available_false_ends_paging() -> None:
    assert parse("brave_web_last.json").next_page is None


def test_offset_nine_is_the_last_page() -> None:
    assert parse("brave_web_page1.json", page=9).next_page == PageCursor(10)
    assert parse("brave_web_page1.json", page=10).next_page is None


def test_an_all_old_page_ends_paging_a_mixed_one_does_not() -> None:
    since = datetime(2024, 5, 1, tzinfo=UTC)
    assert parse("brave_old_page.json", q(since)).next_page is None
    assert parse("brave_web_page1.json", q(since)).next_page == PageCursor(2)


def error(status: int, payload: bytes, headers: dict[str, str] | None = None) -> SourceError:
    with pytest.raises(SourceError) as caught:
        brave.parse_response(CFG, q(), PageCursor(1), status, headers or {}, payload)
    return caught.value


def test_quota_body_is_quota() -> None:
    assert error(429, body("brave_error_quota.json")).outcome is Outcome.QUOTA


def test_spent_monthly_window_in_headers_is_quota() -> None:
    headers = {
        "X-RateLimit-Limit": "1, 2000",
        "X-RateLimit-Remaining": "0, 0",
        "X-RateLimit-Reset": "1, 1419704",
    }
    assert error(429, b"", headers).outcome is Outcome.QUOTA


def test_rate_body_is_retryable_and_waits_for_the_reset() -> None:
    headers = {
        "X-RateLimit-Limit": "1, 2000",
        "X-RateLimit-Remaining": "0, 1688",
        "X-RateLimit-Reset": "1, 1419704",
    }
    limited = error(429, body("brave_error_rate.json"), headers)
    assert (limited.outcome, limited.reason, limited.retry_after) == (Outcome.ERROR, RATE_LIMITED, 1.0)
    assert error(429, body("brave_error_rate.json"), {**headers, "Retry-After": "3"}).retry_after == 3.0


@pytest.mark.parametrize("status", [401, 403])
def test_rejected_key_is_auth(status: int) -> None:
    assert error(status, b"").outcome is Outcome.AUTH


def test_invalid_token_422_is_auth_other_422_is_error() -> None:
    assert error(422, body("brave_error_token.json")).outcome is Outcome.AUTH
    invalid = error(422, body("brave_error_validation.json"))
    assert (invalid.outcome, invalid.reason) == (Outcome.ERROR, "http 422 VALIDATION")
