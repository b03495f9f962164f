"""Which search results become exposures, and at what confidence."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from crawler.decide import Decision, decide_search_hit, judge_page, worth_next_page
from crawler.sources.base import Query, SearchResult
from matching import Matcher, TermSpec
from storage.cases import TermView

NOW = datetime(2026, 11, 1, tzinfo=UTC)
NAME = TermView(1, 7, "name", "홍길동", ("가나다고",), ("기상캐스터",), True, NOW)
SCHOOL = TermView(2, 7, "keyword", "가나다고등학교", (), (), True, NOW)
MATCHER = Matcher.build(
    [TermSpec(7, t.id, t.text, t.kind, context=t.context, exclude=t.exclude) for t in (NAME, SCHOOL)]
)


def _decide(title: str, snippet: str, exact: bool = True, term: TermView = NAME) -> Decision | None:
    result = SearchResult("https://x.example/1", title, snippet, None, "naver", term.text, 1)
    query = Query(text=term.text, case_id=7, term_id=term.id, exact=exact)
    return decide_search_hit(result, query, term, MATCHER.scan(f"{title}\n{snippet}", case_ids={7}))


@pytest.mark.parametrize(
    ("title", "snippet", "expected"),
    [
        ("홍길동 합성 요청", "", ("snippet", "exact")),
        ("게시글", "홍 길 동 사진", ("snippet", "spacing")),
        ("게시글 제목", "본문 미리보기만 있음", ("engine", "engine")),
        ("홍길동전 독후감", "홍길동전을 읽고", None),
        ("홍길동 기상캐스터 날씨", "", None),
    ],
)
def test_decisions(title: str, snippet: str, expected: tuple[str, str] | None) -> None:
    decision = _decide(title, snippet)
    assert (decision and (decision.confidence, decision.variant)) == expected


def test_not_exact_query_without_match_is_dropped() -> None:
    assert _decide("게시글", "다른 내용", exact=False) is None


def test_name_outranks_school_keyword_when_both_seen() -> None:
    decision = _decide("가나다고 홍길동", "", term=SCHOOL)
    assert decision is not None and decision.term_id == NAME.id


HANDLE = TermView(3, 7, "handle", "gildong_hong", (), (), True, NOW)
VIEWS = {t.id: t for t in (NAME, SCHOOL, HANDLE)}
CASE_MATCHER = Matcher.build(
    [TermSpec(7, t.id, t.text, t.kind, context=t.context, exclude=t.exclude) for t in VIEWS.values()]
)
JOINED = Query('"홍길동" OR "gildong_hong"', 7, NAME.id, exact=False, joined=True, term_ids=(1, 3))


def _joined(title: str, snippet: str = "") -> Decision | None:
    result = SearchResult("https://x.example/1", title, snippet, None, "brave", JOINED.text, 1)
    (decision,) = judge_page(CASE_MATCHER, NAME, JOINED, [result], VIEWS)
    return decision


def test_a_joined_query_names_the_term_the_result_shows() -> None:
    decision = _joined("계정 정리", "gildong_hong 사진")
    assert decision is not None and (decision.confidence, decision.term_id) == ("snippet", HANDLE.id)


def test_a_joined_query_keeps_what_one_of_its_terms_would_have_kept() -> None:
    # The name's exclude word says "a namesake", but the handle is on the page: its own query keeps it.
    kept = _joined("gildong_hong 기상캐스터", "")
    assert kept is not None and kept.term_id == HANDLE.id
    # Neither term shown and the name's exclude word present: the name's own query would drop it.
    assert _joined("기상캐스터 날씨", "") is None


def test_an_engine_only_hit_of_a_joined_query_names_no_term() -> None:
    decision = _joined("게시글 제목", "본문 미리보기만 있음")
    assert decision is not None and (decision.confidence, decision.term_id) == ("engine", None)
    assert (
        _joined("홍길동전 독후감", "") is None
    )  # the matcher ruled the name out: the engine does not overrule


def _page(*titles: str, published: datetime | None = None) -> list[SearchResult]:
    return [
        SearchResult(f"https://x.example/{i}", t, "", published, "brave", "q", i)
        for i, t in enumerate(titles)
    ]


def test_paging_goes_on_only_while_a_page_names_someone_or_is_all_new() -> None:
    query = Query(text="홍길동", case_id=7, term_id=1)
    quiet = _page("날씨", "커피")
    hit = _page("날씨", "홍길동 합성 요청")
    assert not worth_next_page(query, quiet, judge_page(MATCHER, NAME, query, quiet))
    assert worth_next_page(query, hit, judge_page(MATCHER, NAME, query, hit))
    assert not worth_next_page(query, [], [])
    since = NOW
    fresh = _page("날씨", "커피", published=NOW.replace(day=2))
    stale = _page("날씨", "커피", published=NOW.replace(month=10))
    incremental = Query(text="홍길동", case_id=7, term_id=1, since=since)
    assert worth_next_page(incremental, fresh, [None, None])  # new since the last pass: more may follow
    assert not worth_next_page(incremental, stale, [None, None])
    assert not worth_next_page(incremental, [*fresh, *_page("x")], [None, None, None])  # one undated
