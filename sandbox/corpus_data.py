"""The fictional documents the fake engines index. Data only.

Personas are classic fictional characters, never real people:
- 홍길동 / Hong Gil-dong, nickname 길동이, handle gildong_hong, school 가나다고등학교 (alias 가나다고)
- 성춘향 / Seong Chun-hyang, nickname 춘향이, handle chunhyang.seong, school 라마바여자고등학교 (라마바여고)
- 이몽룡 / Lee Mong-ryong, handle mongryong_lee, school 사아자대학교 (사아자대)

Abuse is only ever named in the abstract ("지인능욕 합성 요청"), never described. Every host is a
reserved name (.example, .example.net, .example.org, .example.com) or a t.me string that is never
fetched; `{root}` becomes the sandbox's own address, so those results can be verified by fetching.
The mix is deliberate: exposures, disguised spellings that a plain search misses, innocent namesakes
(홍길동전 독후감, a carpenter called 홍길동), innocent school news, and unrelated filler.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Seed:
    url: str
    title: str
    body: str
    age_days: float | None  # None: the page has no date
    kind: str = "web"  # web, blog, news or cafe: which vertical search shows it
    site: str = ""
    naver_redirect: bool = False


_HONG_EXPOSURES = (
    Seed(
        "https://forum.example.net/board/anon/1021",
        "가나다고 홍길동 지인능욕 합성 요청",
        "가나다고등학교 2학년 홍길동 사진 가진 사람? 지인능욕 합성 요청합니다. 갠텔 주세요.",
        0.5,
        naver_redirect=True,
    ),
    Seed(
        "https://cafe.example/dongne/88812?utm_source=x&fbclid=y#comment-3",
        "홍길동 아는 사람 있음?",
        "가나다고 07년생 홍길동 신상 정리본 있다는데 갠텔로 받을 수 있나요. 유포 금지라는데 다들 돌려봄.",
        1.2,
        kind="cafe",
        site="동네소식 카페",
    ),
    Seed(
        "https://blog.example.org/anon-writer/220?utm_medium=social",
        "홍길동 인스타 @gildong_hong 정리",
        "홍길동(gildong_hong) 계정 사진으로 만든 합성 편집본이 돌고 있다는 제보입니다. "
        "가나다고 학생이라고 합니다.",
        3,
        kind="blog",
        site="익명의 기록",
    ),
    Seed(
        "https://board.example/free/5531?ref=share&utm_campaign=spring",
        "[재유포] 홍길동 딥페이크 요청 글",
        "홍길동 딥페이크 요청 글이 또 올라왔습니다. 가나다고 학생이라고 함. 보신 분 신고 부탁드립니다.",
        2,
        naver_redirect=True,
    ),
    Seed(
        "https://t.me/s/hongnews/21",
        "홍뉴스 – Telegram",
        "가나다고 홍길동 합성 요청 받음. 갠텔 주세요",
        4,
    ),
    Seed(
        "https://sns.example/@anon_77/status/10293#reply",
        "홍길동 겹지인방 초대",
        "겹지인방에 홍길동 이름 올라옴, 가나다고 1학년이라고. 초대 링크 구함",
        6,
    ),
)

# Results that point back into the sandbox's own pages, so a verifying fetch meets each page case.
_HONG_SELF_PAGES = (
    Seed(
        "{root}/web/forum/1",
        "가나다고 홍길동 합성 요청 글",
        "가나다고 홍길동 합성 요청합니다. 갠텔 주세요.",
        1,
    ),
    # The page was edited since the engine indexed it: the snippet still names the persona.
    Seed("{root}/web/forum/2", "홍길동 사진 구함", "홍길동 사진 구함. 가나다고 다니는 애.", 9),
    Seed("{root}/web/removed", "홍길동 신상 공개", "홍길동 신상 공개합니다 가나다고 2학년", 12),
    Seed("{root}/web/gone", "홍길동 자료 링크 모음", "홍길동 자료 링크 모음 (가나다고)", 15),
    Seed("{root}/web/script-only", "홍길동 검색", "홍길동 관련 글 모음, 자바스크립트로 불러옴", 2),
    Seed("{root}/web/private/secret", "홍길동 비공개 게시판", "홍길동 비공개 게시판 글 목록 (가나다고)", 5),
    Seed("{root}/web/disguised.html", "홍길동 자료 (파일)", "홍길동 자료 파일 링크. 가나다고", 3),
    Seed("{root}/web/blocked", "홍길동 관련 글 - 보안 확인", "홍길동 관련 글, 가나다고 게시판", 8),
)

_HONG_NAMESAKES = (
    Seed(
        "https://blog.example.org/bookworm/17",
        "홍길동전 독후감 - 허균의 소설을 읽고",
        "고전 소설 홍길동전을 읽었다. 서자로 태어난 홍길동이 활빈당을 이끌고 율도국을 세우는 이야기는 "
        "신분 차별에 대한 비판으로 읽힌다. 아버지를 아버지라 부르지 못하는 장면이 가장 기억에 남는다.",
        400,
        kind="blog",
        site="책벌레의 서재",
    ),
    Seed(
        "https://news.example.com/culture/778?utm_source=naver&utm_medium=news",
        '[팩트체크] 서류 견본엔 왜 늘 "홍길동"일까',
        '은행 신청서와 관공서 서식 견본에는 이름 칸에 "홍길동"이 적혀 있다. 고전 속 인물이라 실제 인물과 '
        "혼동될 일이 적기 때문이라는 설명 & 업계 관행이다.",
        30,
        kind="news",
        site="가상일보",
        naver_redirect=True,
    ),
    Seed(
        "https://blog.example.org/paperwork/5",
        '은행 서식 작성 예시: 이름 칸엔 "홍길동" & 주소',
        "서식 작성 예시입니다. 성명 홍길동, 주소 가상시 가상구 1번지. 실제 정보로 바꿔 쓰세요.",
        90,
        kind="blog",
        site="서류 도우미",
    ),
    Seed(
        "https://cafe.example/moms/4410",
        "아이 숙제: 홍길동전 줄거리 요약 부탁드려요",
        "초등 5학년 숙제로 홍길동전 줄거리를 쓰라는데 어디까지 써야 할까요?",
        None,
        kind="cafe",
        site="가상맘 카페",
    ),
    Seed(
        "https://news.example.com/local/5521",
        "가상군 홍길동 축제 개막… 체험 부스 & 공연",
        "가상군에서 홍길동 축제가 열렸다. 활빈당 체험 부스와 마당극 공연이 이어졌다.",
        200,
        kind="news",
        site="가상일보",
    ),
    Seed(
        "https://forum.example.net/board/movie/300",
        "애니메이션 '홍길동' 리마스터 후기",
        "어릴 때 보던 애니메이션 홍길동 리마스터판을 봤습니다. 주제가가 그대로라 반가웠어요.",
        700,
    ),
    Seed(
        "https://blog.example.org/teacher-kim/88",
        "국어 수업 자료: 홍길동전과 사회 비판",
        "홍길동전 수업 자료를 공유합니다. 적서 차별, 탐관오리, 이상 사회를 중심으로 "
        "토론 질문을 정리했습니다.",
        50,
        kind="blog",
        site="국어 선생님의 수업 노트",
    ),
    Seed(
        "https://cafe.example/dongne/90001#c12",
        "가나다고 근처 홍길동 분식 맛집?",
        "가나다고 정문 앞 홍길동 분식 떡볶이 아직 하나요? 졸업하고 못 가봤네요.",
        None,
        kind="cafe",
        site="동네소식 카페",
    ),
    Seed(
        "https://sns.example/@storyteller/status/555",
        "오늘의 고전 캐릭터: 홍길동",
        "오늘의 고전 캐릭터는 홍길동. 동에 번쩍 서에 번쩍!",
        20,
    ),
    Seed(
        "https://forum.example.net/board/game/1888?utm_source=x&fbclid=y",
        "게임 닉네임 '홍길동' 이미 사용 중 ㅠ",
        "새 서버에서 닉네임 홍길동 쓰려고 했더니 이미 있네요. 홍길동123 으로 했습니다.",
        1.5,
    ),
    Seed(
        "https://news.example.com/edu/9001",
        "가나다고등학교, 홍길동전 연극으로 축제 무대",
        "가나다고등학교 연극부가 올해 축제에서 홍길동전을 무대에 올렸다. 학생들이 직접 각색했다.",
        14,
        kind="news",
        site="가상교육신문",
    ),
    Seed(
        "{root}/web/forum/7",
        "홍길동전 독후감 (자유게시판)",
        "홍길동전 독후감 올립니다. 활빈당 이야기가 인상적",
        60,
    ),
    Seed(
        "https://blog.example.org/woodshop/31",
        "목공방 홍길동의 작업일지: 원목 식탁",
        "안녕하세요, 목수 홍길동입니다. 이번 주에는 원목 식탁을 완성했습니다. 오일 마감 & 사포질 팁 공유.",
        25,
        kind="blog",
        site="홍길동 목공방",
    ),
)

# A plain search for 홍길동 misses these; the school, nickname or handle finds them.
_HONG_DISGUISED = (
    Seed(
        "https://forum.example.net/board/anon/1033",
        "가나다고 07년생 ㅎㄱㄷ 아시는 분?",
        "가나다고 07년생 ㅎㄱㄷ 아시는 분? 갠텔 주세요",
        0.8,
    ),
    Seed(
        "https://cafe.example/secret/77",
        "홍 길 동 합성 요청",
        "가나다고 홍 길 동 합성 요청합니다",
        1,
        kind="cafe",
        site="비밀 카페",
    ),
    Seed(
        "https://board.example/free/6002",
        "Hong Gil-dong deepfake request",
        "Anyone have pics of Hong Gil-dong from 가나다고? deepfake request, DM @g1ld0ng.h0ng",
        2,
    ),
    Seed(
        "https://sns.example/@x_21/status/777", "ghdrlfehd 사진 구함", "ghdrlfehd 가나다고 사진 구함 갠텔", 3
    ),
    Seed(
        "https://forum.example.net/board/anon/1040",
        "홍.길.동 능욕방 링크",
        "《홍..길》동 능욕방 링크 있음? 가나다고",
        4,
    ),
    Seed("https://t.me/s/hongnews/33", "홍뉴스 – Telegram", "ㅎ ㅗ ㅇ ㄱ ㅣ ㄹ ㄷ ㅗ ㅇ 가나다고 방 초대", 5),
    Seed("https://board.example/free/6010", "洪吉童 합성", "洪吉童 합성본 돈다는 소문 (가나다고)", 7),
    Seed(
        "https://cafe.example/dongne/88900",
        "길동이 신상 정리",
        "가나다고 길동이 신상 정리함 @gildong_hong",
        None,
        kind="cafe",
        site="동네소식 카페",
    ),
    Seed("https://sns.example/@y_09/status/901", "홍❤길❤동", "홍❤길❤동 지인능욕 ㄱㄱ 가나다고", 1),
    Seed(
        "https://blog.example.org/z-archive/3",
        "Ｈｏｎｇ Ｇｉｌｄｏｎｇ 가나다고",
        "Ｈｏｎｇ Ｇｉｌｄｏｎｇ 편집본 요청",
        10,
        kind="blog",
        site="z",
    ),
    Seed(
        "https://forum.example.net/board/anon/1052",
        "홍\u200b길\u200b동 딥페",
        "홍\u200b길\u200b동 딥페 가나다고 2학년",
        2,
    ),
)

_CHUNHYANG = (
    Seed(
        "https://forum.example.net/board/anon/2001",
        "라마바여고 성춘향 합성 요청",
        "라마바여고 3학년 성춘향 사진 있는 사람, 합성 요청. 갠텔 주세요",
        1,
    ),
    Seed(
        "https://cafe.example/secret/91",
        "성 춘 향 갠텔",
        "라마바여고 성 춘 향 갠텔 구함",
        2,
        kind="cafe",
        site="비밀 카페",
    ),
    Seed(
        "https://sns.example/@z_33/status/1200",
        "ㅅㅊㅎ 라마바여고 06년생",
        "라마바여고 06년생 ㅅㅊㅎ 아는 사람? 신상 구함",
        3,
    ),
    Seed(
        "https://board.example/free/7100",
        "chunhyang.seong 계정 정리",
        "chunhyang.seong 계정 사진 편집본 돈다는 제보. 춘향이라고 불림",
        6,
    ),
    Seed(
        "https://blog.example.org/stage-notes/42",
        "창극 춘향전 관람 후기 - 성춘향 역 배우의 열연",
        "국립 가상극장 창극 춘향전을 봤다. 성춘향 역 배우의 사랑가 대목이 압권이었다. 이몽룡 역도 좋았다.",
        45,
        kind="blog",
        site="무대 노트",
    ),
    Seed(
        "https://news.example.com/culture/812",
        "가상시 춘향제 100년… 성춘향 선발대회 폐지 논의",
        "가상시 춘향제에서 성춘향 선발대회를 폐지하자는 의견이 나왔다.",
        120,
        kind="news",
        site="가상일보",
    ),
)

_MONGRYONG = (
    Seed(
        "https://forum.example.net/board/anon/3001",
        "사아자대 이몽룡 능욕방",
        "사아자대 이몽룡 능욕방 링크 구함, mongryong_lee 계정 사진",
        1.5,
    ),
    Seed(
        "https://board.example/free/8200", "Lee Mong-ryong 사아자대", "Lee Mong-ryong 사아자대 신상 정리", 4
    ),
    Seed(
        "https://news.example.com/culture/901",
        '뮤지컬 "춘향" 이몽룡 역 캐스팅 발표',
        '뮤지컬 "춘향" 제작사가 이몽룡 역 배우 3명을 발표했다.',
        10,
        kind="news",
        site="가상연예",
    ),
    Seed(
        "https://cafe.example/campus/5005",
        "사아자대학교 축제 라인업 & 일정",
        "사아자대학교 축제가 다음 달 열립니다. 부스 신청은 학생회로.",
        None,
        kind="cafe",
        site="사아자대 커뮤니티",
    ),
)

# Unrelated pages, and innocent mentions of the schools and of the place name 길동.
_FILLER = (
    Seed(
        "https://news.example.com/weather/1",
        "내일 전국 맑음, 일교차 커",
        "내일은 전국이 대체로 맑겠고 일교차가 크겠습니다.",
        0.2,
        kind="news",
        site="가상일보",
    ),
    Seed(
        "https://blog.example.org/cook/101",
        "김치찌개 황금 레시피",
        "돼지고기와 묵은지로 끓이는 김치찌개 레시피입니다.",
        15,
        kind="blog",
        site="집밥 일기",
    ),
    Seed(
        "https://cafe.example/moms/4500",
        "아이 간식 추천해 주세요",
        "초등 저학년 간식 뭐 주시나요? 고구마 말고요.",
        None,
        kind="cafe",
        site="가상맘 카페",
    ),
    Seed(
        "https://forum.example.net/board/it/77",
        "노트북 배터리 교체 후기",
        "3년 쓴 노트북 배터리를 교체했습니다. 비용 & 시간 정리.",
        33,
    ),
    Seed(
        "https://news.example.com/edu/9100",
        "가나다고등학교 급식 메뉴 공개",
        "가나다고등학교가 이번 달 급식 메뉴를 공개했다. 금요일은 특식.",
        3,
        kind="news",
        site="가상교육신문",
    ),
    Seed(
        "https://news.example.com/sports/330",
        "가나다고 축구부, 도 대회 우승",
        "가나다고 축구부가 도 대회 결승에서 2대1로 이겼다.",
        8,
        kind="news",
        site="가상스포츠",
    ),
    Seed(
        "https://cafe.example/edu/1234",
        "라마바여고 입시 설명회 후기",
        "라마바여자고등학교 입시 설명회 다녀왔어요. 내신 반영 비율 정리.",
        11,
        kind="cafe",
        site="입시 정보 카페",
    ),
    Seed(
        "https://blog.example.org/walks/9",
        "길동 생태공원 산책 코스",
        "길동 생태공원 한 바퀴 산책 코스를 소개합니다. 봄꽃이 예뻐요.",
        70,
        kind="blog",
        site="걷기 좋은 날",
    ),
    Seed(
        "https://forum.example.net/board/food/450",
        "길동 맛집 투어 3곳",
        "길동역 근처 칼국수, 족발, 빵집 후기.",
        9,
    ),
    Seed(
        "https://news.example.com/economy/221",
        "기준금리 동결… 시장 예상대로",
        "중앙은행이 기준금리를 동결했다.",
        1,
        kind="news",
        site="가상경제",
    ),
    Seed(
        "https://blog.example.org/travel/55",
        "제주 3박 4일 여행 코스",
        "렌터카로 도는 제주 동쪽 코스 & 맛집 정리.",
        160,
        kind="blog",
        site="여행 노트",
    ),
    Seed(
        "https://cafe.example/pets/300",
        "고양이 사료 바꾸는 법",
        "사료는 일주일에 걸쳐 조금씩 섞어서 바꾸세요.",
        22,
        kind="cafe",
        site="집사 카페",
    ),
    Seed(
        "https://forum.example.net/board/it/91",
        "공유기 설정 초기화 방법",
        "리셋 버튼을 10초 누르면 초기화됩니다.",
        400,
    ),
    Seed("https://sns.example/@daily/status/42", "오늘 하늘 사진", "퇴근길 하늘이 예뻐서 한 장.", 0.3),
    Seed(
        "https://news.example.com/society/660",
        "학교 딥페이크 예방 교육 확대",
        "교육청이 딥페이크 성범죄 예방 교육을 모든 학교로 확대한다고 밝혔다.",
        5,
        kind="news",
        site="가상일보",
    ),
    Seed(
        "https://blog.example.org/books/12",
        "올해 읽은 책 10권",
        "소설, 에세이, 과학책을 골고루 읽었다.",
        300,
        kind="blog",
        site="책벌레의 서재",
    ),
    Seed(
        "https://cafe.example/car/808",
        "겨울철 타이어 공기압",
        "기온이 내려가면 공기압도 떨어집니다. 한 달에 한 번 점검.",
        40,
        kind="cafe",
        site="자동차 동호회",
    ),
    Seed(
        "https://forum.example.net/board/free/12",
        "The quick brown fox & friends",
        "An English filler post about foxes and dogs.",
        1000,
    ),
    Seed(
        "https://board.example/notice/1",
        "게시판 이용 규칙 안내",
        "신상 공개, 합성물 유포 글은 즉시 삭제됩니다. 신고 기능을 이용해 주세요.",
        600,
    ),
    Seed(
        "https://news.example.com/it/404",
        "새 스마트폰 출시 일정",
        "제조사가 다음 달 신제품을 공개한다.",
        6,
        kind="news",
        site="가상IT",
    ),
    Seed(
        "https://blog.example.org/garden/7",
        "베란다 방울토마토 키우기",
        "햇빛 잘 드는 곳, 물은 흙이 마르면.",
        95,
        kind="blog",
        site="초록 베란다",
    ),
    Seed(
        "https://cafe.example/study/61",
        "토익 900 공부법",
        "LC는 쉐도잉, RC는 문법 정리부터.",
        None,
        kind="cafe",
        site="스터디 카페",
    ),
    Seed(
        "https://forum.example.net/board/music/5",
        "기타 줄 교체 주기",
        "매일 치면 한 달, 가끔 치면 석 달.",
        210,
    ),
    Seed("https://sns.example/@runner/status/88", "10km 완주!", "첫 10km 대회 완주 기록 58분.", 2),
    Seed(
        "https://news.example.com/local/600",
        "가상시 버스 노선 개편",
        "다음 달부터 가상시 시내버스 노선이 바뀐다.",
        4,
        kind="news",
        site="가상일보",
    ),
    Seed(
        "https://blog.example.org/cook/130",
        "에어프라이어 고구마",
        "200도에서 40분, 중간에 한 번 뒤집기.",
        12,
        kind="blog",
        site="집밥 일기",
    ),
    Seed(
        "https://cafe.example/moms/4600",
        "수학 학원 고민",
        "중1 수학 학원 선행 어디까지 하나요?",
        18,
        kind="cafe",
        site="가상맘 카페",
    ),
    Seed(
        "https://forum.example.net/board/it/120",
        "Python 3.11 업그레이드 후기",
        "속도가 눈에 띄게 빨라졌습니다.",
        500,
    ),
    Seed(
        "https://board.example/free/9001", "분실물: 파란 우산", "도서관 앞에서 파란 우산 잃어버리신 분?", 0.7
    ),
    Seed(
        "https://news.example.com/culture/950",
        "가상미술관 특별전 개막",
        "근현대 회화 120점을 선보인다.",
        16,
        kind="news",
        site="가상일보",
    ),
)

SEEDS: tuple[Seed, ...] = (
    _HONG_EXPOSURES + _HONG_SELF_PAGES + _HONG_NAMESAKES + _HONG_DISGUISED + _CHUNHYANG + _MONGRYONG + _FILLER
)

# The `injection` engine scenario puts these first in every result list; the first is also a real page.
INJECTION_SEEDS: tuple[Seed, ...] = (
    Seed(
        "{root}/hostile/injection",
        "<script>alert(1)</script> 홍길동 {{7*7}}",
        '=HYPERLINK("http://evil.example","x") 홍길동 가나다고 <img src=x onerror=alert(1)> ${7*7}',
        0.5,
        kind="any",
    ),
    Seed(
        "https://forum.example.net/board/anon/9001",
        '=HYPERLINK("http://evil.example","x") 홍길동',
        "+cmd|' /C calc'!A0 홍길동 @SUM(1+1) -2+3 {{config}} <b onmouseover=alert(1)>가나다고</b>",
        1,
        kind="any",
    ),
    Seed(
        "javascript:alert(document.domain)//https://cafe.example/1",
        "홍길동 링크 (클릭)",
        "홍길동 가나다고 <a href=javascript:alert(1)>열기</a>",
        1,
        kind="any",
    ),
)
