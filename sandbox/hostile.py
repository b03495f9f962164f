"""Pages built to hurt a crawler, under /hostile/: each must be rejected with memory bounded."""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator

from sandbox.bombs import bomb
from sandbox.exchange import Request, Response, html_response, not_found, text_response

HUGE_SIZE = 50 * 1024 * 1024
NESTING_DEPTH = 100_000
SLOW_BYTES = 600  # at one byte a second: ten minutes, far past any sane timeout
_CHUNK = 64 * 1024

_KOREAN = (
    "<html><head><title>가나다고 소식</title></head>"
    "<body><p>홍길동 가나다고 학생 소식입니다. 학교 축제 안내.</p></body></html>"
)

INJECTION_HTML = """<!DOCTYPE html>
<html lang="ko"><head><meta charset="utf-8">
<title><script>alert(1)</script> 홍길동 {{7*7}}</title></head>
<body>
  <article>
    <h1>&lt;script&gt;alert(1)&lt;/script&gt; 홍길동 {{7*7}} ${7*7}</h1>
    <p>=HYPERLINK("http://evil.example","x") 홍길동 가나다고 합성 요청</p>
    <p>+cmd|' /C calc'!A0 @SUM(1+1) -2+3 &lt;img src=x onerror=alert(1)&gt;</p>
    <p><a href="javascript:alert(1)">홍길동 자료</a></p>
  </article>
  <script>alert(1)</script>
</body></html>
"""


def _bomb(kind: str, encoding: str) -> Callable[[Request], Response]:
    def route(request: Request) -> Response:
        headers = [("Content-Type", "text/html; charset=utf-8"), ("Content-Encoding", encoding)]
        return Response(200, headers, bomb(kind))

    return route


