"""Romanized forms of Korean names and the spelling-blind key that compares them.

Names are romanized many ways (Revised Romanization, McCune-Reischauer, passport habits: Kim/Gim, Lee/Yi/Rhee,
Young/Yeong, Kil-tong/Gil-dong). Instead of listing every spelling, both the text and the name go through
`roman_key`, which merges the letters those systems disagree on (g/k, d/t, b/p, j/ch, r/l, oo/u, ee/i ...).
Only the spellings the key cannot merge (eo written as u or o, Yi vs Lee) become separate patterns.
"""

from __future__ import annotations

from functools import lru_cache
from itertools import product

import regex

from matching import hangul

_CHO = ("g", "kk", "n", "d", "tt", "r", "m", "b", "pp", "s", "ss", "", "j", "jj", "ch", "k", "t", "p", "h")
_JUNG = (
    ("a",),
    ("ae",),
    ("ya",),
    ("yae",),
    ("eo", "u", "o"),
    ("e",),
    ("yeo", "yu", "yo"),
    ("ye",),
    ("o",),
    ("wa",),
    ("wae",),
    ("oe", "oi"),
    ("yo",),
    ("u", "oo"),
    ("wo",),
    ("we",),
    ("wi",),
    ("yu",),
    ("eu", "u"),
    ("ui", "i"),
    ("i", "ee"),
)
_JONG = (
    "",
    "k",
    "k",
    "k",
    "n",
    "n",
    "n",
    "t",
    "l",
    "k",
    "m",
    "l",
    "l",
    "l",
    "p",
    "l",
    "m",
    "p",
    "p",
    "t",
    "t",
    "ng",
    "t",
    "t",
    "k",
    "t",
    "p",
    "t",
)

# Habitual spellings of common surnames, most used first (Statistics Korea / passport usage).
SURNAMES: dict[str, tuple[str, ...]] = {
    "김": ("Kim", "Gim"),
    "이": ("Lee", "Yi", "Rhee", "Ri"),
    "박": ("Park", "Pak", "Bak", "Bahk"),
    "최": ("Choi", "Choe", "Chey"),
    "정": ("Jung", "Jeong", "Chung", "Joung"),
    "강": ("Kang", "Gang"),
    "조": ("Cho", "Jo", "Joe"),
    "윤": ("Yoon", "Yun"),
    "장": ("Jang", "Chang"),
    "임": ("Lim", "Im", "Yim", "Rim"),
    "한": ("Han",),
    "오": ("Oh", "O"),
    "서": ("Seo", "Suh", "So"),
    "신": ("Shin", "Sin"),
    "권": ("Kwon", "Gwon"),
    "황": ("Hwang",),
    "안": ("Ahn", "An"),
    "송": ("Song",),
    "류": ("Ryu", "Yoo", "Yu"),
    "유": ("Yoo", "Yu"),
    "전": ("Jeon", "Jun", "Chun", "Chon"),
    "홍": ("Hong",),
    "고": ("Ko", "Go", "Koh"),
    "문": ("Moon", "Mun"),
    "양": ("Yang",),
    "손": ("Son", "Sohn"),
    "배": ("Bae", "Pae"),
    "백": ("Baek", "Paik", "Baik"),
    "허": ("Heo", "Hur", "Huh"),
    "노": ("Noh", "Roh", "No"),
    "남": ("Nam",),
    "심": ("Shim", "Sim"),
    "하": ("Ha",),
    "곽": ("Kwak", "Gwak"),
    "성": ("Sung", "Seong"),
    "차": ("Cha",),
    "주": ("Joo", "Ju", "Chu"),
    "우": ("Woo", "U"),
    "구": ("Koo", "Ku", "Gu"),
    "민": ("Min",),
    "진": ("Jin", "Chin"),
    "나": ("Na", "Ra"),
    "지": ("Ji", "Chi"),
    "엄": ("Um", "Eom"),
    "채": ("Chae",),
    "원": ("Won",),
    "천": ("Cheon", "Chun"),
    "방": ("Bang",),
    "공": ("Kong", "Gong"),
    "현": ("Hyun", "Hyeon"),
    "함": ("Ham",),
    "변": ("Byun", "Byeon"),
    "염": ("Yeom", "Yum"),
    "여": ("Yeo", "Yuh"),
    "추": ("Choo", "Chu"),
    "도": ("Do", "Doh"),
    "석": ("Seok", "Suk"),
    "선": ("Sun", "Seon"),
    "설": ("Seol", "Sul"),
    "마": ("Ma",),
    "길": ("Gil", "Kil"),
    "연": ("Yeon", "Yun"),
    "위": ("Wi", "Wee"),
    "표": ("Pyo",),
    "명": ("Myung", "Myeong"),
    "기": ("Ki", "Gi"),
    "반": ("Ban",),
    "왕": ("Wang",),
    "금": ("Keum", "Geum"),
    "옥": ("Ok",),
    "육": ("Yook", "Yuk"),
    "인": ("In",),
    "맹": ("Maeng",),
    "제": ("Je",),
    "모": ("Mo",),
    "탁": ("Tak",),
    "국": ("Kook", "Guk"),
    "어": ("Eo",),
    "은": ("Eun",),
    "편": ("Pyun", "Pyeon"),
    "용": ("Yong",),
    "예": ("Ye",),
    "경": ("Kyung", "Gyeong"),
    "봉": ("Bong",),
    "사": ("Sa",),
    "부": ("Boo", "Bu"),
    "황보": ("Hwangbo",),
    "남궁": ("Namgung", "Namkoong", "Namkung"),
    "제갈": ("Jegal",),
    "선우": ("Sunwoo", "Seonu"),
    "독고": ("Dokgo",),
    "사공": ("Sagong",),
    "서문": ("Seomun",),
}

