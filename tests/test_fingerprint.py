"""SimHash fingerprints: copies with changed counters or spacing are near, unrelated texts are far."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from matching.fingerprint import (
    FingerprintError,
    check,
    distance,
    fingerprint,
    normalise,
    similar,
    try_fingerprint,
)

POST = (
    "오늘 올라온 게시물입니다 조회수 1532 댓글 44 작성일 2026.11.20 "
    "이 글은 예시 문장으로 이루어진 텍스트이며 실제 내용과 무관합니다. 여러 문장이 이어지고 "
    "다양한 단어가 섞여 있어서 지문을 만들기에 충분한 길이를 가집니다. 마지막 문장입니다. "
    "Some English words are mixed in as well, like download link and mirror channel."
)
UNRELATED = (
    "서울 내일 날씨는 아침에 비가 조금 내리다가 오후에는 맑아지겠습니다. 최저 기온은 4도, 최고 기온은 "
    "11도로 예상되며 북서풍이 약하게 불겠습니다. Weather report for Seoul, light rain then clear skies."
)
KEY = b"k" * 32


def test_format_is_16_hex_digits() -> None:
    fp = fingerprint(POST)
    assert len(fp) == 16 and check(fp) == fp and int(fp, 16) >= 0


@pytest.mark.parametrize(
    "copy",
    [
        POST,
        POST.replace("1532", "98812")
        .replace("44", "45")
        .replace("2026.11.20", "2026.12.01"),  # counters, dates
        POST.replace("오늘 올라온", "오늘올라온").replace(". ", ".\n\n"),  # spacing and line breaks
        POST.upper().replace("!", "?"),  # case and punctuation
        "[재업] " + POST.replace(",", " ·"),  # a tag in front, separators
    ],
)
@pytest.mark.parametrize("key", [b"", KEY])
def test_copies_are_near(copy: str, key: bytes) -> None:
    assert similar(fingerprint(POST, key), fingerprint(copy, key))


def test_small_edit_stays_within_the_threshold() -> None:
    # A four-character word appended to ~250 characters: a handful of new shingles.
    a, b = fingerprint(POST), fingerprint(POST + " 재업로드")
    assert a != b and similar(a, b)


@pytest.mark.parametrize("key", [b"", KEY])
def test_unrelated_texts_are_far(key: bytes) -> None:
    assert distance(fingerprint(POST, key), fingerprint(UNRELATED, key)) > 10
    assert not similar(fingerprint(POST, key), fingerprint(UNRELATED, key))


def test_shuffled_words_are_far() -> None:
    rng = random.Random(7)
    words = POST.split()
    distances = []
    for _ in range(50):
        a = " ".join(rng.choice(words) for _ in range(40))
        b = " ".join(rng.choice(words) for _ in range(40))
        distances.append(distance(fingerprint(a), fingerprint(b)))
    assert min(distances) > 3


def test_key_changes_the_fingerprint() -> None:
    assert fingerprint(POST, KEY) != fingerprint(POST) != fingerprint(POST, b"j" * 32)


@pytest.mark.parametrize("text", ["", "짧은 글", "!!! ... ???", "a b c d e f g h i j"])
def test_too_short_text_has_no_fingerprint(text: str) -> None:
    with pytest.raises(FingerprintError):
        fingerprint(text)
    assert try_fingerprint(text) is None
    assert try_fingerprint(None) is None


@pytest.mark.parametrize("bad", ["", "xyz", "ABCDEF0123456789", "0123456789abcdef0", 12])
def test_malformed_fingerprints_refused(bad: object) -> None:
    with pytest.raises(FingerprintError):
        # the wrong type, on purpose.
        distance(bad, "0" * 16)  # type: ignore[arg-type]


def test_distance_known_values() -> None:
    assert distance("0" * 16, "f" * 16) == 64
    assert distance("0000000000000001", "0000000000000003") == 1
    assert similar("0" * 16, "0000000000000007", threshold=3)
    assert not similar("0" * 16, "000000000000000f", threshold=3)


def test_normalise_drops_spacing_punctuation_and_counters() -> None:
    assert normalise("홍길동 영상, 조회수 1,532!") == normalise("홍길동영상 조회수 99")


@given(st.text(min_size=40, max_size=400))
def test_fingerprint_is_deterministic_and_self_similar(text: str) -> None:
    fp = try_fingerprint(text, KEY)
    if fp is not None:
        assert fp == fingerprint(text, KEY) and distance(fp, fp) == 0
