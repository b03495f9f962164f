"""Exports mask every disguise the matcher knows, weak ones too, over the span the page really wrote."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from storage.cases import Consent, TermView, add_term, create_case
from storage.database import Store
from storage.exposures import Observation, record_observation
from takedown.exporting import export_exposures
from takedown.term_masking import MASK_CHAR, TermMasker

NOW = datetime(2026, 11, 2, tzinfo=UTC)


def term(case_id: int, term_id: int, kind: str, text: str) -> TermView:
    return TermView(term_id, case_id, kind, text, (), (), True, NOW)


MASKER = TermMasker(
    [
        term(1, 1, "name", "정캐너리"),
        term(1, 2, "handle", "canary_jung"),
        term(2, 3, "name", "박보람"),
    ]
)


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("ㅈ ㅋ ㄴ ㄹ 사진 있음", "● ● ● ● 사진 있음"),  # spaced 초성, no second signal
        ("ㅈㅋㄴㄹ", "●●●●"),
        ("정캐 너리 사진", "●● ●● 사진"),  # split where the name has no break
        ("정ㅋ너리 사진", "●●●● 사진"),  # mixed jamo
        ("정캐ㄴㄹ 어디", "●●●● 어디"),
        ("정.캐.너.리", "●●●●●●●"),
        ("c a n a r y _ j u n g 계정", "● ● ● ● ● ● ● ● ● ● ● 계정"),  # spaced Latin handle
        ("canary jung 계정", "●●●●●● ●●●● 계정"),
        ("\u0441\u0430n\u0430ry_jung 계정", "●●●●●●●●●●● 계정"),  # Cyrillic с, а
        ("b\u03bfram 정캐너리", "b\u03bfram ●●●●"),  # another case's name stays
        ("정\u200b캐\u200b너\u200b리!", "●●●●●●●!"),  # invisible characters inside the span
        ("오늘 날씨 ㅋㅋㅋ", "오늘 날씨 ㅋㅋㅋ"),
    ],
)
def test_masks_cover_every_disguise(text: str, masked: str) -> None:
    assert MASKER(text, 1) == masked


def test_a_case_is_masked_with_its_own_terms_only() -> None:
    assert MASKER("ㅂ ㅂ ㄹ and ㅈ ㅋ ㄴ ㄹ", 2) == "● ● ● and ㅈ ㅋ ㄴ ㄹ"


def test_export_masks_disguised_names(store: Store, tmp_path: Path) -> None:
    case_id = create_case(store, "c", Consent("x", "a", "2026-11-01"))
    add_term(store, case_id, "정캐너리", "name")
    add_term(store, case_id, "canary_jung", "handle")
    titles = [
        "ㅈ ㅋ ㄴ ㄹ 사진",
        "정캐 너리 얼굴",
        "정ㅋ너리 누구",
        "c a n a r y _ j u n g",
        "c\u0430n\u0430ry_jung 계정",
    ]
    with store.session() as s:
        for number, title in enumerate(titles):
            record_observation(
                s,
                store.crypto,
                Observation(
                    case_id=case_id,
                    url=f"https://forum.example/p/{number}",
                    canonical_url=f"https://forum.example/p/{number}",
                    domain="forum.example",
                    platform="web",
                    title=title,
                    snippet=title,
                    confidence="snippet",
                    source="naver",
                    seen_at=NOW,
                ),
            )
    text = export_exposures(store, fmt="jsonl", output=tmp_path / "m.jsonl", actor="t").path.read_text(
        "utf-8"
    )
    for title in titles:
        assert title not in text
    for leak in ("ㅈ ㅋ ㄴ ㄹ", "정캐", "너리", "ㅋ너리", "canary", "c a n", "jung", "j u n g", "n\u0430ry"):
        assert leak not in text
    assert text.count(MASK_CHAR) >= 5 * 2 * 4 and "forum.example/p/4" in text


def test_every_match_of_the_evaluation_set_is_inside_a_masked_span() -> None:
    """Whatever the matcher reports for a case (at any level, any disguise), the export masker hides."""
    import json

    from matching import Matcher, TermSpec

    lines = (Path(__file__).parent / "data" / "matching-dev.jsonl").read_text("utf-8").splitlines()
    checked = 0
    for number, line in enumerate(lines, start=1):
        case = json.loads(line)
        specs = [
            TermSpec(
                number, k, t["term"], t["kind"], tuple(t.get("aliases", ())), tuple(t.get("context", ()))
            )
            for k, t in enumerate(case["terms"])
        ]
        matcher = Matcher.build(specs)
        masked = matcher.spans_to_mask(case["text"], {number})
        for match in matcher.scan(case["text"], {number}):
            assert any(s <= match.start and match.end <= e for s, e in masked), case["id"]
            checked += 1
    assert checked >= 40  # the set's true cases are all found
