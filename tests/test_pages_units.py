"""The pure parts of the page crawls, table by table: statuses, block pages, removal notices, failure
reasons, Telegram paging and look-ups, re-check verdicts, when a page is read whole, which match wins."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
    IgnoreRequest,
)
from twisted.internet.error import DNSLookupError, TimeoutError
from twisted.python.failure import Failure

from crawler.extract import TelegramMessage, TelegramPage
from crawler.fetch_failures import failure_reason
from crawler.page_items import ExposureFetched
from crawler.page_status import REASONS, is_block_page, removal_notice, status_reason, tally_outcome
from crawler.recheck import judge
from crawler.robots import RobotsDisallowedError
from crawler.safety.browser_guard import refuse_response
from crawler.safety.errors import MediaStoppedError, RefusedRequestError
from crawler.sources.base import Outcome
from crawler.telegram import INCREMENTAL_PAGE_CAP, lookup_text, message_ref, next_before, preview_url
from sandbox.page_data import BLOCKED_HTML, GONE_HTML, REMOVED_HTML, SCRIPT_ONLY_HTML
from storage.targets_state import ExposureToFetch

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (200, None),
        (204, None),
        (304, None),
        (404, "http-404"),
        (410, "http-410"),
        (401, "blocked"),
        (403, "blocked"),
        (429, "blocked"),
        (451, "blocked"),
        (400, "http-error"),
        (405, "http-error"),
        (408, "unreachable"),
        (500, "unreachable"),
        (503, "unreachable"),
        (599, "unreachable"),
    ],
)
def test_status_reasons(status: int, reason: str | None) -> None:
    assert status_reason(status) == reason


def test_every_reason_counts_as_a_good_visit_or_a_named_failure() -> None:
    good = {name for name, (outcome, _) in REASONS.items() if outcome is None}
    assert good == {"ok", "unchanged"}
    assert tally_outcome("blocked") is Outcome.BLOCKED
    assert tally_outcome("robots-unreachable") is Outcome.UNREACHABLE
    assert tally_outcome("something-new") is Outcome.ERROR  # unknown reasons are never "fine"


@pytest.mark.parametrize(
    ("html", "text", "blocked"),
    [
        (BLOCKED_HTML, "사람인지 확인하는 중입니다 Checking if the site connection is secure.", True),
        ("<html><title>Just a moment...</title><body></body></html>", "", True),
        ("<div class='g-recaptcha'></div>", "로그인", True),  # little text and a captcha
        ("<p>captcha</p>", "자유게시판 " * 400, False),  # a long post that mentions captchas
        (REMOVED_HTML, "삭제된 게시물입니다.", False),
        ("<article>홍길동 합성 요청</article>", "홍길동 합성 요청", False),
    ],
)
def test_block_pages(html: str, text: str, blocked: bool) -> None:
    assert is_block_page(html, text) is blocked


@pytest.mark.parametrize(
    ("title", "text", "notice"),
    [
        ("삭제된 게시물", "이 게시물은 작성자에 의해 삭제되었습니다.", "삭제된 게시물"),
        ("", "삭제된게시물입니다", "삭제된 게시물"),  # spacing differs
        ("", "존재하지 않는 게시물입니다.", "존재하지 않는 게시물"),
        ("Oops", "THIS POST WAS DELETED by its author", "this post was deleted"),
        ("404", "Page Not Found", "page not found"),
        ("글", "가나다고 홍길동 합성 요청", None),
    ],
)
def test_removal_notices(title: str, text: str, notice: str | None) -> None:
    assert removal_notice(title, text) == notice


def test_the_sandbox_special_pages_read_as_intended() -> None:
    from crawler.extract import extract_text, looks_script_only

    removed = extract_text(REMOVED_HTML)
    assert removal_notice(removed.title, removed.text) is not None
    gone = extract_text(GONE_HTML)
    assert removal_notice(gone.title, gone.text) == "페이지를 찾을 수 없습니다"
    assert looks_script_only(SCRIPT_ONLY_HTML)


def _failure(exc: BaseException) -> Failure:
    return Failure(exc)  # type: ignore[no-untyped-call]  # Twisted leaves Failure() unannotated


@pytest.mark.parametrize(
    ("exc", "reason"),
    [
        (RobotsDisallowedError("robots-disallowed"), "robots-disallowed"),
        (RobotsDisallowedError("robots-unreachable"), "robots-unreachable"),
        (MediaStoppedError("media_content_type", "stopped"), "media-refused"),
        (RefusedRequestError("media_url", "media"), "media-refused"),
        (MediaStoppedError("media_binary", "stopped"), "not-text"),
        (RefusedRequestError("media_magic_bytes", "decoded"), "media-refused"),
        (RefusedRequestError("private_address", "private address: loopback"), "unsafe-address"),
        (RefusedRequestError("scheme_not_allowed", "scheme"), "unsafe-address"),
        (RefusedRequestError("unresolvable_host", "unresolvable host"), "unreachable"),
        (DownloadCancelledError("maxsize"), "too-large"),
        (IgnoreRequest("body exceeded DOWNLOAD_MAXSIZE (4194304 B) during decompression"), "too-large"),
        (IgnoreRequest("max redirections reached"), "too-many-redirects"),
        (DownloadTimeoutError("took longer"), "unreachable"),
        (TimeoutError(), "unreachable"),  # type: ignore[no-untyped-call]  # Twisted's, unannotated
        (DNSLookupError(), "unreachable"),
        (CannotResolveHostError(), "unreachable"),
        (DownloadConnectionRefusedError(), "unreachable"),
        (ValueError("odd"), "error"),
    ],
)
def test_failure_reasons(exc: BaseException, reason: str) -> None:
    assert failure_reason(_failure(exc)) == reason


@pytest.mark.parametrize(
    ("ids", "prev_before", "stop_at", "pages_read", "expected"),
    [
        ([39, 40, 58], 39, None, 1, (39, False)),  # first visit, page 1 of 5
        ([19, 38], 19, None, 5, (None, False)),  # first visit, max pages reached
        ([1, 17], None, None, 3, (None, False)),  # the oldest page
        ([], 5, None, 1, (None, False)),  # an empty page
        ([39, 58], 60, None, 1, (None, False)),  # a `before` that would not move back
        ([39, 58], 39, 58, 1, (None, False)),  # nothing new since the last visit
        ([59, 78], 59, 58, 1, (None, False)),  # the page reaches the last message seen
        ([70, 89], 70, 58, 1, (70, False)),  # more new messages on older pages
        ([70, 89], 70, 58, INCREMENTAL_PAGE_CAP, (None, True)),  # a runaway channel stops, and says so
    ],
)
def test_telegram_paging(
    ids: list[int],
    prev_before: int | None,
    stop_at: int | None,
    pages_read: int,
    expected: tuple[int | None, bool],
) -> None:
    assert next_before(ids, prev_before, stop_at, pages_read, max_pages=5) == expected


def _message(message_id: int, text: str, channel: str = "hongnews") -> TelegramMessage:
    return TelegramMessage(message_id, channel, text, NOW, f"https://t.me/{channel}/{message_id}", False)


def test_telegram_lookups() -> None:
    page = TelegramPage(
        (_message(20, "가"), _message(21, "홍길동 합성")), prev_before=20, has_channel_info=True
    )
    assert lookup_text(page, "hongnews", 21) == ("홍길동 합성", None)
    assert lookup_text(page, "hongnews", 22) == ("", "message-missing")
    assert lookup_text(page, "hongnews", None) == ("가\n홍길동 합성", None)
    assert lookup_text(TelegramPage((), None, False), "nopreview", 5) == ("", "no-public-preview")
    assert message_ref("https://t.me/hongnews/21") == ("hongnews", 21)
    assert message_ref("https://t.me/s/hongnews") == ("hongnews", None)
    assert message_ref("https://example.org/hongnews/21") is None
    assert (
        preview_url("http://127.0.0.1:9/telegram/", "hongnews", 22)
        == "http://127.0.0.1:9/telegram/s/hongnews?before=22"
    )
    assert preview_url("https://t.me", "hongnews") == "https://t.me/s/hongnews"


def _exposure(status: str = "reported", confidence: str = "page") -> ExposureToFetch:
    return ExposureToFetch(1, 1, "https://example.org/p/1", status, confidence, 1, "web")


def _fetched(reason: str = "ok", notice: str | None = None, text: str = "…") -> ExposureFetched:
    return ExposureFetched("recheck", _exposure(), reason, NOW, 200, text=text, notice=notice)


@pytest.mark.parametrize(
    ("status", "confidence", "fetched", "term", "action", "outcome"),
    [
        ("reported", "page", _fetched("http-404"), False, "removed", "removed:http-404"),
        ("reported", "engine", _fetched("http-410"), False, "removed", "removed:http-410"),
        ("reported", "snippet", _fetched(notice="삭제된 게시물"), False, "removed", "removed:notice"),
        ("reported", "engine", _fetched(notice="삭제된 게시물"), False, "removed", "removed:notice"),
        ("reported", "page", _fetched(), False, "removed", "removed:term-gone"),
        ("reported", "snippet", _fetched(), False, "removed", "removed:term-gone"),
        ("reported", "engine", _fetched(), False, None, "inconclusive:term-never-seen"),
        (
            "reported",
            "page",
            _fetched(notice="삭제된 게시물"),
            True,
            None,
            "live",
        ),  # a notice beside the term
        ("reported", "page", _fetched(), True, None, "live"),
        (
            "reported",
            "page",
            _fetched(notice="message-missing", text=""),
            False,
            "removed",
            "removed:message-missing",
        ),
        (
            "reported",
            "page",
            _fetched(notice="no-public-preview", text=""),
            False,
            "removed",
            "removed:no-public-preview",
        ),
        ("reported", "page", _fetched("blocked"), False, None, "inconclusive:blocked"),
        ("reported", "page", _fetched("unreachable"), False, None, "inconclusive:unreachable"),
        ("reported", "page", _fetched("robots-disallowed"), False, None, "inconclusive:robots-disallowed"),
        ("removed", "page", _fetched(), True, "reappeared", "reappeared"),
        ("removed", "page", _fetched(), False, None, "still-removed:term-gone"),
        ("removed", "page", _fetched("http-404"), False, None, "still-removed:http-404"),
        ("removed", "page", _fetched("blocked"), False, None, "inconclusive:blocked"),
    ],
)
def test_recheck_verdicts(
    status: str, confidence: str, fetched: ExposureFetched, term: bool, action: str | None, outcome: str
) -> None:
    verdict = judge(_exposure(status, confidence), fetched, term)
    assert (verdict.action, verdict.outcome) == (action, outcome)
    assert len(verdict.outcome) <= 32


@pytest.mark.parametrize(
    ("headers", "refusal"),
    [
        ({"content-type": "text/html; charset=utf-8"}, None),
        ({"content-type": "application/javascript"}, None),
        ({"content-type": "application/json", "content-length": "120"}, None),
        ({}, None),
        ({"content-type": "video/mp4"}, "media"),
        ({"content-type": "image/jpeg"}, "media"),
        ({"content-type": "application/octet-stream"}, "media"),
        ({"content-type": "text/html", "content-length": str(5 * 1024 * 1024)}, "too-large"),
    ],
)
def test_browser_response_guard(headers: dict[str, str], refusal: str | None) -> None:
    assert refuse_response(headers, 4 * 1024 * 1024) == refusal


def test_a_page_is_read_whole_when_a_term_is_newer_than_its_last_visit() -> None:
    from crawler.page_run import PageRun, newest_terms
    from storage.cases import TermView
    from storage.targets_state import TargetState

    def term(case_id: int, added: datetime) -> TermView:
        return TermView(1, case_id, "name", "x", (), (), True, added)

    def target(case_id: int | None, checked: datetime | None) -> TargetState:
        return TargetState(
            1, case_id, "https://example.org/", "web", False, None, None, None, None, checked, None
        )

    # no context: the code under test never reads it.
    run = PageRun(context=None)  # type: ignore[arg-type]
    run.newest_term = newest_terms([term(1, NOW - timedelta(days=3)), term(2, NOW)])
    assert run.full_read(target(None, None))  # never visited
    assert run.full_read(target(None, NOW - timedelta(days=1)))  # case 2's term is newer
    assert not run.full_read(target(1, NOW - timedelta(days=1)))  # case 1's terms are all older
    assert run.full_read(target(2, NOW - timedelta(hours=1)))
    assert not run.full_read(target(2, NOW + timedelta(hours=1)))


def test_the_most_convincing_match_per_case_wins() -> None:
    from crawler.page_matches import best_per_case
    from matching import Match

    def match(case_id: int, level: str, confidence: float, start: int) -> Match:
        return Match(case_id, 1, "x", "name", "exact", start, start + 3, "홍길동", confidence, level, ())

    best = best_per_case(
        [
            match(1, "low", 0.5, 0),
            match(1, "high", 0.9, 40),
            match(1, "high", 0.9, 10),
            match(2, "low", 0.55, 5),
        ]
    )
    assert best[1].start == 10 and best[2].start == 5
