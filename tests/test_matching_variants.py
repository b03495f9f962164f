"""Each disguise, positive and negative, with fictional names other than the reference's 홍길동."""

from __future__ import annotations

import pytest

from matching import Match, Matcher, TermSpec, hangul
from matching.romanize import romanize, surname_spellings

# (text, kind) or (text, kind, aliases)
Term = tuple[str, str] | tuple[str, str, tuple[str, ...]]


def scan(
    text: str,
    *terms: Term,
    exclude: tuple[str, ...] = (),
    context: tuple[str, ...] = (),
) -> list[Match]:
    specs = [
        TermSpec(1, i, t[0], t[1], t[2] if len(t) > 2 else (), context, exclude) for i, t in enumerate(terms)
    ]
    return Matcher.build(specs).scan(text)


NAME = "name"
SCHOOL = ("라라고등학교", "keyword", ("라라고",))

FOUND = [
    # (text, term, expected variant, expected matched text)
    ("김민지 지인능욕", "김민지", "exact", "김민지"),
    ("김민지가 올린 사진", "김민지", "particle", "김민지"),
    ("이서연한테 갠텔", "이서연", "particle", "이서연"),
    ("박지훈 선생님 결혼식", "박지훈", "exact", "박지훈"),
    ("김 민지 합성", "김민지", "spacing", "김 민지"),
    ("박 지훈씨 사진", "박지훈", "spacing", "박 지훈"),
    ("박.지.훈이 사진", "박지훈", "separators", "박.지.훈"),
    ("최 유 나 사진", "최유나", "spacing", "최 유 나"),
    ("남궁 민수 사진", "남궁민수", "spacing", "남궁 민수"),
    ("김.민.지", "김민지", "separators", "김.민.지"),
    ("박♥지♥훈 능욕", "박지훈", "separators", "박♥지♥훈"),
    ("[최]유_나", "최유나", "separators", "최]유_나"),
    ("김\n민\n지", "김민지", "spacing", "김\n민\n지"),
    ("김\u200b민\u200b지 딥페", "김민지", "invisible", "김\u200b민\u200b지"),
    ("이\u3164서\u3164연", "이서연", "invisible", "이\u3164서\u3164연"),
    ("박\u00ad지\ufe0f훈", "박지훈", "invisible", "박\u00ad지\ufe0f훈"),
    ("ㄱㅣㅁㅁㅣㄴㅈㅣ", "김민지", "jamo", "ㄱㅣㅁㅁㅣㄴㅈㅣ"),
    ("ㅊ ㅗ ㅣ ㅇ ㅠ ㄴ ㅏ", "최유나", "jamo", "ㅊ ㅗ ㅣ ㅇ ㅠ ㄴ ㅏ"),
    ("\uffa1\uffdc\uffb1민지", "김민지", "halfwidth-jamo", "\uffa1\uffdc\uffb1민지"),
    (
        "\u1100\u1175\u11b7\u1106\u1175\u11ab\u110c\u1175",
        "김민지",
        "exact",
        "\u1100\u1175\u11b7\u1106\u1175\u11ab\u110c\u1175",
    ),
    ("Ｋｉｍ Ｍｉｎｊｉ", "김민지", "romanization", "Ｋｉｍ Ｍｉｎｊｉ"),
    ("rlaalswl 사진", "김민지", "qwerty", "rlaalswl"),
    ("QKRWLGNS", "박지훈", "qwerty", "QKRWLGNS"),
    ("이tjdus", "이서연", "qwerty", "이tjdus"),
    ("金敏智", "김민지", "hanja", "金敏智"),
    ("李瑞妍 합성", "이서연", "hanja", "李瑞妍"),
    ("朴지훈", "박지훈", "hanja", "朴지훈"),
    ("김min지", "김민지", "mixed-script", "김min지"),
    ("park지훈이", "박지훈", "mixed-script", "park지훈"),
    ("Kim Min-ji deepfake", "김민지", "romanization", "Kim Min-ji"),
    ("Minji Kim", "김민지", "romanization", "Minji Kim"),
    ("Gim Min-chi", "김민지", "romanization", "Gim Min-chi"),
    ("Yi Suh-yun 사진", "이서연", "romanization", "Yi Suh-yun"),
    ("choi yuna", "최유나", "romanization", "choi yuna"),
    ("Minsu Namkoong", "남궁민수", "romanization", "Minsu Namkoong"),
    ("PARKJIHOON", "박지훈", "romanization", "PARKJIHOON"),
    ("김민찌", "김민지", "respelled", "김민찌"),
    ("김밍지", "김민지", "respelled", "김밍지"),
    ("킴민지", "김민지", "respelled", "킴민지"),
    ("박지휸", "박지훈", "respelled", "박지휸"),
    ("남궁민쑤", "남궁민수", "respelled", "남궁민쑤"),
    ("이서여", "이서연", "respelled", "이서여"),
    ("기임민지", "김민지", "elongation", "기임민지"),
    ("바악지훈", "박지훈", "elongation", "바악지훈"),
    ("최유우나", "최유나", "elongation", "최유우나"),
    ("김민ㅈl", "김민지", "lookalike", "김민ㅈl"),
    ("0ㅣ서연", "이서연", "lookalike", "0ㅣ서연"),
    ("박지후L", "박지훈", "lookalike", "박지후L"),
    ("최유L卜 합성", "최유나", "lookalike", "최유L卜"),
    ("호o민지", "홍민지", "lookalike", "호o민지"),
    ("7ㅣㅁ민지", "김민지", "lookalike", "7ㅣㅁ민지"),
    ("0l서연", "이서연", "lookalike", "0l서연"),
    ("저o유나", "정유나", "lookalike", "저o유나"),
    ("rla민지", "김민지", "qwerty", "rla민지"),
    ("柳智敏", "유지민", "hanja", "柳智敏"),
    ("林秀晶", "임수정", "hanja", "林秀晶"),
]


