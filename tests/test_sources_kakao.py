"""Kakao (Daum) Search API: request shape, is_end paging, recency cut-off and error mapping."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from crawler.sources import kakao
from crawler.sources.base import Outcome, PageCursor, ParsedPage, Query, SourceConfig, SourceError
from crawler.sources.retry_after import RATE_LIMITED

FIXTURES = Path(__file__).parent / "fixtures" / "sources"
CFG = SourceConfig(
    name="kakao", enabled=True, base_url="https://dapi.kakao.com", api_key="rest-key", max_pages=5
)


def body(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def q(vertical: str = "web", since: datetime | None = None) -> Query:
    return Query(text="홍길동", case_id=1, term_id=2, vertical=vertical, since=since)


def parse(name: str, query: Query | None = None, page: int = 1, cfg: SourceConfig = CFG) -> ParsedPage:
    return kakao.parse_response(cfg, query or q(), PageCursor(page), 200, {}, body(name))


def test_request_shape() -> None:
    request = kakao.build_request(CFG, q("blog", datetime(2024, 5, 1, tzinfo=UTC)), PageCursor(2))
    assert request.url.startswith("https://dapi.kakao.com/v2/search/blog?")
    assert request.headers["Authorization"] == "KakaoAK rest-key"
    assert parse_qs(urlsplit(request.url).query) == {
        "query": ['"홍길동"'],
        "page": ["2"],
        "size": ["50"],
        "sort": ["recency"],
    }
    assert "sort" not in parse_qs(urlsplit(kakao.build_request(CFG, q(), PageCursor(1)).url).query)


@pytest.mark.parametrize("vertical", ["web", "blog", "cafe"])
def test_each_vertical_has_its_path(vertical: str) -> None:
    assert f"/v2/search/{vertical}?" in kakao.build_request(CFG, q(vertical), PageCursor(1)).url


def test_web_documents_are_cleaned_and_dated() -> None:
    page = parse("kakao_web_page1.json")
    first, second = page.results
    assert first.title == "홍길동 관련 게시물"
    assert first.snippet == "홍길동 지인능욕 & 합성 요청 글이 올라왔다"
    assert first.published == datetime(2024, 5, 5, 12, 14, 2, tzinfo=UTC)
    assert (first.rank, second.rank) == (1, 2)
    assert page.next_page == PageCursor(2)


def test_blog_thumbnails_are_never_kept() -> None:
    page = parse("kakao_blog_page1.json", q("blog"))
    assert [r.url for r in page.results] == ["https://someblog.tistory.com/88", "https://brunch.co.kr/@x/3"]
    assert "kakaocdn" not in repr(page)
    assert page.results[0].snippet == "길동이 사진 <주의>"
    assert page.results[1].published is None


def test_ranks_continue_across_pages() -> None:
    assert [r.rank for r in parse("kakao_web_last.json", page=3).results] == [101]


def test_is_end_stops_paging() -> None:
    assert parse("kakao_web_last.json", page=2).next_page is None


def test_empty_result() -> None:
    page = parse("kakao_empty.json")
    assert page.results == () and page.next_page is None


def test_max_pages_and_the_page_limit_of_50() -> None:
    assert parse("kakao_web_page1.json", page=5).next_page is None
    cfg = SourceConfig(
        name="kakao", enabled=True, base_url="https://dapi.kakao.com", api_key="k", max_pages=99
    )
    assert parse("kakao_web_page1.json", page=49, cfg=cfg).next_page == PageCursor(50)
    assert parse("kakao_web_page1.json", page=50, cfg=cfg).next_page is None


def test_recency_paging_stops_at_since() -> None:
    assert parse("kakao_web_page1.json", q(since=datetime(2024, 5, 5, tzinfo=UTC))).next_page is None
    assert parse("kakao_web_page1.json", q(since=datetime(2024, 5, 1, tzinfo=UTC))).next_page == PageCursor(2)


def error(status: int, payload: bytes, headers: dict[str, str] | None = None) -> SourceError:
    with pytest.raises(SourceError) as caught:
        kakao.parse_response(CFG, q(), PageCursor(1), status, headers or {}, payload)
    return caught.value


def test_wrong_key_is_auth() -> None:
    assert error(401, body("kakao_error_auth.json")).outcome is Outcome.AUTH


def test_request_throttled_is_quota() -> None:
    assert error(429, body("kakao_error_quota.json")).outcome is Outcome.QUOTA
    assert error(429, b'{"errorType":"Other","message":"daily limit reached"}').outcome is Outcome.QUOTA


def test_a_throttle_with_a_short_retry_after_is_a_rate_limit() -> None:
    # Kakao words both limits alike: a short Retry-After marks the one that lifts within the run.
    limited = error(429, body("kakao_error_quota.json"), {"Retry-After": "1"})
    assert (limited.outcome, limited.reason, limited.retry_after) == (Outcome.ERROR, RATE_LIMITED, 1.0)
    assert error(429, body("kakao_error_quota.json"), {"Retry-After": "86400"}).outcome is Outcome.QUOTA


def test_other_429_is_a_rate_limit() -> None:
    limited = error(429, b"", {"retry-after": "4"})
    assert (limited.outcome, limited.reason, limited.retry_after) == (Outcome.ERROR, RATE_LIMITED, 4.0)


def test_bad_argument_names_only_the_error_type() -> None:
    assert error(400, body("kakao_error_bad_query.json")).reason == "http 400 InvalidArgument"


def test_missing_meta_is_malformed() -> None:
    assert error(200, b'{"documents": []}').reason == "malformed response"
