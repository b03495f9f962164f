"""Hangul arithmetic, normalisation with offset maps, and the per-term variant generators."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matching import hangul
from matching.hanja import readings
from matching.hanja_build import parse
from matching.kinds import HALFWIDTH, INVISIBLE, JAMO, WIDTH
from matching.normalize import clean
from matching.romanize import display_names, name_keys, roman_key
from matching.terms import compact
from matching.textmap import apply_edits
from matching.variants import elongations, handle_key, reduced, school_abbreviations
from matching.views import DenseView


@pytest.mark.parametrize(
    ("typed", "composed"),
    [
        ("ㅎㅗㅇㄱㅣㄹㄷㅗㅇ", "홍길동"),
        ("ㄱㅣㅁㅁㅣㄴㅈㅣ", "김민지"),
        ("ㅅㅓㅇㅕㄴ", "서연"),  # the final ㅇ moves to the next syllable when a vowel follows
        ("ㄱㅗㅏㄴ", "관"),  # compound vowel
        ("ㄷㅏㄹㄱㅇㅣ", "닭이"),  # compound final
        ("호ㅇ길동", "홍길동"),  # a final added to a written syllable
        ("ㅎㄱㄷ", "ㅎㄱㄷ"),  # initials alone stay initials
        ("ㅏㅏ", "ㅏㅏ"),
    ],
)
def test_two_beolsik_composer(typed: str, composed: str) -> None:
    assert hangul.compose_text(typed) == composed


@pytest.mark.parametrize(
    ("syllable", "keys"),
    [("괜", ["ㄱ", "ㅗ", "ㅐ", "ㄴ"]), ("닭", ["ㄷ", "ㅏ", "ㄹ", "ㄱ"]), ("가", ["ㄱ", "ㅏ"])],
)
def test_keystrokes(syllable: str, keys: list[str]) -> None:
    assert hangul.keystrokes(syllable) == keys


@given(st.integers(hangul.SYLLABLE_FIRST, hangul.SYLLABLE_LAST))
def test_decompose_compose_roundtrip(code: int) -> None:
    assert hangul.compose(*hangul.decompose(chr(code))) == chr(code)
    assert hangul.compose_text("".join(hangul.keystrokes(chr(code)))) == chr(code)


@pytest.mark.parametrize(
    ("text", "cleaned", "flag"),
    [
        ("홍\u200b길", "홍길", INVISIBLE),
        ("홍\u3164길", "홍길", INVISIBLE),
        ("e\u0301x", "ex", INVISIBLE),
        ("Ｈｏｎｇ", "hong", WIDTH),
        ("𝐇𝐨𝐧𝐠", "hong", WIDTH),
        ("\uffbe\uffcc\uffb7", "ㅎㅗㅇ", HALFWIDTH),
        ("\u1112\u1169\u11bc", "홍", 0),  # NFD Hangul is an encoding, not a disguise
        ("\u1112x", "ㅎx", JAMO),
        ("ㅎㅗㅇ", "ㅎㅗㅇ", 0),  # compatibility jamo are kept as typed (NFKC would mangle them)
        ("HONG", "hong", 0),
        ("é", "e", 0),
    ],
)
def test_clean_view(text: str, cleaned: str, flag: int) -> None:
    layer = clean(text)
    assert layer.text == cleaned
    assert layer.flags_in(0, len(layer.text)) == flag


_ALPHABET = st.sampled_from(
    [
        "a",
        "B",
        "가",
        "\u200b",
        "Ｈ",
        "\uffbe",
        "\uffcc",
        "\u1112\u1169\u11bc",
        " ",
        "é",
        "\u0301",
        "…",
        "ㅎ",
        "洪",
        ".",
        "❤",
        "\n",
        "㉠",
    ]
)


@settings(max_examples=300)
@given(st.lists(_ALPHABET, max_size=14).map("".join))
def test_offset_maps_point_back_into_the_original(text: str) -> None:
    layer = clean(text)
    for index in range(len(layer.text)):
        start, end = layer.source_span_of(index)
        assert 0 <= start < end <= len(text)
    assert [s[:2] for s in layer.char_sources(0, len(layer.text))] == [
        layer.source_span_of(i) for i in range(len(layer.text))
    ]
    view = DenseView(text, layer)
    for index in range(len(view.text)):
        start, end = view.orig_span(index, index + 1)
        assert view.text[index] in clean(text[start:end]).text or start < end


def test_apply_edits_maps_inside_and_outside_edits() -> None:
    layer = apply_edits("abcdef", [(1, 2, "", 1), (3, 4, "XY", 2)])
    assert layer.text == "acXYef"
    assert [layer.source_span_of(i) for i in range(6)] == [(0, 1), (2, 3), (3, 4), (3, 4), (4, 5), (5, 6)]
    assert layer.flags_in(0, 2) == 1 and layer.flags_in(0, 1) == 0 and layer.flags_in(2, 3) == 2
    assert layer.output_index(4) == 4


@pytest.mark.parametrize(
    ("name", "forms"),
    [
        ("홍길동", ["호옹길동", "홍기일동", "홍길도옹"]),
        ("최유나", ["초이유나", "최유유나", "최유우나"]),
        ("권나래", ["구언나래", "권나아래"]),
    ],
)
def test_elongations(name: str, forms: list[str]) -> None:
    assert elongations(name) == forms


@pytest.mark.parametrize(
    ("text", "which", "expected"),
    [
        ("홍길똥", "initial", "옹길농"),
        ("홍길동", "initial", "옹길농"),
        ("킴민찌", "initial", "김민시"),
        ("심민지", "initial", "심민시"),
        ("훙길동", "vowel", "흥글등"),
        ("홍긿동", "final", "호기도"),
        ("a홍", "final", "a호"),
    ],
)
def test_reduced_views_blank_one_component_or_class(text: str, which: str, expected: str) -> None:
    assert reduced(text, which) == expected


@pytest.mark.parametrize(
    ("written", "key"),
    [
        ("Hong Gil-dong", "honk kil-tonk"),
        ("Hong Kil-tong", "honk kil-tonk"),
        ("Rhee", "li"),
        ("Lee", "li"),
        ("Suh", "su"),
        ("Bahk", "pak"),
        ("Choi", "coi"),
        ("Young", "yunk"),
        ("Jeong", "conk"),
    ],
)
def test_roman_key_merges_spelling_systems(written: str, key: str) -> None:
    assert roman_key(written.lower()) == key


@pytest.mark.parametrize(
    ("name", "surname_len", "must_include"),
    [
        ("홍길동", 1, {"honkkiltonk", "kiltonkhonk"}),
        ("이서연", 1, {"lisoyon", "yisuyun", "soyonli"}),
        ("남궁민수", 2, {"namkunkminsu", "minsunamkunk"}),
        ("최유나", 1, {"coiyuna", "coeyuna", "yunacoi"}),
    ],
)
def test_name_keys_cover_both_orders_and_common_spellings(
    name: str, surname_len: int, must_include: set[str]
) -> None:
    assert must_include <= set(name_keys(name, surname_len))


def test_display_names_for_search_queries() -> None:
    assert display_names("이서연", 1)[:2] == ["Lee Seoyeon", "Seoyeon Lee"]


@pytest.mark.parametrize(
    ("char", "expected"),
    [("洪", ("홍",)), ("金", ("금", "김")), ("李", ("리", "이")), ("林", ("림", "임")), ("가", ())],
)
def test_hanja_readings_include_initial_sound_forms(char: str, expected: tuple[str, ...]) -> None:
    assert readings(char)[: len(expected)] == expected


@pytest.mark.parametrize(
    ("handle", "key"),
    [("@G1ld0ng.Hong", "giidonghong"), ("minji_kim", "minjikim"), ("m1nj1-k1m", "minjikim")],
)
def test_handle_key(handle: str, key: str) -> None:
    assert handle_key(handle) == key.replace("l", "i")


@pytest.mark.parametrize(
    ("school", "shorts"),
    [
        ("가나다고등학교", ["가나다고", "가나다고교"]),
        ("다라중학교", ["다라중"]),
        ("마바여자고등학교", ["마바여고"]),
        ("고등학교", []),
    ],
)
def test_school_abbreviations(school: str, shorts: list[str]) -> None:
    assert school_abbreviations(school) == shorts


@pytest.mark.parametrize(
    ("text", "key"),
    [("홍 길동", "홍길동"), ("Gildong_Hong", "gildonghong"), ("가.나.다", "가나다"), ("Ｋｉｍ", "kim")],
)
def test_compact_form_of_terms(text: str, key: str) -> None:
    assert compact(text) == key


def test_halfwidth_table_is_what_nfkc_says() -> None:
    # Guards the test data above: U+FFBE, U+FFCC, U+FFB7 are halfwidth ㅎ, ㅗ, ㅇ.
    assert [unicodedata.normalize("NFKC", c) for c in "\uffbe\uffcc\uffb7"] == ["\u1112", "\u1169", "\u110b"]


@pytest.mark.parametrize(
    ("lines", "entries"),
    [
        (["U+6D2A\tkHangul\t홍:0E\n"], ["洪홍"]),
        (["U+91D1\tkHangul\t금:0E 김:0N\n", "U+91D1\tkMandarin\tjīn\n"], ["金금김"]),
        (["# comment\n", "U+4E00\tkHangul\tx:0\n"], []),
    ],
)
def test_hanja_table_generator_parses_unihan_lines(lines: list[str], entries: list[str]) -> None:
    assert parse(lines) == entries
