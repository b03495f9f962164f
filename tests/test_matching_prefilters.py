"""The pre-filters lose no disguise: `Matcher.scan` (compact view in windows, respellings only for words
that could be one, views skipped when their trigger characters are absent) finds exactly what
`Matcher.reference_scan` (every view over the whole text, no pre-filter) finds, on generated disguised
text."""

from __future__ import annotations

import random
from itertools import accumulate

from hypothesis import given, settings
from hypothesis import strategies as st

from matching import Matcher, TermSpec, hangul
from matching.normalize import clean
from matching.regions import _SEPARATOR_CHAR, word_pieces
from matching.romanize import romanize
from matching.views import DenseView, Page, WordsView

SURNAMES = "김이박최정강조윤장임한오서신권황안송류홍"
GIVEN = "민서지현준우연수영진아은하윤재성호동혜정희경승유나다라주원예채소태선상훈빈혁철규석"
CHO = "ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ"
JUNG = "ㅏㅐㅑㅒㅓㅔㅕㅖㅗㅘㅙㅚㅛㅜㅝㅞㅟㅠㅡㅢㅣ"
JONG = " ㄱㄲㄳㄴㄵㄶㄷㄹㄺㄻㄼㄽㄾㄿㅀㅁㅂㅄㅅㅆㅇㅈㅊㅋㅌㅍㅎ"
QWERTY = dict(
    zip(
        "ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎㅏㅐㅑㅒㅓㅔㅕㅖㅗㅛㅜㅠㅡㅣ",
        "rRseEfaqQtTdwWczxvgkoiOjpuPhynbml",
    )
)
HANJA = {"김": "金", "이": "李", "박": "朴", "최": "崔", "정": "鄭", "민": "敏", "서": "瑞", "지": "智"}
FILLER = [
    *("오늘", "사진", "학교", "친구", "정말", "있음", "아는", "사람", "주세요", "영상"),
    *("진짜", "이거", "다시"),
    *("hello", "video", "Seoul", "news", "2024년", "3학년", "#태그", "...", "!!", "?", "https://t.me/some"),
    *("가나다고", "07년생", "합성", "능욕", "지인능욕", "ㄴㅇ", "ㅋㅋ", "ㅠㅠ", "“인용”"),
    *("·", "—", "😀", "(", ")", "\n"),
]


def _names(rng: random.Random, count: int) -> list[str]:
    return sorted({rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN) for _ in range(count)})


def _registry() -> tuple[Matcher, list[str], list[str]]:
    rng = random.Random(14)
    names = _names(rng, 300)
    specs: list[TermSpec] = []
    handles: list[str] = []
    for case, name in enumerate(names, start=1):
        aliases, exclude = (name[1:] + "이",), (name + "전",)
        specs.append(TermSpec(case, 3 * case, name, "name", aliases=aliases, exclude=exclude))
        if case % 3 == 0:
            handles.append(f"{'bcdfgh'[case % 6]}ildong_{case}")
            specs.append(TermSpec(case, 3 * case + 1, handles[-1], "handle", context=("07년생",)))
        if case % 5 == 0:
            specs.append(TermSpec(case, 3 * case + 2, "가나다고등학교", "keyword"))
    return Matcher.build(specs), names, handles


MATCHER, NAMES, HANDLES = _registry()


