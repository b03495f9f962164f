"""What a fetched page says about itself, as pure functions: gone, blocked, or a removal notice.

Shared by the page stage (how a watched target ended), verification and removal re-checks. Every
reason is a short named slug (stored on the target or in an evidence row, shown in reports); the
mapping to a source outcome decides how the run report counts it: a blocked or unreachable page is
never "nothing new".
"""

from __future__ import annotations

import re
import unicodedata

from crawler.sources.base import Outcome

# A named reason -> (how the source tally counts it (None: fine), a sentence for people).
REASONS: dict[str, tuple[Outcome | None, str]] = {
    "ok": (None, "read"),
    "unchanged": (None, "not changed since the last visit"),
    "robots-disallowed": (Outcome.ERROR, "robots.txt does not allow this page"),
    "robots-unreachable": (Outcome.UNREACHABLE, "robots.txt could not be read (server error or unreachable)"),
    "media-refused": (Outcome.ERROR, "the address serves media, which is never downloaded"),
    "not-text": (Outcome.ERROR, "the page is not text"),
    "too-large": (Outcome.ERROR, "the page is larger than the download limit"),
    "too-many-redirects": (Outcome.ERROR, "too many redirects"),
    "unsafe-address": (
        Outcome.ERROR,
        (
            "refused by the address gate (a private address or a bad URL; only the sandbox may set "
            "[network] allow_private_addresses = true)"
        ),
    ),
    "http-404": (Outcome.ERROR, "the page is gone (404)"),
    "http-410": (Outcome.ERROR, "the page is gone (410)"),
    "http-error": (Outcome.ERROR, "the server refused the request (4xx)"),
    "blocked": (Outcome.BLOCKED, "the site blocks us (403/429 or a challenge page)"),
    "unreachable": (Outcome.UNREACHABLE, "the server did not answer (timeout, DNS, connection or 5xx)"),
    "no-public-preview": (Outcome.ERROR, "the channel has no public preview"),
    "source-disabled": (Outcome.ERROR, "[sources.telegram] is disabled"),
    "render-failed": (Outcome.ERROR, "the browser could not render the page"),
    "error": (Outcome.ERROR, "unexpected error"),
}

BLOCK_STATUSES = frozenset({401, 403, 407, 429, 451})
GONE_STATUSES = frozenset({404, 410})

# Markers only a challenge or block page carries; enough on their own.
_STRONG_BLOCK_MARKERS = (
    'id="challenge-form"',
    "id='challenge-form'",
    'id="challenge-running"',
    "cf-chl-",
    "cf_chl_opt",
    "cf-turnstile",
    "/cdn-cgi/challenge-platform/",
    "<title>just a moment",
    "<title>attention required",
    "<title>access denied",
)
# Markers a real page may also carry (a comment form's captcha): only on a page with little text.
_WEAK_BLOCK_MARKERS = (
    "captcha",
    "verify you are human",
    "are you a robot",
    "unusual traffic",
    "사람인지 확인",
    "자동입력 방지",
    "자동 입력 방지",
    "비정상적인 접근",
    "접근이 차단",
    "접근이 제한",
)
_SHORT_PAGE = 1500
# Challenge pages are small; their markers sit near the top.
_BLOCK_SCAN = 64 * 1024

# Phrases a site shows where a post used to be (compared case- and space-insensitively).
REMOVAL_NOTICES = (
    "삭제된 게시물",
    "삭제된 게시글",
    "존재하지 않는 게시물",
    "존재하지 않는 게시글",
    "게시물이 삭제되었습니다",
    "게시글이 삭제되었습니다",
    "삭제되었거나 존재하지 않는",
    "페이지를 찾을 수 없습니다",
    "this post was deleted",
    "this post has been deleted",
    "this post has been removed",
    "page not found",
    "content is no longer available",
    "this content isn't available",
    "this page isn't available",
    "post not found",
)
_FOLD_SPACES = re.compile(r"\s+")


def tally_outcome(reason: str) -> Outcome | None:
    """How a source tally counts a reason (None: a good visit); unknown reasons are errors."""
    return REASONS.get(reason, (Outcome.ERROR, ""))[0]


def describe(reason: str) -> str:
    return REASONS.get(reason, (Outcome.ERROR, reason))[1]


def status_reason(status: int) -> str | None:
    """The named reason for an HTTP status that is not a readable page, or None (2xx, 304)."""
    if 200 <= status < 300 or status == 304:
        return None
    if status in GONE_STATUSES:
        return f"http-{status}"
    if status in BLOCK_STATUSES:
        return "blocked"
    if status >= 500 or status == 408:
        return "unreachable"
    return "http-error"


def status_detail(reason: str, status: int) -> str | None:
    """The status, when the reason does not already say it (http-404 does, blocked does not)."""
    return None if reason == f"http-{status}" else f"HTTP {status}"


def _fold(text: str) -> str:
    return _FOLD_SPACES.sub(" ", unicodedata.normalize("NFKC", text).casefold())


def is_block_page(raw_html: str, visible_text: str) -> bool:
    """Whether a 200 page is a challenge, CAPTCHA or block page rather than the content."""
    head = raw_html[:_BLOCK_SCAN].lower()
    if any(marker in head for marker in _STRONG_BLOCK_MARKERS):
        return True
    if len(visible_text) > _SHORT_PAGE:
        return False
    folded = _fold(visible_text)
    return any(marker in head or marker in folded for marker in _WEAK_BLOCK_MARKERS)


def removal_notice(title: str, visible_text: str) -> str | None:
    """The removal notice a page shows (one of REMOVAL_NOTICES), or None."""
    folded = _fold(f"{title}\n{visible_text[:20_000]}")
    squeezed = folded.replace(" ", "")
    for phrase in REMOVAL_NOTICES:
        if phrase in folded or phrase.replace(" ", "") in squeezed:
            return phrase
    return None