# Syllables whose common given-name spellings the generic table misses.
_SPECIAL_SPELLINGS = {
    "시": ("si", "shi"),
    "우": ("u", "woo"),
    "이": ("i", "yi", "lee"),
    "희": ("hui", "hee"),
    "의": ("ui", "eui"),
}

# Rewrites that merge spellings. Each must give the same result on a name written in one piece (Yeeun, Dain)
# as on its syllables keyed apart (Ye-eun, Da-in), because patterns are built syllable by syllable: so no rule
# may straddle a syllable edge. That rules out ai -> e (Da|in), kh and ph (Park|hee), and ee -> i before a
# vowel (Ye|eun); eu -> u runs before ae -> e so that Ha|eun keys like Ha-eun.
_KEY_PAIRS = (("ch", "c"), ("sh", "s"), ("eo", "o"), ("oo", "u"), ("ou", "u"), ("eu", "u"), ("ae", "e"))
_KEY_LETTERS = str.maketrans("jgdbrfvq", "cktpl" + "ppk")
_KEY_RULES = regex.compile(r"(?<=[aeiouwy])h(?![aeiouwy])|(?<![a-z])rh|ee(?![aeiou])")
_KEY_REPLACEMENTS = {"h": "", "rh": "r", "ee": "i"}


def roman_key(text: str) -> str:
    """Spelling-blind key of lower-case Latin text; separators are left alone, so it can run on joined
    tokens."""
    for old, new in _KEY_PAIRS:
        text = text.replace(old, new)
    text = _KEY_RULES.sub(lambda m: _KEY_REPLACEMENTS[m.group()], text)
    return text.translate(_KEY_LETTERS)


@lru_cache(maxsize=16384)
def syllable_spellings(syllable: str) -> tuple[str, ...]:
    """Romanizations of one syllable, Revised Romanization first."""
    if syllable in _SPECIAL_SPELLINGS:
        return _SPECIAL_SPELLINGS[syllable]
    if not hangul.is_syllable(syllable):
        return (syllable,)
    cho, jung, jong = hangul.decompose(syllable)
    return tuple(_CHO[cho] + vowel + _JONG[jong] for vowel in _JUNG[jung])


@lru_cache(maxsize=16384)
def syllable_keys(syllable: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(roman_key(s) for s in syllable_spellings(syllable)))


def romanize(text: str) -> str:
    """Primary Revised Romanization of a run of syllables (other characters pass through)."""
    return "".join(syllable_spellings(c)[0] for c in text)


def surname_spellings(surname: str) -> tuple[str, ...]:
    if surname in SURNAMES:
        return SURNAMES[surname]
    return (romanize(surname).capitalize(),)


@lru_cache(maxsize=4096)
def surname_keys(surname: str) -> tuple[str, ...]:
    keys = dict.fromkeys(roman_key(s.lower()) for s in surname_spellings(surname))
    # The plain Revised Romanization too (이 -> i): it is what a mixed-script word (i민지, 이minji) spells.
    keys.setdefault(roman_key(romanize(surname)))
    if surname not in SURNAMES:
        for combo in product(*(syllable_keys(c) for c in surname)):
            keys.setdefault("".join(combo))
    return tuple(keys)


@lru_cache(maxsize=65536)
def given_keys(given: str, limit: int = 6) -> tuple[str, ...]:
    """Keys of a given name's spellings (cached: given names repeat across victims far more than full
    names)."""
    keys: list[str] = []
    for combo in product(*(syllable_keys(c) for c in given)):
        keys.append("".join(combo))
        if len(keys) >= limit:
            break
    return tuple(keys)


def name_keys(name: str, surname_len: int, limit: int = 24) -> list[str]:
    """Keys of the romanized full name in both orders (Hong Gildong, Gildong Hong), at most `limit`."""
    surnames = surname_keys(name[:surname_len])
    keys = [
        key
        for given_key in given_keys(name[surname_len:])
        for surname_key in surnames
        for key in (surname_key + given_key, given_key + surname_key)
    ]
    return list(dict.fromkeys(keys))[:limit]


def display_names(name: str, surname_len: int) -> list[str]:
    """Readable romanizations for search queries: RR given name with the usual surname spellings, both
    orders."""
    surname, given = name[:surname_len], name[surname_len:]
    given_text = romanize(given).capitalize()
    result: list[str] = []
    for spelling in surname_spellings(surname)[:2]:
        result.append(f"{spelling} {given_text}")
        result.append(f"{given_text} {spelling}")
    return result
