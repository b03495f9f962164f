"""The shared pieces every source uses: text cleaning, dates, Retry-After, freshness, query syntax."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from crawler.sources import freshness
from crawler.sources.base import Outcome, Query, SearchResult, SourceError
from crawler.sources.markup import clean_text, is_web_url
from crawler.sources.query_syntax import any_of, phrase, search_text
from crawler.sources.responses import decode_json, header, looks_like_html, rate_limited, response_time
from crawler.sources.retry_after import RATE_LIMITED, parse_retry_after
from crawler.sources.timestamps import parse_compact_date, parse_iso, parse_rfc822

NOW = datetime(2024, 5, 6, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("<b>홍길동</b>이 사진", "홍길동이 사진"),  # hit markup must not split a name from its particle
        ("<strong>gildong</strong>_hong", "gildong_hong"),
        ("&quot;홍길동&quot; &amp; 친구", '"홍길동" & 친구'),
        ("&amp;quot;합성&amp;quot;", '"합성"'),  # escaped twice
        ("&lt;b&gt;홍길동&lt;/b&gt; 졸업", "홍길동 졸업"),  # escaped markup is still markup
        ("줄\n바꿈\t 과   공백", "줄 바꿈 과 공백"),
        ("non&nbsp;breaking\u3000space", "non breaking space"),
        ("a < b and c > d", "a < b and c > d"),  # not tags
        ("first<br>second<p>third</p>", "first second third"),
        ('<span class="highlight">홍길동</span>', "홍길동"),
        ("&#39;따옴표&#39; &#x27;hex&#x27;", "'따옴표' 'hex'"),
        ("", ""),
    ],
)
def test_clean_text(raw: str, clean: str) -> None:
    assert clean_text(raw) == clean


@pytest.mark.parametrize("value", [None, 3, ["<b>x</b>"], {"a": 1}])
def test_clean_text_of_non_strings_is_empty(value: object) -> None:
    assert clean_text(value) == ""


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://example.com/a", True),
        ("HTTP://EXAMPLE.COM", True),
        ("http://openapi.naver.com/l?AAAB", True),
        ("javascript:alert(1)", False),
        ("//example.com/protocol-relative", False),
        ("ftp://example.com/file", False),
        ("https://", False),
        ("", False),
        (None, False),
    ],
)
def test_is_web_url(url: object, ok: bool) -> None:
    assert is_web_url(url) is ok


def test_dates_become_aware_utc() -> None:
    assert parse_compact_date("20240505") == datetime(2024, 5, 4, 15, 0, tzinfo=UTC)  # midnight KST
    assert parse_rfc822("Mon, 06 May 2024 09:30:00 +0900") == datetime(2024, 5, 6, 0, 30, tzinfo=UTC)
    assert parse_iso("2024-05-05T21:14:02.000+09:00") == datetime(2024, 5, 5, 12, 14, 2, tzinfo=UTC)
    assert parse_iso("2024-05-05T10:12:00") == datetime(2024, 5, 5, 10, 12, tzinfo=UTC)  # naive is UTC
    assert parse_iso("2024-04-20T00:00:00Z") == datetime(2024, 4, 20, tzinfo=UTC)
    for parsed in (parse_compact_date("20240505"), parse_rfc822("Mon, 06 May 2024 09:30:00 +0900")):
        assert parsed is not None and parsed.utcoffset() == timedelta(0)


@pytest.mark.parametrize("value", ["", "2024-05", "20241399", "yesterday", None, 20240505])
def test_unreadable_dates_are_none(value: object) -> None:
    assert parse_compact_date(value) is None
    assert parse_rfc822(value) is None
    assert parse_iso(value) is None


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("120", 120.0),
        (" 3 ", 3.0),
        ("1.5", 1.5),
        ("0", 0.0),
        ("Mon, 06 May 2024 00:01:30 GMT", 90.0),
        ("Sun, 05 May 2024 23:00:00 GMT", 0.0),  # already past: retry now
        ("-5", None),
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_retry_after(value: str | None, seconds: float | None) -> None:
    assert parse_retry_after(value, NOW) == seconds


def test_parse_retry_after_accepts_a_naive_now_as_utc() -> None:
    assert parse_retry_after("Mon, 06 May 2024 00:00:10 GMT", NOW.replace(tzinfo=None)) == 10.0


def test_rate_limited_measures_an_http_date_on_the_servers_clock() -> None:
    headers = {"date": "Mon, 06 May 2024 00:00:00 GMT", "retry-after": "Mon, 06 May 2024 00:00:45 GMT"}
    error = rate_limited(headers)
    assert (error.outcome, error.reason, error.retry_after) == (Outcome.ERROR, RATE_LIMITED, 45.0)
    assert rate_limited({}).retry_after is None
    assert rate_limited({}, fallback=2.0).retry_after == 2.0


def test_headers_are_case_insensitive() -> None:
    assert header({"retry-after": "5"}, "Retry-After") == "5"
    assert header({"RETRY-AFTER": "5"}, "retry-after") == "5"
    assert header({}, "Retry-After") is None
    assert response_time({"Date": "Mon, 06 May 2024 00:00:00 GMT"}) == NOW


@pytest.mark.parametrize(
    ("age", "window"),
    [
        (timedelta(hours=3), "day"),
        (timedelta(days=1), "day"),
        (timedelta(days=1, minutes=5), "week"),  # never a window that misses the oldest wanted page
        (timedelta(days=7), "week"),
        (timedelta(days=20), "month"),
        (timedelta(days=200), "year"),
        (timedelta(days=400), None),
    ],
)
def test_freshness_window_covers_since(age: timedelta, window: str | None) -> None:
    assert freshness.window(NOW - age, now=NOW) == window


def test_no_since_means_no_filter() -> None:
    assert freshness.window(None) is None


def _dated(*days_old: int | None) -> list[SearchResult]:
    return [
        SearchResult(
            f"https://e.com/{i}", "t", "s", None if d is None else NOW - timedelta(days=d), "x", "q", i
        )
        for i, d in enumerate(days_old, 1)
    ]


def test_passed_since_date_sorted_stops_at_the_first_old_result() -> None:
    since = NOW - timedelta(days=2)
    assert freshness.passed_since(_dated(0, 1, 3), since, sorted_by_date=True)
    assert not freshness.passed_since(_dated(0, 1), since, sorted_by_date=True)
    assert not freshness.passed_since(_dated(None, None), since, sorted_by_date=True)  # no dates: keep paging
    assert not freshness.passed_since(_dated(5), None, sorted_by_date=True)


def test_passed_since_relevance_sorted_needs_every_result_old() -> None:
    since = NOW - timedelta(days=2)
    assert freshness.passed_since(_dated(3, 9), since, sorted_by_date=False)
    assert not freshness.passed_since(_dated(3, 1), since, sorted_by_date=False)
    assert not freshness.passed_since(_dated(3, None), since, sorted_by_date=False)
    assert not freshness.passed_since([], since, sorted_by_date=False)


def test_query_syntax() -> None:
    assert phrase("홍길동") == '"홍길동"'
    assert phrase('  say "hi"  there ') == '"say hi there"'
    assert phrase('""') == ""
    assert any_of(["gildong_hong", "길동이"]) == '"gildong_hong" OR "길동이"'
    assert search_text(Query("홍길동", 1, 1)) == '"홍길동"'
    assert search_text(Query("홍길동", 1, 1), quotes=False) == "홍길동"
    assert search_text(Query('"a" OR "b"', 1, 1, exact=False)) == '"a" OR "b"'


def test_decode_json_tells_block_pages_from_broken_json() -> None:
    with pytest.raises(SourceError) as blocked:
        decode_json({"content-type": "text/html; charset=utf-8"}, b"<html><body>captcha</body></html>")
    assert blocked.value.outcome is Outcome.BLOCKED
    with pytest.raises(SourceError) as sniffed:
        decode_json({"content-type": "application/json"}, b"  <!DOCTYPE html><html></html>")
    assert sniffed.value.outcome is Outcome.BLOCKED
    for body in (b'{"items": [', b"[1, 2]", b"null", b"\xff\xfe{}"):
        with pytest.raises(SourceError) as broken:
            decode_json({"content-type": "application/json"}, body)
        assert (broken.value.outcome, broken.value.reason) == (Outcome.ERROR, "malformed response")
        # The decoder's exception holds the whole body (which may echo the query): never chained.
        assert broken.value.__cause__ is None and broken.value.__context__ is None
    assert looks_like_html({}, b"\n<html>") and not looks_like_html({}, b'{"a": 1}')