def _jamo(text: str) -> str:
    out = []
    for char in text:
        if hangul.is_syllable(char):
            offset = ord(char) - 0xAC00
            out.append(CHO[offset // 588] + JUNG[offset % 588 // 28] + JONG[offset % 28].strip())
        else:
            out.append(char)
    return "".join(out)


def _respelled(rng: random.Random, name: str) -> str:
    i = rng.randrange(len(name))
    offset = ord(name[i]) - 0xAC00
    parts = [offset // 588, offset % 588 // 28, offset % 28]
    which = rng.randrange(3)
    parts[which] = rng.randrange((19, 21, 28)[which])
    return name[:i] + chr(0xAC00 + parts[0] * 588 + parts[1] * 28 + parts[2]) + name[i + 1 :]


def _romanized(name: str) -> list[str]:
    surname, given = romanize(name[0]).title(), romanize(name[1:])
    return [
        *(f"{surname} {given.title()}", f"{given.title()} {surname}", f"{surname}-{given}"),
        *(f"{surname}{given}", f"{given}{surname.lower()}", surname),
    ]


def _final_apart(rng: random.Random, name: str) -> str:
    """A final ㅇ typed as a look-alike after its syllable: 홍 -> 호o."""
    for i, char in enumerate(name):
        offset = ord(char) - 0xAC00
        if offset % 28 == 21:
            return name[:i] + chr(0xAC00 + offset - 21) + rng.choice("o0") + name[i + 1 :]
    return name


def _disguised(rng: random.Random, name: str) -> str:
    forms = [
        name,
        name + rng.choice(["이", "씨", "님이", "전", "로 12", "를"]),
        " ".join(name),
        ".".join(name),
        name[0] + " " + name[1:],
        name[:2] + " " + name[2:],
        "❤".join(name),
        "\u200b".join(name),
        _jamo(name),
        name[0] + _jamo(name[1]) + name[2:],
        _respelled(rng, name),
        "".join(QWERTY.get(k, k) for c in name for k in hangul.keystrokes(c)),
        "".join(HANJA.get(c, c) for c in name),
        name[0] + "○" + name[2:],
        name[0] + "x" + name[2:],
        hangul.chosung(name),
        name[::-1],
        _final_apart(rng, name),
        rng.choice(["0l", "o|", "01"]) + name[1:],  # 이 written with two look-alikes
        name[0] + "ㅇ" + name[1:],
        name[0] + "gil" + name[2:],
        rng.choice(HANDLES).replace("_", rng.choice([" ", ".", "-"])),
        " ".join(rng.choice(HANDLES)),
        "Kim Minji",
        *_romanized(name),
    ]
    return rng.choice(forms)


def _text(seed: int) -> str:
    rng = random.Random(seed)
    words = []
    for _ in range(rng.randint(3, 40)):
        roll = rng.random()
        if roll < 0.3:
            words.append(_disguised(rng, rng.choice(NAMES)))
        elif roll < 0.65:
            words.append("".join(rng.choice(GIVEN + SURNAMES + "것수이") for _ in range(rng.randint(1, 4))))
        else:
            words.append(rng.choice(FILLER))
    return rng.choice([" ", " ", "", ", ", "\n", "  "]).join(words)


@settings(max_examples=150, deadline=None)
@given(st.integers(min_value=0, max_value=10**9))
def test_filtered_scan_finds_what_the_reference_scan_finds(seed: int) -> None:
    text = _text(seed)
    assert MATCHER.scan(text) == MATCHER.reference_scan(text)
    assert MATCHER.spans_to_mask(text) == MATCHER.spans_to_mask(text, exhaustive=True)


@settings(max_examples=150, deadline=None)
@given(st.integers(min_value=0, max_value=10**9))
def test_one_disguise_in_plain_korean_is_found_as_by_the_reference(seed: int) -> None:
    """One disguised name among everyday Korean words: the page-level gates see that disguise alone."""
    rng = random.Random(seed)
    words = ["".join(rng.choice(GIVEN + "것수이") for _ in range(rng.randint(1, 3))) for _ in range(8)]
    words.insert(rng.randint(0, 8), _disguised(rng, rng.choice(NAMES)))
    text = " ".join(words)
    assert MATCHER.scan(text) == MATCHER.reference_scan(text)


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=0, max_value=10**9))
def test_filtered_scan_of_one_case_finds_what_the_reference_finds(seed: int) -> None:
    text = _text(seed)
    cases = [seed % 300 + 1]
    assert MATCHER.scan(text, cases) == MATCHER.reference_scan(text, cases)


def test_generated_text_holds_the_disguises() -> None:
    """The property above is only as good as its texts: they must hold matches of many kinds."""
    variants = {m.variant for seed in range(300) for m in MATCHER.reference_scan(_text(seed))}
    assert {"exact", "spacing", "separators", "jamo", "respelled", "qwerty", "hanja", "invisible"} <= variants
    assert {"romanization", "handle", "mask", "chosung"} <= variants


@given(st.text(alphabet="가나 ab1_.-ㄱ!é\n", max_size=30))
def test_word_pieces_splits_at_every_separator_character(text: str) -> None:
    pieces = word_pieces(text)
    assert " ".join(pieces) == _SEPARATOR_CHAR.sub(" ", text)
    assert all(piece.isalnum() for piece in pieces if piece)


@settings(max_examples=300)
@given(st.text(alphabet="가나 ab1_.-ㄱ!é\n\u3000\u200b", max_size=24))
def test_words_view_answers_as_the_dense_view(text: str) -> None:
    page = Page(text, clean(text))
    pieces = word_pieces(page.clean.text)
    words = WordsView(page, pieces, list(accumulate(map(len, pieces), initial=0)), "".join(pieces))
    dense = DenseView(text, page.clean)
    assert words.text == dense.text
    size = len(dense.text)
    for position in range(size + 1):
        assert words.gap(position) == dense.gap(position)
        assert words.word_end(position) == dense.word_end(position)
        for end in range(position + 1, size + 1):
            assert words.gaps(position, end) == dense.gaps(position, end)
            assert words.orig_span(position, end) == dense.orig_span(position, end)
            assert words.flags(position, end) == dense.flags(position, end)
    for position in range(len(page.clean.text) + 1):
        assert words.compact_of_clean(position) == dense.compact_of_clean(position)
