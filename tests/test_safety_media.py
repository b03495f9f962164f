"""The media guard (T7): media URLs never requested, non-text downloads stopped at headers or first bytes."""

from __future__ import annotations

import pytest
from scrapy.exceptions import IgnoreRequest, StopDownload
from scrapy.http import Headers, HtmlResponse, Request
from scrapy.settings import Settings

from crawler.safety.errors import MediaStoppedError, RefusedRequestError
from crawler.safety.media import (
    MediaGuardExtension,
    MediaGuardMiddleware,
    is_media_url,
    is_text_content_type,
    looks_like_media,
    verify_no_media_pipelines,
)
from crawler.safety.sniff import SNIFF_WINDOW


class Stats:
    def __init__(self) -> None:
        self.values: dict[str, int] = {}

    def inc_value(self, key: str, count: int = 1) -> None:
        self.values[key] = self.values.get(key, 0) + count


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/a/photo.jpg",
        "https://example.com/a/PHOTO.JPEG?w=100",
        "https://example.com/a/pic.webp#x",
        "https://example.com/v/clip.mp4",
        "https://example.com/v/clip.MOV",
        "https://example.com/live/index.m3u8",
        "https://example.com/live/seg-001.ts",
        "https://example.com/a/song.mp3",
        "https://example.com/files/all.zip",
        "https://example.com/files/all.tar.gz",
        "https://example.com/doc/report.pdf",
        "https://example.com/doc/report.docx",
        "https://example.com/doc/report.hwp",
        "https://example.com/app/setup.exe",
        "https://example.com/app/app.apk",
        "https://example.com/f/font.woff2",
        "https://example.com/icon.svg",
        "https://example.com/favicon.ico",
        "https://example.com/a/photo%2Ejpg",
        "https://example.com/a/photo.jpg;jsessionid=1",
        "https://example.com/a/photo.jpg/",
        "https://cdn4.telesco.pe/file/abc.jpg",
    ],
)
def test_media_urls(url: str) -> None:
    assert is_media_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/",
        "https://example.com/page.html",
        "https://example.com/page.php?img=photo.jpg",
        "https://example.com/file/12345",
        "https://example.com/video/12345",
        "https://example.com/photo/view",
        "https://example.com/jpg",
        "https://example.com/a.jpg.html",
        "https://t.me/s/channel",
        "https://example.com/feed.xml",
        "https://example.com/api.json",
        "not a url",
        "http://[::1/broken.jpg",
    ],
)
def test_not_media_urls(url: str) -> None:
    assert not is_media_url(url)


@pytest.mark.parametrize(
    ("content_type", "text"),
    [
        (None, True),
        ("", True),
        (b"", True),
        ("text/html", True),
        ("text/html; charset=utf-8", True),
        (b"TEXT/HTML;charset=EUC-KR", True),
        ("text/plain", True),
        ("application/xhtml+xml", True),
        ("application/xml", True),
        ("application/json", True),
        ("application/json; charset=utf-8", True),
        ("application/rss+xml", True),
        ("application/atom+xml", True),
        ("application/ld+json", True),
        ("application/vnd.api+json", True),
        ("image/jpeg", False),
        ("image/svg+xml", False),
        ("video/mp4", False),
        ("audio/mpeg", False),
        ("application/octet-stream", False),
        ("application/pdf", False),
        ("application/zip", False),
        ("application/vnd.apple.mpegurl", False),
        ("multipart/x-mixed-replace; boundary=frame", False),
        ("font/woff2", False),
    ],
)
def test_text_content_types(content_type: str | bytes | None, text: bool) -> None:
    assert is_text_content_type(content_type) is text


@pytest.mark.parametrize(
    ("head", "media"),
    [
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", True),
        (b"\x89PNG\r\n\x1a\n\x00\x00", True),
        (b"GIF89a\x01\x00", True),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", True),
        (b"\x00\x00\x00\x18ftypmp42", True),
        (b"\x1aE\xdf\xa3\x01\x00", True),
        (b"ID3\x04\x00", True),
        (b"%PDF-1.7\n", True),
        (b"PK\x03\x04\x14\x00", True),
        (b"<!doctype html><html>", False),
        (b'{"items": []}', False),
        # gzip bytes with no Content-Encoding are an archive (a coding is decoded before sniffing).
        (b"\x1f\x8b\x08\x00", True),
        (b"\xef\xbb\xbf<html>", False),
        (b"", False),
    ],
)
def test_media_signatures(head: bytes, media: bool) -> None:
    assert looks_like_media(head) is media


