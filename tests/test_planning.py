"""The run planner: exact queries first within each source's budget, starved terms first, variants last."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from crawler.planning import (
    FRESHNESS_OVERLAP,
    MAX_ALTERNATIVES,
    MAX_QUERY_WORDS,
    PlanTerm,
    SourcePlan,
    plan_run,
)
from crawler.sources.base import Query, SourceConfig
from jikimi.config import ConfigError, load_settings

LAST_OK = datetime(2024, 5, 5, 18, 0, tzinfo=UTC)
OLD = LAST_OK - timedelta(days=30)  # registered long before the last successful run
SINCE = LAST_OK - FRESHNESS_OVERLAP

NAME = PlanTerm(
    1,
    10,
    "홍길동",
    "name",
    added_at=OLD,
    variants=(
        ("romanization", "Hong Gildong"),
        ("chosung", "ㅎㄱㄷ"),
        ("romanization", "Gildong Hong"),
        ("hanja", "洪吉童"),
    ),
)
HANDLE = PlanTerm(1, 11, "gildong_hong", "handle", added_at=OLD)
ALIAS = PlanTerm(1, 12, "길동이", "alias", added_at=OLD)
SCHOOL = PlanTerm(1, 13, "가나다고등학교", "keyword", aliases=("가나다고",), added_at=OLD)
OTHER = PlanTerm(2, 20, "김민지", "name", added_at=OLD, variants=(("romanization", "Kim Minji"),))
TERMS = [NAME, HANDLE, ALIAS, SCHOOL, OTHER]


def source(name: str, budget: int = 1000, max_pages: int = 2, **fields: Any) -> SourceConfig:
    """A source config; `fields` are further SourceConfig fields (verticals, or_operator, ...)."""
    return SourceConfig(
        name=name,
        enabled=True,
        base_url="http://127.0.0.1:1",
        daily_budget=budget,
        max_pages=max_pages,
        **fields,
    )


def plan(
    terms: list[PlanTerm],
    cfg: SourceConfig,
    used: int = 0,
    last_ok: datetime | None = LAST_OK,
    starved: list[int] | None = None,
) -> SourcePlan:
    (only,) = plan_run(terms, [cfg], {cfg.name: used}, {cfg.name: last_ok}, {cfg.name: starved or []})
    return only


def texts(p: SourcePlan) -> list[tuple[str, str, int]]:
    return [(q.text, q.vertical, q.term_id) for q in p.queries]


def test_every_term_gets_its_exact_phrase_per_vertical() -> None:
    p = plan([NAME, OTHER], source("naver", verticals=("blog", "news")))
    assert texts(p)[:4] == [
        ("홍길동", "blog", 10),
        ("홍길동", "news", 10),
        ("김민지", "blog", 20),
        ("김민지", "news", 20),
    ]
    assert all(q.exact for q in p.queries)
    assert p.reached_term_ids == (10, 20) and p.unreached_term_ids == ()


def test_all_verticals_when_none_are_configured() -> None:
    p = plan([OTHER], source("kakao", budget=6, max_pages=2))
    assert [q.vertical for q in p.queries] == ["web", "blog", "cafe"]


def test_single_endpoint_sources_use_the_empty_vertical() -> None:
    assert {q.vertical for q in plan([NAME], source("duckduckgo", or_operator="")).queries} == {""}


def test_a_query_is_planned_at_its_first_page_and_calls_used_today_count() -> None:
    p = plan([NAME, OTHER], source("duckduckgo", or_operator="", budget=7, max_pages=3), used=4)
    # 3 calls left: the two exact queries (a first page each) and the best variant fit; further pages
    # are bought at run time only while they pay and the budget lasts.
    assert texts(p) == [("홍길동", "", 10), ("김민지", "", 20), ("Hong Gildong", "", 10)]
    assert p.calls_planned == 3


def test_terms_beyond_the_budget_are_unreached_and_whole() -> None:
    p = plan([NAME, OTHER], source("naver", budget=6, max_pages=2))
    # A name costs its 4 verticals: the second term cannot get even part of its verticals.
    assert p.reached_term_ids == (10,) and p.unreached_term_ids == (20,)
    assert {q.term_id for q in p.queries} == {10} and p.calls_planned == 4


def test_no_budget_plans_nothing() -> None:
    p = plan(TERMS, source("brave", budget=0))
    assert p.queries == () and p.calls_planned == 0
    assert sorted(p.unreached_term_ids) == [10, 11, 12, 13, 20]
    assert plan(TERMS, source("brave", budget=50), used=80).queries == ()


def test_starved_terms_come_first() -> None:
    cfg = source("duckduckgo", or_operator="", budget=1, max_pages=2)
    assert plan([NAME, OTHER], cfg).reached_term_ids == (10,)
    starved = plan([NAME, OTHER], cfg, starved=[20])
    assert starved.reached_term_ids == (20,) and starved.unreached_term_ids == (10,)


def test_then_terms_the_source_never_searched_then_by_kind() -> None:
    new_school = PlanTerm(3, 30, "새학교", "keyword", added_at=LAST_OK + timedelta(hours=1))
    p = plan(
        [SCHOOL, HANDLE, ALIAS, NAME, new_school],
        source("duckduckgo", or_operator="", budget=100, max_pages=1),
    )
    assert [q.term_id for q in p.queries][:6] == [30, 10, 11, 12, 13, 13]


def test_a_kind_added_later_is_still_searched_last() -> None:
    odd = PlanTerm(1, 5, "이상한종류", "birthyear", added_at=OLD)
    p = plan([odd, SCHOOL], source("duckduckgo", or_operator="", budget=100, max_pages=1))
    assert [q.term_id for q in p.queries][-1] == 5


def test_without_or_aliases_are_separate_queries_of_the_same_term() -> None:
    p = plan([SCHOOL], source("duckduckgo", or_operator="", budget=2, max_pages=1))
    assert texts(p) == [("가나다고등학교", "", 13), ("가나다고", "", 13)]
    # Both or neither: with room for one query the term stays unreached.
    assert plan([SCHOOL], source("duckduckgo", or_operator="", budget=1, max_pages=1)).unreached_term_ids == (
        13,
    )


def test_with_or_the_quiet_terms_of_a_case_share_one_query() -> None:
    p = plan(TERMS, source("brave", budget=10, max_pages=1))
    exact = [(q.text, q.exact, q.joined, q.term_id, q.terms) for q in p.queries]
    assert exact == [
        # A case's name, handle and nickname (own phrases first), then the name's generated spellings.
        # Several terms in one query: the engine's answer names one of them, not which.
        (
            '"홍길동" OR "gildong_hong" OR "길동이" OR "Hong Gildong" OR "Gildong Hong" OR "洪吉童"',
            False,
            True,
            10,
            (10, 11, 12),
        ),
        # One term's phrases only: still "exact".
        ('"김민지" OR "Kim Minji"', True, True, 20, (20,)),
        # A school alone finds many unrelated pages: never pooled.
        ('"가나다고등학교" OR "가나다고"', True, True, 13, (13,)),
    ]
    assert p.reached_term_ids == (10, 11, 12, 20, 13)


def test_a_term_busy_last_time_gets_its_own_query() -> None:
    # Last run, the name's query was still naming someone when max_pages ended it: in an OR query the
    # handle and nickname could be crowded out of the pages read, so they go together without it.
    p = plan_run(TERMS, [source("brave")], {}, {"brave": LAST_OK}, {}, {"brave": [10]})
    (only,) = p
    assert [(q.text, q.terms, q.since) for q in only.queries] == [
        ('"홍길동" OR "Hong Gildong" OR "Gildong Hong" OR "洪吉童"', (10,), SINCE),
        ('"김민지" OR "Kim Minji"', (20,), SINCE),
        ('"gildong_hong" OR "길동이"', (11, 12), SINCE),
        ('"가나다고등학교" OR "가나다고"', (13,), SINCE),
    ]


def test_the_first_night_joins_too() -> None:
    # Never searched on this source: no history says the name is busy, and a joined query cut short is
    # split at once in the same run (`Query.split`), so nothing waits a night.
    first = plan(TERMS, source("brave"), last_ok=None)
    assert [q.terms for q in first.queries] == [(10, 11, 12), (20,), (13,)]
    assert all(q.since is None for q in first.queries)


def test_a_query_of_several_terms_carries_each_terms_own_queries() -> None:
    p = plan([NAME, HANDLE, ALIAS, OTHER], source("naver", or_operator="|", verticals=("blog", "news")))
    joined = p.queries[0]
    assert (joined.terms, joined.vertical) == ((10, 11, 12), "blog")
    assert [(q.text, q.term_id, q.exact, q.vertical, q.since) for q in joined.split] == [
        ('"홍길동" | "洪吉童"', 10, True, "blog", SINCE),  # no romanization on a Korean index
        ("gildong_hong", 11, True, "blog", SINCE),
        ("길동이", 12, True, "blog", SINCE),
    ]
    assert all(not q.split for q in joined.split)
    assert [q.split for q in p.queries if q.terms == (20,)] == [(), ()]  # one term: nothing to split


def test_a_joined_query_is_filed_under_a_term_it_carries() -> None:
    handles = [
        PlanTerm(4, 40 + i, f"handle_{i}", "handle", added_at=OLD) for i in range(MAX_ALTERNATIVES + 1)
    ]
    p = plan(handles, source("brave", budget=100, max_pages=1))
    last = p.queries[-1]
    assert (last.text, last.term_id, last.exact, last.terms) == ("handle_8", 48, True, (48,))


def test_naver_and_kakao_join_only_when_the_deployment_says_so() -> None:
    assert all(not q.joined for q in plan(TERMS, source("naver")).queries)
    joined = plan([HANDLE, ALIAS], source("naver", or_operator="|")).queries
    assert {q.text for q in joined} == {'"gildong_hong" | "길동이"'}
    assert [q.vertical for q in joined] == ["webkr", "blog", "cafearticle"]  # neither is news


def test_romanizations_only_where_the_index_reaches_beyond_korea() -> None:
    for name in ("naver", "kakao"):
        assert {q.text for q in plan([NAME], source(name, or_operator="|")).queries} == {
            '"홍길동" | "洪吉童"'
        }
        assert {q.text for q in plan([NAME], source(name)).queries} == {"홍길동", "洪吉童"}
    texts = [q.text for q in plan([NAME], source("duckduckgo", or_operator="")).queries]
    assert "Hong Gildong" in texts and "Gildong Hong" in texts


def test_verticals_follow_the_term_kind() -> None:
    p = plan([NAME, HANDLE, ALIAS], source("naver"))
    by_term = {t: [q.vertical for q in p.queries if q.term_id == t] for t in (10, 11, 12)}
    assert by_term[10][:4] == ["webkr", "blog", "cafearticle", "news"]
    assert by_term[12] == ["webkr", "blog", "cafearticle"]  # a nickname is not news
    assert by_term[11] == ["webkr", "cafearticle"]  # nor is a handle, and a blog post names her
    kakao = plan([NAME, HANDLE], source("kakao"))
    assert [(q.term_id, q.vertical) for q in kakao.queries][:5] == [
        (10, "web"),
        (10, "blog"),
        (10, "cafe"),
        (11, "web"),
        (11, "cafe"),
    ]
    only_news = plan([HANDLE], source("naver", verticals=("news",)))
    assert [q.vertical for q in only_news.queries] == ["news"]  # never planned out of existence


def test_a_spelling_that_contains_the_handle_adds_nothing() -> None:
    handle = PlanTerm(1, 11, "gildong_hong", "handle", added_at=OLD, variants=(("handle", "@gildong_hong"),))
    for cfg in (source("brave"), source("duckduckgo", or_operator=""), source("naver")):
        assert {q.text for q in plan([handle], cfg).queries} == {"gildong_hong"}


def test_or_groups_are_split_by_count_and_length() -> None:
    handles = [
        PlanTerm(4, 40 + i, f"handle_{i}", "handle", added_at=OLD) for i in range(MAX_ALTERNATIVES + 2)
    ]
    p = plan(handles, source("brave", budget=100, max_pages=1))
    assert [q.text.count(" OR ") + 1 for q in p.queries] == [MAX_ALTERNATIVES, 2]
    long_aliases = tuple("가" * 90 + str(i) for i in range(4))
    long = PlanTerm(5, 50, "이름", "name", aliases=long_aliases, added_at=OLD)
    assert all(len(q.text) <= 300 for q in plan([long], source("brave", budget=100, max_pages=1)).queries)


def test_variants_only_after_every_term_is_reached_best_first_in_rounds() -> None:
    p = plan([NAME, OTHER], source("duckduckgo", or_operator="", budget=100, max_pages=1))
    assert texts(p) == [
        ("홍길동", "", 10),
        ("김민지", "", 20),
        ("Hong Gildong", "", 10),  # every term's best variant ...
        ("Kim Minji", "", 20),
        ("Gildong Hong", "", 10),  # ... before anyone's second
        ("洪吉童", "", 10),
    ]  # the consonant-only ㅎㄱㄷ is never searched
    assert all(q.since is None for q in p.queries[2:])


def test_variants_stop_when_the_budget_does() -> None:
    p = plan([NAME, OTHER], source("duckduckgo", or_operator="", budget=3, max_pages=1))
    assert [q.text for q in p.queries] == ["홍길동", "김민지", "Hong Gildong"]
    assert p.calls_planned == 3


def test_no_variants_while_any_term_is_unreached() -> None:
    p = plan([NAME, OTHER, SCHOOL], source("duckduckgo", or_operator="", budget=3, max_pages=1))
    assert p.unreached_term_ids == (13,)
    assert [q.text for q in p.queries] == ["홍길동", "김민지"]


def test_variants_combine_with_or_where_supported() -> None:
    p = plan([NAME], source("brave", budget=100, max_pages=1))
    assert [q.text for q in p.queries] == ['"홍길동" OR "Hong Gildong" OR "Gildong Hong" OR "洪吉童"']
    many = PlanTerm(
        1,
        10,
        "홍길동",
        "name",
        added_at=OLD,
        variants=tuple(("romanization", f"Hong Gil{i}") for i in range(MAX_ALTERNATIVES + 1)),
    )
    texts = [q.text for q in plan([many], source("brave", budget=100, max_pages=1)).queries]
    # What does not fit the name's query waits for the variant tier, which has no freshness cut-off.
    assert [t.count(" OR ") + 1 for t in texts] == [MAX_ALTERNATIVES, 1, 1]


def test_an_or_query_stays_within_the_words_an_engine_reads() -> None:
    long_names = tuple(f"Hong Gil Dong Jr {i}" for i in range(MAX_ALTERNATIVES))
    term = PlanTerm(1, 10, "홍길동", "name", aliases=long_names, added_at=OLD)
    for q in plan([term], source("brave", budget=100, max_pages=1)).queries:
        assert len(q.text.split()) <= MAX_QUERY_WORDS


def test_duplicate_and_unsearchable_variants_are_dropped() -> None:
    term = PlanTerm(
        1,
        1,
        "Hong",
        "name",
        added_at=OLD,
        variants=(("case", "HONG"), ("initials", "ㅎ ㅇ"), ("x", " "), ("r", "Gil  Hong"), ("r", "gil hong")),
    )
    cfg = source("duckduckgo", or_operator="", budget=100, max_pages=1)
    # "Gil Hong" contains "Hong" as a whole word: the phrase "Hong" already finds its pages.
    assert [q.text for q in plan([term], cfg).queries] == ["Hong"]
    other = PlanTerm(
        1, 1, "Hong", "name", added_at=OLD, variants=(("r", "Hongil  Dong"), ("r", "hongil dong"))
    )
    assert [q.text for q in plan([other], cfg).queries] == ["Hong", "Hongil Dong"]


def test_since_is_the_last_success_minus_the_overlap() -> None:
    p = plan([NAME], source("brave"))
    assert p.queries[0].since == SINCE


@pytest.mark.parametrize(
    ("term", "last_ok", "starved"),
    [
        (
            PlanTerm(1, 10, "홍길동", "name", added_at=LAST_OK + timedelta(minutes=1)),
            LAST_OK,
            [],
        ),  # added since
        (PlanTerm(1, 10, "홍길동", "name"), LAST_OK, []),  # registration time unknown
        (NAME, None, []),  # the source never succeeded
        (NAME, LAST_OK, [10]),  # skipped last time
    ],
    ids=["new-term", "unknown-age", "never-succeeded", "starved"],
)
def test_full_search_when_the_source_may_never_have_searched_the_term(
    term: PlanTerm, last_ok: datetime | None, starved: list[int]
) -> None:
    p = plan([term], source("brave"), last_ok=last_ok, starved=starved)
    assert p.queries[0].since is None


def test_a_pooled_query_is_full_if_any_member_is_new() -> None:
    new_alias = PlanTerm(1, 12, "길동이", "alias", added_at=LAST_OK + timedelta(days=1))
    (pooled,) = [q for q in plan([HANDLE, new_alias], source("brave")).queries]
    assert pooled.text == '"길동이" OR "gildong_hong"'  # the never-searched member leads
    assert pooled.term_id == 12 and pooled.since is None


def test_naive_datetimes_are_read_as_utc() -> None:
    term = PlanTerm(1, 10, "홍길동", "name", added_at=OLD.replace(tzinfo=None))
    assert plan([term], source("brave"), last_ok=LAST_OK.replace(tzinfo=None)).queries[0].since == SINCE


def test_blank_terms_are_ignored() -> None:
    blank = PlanTerm(1, 99, '  ""  ', "name", added_at=OLD)
    p = plan([blank, OTHER], source("duckduckgo", or_operator="", budget=100))
    assert 99 not in p.reached_term_ids + p.unreached_term_ids
    assert {q.term_id for q in p.queries} == {20}


def test_queries_carry_case_and_term() -> None:
    q = plan([OTHER], source("duckduckgo", or_operator="", budget=1, max_pages=1)).queries[0]
    assert q == Query(text="김민지", case_id=2, term_id=20, exact=True, vertical="", since=SINCE)


def test_sources_in_given_order_skipping_disabled_and_non_search_ones() -> None:
    sources = [
        source("searxng"),
        SourceConfig(name="naver", enabled=False, base_url="https://openapi.naver.com"),
        SourceConfig(name="telegram", enabled=True, base_url="https://t.me"),
        source("brave"),
    ]
    plans = plan_run(TERMS, sources, {}, {}, {})
    assert [p.source for p in plans] == ["searxng", "brave"]


def test_each_source_has_its_own_budget_history_and_starvation() -> None:
    a, b = (
        source("duckduckgo", or_operator="", budget=1, max_pages=1),
        source("searxng", budget=1, max_pages=1),
    )
    plans = plan_run(
        [NAME, OTHER], [a, b], {"duckduckgo": 0, "searxng": 0}, {"duckduckgo": LAST_OK}, {"searxng": [20]}
    )
    assert [p.reached_term_ids for p in plans] == [(10,), (20,)]
    assert plans[0].queries[0].since == SINCE and plans[1].queries[0].since is None


def test_the_plan_is_deterministic_whatever_the_input_order() -> None:
    sources = [
        source("naver", budget=30),
        source("brave", budget=9, max_pages=1),
        source("duckduckgo", or_operator="", budget=7, max_pages=1),
    ]
    args = ({"naver": 3}, {"naver": LAST_OK, "brave": LAST_OK}, {"brave": [13]})
    expected = plan_run(TERMS, sources, *args)
    shuffled = list(TERMS)
    for seed in range(5):
        random.Random(seed).shuffle(shuffled)
        assert plan_run(shuffled, sources, *args) == expected


@pytest.mark.parametrize(("value", "expected"), [('"|"', "|"), ('"OR"', "OR"), ('""', ""), (None, None)])
def test_or_operator_setting(tmp_path: Path, value: str | None, expected: str | None) -> None:
    path = tmp_path / "config.toml"
    line = f"or_operator = {value}\n" if value is not None else ""
    path.write_text(f'[sources.naver]\nclient_id = "a"\nclient_secret = "b"\n{line}', encoding="utf-8")
    assert (
        load_settings(path, env={"JIKIMI_DATA_DIR": str(tmp_path)}).sources["naver"].or_operator == expected
    )


def test_an_unknown_or_operator_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[sources.brave]\napi_key = "k"\nor_operator = "AND"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="sources.brave.or_operator"):
        load_settings(path, env={"JIKIMI_DATA_DIR": str(tmp_path)})