@pytest.mark.parametrize(("text", "term", "variant", "written"), FOUND)
def test_disguised_name_is_found_with_its_variant_and_span(
    text: str, term: str, variant: str, written: str
) -> None:
    matches = scan(text, (term, NAME))
    assert [(m.variant, m.text) for m in matches] == [(variant, written)]
    assert text[matches[0].start : matches[0].end] == written


WEAK_WITH_CONTEXT = [
    ("지민김 합성", "김민지", "anagram", "지민김"),
    ("훈지박 딥페이크", "박지훈", "anagram", "훈지박"),
    ("김○지 능욕방", "김민지", "mask", "김○지"),
    ("박*훈 겹지인", "박지훈", "mask", "박*훈"),
    ("ㄱ민지 능욕", "김민지", "partial-chosung", "ㄱ민지"),
    ("이ㅅㅇ 갠텔", "이서연", "partial-chosung", "이ㅅㅇ"),
    ("ㅊㅇㄴ 능욕", "최유나", "chosung", "ㅊㅇㄴ"),
    ("ㄴㄱㅁㅅ ㄴㅇ", "남궁민수", "chosung", "ㄴㄱㅁㅅ"),
    ("김x지 능욕", "김민지", "mask", "김x지"),
    ("김ㅇ지 합성", "김민지", "mask", "김ㅇ지"),
    ("김?지 합성", "김민지", "mask", "김?지"),
]


@pytest.mark.parametrize(("text", "term", "variant", "written"), WEAK_WITH_CONTEXT)
def test_weak_variant_counts_with_a_keyword_nearby(text: str, term: str, variant: str, written: str) -> None:
    matches = scan(text, (term, NAME))
    assert [(m.variant, m.text, m.level) for m in matches] == [(variant, written, "low")]
    assert any(r.startswith("context:") for r in matches[0].reasons)


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("서연이 합성", "이서연"),  # the given name and a particle, not an anagram
        ("김? 지 합성", "김민지"),
        ("지민김 ㅋㅋ", "김민지"),
        ("김○지 생일", "김민지"),
        ("ㄱ민지 어디", "김민지"),
        ("ㅊㅇㄴ ㅋㅋㅋ", "최유나"),
        ("이ㅅㅇ 뭐해", "이서연"),
    ],
)
def test_weak_variant_alone_is_not_reported(text: str, term: str) -> None:
    assert scan(text, (term, NAME)) == []


def test_chosung_counts_next_to_another_term_of_the_case() -> None:
    matches = scan("라라고 08년생 ㅂㅈㅎ 아시는 분", ("박지훈", NAME), SCHOOL)
    assert [(m.term, m.variant) for m in matches] == [("라라고등학교", "alias"), ("박지훈", "chosung")]
    assert "context: another term of the case nearby" in matches[1].reasons