def _huge(request: Request) -> Response:
    """50 MB of HTML, streamed; without Content-Length unless `?length=1`, so the size shows only while
    reading."""
    paragraph = "<p>가상 커뮤니티 자유게시판 글입니다. 아무 내용 없는 긴 글. filler text.</p>\n".encode()
    chunk = (paragraph * (_CHUNK // len(paragraph) + 1))[:_CHUNK]
    head = b"<!DOCTYPE html><html><head><meta charset='utf-8'><title>huge</title></head><body>\n"
    tail = "<p>홍길동 가나다고</p></body></html>\n".encode()

    def chunks() -> Iterator[bytes]:
        yield head
        sent = len(head)
        while sent + _CHUNK + len(tail) <= HUGE_SIZE:
            yield chunk
            sent += _CHUNK
        yield chunk[: HUGE_SIZE - sent - len(tail)]
        yield tail

    length = HUGE_SIZE if request.param("length") == "1" else None
    return Response(200, [("Content-Type", "text/html; charset=utf-8")], chunks(), length=length)


def _slow(request: Request) -> Response:
    """Headers at once, then one byte a second."""
    body = (b"<html><body><p>" + b"." * SLOW_BYTES)[:SLOW_BYTES]
    return Response(
        200,
        [("Content-Type", "text/html; charset=utf-8")],
        (body[i : i + 1] for i in range(len(body))),
        length=len(body),
        interval=1.0,
    )


def _nested(request: Request) -> Response:
    html = (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>nested</title></head><body>"
        + "<div>" * NESTING_DEPTH
        + "홍길동 가나다고"
        + "</div>" * NESTING_DEPTH
        + "</body></html>"
    )
    return html_response(200, html)


def _bad_utf8(request: Request) -> Response:
    # Valid text around every kind of invalid sequence: stray continuation, overlong, surrogate,
    # truncated multi-byte, bytes that never occur in UTF-8.
    body = (
        "<html><head><meta charset='utf-8'><title>깨진 글자</title></head><body><p>홍길동 ".encode()
        + b"\x80\xbf \xc0\xaf \xed\xa0\x80 \xe1\x84 \xff\xfe "
        + "가나다고</p><p>".encode()
        + "끝".encode()[:2]
        + b"</p></body></html>"
    )
    return Response(200, [("Content-Type", "text/html; charset=utf-8")], body)


def _lying(declared: str, actual: str) -> Callable[[Request], Response]:
    def route(request: Request) -> Response:
        html = _KOREAN.replace("<head>", f"<head><meta charset='{declared}'>")
        return Response(200, [("Content-Type", f"text/html; charset={declared}")], html.encode(actual))

    return route


def _injection(request: Request) -> Response:
    return html_response(200, INJECTION_HTML)


DISGUISED_SIZE = 3 * 1024 * 1024
# A video's metadata may carry the name it is titled with: a crawler that reads it would "find" it.
_MP4_HEAD = (
    b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"
    + b"\x00\x00\x00\x30udta\x00\x00\x00\x28\xa9nam"
    + "홍길동 가나다고 영상".encode()
)
_PNG_HEAD = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x04\x00" + "tEXt 홍길동 가나다고".encode()
# (Content-Type, prefix, container head, Content-Encoding): media mislabelled as text, behind a prefix.
_DISGUISES: dict[str, tuple[str, bytes, bytes, str]] = {
    "disguised-mp4-whitespace": ("text/html; charset=utf-8", b"\r\n\r\n   \t\n", _MP4_HEAD, ""),
    "disguised-mp4-bom": ("text/plain; charset=utf-8", b"\xef\xbb\xbf", _MP4_HEAD, ""),
    "disguised-png-junk": ("text/html", b"<!-- -->\n", _PNG_HEAD, ""),
    "disguised-mp4-gzip": ("text/html; charset=utf-8", b"\n\n", _MP4_HEAD, "gzip"),
}


def _disguised(name: str) -> Callable[[Request], Response]:
    """3 MB of "video" (or an image): under DOWNLOAD_MAXSIZE, so only sniffing the first bytes stops it.

    `?mb=N` serves N MiB instead (a browser's socket buffers swallow a few MiB before it can hang up).
    """
    content_type, prefix, head, coding = _DISGUISES[name]

    def route(request: Request) -> Response:
        # Not zeros only: compressed video looks like noise, with few control bytes and no signature.
        noise = bytes((i * 151 + 7) % 256 for i in range(_CHUNK))

        mb = request.param("mb") or ""
        size = min(int(mb), 64) * 1024 * 1024 if mb.isdigit() else DISGUISED_SIZE

        def plain() -> Iterator[bytes]:
            yield prefix + head
            for _ in range(size // _CHUNK):
                yield noise

        headers = [("Content-Type", content_type)]
        if not coding:
            return Response(200, headers, plain())

        def encoded() -> Iterator[bytes]:
            compressor = zlib.compressobj(wbits=31)  # gzip
            for chunk in plain():
                yield compressor.compress(chunk) + compressor.flush(zlib.Z_SYNC_FLUSH)
            yield compressor.flush()

        return Response(200, [*headers, ("Content-Encoding", coding)], encoded())

    return route


def _storm(request: Request) -> Response:
    return text_response(429, "Too Many Requests\n", [("Retry-After", "1")])


ROUTES: dict[str, Callable[[Request], Response]] = {
    "gzip-bomb": _bomb("gzip", "gzip"),
    "deflate-bomb": _bomb("deflate", "deflate"),
    "brotli-bomb": _bomb("brotli", "br"),
    "huge": _huge,
    "slow": _slow,
    "nested": _nested,
    "bad-utf8": _bad_utf8,
    # EUC-KR bytes declared as UTF-8, then as ISO-8859-1; and UTF-8 bytes declared as ISO-8859-1.
    "lying-charset": _lying("utf-8", "euc-kr"),
    "lying-charset-latin1": _lying("iso-8859-1", "euc-kr"),
    "lying-charset-utf8-as-latin1": _lying("iso-8859-1", "utf-8"),
    "injection": _injection,
    "storm": _storm,
    **{name: _disguised(name) for name in _DISGUISES},
}


def handle(request: Request) -> Response:
    route = ROUTES.get(request.path.removeprefix("/hostile/").strip("/"))
    return route(request) if route else not_found()
