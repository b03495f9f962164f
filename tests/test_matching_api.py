"""The public API the crawler uses: Matcher.build / scan / search_variants, Match fields, snippet_around."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matching import Match, Matcher, TermSpec, TermSpecError, snippet_around

SPECS = [
    TermSpec(10, 1, "김민지", "name"),
    TermSpec(10, 2, "minji_kim", "handle"),
    TermSpec(20, 3, "이서연", "name", aliases=("서연이",)),
    TermSpec(20, 4, "라라고등학교", "keyword", aliases=("라라고",)),
    TermSpec(30, 5, "김민지", "name", exclude=("기상캐스터",)),
]
MATCHER = Matcher.build(SPECS)


def test_one_matcher_serves_every_case_and_reports_each_case() -> None:
    matches = MATCHER.scan("김민지 이서연 합성")
    assert sorted((m.case_id, m.term_id, m.term) for m in matches) == [
        (10, 1, "김민지"),
        (20, 3, "이서연"),
        (30, 5, "김민지"),
    ]


@pytest.mark.parametrize(
    ("case_ids", "expected"), [({10}, [10]), ({20, 30}, [20, 30]), (set(), []), (None, [10, 20, 30])]
)
def test_scan_can_be_limited_to_cases(case_ids: set[int] | None, expected: list[int]) -> None:
    matches = MATCHER.scan("김민지 이서연 합성", case_ids=case_ids)
    assert sorted({m.case_id for m in matches}) == expected


def test_exclude_applies_to_its_own_term_only() -> None:
    matches = MATCHER.scan("김민지 기상캐스터")
    assert sorted(m.case_id for m in matches) == [10]


def test_match_fields() -> None:
    text = "오늘 김.민.지 능욕"
    [match] = MATCHER.scan(text, case_ids={10})
    assert match == Match(
        case_id=10,
        term_id=1,
        term="김민지",
        kind="name",
        variant="separators",
        start=3,
        end=8,
        text="김.민.지",
        confidence=0.9,
        level="high",
        reasons=match.reasons,
        context=frozenset({"keyword"}),  # 능욕 in the same text: a second signal for triage
    )
    assert match.text == text[match.start : match.end]
    assert match.reasons[0] == "variant: separators"


@pytest.mark.parametrize(("text", "level"), [("김민지", "high"), ("김민찌", "low"), ("ㄱㅁㅈ 능욕", "low")])
def test_levels(text: str, level: str) -> None:
    [match] = MATCHER.scan(text, case_ids={10})
    assert match.level == level
    assert 0.0 < match.confidence <= 1.0


def test_best_match_per_term_and_span() -> None:
    # 김민지 is also its own handle's romanization here; each (case, term, span) is reported once.
    matches = MATCHER.scan("김민지 김민지", case_ids={10})
    assert [(m.start, m.end) for m in matches] == [(0, 3), (4, 7)]


SECRET_TERMS = [("김민지", "name"), ("minji_kim", "handle"), ("라라고등학교", "keyword")]


@pytest.mark.parametrize(("text", "kind"), SECRET_TERMS)
def test_reasons_never_repeat_terms_or_keywords(text: str, kind: str) -> None:
    matcher = Matcher.build([TermSpec(1, 1, text, kind), TermSpec(1, 2, "라라고", "keyword")])
    for page in (f"{text} 능욕", f"ㄱㅁㅈ 라라고 합성 {text}", f"{text} 딥페이크 유포"):
        reasons = [reason for match in matcher.scan(page) for reason in match.reasons]
        assert reasons, page  # the term is on every page: something is found, with its reasons
        for reason in reasons:
            assert text not in reason and "라라고" not in reason
            assert not any(keyword in reason for keyword in ("능욕", "합성", "딥페이크", "유포"))


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        (TermSpec(1, 7, "김민지", "nickname"), "unknown kind"),
        (TermSpec(1, 8, "  ..  ", "name"), "empty"),
    ],
)
def test_bad_specs_raise_without_the_term(spec: TermSpec, problem: str) -> None:
    with pytest.raises(TermSpecError) as error:
        Matcher.build([spec])
    assert problem in str(error.value)
    assert spec.text.strip() not in str(error.value) or not spec.text.strip(".")
    assert "김민지" not in str(error.value)


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (
            TermSpec(1, 1, "김민지", "name"),
            [
                ("exact", "김민지"),
                ("romanization", "Kim Minji"),
                ("romanization", "Minji Kim"),
                ("romanization", "Gim Minji"),
                ("romanization", "Minji Gim"),
            ],
        ),
        (
            TermSpec(1, 2, "이서연", "name", aliases=("서연이",)),
            [
                ("exact", "이서연"),
                ("alias", "서연이"),
                ("romanization", "Lee Seoyeon"),
                ("romanization", "Seoyeon Lee"),
                ("romanization", "Yi Seoyeon"),
                ("romanization", "Seoyeon Yi"),
            ],
        ),
        (TermSpec(1, 3, "minji_kim", "handle"), [("handle", "minji_kim"), ("handle", "@minji_kim")]),
        (
            TermSpec(1, 4, "라라고등학교", "keyword"),
            [("exact", "라라고등학교"), ("alias", "라라고"), ("alias", "라라고교")],
        ),
    ],
)
def test_search_variants_best_first(spec: TermSpec, expected: list[tuple[str, str]]) -> None:
    assert MATCHER.search_variants(spec) == expected


def test_empty_text_and_no_terms() -> None:
    assert MATCHER.scan("") == []
    assert Matcher.build([]).scan("김민지 합성") == []


NOISE = st.text(
    alphabet=st.sampled_from(list("김민지이서연 .ㄱㅁㅈㅎ○*합성능욕abcKIMm1n\u200b\n洪金")), max_size=40
)


@settings(max_examples=150, deadline=None)
@given(NOISE, NOISE)
def test_any_text_scans_and_spans_are_consistent(left: str, right: str) -> None:
    # A registered name stands alone somewhere in arbitrary text, so every example has matches to check.
    text = f"{left} 김민지 {right}"
    matches = MATCHER.scan(text)
    assert matches
    for match in matches:
        assert 0 <= match.start < match.end <= len(text)
        assert match.text == text[match.start : match.end]
        assert match.level in ("high", "low")


@pytest.mark.parametrize(
    ("text", "start", "end", "width", "expected"),
    [
        ("짧은 글 김민지 합성", 5, 8, 120, "짧은 글 김민지 합성"),
        (
            "가나다 " * 30 + "김민지" + " 라마바" * 30,
            120,
            123,
            20,
            "…가나다 가나다 김민지 라마바 라마바 라마바…",
        ),
        ("줄\n\n바꿈   김민지\t끝", 7, 10, 120, "줄 바꿈 김민지 끝"),
        ("김민지" * 10, 0, 30, 10, "김민지" * 10),
    ],
)
def test_snippet_around(text: str, start: int, end: int, width: int, expected: str) -> None:
    assert snippet_around(text, start, end, width) == expected


@given(st.text(max_size=300), st.integers(0, 300), st.integers(0, 50), st.integers(0, 200))
def test_snippet_always_contains_the_match(text: str, start: int, length: int, width: int) -> None:
    start = min(start, len(text))
    end = min(len(text), start + length)
    snippet = snippet_around(text, start, end, width)
    assert " ".join(text[start:end].split()) in snippet


@pytest.mark.parametrize(
    "text",
    [
        "가나다라마바사" * 3000,  # one long word: no regex may backtrack over it
        "abcdefghij" * 5000,
        "ghdrlfehd" * 2000 + "x",
        "가a" * 10000,
        "김민지 " * 20000,  # thousands of matches of one term: keeping the best per span must stay linear
        "김민지 능욕 ㄱㅁㅈ 라라고 " * 4000,
    ],
)
def test_pathological_texts_scan_in_linear_time(text: str) -> None:
    started = time.process_time()
    MATCHER.scan(text)
    # Each of these takes well under a second; a quadratic step would take minutes.
    assert time.process_time() - started < 20