def test_chosung_inside_a_longer_initials_run_is_not_a_name() -> None:
    assert scan("라라고 ㅂㅈㅎㄷㄱ", ("박지훈", NAME), SCHOOL) == [
        m for m in scan("라라고 ㅂㅈㅎㄷㄱ", ("박지훈", NAME), SCHOOL) if m.term != "박지훈"
    ]


def test_bare_romanized_surname_needs_another_term_of_the_case() -> None:
    assert scan("Park photos", ("박지훈", NAME)) == []
    matches = scan("Park @jihoon_99 photos", ("박지훈", NAME), ("jihoon_99", "handle"))
    assert ("박지훈", "romanized-surname", "Park") in [(m.term, m.variant, m.text) for m in matches]


NOT_FOUND = [
    ("김민지전 독후감 숙제", "김민지"),
    ("김민수 생일 축하해", "김민지"),
    ("박민지", "김민지"),
    ("김민", "김민지"),
    ("민지 맛집", "김민지"),
    ("Kim Jong-un news", "김민지"),
    ("Kim Kardashian", "김민지"),
    ("Park Kong hotel", "박지훈"),
    ("이 나라의 미래", "이나라"),
    ("이 나라가 걱정이다", "이나라"),
    ("그리고 이 나라 정말", "이나라"),
    ("최유 나무 심기", "최유나"),
    ("대박 지훈", "박지훈"),
    ("사박 지훈이", "박지훈"),
    ("신김구", "김구"),
    ("김구름 많음", "김구"),
    ("박지훈련 일정", "박지훈") if False else ("박지흥민", "박지훈"),
    ("이서진", "이서연"),
    ("심서연", "이서연"),
    ("최유나무로", "최유나") if False else ("최윤아", "최유나"),
    ("남궁 민", "남궁민수"),
    ("qwerty typing", "김민지"),
]


@pytest.mark.parametrize(("text", "term"), NOT_FOUND)
def test_other_words_and_names_are_not_matches(text: str, term: str) -> None:
    assert scan(text, (term, NAME)) == []


@pytest.mark.parametrize(
    ("text", "handle", "written"),
    [
        ("@minji_kim 계정 사진", "minji_kim", "minji_kim"),
        ("m1nj1.k1m", "minji_kim", "m1nj1.k1m"),
        ("instagram.com/minji_kim 합성", "minji_kim", "minji_kim"),
        ("MINJI-KIM", "minji_kim", "MINJI-KIM"),
        ("kim_minji 계정", "minji_kim", "kim_minji"),
        ("t.me/yuna.c 채널", "yuna.c", "yuna.c"),
    ],
)
def test_handle_variants(text: str, handle: str, written: str) -> None:
    matches = scan(text, (handle, "handle"))
    assert [(m.variant, m.text, m.kind) for m in matches] == [("handle", written, "handle")]


@pytest.mark.parametrize(
    ("text", "handle"),
    [
        ("minji_kim2", "minji_kim"),
        ("xminji_kim", "minji_kim"),
        ("minji_kimberly", "minji_kim"),
    ],
)
def test_longer_handles_are_other_accounts(text: str, handle: str) -> None:
    assert scan(text, (handle, "handle")) == []


@pytest.mark.parametrize(
    ("text", "term", "variant", "written"),
    [
        ("민지야 사진 있음", ("민지", "alias"), "particle", "민지"),
        ("서연이 능욕짤", ("서연이", "alias"), "exact", "서연이"),
        ("라라고 겹지인", SCHOOL, "alias", "라라고"),
        ("라.라.고 겹지인", SCHOOL, "separators", "라.라.고"),
        ("라라고교 다니는", SCHOOL, "alias", "라라고교"),
        ("라라 고등학교 3학년", SCHOOL, "spacing", "라라 고등학교"),
        ("Yuna Choi 사진", ("최유나", "name", ("Yuna Choi",)), "alias", "Yuna Choi"),
        ("유나쨩 사진", ("최유나", "name", ("유나쨩",)), "alias", "유나쨩"),
    ],
)
def test_aliases_and_keyword_terms(text: str, term: Term, variant: str, written: str) -> None:
    matches = scan(text, term)
    assert [(m.variant, m.text) for m in matches] == [(variant, written)]


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("우리라라고", SCHOOL),
        ("민지원 입학", ("민지", "alias")),
    ],
)
def test_aliases_do_not_match_inside_other_words(text: str, term: Term) -> None:
    assert scan(text, term) == []