def test_middleware_never_sends_a_media_request() -> None:
    stats = Stats()
    # `stats`: a stand-in for Scrapy's stats collector.
    middleware = MediaGuardMiddleware(stats)  # type: ignore[arg-type]
    with pytest.raises(RefusedRequestError) as excinfo:
        middleware.process_request(Request("https://example.com/p.jpg?q=VICTIM"))
    assert excinfo.value.rule == "media_url"
    assert isinstance(excinfo.value, IgnoreRequest)
    assert "VICTIM" not in str(excinfo.value)
    # None lets the request through: the return value is what is under test.
    assert middleware.process_request(Request("https://example.com/p.html")) is None  # type: ignore[func-returns-value]
    assert stats.values == {"jikimi/media/refused": 1}


def test_extension_stops_non_text_at_the_headers() -> None:
    stats = Stats()
    # `stats`: a stand-in for Scrapy's stats collector.
    extension = MediaGuardExtension(stats)  # type: ignore[arg-type]
    request = Request("https://example.com/v.html")
    extension.headers_received(Headers({"Content-Type": "text/html"}), 100, request, spider=None)
    extension.headers_received(Headers({}), 100, request, spider=None)
    with pytest.raises(MediaStoppedError) as excinfo:
        extension.headers_received(Headers({"Content-Type": "video/mp4"}), 20_000_000, request, spider=None)
    stop = excinfo.value
    assert isinstance(stop, StopDownload) and isinstance(stop, IgnoreRequest)
    assert stop.fail is True  # the errback runs, with the truncated response in stop.response
    assert stop.rule == "media_content_type"
    assert str(stop) == "media content-type stopped"
    assert stats.values == {"jikimi/media/stopped": 1, "jikimi/media/stopped/content_type": 1}


def test_extension_stops_on_a_signature_spread_over_chunks() -> None:
    stats = Stats()
    # `stats`: a stand-in for Scrapy's stats collector.
    extension = MediaGuardExtension(stats)  # type: ignore[arg-type]
    request = Request("https://example.com/lying.html")
    extension.bytes_received(b"\x00\x00", request, spider=None)
    extension.bytes_received(b"\x00\x18", request, spider=None)
    with pytest.raises(MediaStoppedError) as excinfo:
        extension.bytes_received(b"ftypisom" + b"\x00" * 100, request, spider=None)
    assert excinfo.value.rule == "media_magic_bytes"
    # Text is left alone, and only the first bytes of a response are looked at.
    text_request = Request("https://example.com/page.html")
    extension.bytes_received(b"<html>" + b"a" * SNIFF_WINDOW, text_request, spider=None)
    extension.bytes_received(b"\xff\xd8\xff\xe0", text_request, spider=None)
    assert stats.values == {"jikimi/media/stopped": 1, "jikimi/media/stopped/magic_bytes": 1}


def test_middleware_refuses_a_rendered_page_that_was_media() -> None:
    stats = Stats()
    # `stats`: a stand-in for Scrapy's stats collector.
    middleware = MediaGuardMiddleware(stats)  # type: ignore[arg-type]
    request = Request("https://example.com/v.html")
    video = HtmlResponse(
        request.url, headers={"Content-Type": "video/mp4"}, body=b"<video>", flags=["playwright"]
    )
    with pytest.raises(RefusedRequestError) as excinfo:
        middleware.process_response(request, video)
    assert excinfo.value.rule == "media_browser_content_type"
    page = HtmlResponse(request.url, headers={"Content-Type": "text/html"}, body=b"<p>", flags=["playwright"])
    assert middleware.process_response(request, page) is page
    # The plain path has the headers_received guard; its responses pass through untouched here.
    plain = HtmlResponse(request.url, headers={"Content-Type": "video/mp4"}, body=b"")
    assert middleware.process_response(request, plain) is plain
    assert stats.values == {"jikimi/media/stopped": 1, "jikimi/media/stopped/browser_content_type": 1}


class TextPipeline:
    def process_item(self, item: object) -> object:
        return item


def test_media_pipelines_refuse_to_start() -> None:
    verify_no_media_pipelines(Settings({"ITEM_PIPELINES": {TextPipeline: 300}}))
    with pytest.raises(TypeError, match="ITEM_PIPELINES"):
        verify_no_media_pipelines(Settings({"ITEM_PIPELINES": {"scrapy.pipelines.files.FilesPipeline": 1}}))
