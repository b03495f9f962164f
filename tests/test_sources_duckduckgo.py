"""DuckDuckGo HTML endpoint: POST form, vqd paging, redirect decoding, ads; a block never reads as empty."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs

import pytest

from crawler.sources import duckduckgo
from crawler.sources.base import Outcome, PageCursor, ParsedPage, Query, SourceConfig, SourceError
from crawler.sources.retry_after import RATE_LIMITED

FIXTURES = Path(__file__).parent / "fixtures" / "sources"
CFG = SourceConfig(name="duckduckgo", enabled=True, base_url="https://html.duckduckgo.com", max_pages=3)
VQD = "4-213780547191736587649213579214678012"
PAGE2 = PageCursor(
    2,
    {
        "s": "10",
        "nextParams": "",
        "v": "l",
        "o": "json",
        "dc": "11",
        "api": "d.js",
        "vqd": VQD,
        "ranked": "4",
    },
)


def body(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def q(since: datetime | None = None) -> Query:
    return Query(text="홍길동", case_id=1, term_id=2, since=since)


def parse(name: str, cursor: PageCursor | None = None, cfg: SourceConfig = CFG) -> ParsedPage:
    return duckduckgo.parse_response(
        cfg, q(), cursor or PageCursor(1), 200, {"Content-Type": "text/html"}, body(name)
    )


def form(request_body: bytes | None) -> dict[str, list[str]]:
    return parse_qs((request_body or b"").decode("ascii"), keep_blank_values=True)


def test_first_page_is_a_form_post() -> None:
    request = duckduckgo.build_request(CFG, q(), PageCursor(1))
    assert (request.url, request.method) == ("https://html.duckduckgo.com/html/", "POST")
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert form(request.body) == {"q": ['"홍길동"'], "b": [""], "kl": ["kr-kr"], "df": [""], "kp": ["-2"]}
    assert "홍길동" not in request.url and "%" not in request.url  # the term travels in the body only


@pytest.mark.parametrize(
    ("age", "df"),
    [
        (timedelta(hours=2), "d"),
        (timedelta(days=3), "w"),
        (timedelta(days=14), "m"),
        (timedelta(days=200), "y"),
        (timedelta(days=900), ""),
    ],
)
def test_df_from_since(age: timedelta, df: str) -> None:
    request = duckduckgo.build_request(CFG, q(datetime.now(UTC) - age), PageCursor(1))
    assert form(request.body)["df"] == [df]


def test_page_two_sends_back_the_previous_forms_tokens() -> None:
    sent = form(duckduckgo.build_request(CFG, q(), PAGE2).body)
    assert sent["vqd"] == [VQD] and sent["s"] == ["10"] and sent["dc"] == ["11"]
    assert sent["q"] == ['"홍길동"'] and sent["kl"] == ["kr-kr"]
    assert "ranked" not in sent  # our own bookkeeping is never sent


def test_page_two_without_vqd_is_refused_before_it_gets_us_blocked() -> None:
    with pytest.raises(ValueError):
        duckduckgo.build_request(CFG, q(), PageCursor(2))


def test_results_skip_ads_and_decode_redirects() -> None:
    page = parse("ddg_page1.html")
    assert [r.url for r in page.results] == [
        "https://board.example.com/view/1001?a=1&b=%ED%99%8D",  # protocol-relative //duckduckgo.com/l/
        "http://forum.example.net/t/12",  # absolute https://duckduckgo.com/l/
        "https://direct.example.org/page",  # already the target
        "https://relative.example.com/r",  # relative /l/
    ]
    assert not any("y.js" in r.url or "ads.example.com" in r.url for r in page.results)
    first = page.results[0]
    assert first.title == '홍길동 합성 사진 "공유방"'  # &amp;quot; in the HTML: escaped twice
    assert first.snippet == "홍길동이 가나다고 07년생이라는 글 <주의>"
    assert page.results[2].snippet == "링크가 바로 대상인 결과"
    assert [r.rank for r in page.results] == [1, 2, 3, 4]
    # The date DuckDuckGo prints beside some URLs; no offset is given, read as UTC.
    assert [r.published for r in page.results] == [datetime(2024, 5, 5, 9, 30, tzinfo=UTC), None, None, None]


def test_next_cursor_carries_the_next_forms_fields() -> None:
    assert parse("ddg_page1.html").next_page == PageCursor(
        2,
        {
            "s": "10",
            "nextParams": "",
            "v": "l",
            "o": "json",
            "dc": "11",
            "api": "d.js",
            "vqd": VQD,
            "ranked": "4",
        },
    )


def test_page_two_picks_next_not_previous_whatever_the_button_says() -> None:
    page = parse("ddg_page2.html", PAGE2)
    assert [r.rank for r in page.results] == [5]
    assert page.next_page is not None and page.next_page.page == 3
    assert page.next_page.state["s"] == "60" and page.next_page.state["ranked"] == "5"


def test_no_next_form_is_the_end() -> None:
    assert parse("ddg_last.html", PAGE2).next_page is None


def test_max_pages() -> None:
    cfg = SourceConfig(name="duckduckgo", enabled=True, base_url="https://html.duckduckgo.com", max_pages=1)
    assert parse("ddg_page1.html", cfg=cfg).next_page is None


def test_no_results_page_is_empty() -> None:
    page = parse("ddg_no_results.html")
    assert page.results == () and page.next_page is None


def error(status: int, name: str | None = None, headers: dict[str, str] | None = None) -> SourceError:
    with pytest.raises(SourceError) as caught:
        duckduckgo.parse_response(CFG, q(), PageCursor(1), status, headers or {}, body(name) if name else b"")
    return caught.value


def test_challenge_page_with_200_is_blocked() -> None:
    blocked = error(200, "ddg_challenge.html")
    assert (blocked.outcome, blocked.reason) == (Outcome.BLOCKED, "challenge page")


@pytest.mark.parametrize("status", [202, 403])
def test_202_and_403_are_blocks_not_credentials(status: int) -> None:
    assert error(status, "ddg_no_results.html").outcome is Outcome.BLOCKED


def test_unknown_layout_is_malformed_never_empty() -> None:
    assert (error(200, "ddg_unknown_layout.html").reason) == "malformed response"
    assert error(200).reason == "malformed response"  # empty body
    assert error(200, "naver_empty.json").reason == "malformed response"  # not HTML at all


def test_a_cut_off_page_is_malformed_not_a_short_result_list() -> None:
    truncated = body("ddg_page1.html")[:3000]
    with pytest.raises(SourceError) as caught:
        duckduckgo.parse_response(CFG, q(), PageCursor(1), 200, {}, truncated)
    assert caught.value.reason == "malformed response"


def test_429_is_retryable() -> None:
    assert error(429, headers={"Retry-After": "30"}).reason == RATE_LIMITED


@pytest.mark.parametrize(
    ("href", "target"),
    [
        ("//duckduckgo.com/l/?uddg=https%3A%2F%2Fa.example%2Fx%3Fy%3D1&rut=z", "https://a.example/x?y=1"),
        ("https://duckduckgo.com/l/?uddg=http%3A%2F%2Fb.example%2F", "http://b.example/"),
        ("/l/?uddg=https%3A%2F%2Fc.example%2F", "https://c.example/"),
        ("https://d.example/page", "https://d.example/page"),
        ("//duckduckgo.com/l/?rut=only", None),
        ("//duckduckgo.com/l/?uddg=javascript%3Aalert(1)", None),
        ("https://duckduckgo.com/y.js?ad_domain=x.example", None),
        ("javascript:void(0)", None),
    ],
)
def test_decode_link(href: str, target: str | None) -> None:
    assert duckduckgo.decode_link(href) == target