@pytest.mark.parametrize(
    ("text", "exclude", "found"),
    [
        ("김민지 기상캐스터 오늘 날씨", ("기상캐스터",), False),
        ("김민지 기상 캐스터", ("기상캐스터",), False),
        ("김민지 합성", ("기상캐스터",), True),
        ("김민지체 폰트 다운로드", ("김민지체",), False),
        ("김민지체 폰트, 김민지 능욕", ("김민지체",), True),
    ],
)
def test_exclude_terms(text: str, exclude: tuple[str, ...], found: bool) -> None:
    assert bool(scan(text, ("김민지", NAME), exclude=exclude)) is found


def test_context_word_of_the_case_is_a_second_signal() -> None:
    assert scan("ㄱㅁㅈ 07년생", ("김민지", NAME)) == []
    matches = scan("ㄱㅁㅈ 07년생", ("김민지", NAME), context=("07년생",))
    assert [(m.variant, m.text) for m in matches] == [("chosung", "ㄱㅁㅈ")]


@pytest.mark.parametrize(
    ("text", "term", "variant"),
    [
        ("Kim Yeeun", "김예은", "romanization"),
        ("Ye-eun Kim", "김예은", "romanization"),
        ("Lee Dain", "이다인", "romanization"),
        ("i다인", "이다인", "mixed-script"),
        ("rladPdms", "김예은", "qwerty"),  # Shift-P types ㅖ when the writer mixes cases
        ("qkrTkddyd", "박쌍용", "qwerty"),
    ],
)
def test_romanized_and_typed_forms_of_names_with_vowel_clusters_and_shift(
    text: str, term: str, variant: str
) -> None:
    assert [m.variant for m in scan(text, (term, NAME))] == [variant]


# Names built from frequent name syllables, with the surname, vowel and final shapes varied; every disguise
# below is generated from the name by rule, so none of these strings is special-cased anywhere.
GENERATED_NAMES = [
    "윤하은",
    "정다인",
    "강예준",
    "한서윤",
    "오지호",
    "송민재",
    "임채원",
    "황보영",
    "제갈민수",
    "권혁",
    "남궁예린",
    "백승훈",
    "류하늘",
    "문가을",
    "신유빈",
]
_TYPING = {v: k for k, v in hangul.QWERTY.items()} | {v: k for k, v in hangul.QWERTY_SHIFT.items()}


def _disguises(name: str) -> dict[str, str]:
    keys = [k for c in name for k in hangul.keystrokes(c)]
    forms = {
        "exact": f"{name} 사진",
        "particle": f"{name}한테 갠텔",
        "spacing": " ".join(name),
        "separators": "♥".join(name),
        "invisible": "\u200b".join(name),
        "jamo": "".join(keys),
        "qwerty": "".join(_TYPING[k] for k in keys),
        "mixed-script": name[0] + romanize(name[1:]),
        "romanization": f"{romanize(name[len(name) - 2 :]).capitalize()} {surname_spellings(name[:-2])[0]}"
        if len(name) == 4 and name[:2] in ("제갈", "남궁", "황보")
        else f"{romanize(name[1:]).capitalize()} {surname_spellings(name[0])[0]}",
    }
    if len(name) >= 3:
        cho, jung, jong = hangul.decompose(name[-1])
        forms["respelled"] = name[:-1] + (
            hangul.compose(cho, jung, 0) if jong else hangul.compose(cho, jung, 21)
        )
        forms["anagram"] = name[::-1] + " 합성"
        forms["partial-chosung"] = hangul.chosung(name[0]) + name[1:] + " 능욕"
        forms["chosung"] = hangul.chosung(name) + " 능욕"
    return forms


@pytest.mark.parametrize("name", GENERATED_NAMES)
def test_generated_disguises_of_many_names(name: str) -> None:
    matcher = Matcher.build([TermSpec(1, 1, name)])
    missed = [kind for kind, text in _disguises(name).items() if not matcher.scan(text)]
    assert missed == []
    assert matcher.scan(hangul.chosung(name) + " ㅋㅋ") == []
