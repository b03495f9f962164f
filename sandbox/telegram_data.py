"""Fictional public Telegram channels served as t.me/s/ previews. Data only.

`hongnews` has 55 messages (ids 1-58; 13, 17 and 44 were deleted), so the preview spans three pages
of about 20. It mixes filler with persona mentions in the message's own text, in a quoted reply only,
in a link preview only, after a forward, beside media, and in disguised spellings.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MessageSeed:
    text: str
    media: str = ""  # "", photo, video, sticker, document, voice, roundvideo or album
    reply_to: tuple[int, str] | None = None  # (id, quoted text) of the message replied to
    forwarded_from: str = ""
    preview: tuple[str, str] | None = None  # link preview (site title, description)
    document_name: str = ""


@dataclass(frozen=True)
class ChannelSeed:
    title: str
    description: str
    last_id: int
    deleted: frozenset[int]
    special: dict[int, MessageSeed]
    filler: tuple[str, ...]


HONGNEWS = ChannelSeed(
    title="홍뉴스",
    description="가상시 동네 소식 채널 (fictional)",
    last_id=58,
    deleted=frozenset({13, 17, 44}),
    special={
        5: MessageSeed("가나다고 축제 안내: 이번 주 금요일 오후 2시, 운동장"),
        12: MessageSeed("오늘의 사진", media="photo"),
        # The persona appears only in the quoted (deleted) message, never in this one's own text.
        18: MessageSeed(
            "이런 글 올리지 마세요. 신고했습니다.", reply_to=(17, "홍길동 지인능욕 방 링크 아시는 분")
        ),
        21: MessageSeed("가나다고 홍길동 합성 요청 받음. 갠텔 주세요"),
        24: MessageSeed("영상 자료", media="video"),
        29: MessageSeed("", media="sticker"),
        30: MessageSeed("가나다고 ㅎㄱㄷ 자료", media="document", document_name="자료.zip"),
        33: MessageSeed("ㅎ ㅗ ㅇ ㄱ ㅣ ㄹ ㄷ ㅗ ㅇ 가나다고 방 초대"),
        38: MessageSeed("@gildong_hong 계정 주인 찾습니다", forwarded_from="가나다소식"),
        41: MessageSeed("", media="voice"),
        47: MessageSeed("", media="roundvideo"),
        50: MessageSeed("홍 길 동 사진 모음 요청", media="album"),
        # The own text is only a link; the name is in the preview card.
        52: MessageSeed(
            "https://forum.example.net/board/anon/1021",
            preview=("가상 커뮤니티", "가나다고 홍길동 지인능욕 합성 요청"),
        ),
        55: MessageSeed("Hong Gil-dong 가나다고 deepfake 요청 DM"),
        57: MessageSeed("홍길동전 연극 보러 오세요 & 가나다고 연극부 공연 (무료)"),
    },
    filler=(
        "오늘 가상시 날씨: 맑음, 낮 최고 18도",
        "가상시 시내버스 노선이 다음 달 바뀝니다",
        "주말 장터 열립니다. 시장 입구 10시",
        "도서관 휴관 안내 (월요일)",
        "분실물: 검은색 지갑, 역 앞에서 발견",
        "오늘의 급식 정보는 학교 홈페이지에서 확인하세요",
        "공원 산책로 공사 중, 우회하세요",
        "헌혈 버스가 구청 앞에 옵니다",
        "미세먼지 보통, 환기하기 좋은 날",
        "동네 빵집 신메뉴 나왔어요",
        "축구 동호회 회원 모집 & 경기 일정",
        "밤 사이 눈 소식, 출근길 조심하세요",
    ),
)

CHANNELS: dict[str, ChannelSeed] = {"hongnews": HONGNEWS}
