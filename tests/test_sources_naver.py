"""Naver Search Open API: request shape, the four verticals, paging stop rules and error mapping."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from crawler.sources import naver
from crawler.sources.base import Outcome, PageCursor, ParsedPage, Query, SourceConfig, SourceError
from crawler.sources.retry_after import RATE_LIMITED

FIXTURES = Path(__file__).parent / "fixtures" / "sources"
CFG = SourceConfig(
    name="naver",
    enabled=True,
    base_url="https://openapi.naver.com",
    client_id="cid",
    client_secret="csecret",
    max_pages=5,
)


def body(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def q(vertical: str = "webkr", since: datetime | None = None, text: str = "홍길동") -> Query:
    return Query(text=text, case_id=1, term_id=2, vertical=vertical, since=since)


def params(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def parse(name: str, query: Query | None = None, page: int = 1, cfg: SourceConfig = CFG) -> ParsedPage:
    return naver.parse_response(
        cfg, query or q(), PageCursor(page), 200, {"Content-Type": "application/json"}, body(name)
    )


def test_request_uses_header_credentials_and_the_largest_page() -> None:
    request = naver.build_request(CFG, q(), PageCursor(1))
    assert request.url.startswith("https://openapi.naver.com/v1/search/webkr.json?")
    assert request.method == "GET" and request.body is None
    assert request.headers["X-Naver-Client-Id"] == "cid"
    assert request.headers["X-Naver-Client-Secret"] == "csecret"
    assert params(request.url) == {"query": ['"홍길동"'], "display": ["100"], "start": ["1"]}


def test_page_three_starts_at_201() -> None:
    assert params(naver.build_request(CFG, q(), PageCursor(3)).url)["start"] == ["201"]


@pytest.mark.parametrize(
    ("vertical", "since", "sort"),
    [
        ("webkr", datetime(2024, 5, 1, tzinfo=UTC), None),  # webkr has no documented sort
        ("blog", datetime(2024, 5, 1, tzinfo=UTC), ["date"]),
        ("news", datetime(2024, 5, 1, tzinfo=UTC), ["date"]),
        ("cafearticle", datetime(2024, 5, 1, tzinfo=UTC), ["date"]),
        ("blog", None, None),  # a first, full search keeps Naver's relevance order
    ],
)
def test_sort_by_date_only_where_documented_and_incremental(
    vertical: str, since: datetime | None, sort: list[str] | None
) -> None:
    request = naver.build_request(CFG, q(vertical, since), PageCursor(1))
    assert f"/v1/search/{vertical}.json?" in request.url
    assert params(request.url).get("sort") == sort


def test_unknown_vertical_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        naver.build_request(CFG, q("image"), PageCursor(1))


def test_webkr_cleans_markup_and_keeps_redirect_token_links() -> None:
    page = parse("naver_webkr_page1.json")
    assert [r.url for r in page.results] == [
        "http://openapi.naver.com/l?AAABWLuwqAIBRA/ZdmAtQkXyB2RRERzwq",  # usable as given
        "https://example.org/album/2024?id=7&page=1",
    ]  # the javascript: link is dropped
    first, second = page.results
    assert first.title == '홍길동 사진 모음 "가나다고" 07년생'
    assert first.snippet == '홍길동이 누군지 아시는 분 & 갠텔 주세요 "합성" 요청 다음 줄'
    assert second.title == "가나다고등학교 홍길동 졸업 앨범"
    assert second.snippet == "졸업 앨범 페이지 '홍길동' 외"
    assert [r.rank for r in page.results] == [1, 2]
    assert all(r.published is None for r in page.results)
    assert page.next_page == PageCursor(2)


def test_ranks_continue_across_pages() -> None:
    page = parse("naver_webkr_last.json", page=2)
    assert [r.rank for r in page.results] == [101]


def test_blog_postdate_is_midnight_seoul_in_utc() -> None:
    page = parse("naver_blog_page1.json", q("blog"))
    assert [r.published for r in page.results] == [
        datetime(2024, 5, 4, 15, 0, tzinfo=UTC),
        datetime(2024, 4, 30, 15, 0, tzinfo=UTC),
        None,  # unreadable postdate: kept, undated
    ]


def test_news_prefers_the_publishers_link_and_reads_pubdate() -> None:
    page = parse("naver_news_page1.json", q("news"))
    assert [r.url for r in page.results] == [
        "https://news.example.co.kr/article/20240506000123",
        "https://n.news.naver.com/mnews/article/002/0002300000?sid=102",  # no originallink: Naver's link
    ]
    assert page.results[0].title == '"홍길동" 딥페이크 유포 수사'
    assert page.results[0].published == datetime(2024, 5, 6, 0, 30, tzinfo=UTC)


def test_cafearticle_has_no_date() -> None:
    page = parse("naver_cafearticle_page1.json", q("cafearticle"))
    assert len(page.results) == 1 and page.results[0].published is None
    assert page.next_page is None  # start + display passes total (3)


def test_zero_results_is_an_empty_page() -> None:
    page = parse("naver_empty.json")
    assert page.results == () and page.next_page is None and page.partial_reason is None


def test_paging_stops_when_the_next_start_passes_total() -> None:
    assert parse("naver_webkr_last.json", page=2).next_page is None  # 101 + 100 > 130


def test_paging_stops_at_the_start_limit_of_1000() -> None:
    cfg = SourceConfig(
        name="naver",
        enabled=True,
        base_url="https://openapi.naver.com",
        client_id="c",
        client_secret="s",
        max_pages=20,
    )
    assert parse("naver_webkr_page1.json", page=9, cfg=cfg).next_page == PageCursor(
        10
    )  # start 901 is allowed
    assert parse("naver_webkr_page1.json", page=10, cfg=cfg).next_page is None  # start 1001 is not


def test_paging_stops_at_max_pages() -> None:
    assert parse("naver_webkr_page1.json", page=5).next_page is None


def test_date_sorted_paging_stops_once_results_are_older_than_since() -> None:
    since = datetime(2024, 5, 3, tzinfo=UTC)
    assert parse("naver_blog_page1.json", q("blog", since)).next_page is None  # 20240501 is older
    assert parse(
        "naver_blog_page1.json", q("blog", datetime(2024, 4, 1, tzinfo=UTC))
    ).next_page == PageCursor(2)
    # Results older than since are still returned: an old page may be newly indexed.
    assert len(parse("naver_blog_page1.json", q("blog", since)).results) == 3


def error(status: int, name: str | None, headers: dict[str, str] | None = None) -> SourceError:
    with pytest.raises(SourceError) as caught:
        naver.parse_response(CFG, q(), PageCursor(1), status, headers or {}, body(name) if name else b"")
    return caught.value


def test_daily_quota_stops_the_source() -> None:
    assert (error(429, "naver_error_quota.json").outcome, error(429, "naver_error_quota.json").reason) == (
        Outcome.QUOTA,
        "daily quota exhausted",
    )


def test_per_second_limit_is_retryable_with_retry_after() -> None:
    limited = error(429, "naver_error_rate.json", {"Retry-After": "2"})
    assert (limited.outcome, limited.reason, limited.retry_after) == (Outcome.ERROR, RATE_LIMITED, 2.0)
    assert error(429, "naver_error_rate.json").retry_after is None


@pytest.mark.parametrize("status", [401, 403])
def test_bad_credentials_are_auth(status: int) -> None:
    assert error(status, "naver_error_auth.json").outcome is Outcome.AUTH


def test_bad_request_names_only_the_error_code() -> None:
    bad = error(400, "naver_error_bad_query.json")
    assert (bad.outcome, bad.reason) == (Outcome.ERROR, "http 400 SE01")


def test_se99_is_unreachable() -> None:
    assert error(500, "naver_error_server.json").reason == "http 500"
