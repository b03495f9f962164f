"""Watched public pages under /web/ and the site's /robots.txt.

Stored pages carry an ETag and Last-Modified and answer 304 to a matching conditional request, so
re-checks can be cheap; `set_page` changes a page (and therefore its validators) at runtime.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import formatdate, parsedate_to_datetime

from sandbox import page_data
from sandbox.exchange import Request, Response, html_response, not_found, redirect_response, text_response

DISGUISED_SIZE = 20 * 1024 * 1024
_CHUNK = 64 * 1024
_KST = timezone(timedelta(hours=9))


@dataclass(frozen=True)
class Page:
    html: str
    last_modified: int  # whole seconds: HTTP dates have no finer resolution

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha256(self.html.encode("utf-8")).hexdigest()[:20] + '"'


def _initial_pages(now: int) -> dict[str, Page]:
    pages: dict[str, Page] = {}
    for number, post in page_data.FORUM_POSTS.items():
        written = now - number * 86400
        date_text = datetime.fromtimestamp(written, _KST).strftime("%Y.%m.%d %H:%M")
        pages[f"/web/forum/{number}"] = Page(page_data.forum_html(number, post, date_text), written)
    for path, html in (
        ("/web/", page_data.index_html()),
        ("/web/script-only", page_data.SCRIPT_ONLY_HTML),
        ("/web/gallery", page_data.GALLERY_HTML),
        ("/web/removed", page_data.REMOVED_HTML),
        ("/web/blocked", page_data.BLOCKED_HTML),
        ("/web/private/secret", page_data.PRIVATE_HTML),
    ):
        pages[path] = Page(html, now - 3600)
    return pages


def normalise_path(path: str) -> str:
    path = "/" + path.lstrip("/")
    if not path.startswith("/web/"):
        raise ValueError(f"page paths live under /web/, not {path!r}")
    return path


class PageStore:
    """Thread-safe pages and robots.txt; tests change them while a crawl reads them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pages = _initial_pages(int(time.time()))
        self._robots: tuple[int, str] = (200, page_data.ROBOTS_TXT)

    def get(self, path: str) -> Page | None:
        with self._lock:
            return self._pages.get(path)

    def set(self, path: str, html: str) -> None:
        path = normalise_path(path)
        with self._lock:
            previous = self._pages.get(path)
            # Strictly later than before, so If-Modified-Since alone also sees the change.
            stamp = int(time.time())
            if previous is not None:
                stamp = max(stamp, previous.last_modified + 1)
            self._pages[path] = Page(html, stamp)

    @property
    def robots(self) -> tuple[int, str]:
        with self._lock:
            return self._robots

    def set_robots(self, body: str, status: int = 200) -> None:
        with self._lock:
            self._robots = (status, body)


def robots(store: PageStore) -> Response:
    status, body = store.robots
    return text_response(status, body)


def handle(store: PageStore, request: Request) -> Response:
    path = request.path
    if path == "/web":
        path = "/web/"
    if path == "/web/gone":
        return html_response(404, page_data.GONE_HTML)
    if path == "/web/redirect-to":
        return _redirect(request)
    if path == "/web/disguised.html":
        return _disguised_video()
    page = store.get(path)
    if page is None:
        return not_found()
    return _conditional(page, request)


def _conditional(page: Page, request: Request) -> Response:
    validators = [
        ("ETag", page.etag),
        ("Last-Modified", formatdate(page.last_modified, usegmt=True)),
        ("Cache-Control", "no-cache"),
    ]
    if _not_modified(page, request):
        return Response(304, validators)
    return html_response(200, page.html, validators)


def _not_modified(page: Page, request: Request) -> bool:
    # RFC 9110 13.2.2: If-None-Match wins; If-Modified-Since counts only without it.
    if_none_match = request.header("if-none-match")
    if if_none_match is not None:
        tags = [tag.strip() for tag in if_none_match.split(",")]
        return "*" in tags or any(tag.removeprefix("W/") == page.etag for tag in tags)
    if_modified_since = request.header("if-modified-since")
    if if_modified_since:
        try:
            since = parsedate_to_datetime(if_modified_since)
        except (TypeError, ValueError):
            return False
        return since.tzinfo is not None and page.last_modified <= since.timestamp()
    return False


def _redirect(request: Request) -> Response:
    """Redirects anywhere it is told to: the SSRF tests need a public-looking hop to a private address."""
    target = request.param("u")
    if not target:
        return text_response(400, "missing u\n")
    status = request.param("status", "302") or "302"
    return redirect_response(target, int(status) if status in {"301", "302", "303", "307", "308"} else 302)


def _disguised_video() -> Response:
    """A page URL that answers with video: a client must stop once it sees the Content-Type."""

    def chunks() -> Iterator[bytes]:
        # An MP4 `ftyp` box first, so content sniffing also says video; zeros after that.
        head = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"
        yield head + bytes(_CHUNK - len(head))
        for _ in range(DISGUISED_SIZE // _CHUNK - 1):
            yield bytes(_CHUNK)

    return Response(200, [("Content-Type", "video/mp4")], chunks(), length=DISGUISED_SIZE)
