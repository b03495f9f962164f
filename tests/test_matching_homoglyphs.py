"""Latin handles and names written with look-alike letters of other scripts or split by spaces."""

from __future__ import annotations

import pytest

from matching import Matcher, TermSpec
from matching.confusables import latin_lookalike


def scan(text: str, term: str, kind: str) -> list[tuple[str, str, str]]:
    matcher = Matcher.build([TermSpec(1, 1, term, kind)])
    return [(m.variant, m.text, m.level) for m in matcher.scan(text)]


@pytest.mark.parametrize(
    ("text", "handle", "written"),
    [
        ("c\u0430n\u0430ry 계정 사진", "canary", "c\u0430n\u0430ry"),  # Cyrillic а
        ("@\u0441anary_bird", "canary_bird", "\u0441anary_bird"),  # Cyrillic с
        ("b\u03bfram.lee 합성", "boram.lee", "b\u03bfram.lee"),  # Greek ο
        ("\u0392ORAM_LEE", "boram_lee", "\u0392ORAM_LEE"),  # Greek capital Β
        ("j\u0456woo99", "jiwoo99", "j\u0456woo99"),  # Cyrillic і
        ("\u0399\u0392OR", "ibor", "\u0399\u0392OR"),  # Greek capital iota reads as I, not l
        ("sn\u0473wflake", "snowflake", None),  # Cyrillic fita is not an o look-alike in UTS #39
    ],
)
def test_homoglyphs_of_latin_letters_are_folded(text: str, handle: str, written: str | None) -> None:
    found = scan(text, handle, "handle")
    if written is None:
        assert found == []
    else:
        assert found == [("homoglyph", written, "high")]


def test_homoglyph_in_a_romanized_name() -> None:
    matcher = Matcher.build([TermSpec(1, 1, "김민지", "name")])
    found = matcher.scan("\u041aim Minji photos")  # Cyrillic capital К
    assert [(m.text, m.variant, m.level) for m in found] == [("\u041aim Minji", "romanization", "high")]
    assert "variant: romanization" in found[0].reasons


@pytest.mark.parametrize("char", ["\u2502", "\uff5c", "\u3147", "\u53e3", "\u3007", "\u25cb"])
def test_separators_hangul_han_and_masks_are_not_latin_letters(char: str) -> None:
    # A box-drawing bar must stay a separator (홍│길│동), jamo and Hanja have their own views.
    assert latin_lookalike(char) is None


def test_names_split_by_box_drawing_bars_still_read_as_spaced() -> None:
    matcher = Matcher.build([TermSpec(1, 1, "박지훈", "name")])
    assert [m.variant for m in matcher.scan("박\u2502지\u2502훈 사진")] == ["separators"]


def test_cyrillic_text_is_not_a_handle() -> None:
    # "привет" has letters with no Latin look-alike; only a whole look-alike word could read as Latin.
    assert scan("привет как дела", "privet", "handle") == []


@pytest.mark.parametrize(
    ("text", "handle", "written", "level"),
    [
        ("c a n a r y 계정", "canary", "c a n a r y", "high"),
        ("c  a  n  a  r  y", "canary", "c  a  n  a  r  y", "high"),
        ("m i n j i _ k i m 사진", "minji_kim", "m i n j i _ k i m", "high"),
        ("minji kim 계정", "minji_kim", "minji kim", "high"),
        ("kim minji 계정", "minji_kim", "kim minji", "high"),
        ("c\u0430n\u0430ry j u n g", "canary_jung", "c\u0430n\u0430ry j u n g", "high"),
    ],
)
def test_spaced_handles(text: str, handle: str, written: str, level: str) -> None:
    found = scan(text, handle, "handle")
    assert [(m[1], m[2]) for m in found] == [(written, level)]


def test_a_handle_split_where_it_has_no_part_is_weak() -> None:
    # "can ary" joins two words the handle does not have: reported only near a second signal.
    assert scan("can ary birds", "canary", "handle") == []
    matcher = Matcher.build([TermSpec(1, 1, "canary", "handle")])
    found = matcher.scan("can ary 합성방")
    assert [(m.text, m.level) for m in found] == [("can ary", "low")]


@pytest.mark.parametrize("text", ["scanary birds", "canaryx", "c a n a r y x", "x c a n a r y"])
def test_spaced_handles_respect_word_edges(text: str) -> None:
    assert scan(text, "canary", "handle") == []
