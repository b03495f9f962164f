"""Small built-in word lists: exploitation keywords, particles, innocent compounds, surnames, masks,
look-alikes."""

from __future__ import annotations

# Exploitation-context keywords reported in news and school guidance (reference: korean-matching.md). Each is
# a second signal for weak variants; `GENERIC_KEYWORDS` are common words that count, but for less.
KEYWORDS = (
    "지인능욕",
    "능욕",
    "능욕방",
    "능욕짤",
    "겹지인",
    "겹지인방",
    "겹지",
    "딥페이크",
    "딥페",
    "합성",
    "합성방",
    "합성짤",
    "불법합성물",
    "허위영상물",
    "편집",
    "유포",
    "재유포",
    "신상",
    "갠텔",
    "일탈계",
    "섹트",
    "초대남",
    "노출",
    "불법촬영",
    "몸캠",
    "deepfake",
    "deepnude",
)
GENERIC_KEYWORDS = frozenset({"합성", "편집", "노출", "신상", "유포"})

# Particles and address suffixes that may follow a name inside the same word (홍길동이, 홍길동한테, 홍길동씨).
PARTICLES = (
    "이",
    "가",
    "은",
    "는",
    "을",
    "를",
    "의",
    "에",
    "에게",
    "한테",
    "께",
    "와",
    "과",
    "랑",
    "이랑",
    "도",
    "만",
    "아",
    "야",
    "씨",
    "님",
    "양",
    "군",
    "쌤",
    "이가",
    "이는",
    "이를",
    "이의",
    "이도",
    "이만",
    "이한테",
    "이에게",
    "에서",
    "으로",
    "로",
    "처럼",
    "보다",
    "까지",
    "부터",
    "이야",
    "이다",
    "이고",
    "이지",
    "이네",
    "이나",
    "나",
    "이랑은",
    "선배",
    "후배",
    "학생",
    "언니",
    "누나",
    "오빠",
    "형",
    "네",
)
PARTICLE_SET = frozenset(PARTICLES)
# The ones that only ever follow a person (Mr/Ms, senior, teacher ...).
ADDRESS_SUFFIXES = ("씨", "님", "양", "군", "쌤", "선배", "후배", "학생", "언니", "누나", "오빠", "형")
MAX_PARTICLE = max(len(p) for p in PARTICLES)

# Words that, written right after a whole term, make a compound that is not about the person (홍길동전, a
# tale).
INNOCENT_SUFFIXES = (
    "전",
    "역",
    "공원",
    "마을",
    "아파트",
    "빌딩",
    "병원",
    "기념관",
    "생가",
    "동상",
    "문학관",
    "축제",
    "초등학교",
    "중학교",
    "고등학교",
    "대학교",
    "로",
    "대로",
    "길",
    "체",
)
# "로" and "길" also occur as a particle or a given name; they cancel only when a road number follows
# (홍길동로 12).
ROAD_SUFFIXES = frozenset({"로", "대로", "길"})

COMPOUND_SURNAMES = frozenset(
    {"남궁", "황보", "제갈", "사공", "선우", "서문", "독고", "동방", "어금", "망절"}
)

# Korean school names and their short forms: 가나다고등학교 -> 가나다고, 가나다고교.
SCHOOL_SUFFIXES = (
    ("여자고등학교", ("여고",)),
    ("여자중학교", ("여중",)),
    ("고등학교", ("고", "고교")),
    ("중학교", ("중",)),
    ("초등학교", ("초",)),
    ("대학교", ("대",)),
)
SCHOOL_WORDS = ("고등학교", "중학교", "초등학교", "대학교", "학교", "고", "중", "초", "대", "여고", "여중")

# Characters that stand in for a hidden syllable (홍○동); kept apart from decorative separators such as ❤.
MASK_CHARS = frozenset("○●◯◎⭕◌〇*＊×✕✖")
MASK = "●"

# Look-alikes that stand for a jamo inside a Hangul word: (character in the clean view, jamo). Upper-case
# look-alikes are checked on the original text, since the clean view is lower-cased.
LOOKALIKES = {
    "o": "ㅇ",
    "0": "ㅇ",
    "7": "ㄱ",
    "2": "ㄹ",
    "l": "ㅣ",
    "1": "ㅣ",
    "|": "ㅣ",
    "!": "ㅣ",
    "i": "ㅣ",
    "口": "ㅁ",
    "人": "ㅅ",
    "卜": "ㅏ",
    "一": "ㅡ",
    "ー": "ㅡ",
    "丨": "ㅣ",
    "己": "ㄹ",
}
UPPER_LOOKALIKES = {"L": "ㄴ", "E": "ㅌ", "T": "ㅜ", "I": "ㅣ", "O": "ㅇ"}

# Surnames that are also everyday words when written alone (이 "this", 한 "one", 나 "I"): a name split after
# one of them (이 나라) needs context before it counts.
WORDLIKE_SURNAMES = frozenset({"이", "한", "나"})
