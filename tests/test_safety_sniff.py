"""Content sniffing (T7): media is recognised behind whitespace, a BOM or junk, and under a coding."""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Callable

import brotli
import pytest
from backports import zstd
from scrapy.http import Headers, HtmlResponse, Request

from crawler.safety.errors import MediaStoppedError, RefusedRequestError
from crawler.safety.media import MediaGuardExtension, MediaSniffMiddleware
from crawler.safety.sniff import SNIFF_WINDOW, HeadSniffer, media_kind

MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00\x00\x00\x08free" + bytes(range(256)) * 8
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4
PREFIXES = {
    "none": b"",
    "whitespace": b"\r\n\r\n  \t\n",
    "bom": b"\xef\xbb\xbf",
    "bom-and-space": b"\xef\xbb\xbf \n",
    "junk": b"<!--x-->",
    "html-junk": b"<html><body>" + b"x" * 200,
}


class Stats:
    def __init__(self) -> None:
        self.values: dict[str, int] = {}

    def inc_value(self, key: str, count: int = 1) -> None:
        self.values[key] = self.values.get(key, 0) + count


@pytest.mark.parametrize("prefix", list(PREFIXES))
@pytest.mark.parametrize("media", ["mp4", "png"])
def test_media_behind_a_short_prefix(prefix: str, media: str) -> None:
    body = PREFIXES[prefix] + (MP4 if media == "mp4" else PNG)
    assert media_kind(body) == media


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"   %PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "pdf"),
        (b"\xef\xbb\xbfGIF89a\x10\x00\x10\x00", "gif"),
        (b"\n\n\x1aE\xdf\xa3\x01\x00\x00\x00", "matroska"),
        (b"abc RIFF\x24\x00\x00\x00WEBPVP8 ", "riff"),
        (b"  ID3\x04\x00\x00\x00\x00", "mp3"),
        (b"\nOggS\x00\x02", "ogg"),
        (b"..PK\x03\x04\x14\x00", "zip"),
        (b"\x00\x00\x00\x14ftypqt  ", "mp4"),
        (b"\x00\x00\x00\x08wide\x00\x00\x01\x00mdat", "mp4"),
        (b"junk" + bytes(range(256)) * 2, "binary"),  # no signature, but plainly not text
        (b"\x00" * SNIFF_WINDOW, "binary"),
    ],
)
def test_signatures_and_binary_share(head: bytes, kind: str) -> None:
    assert media_kind(head) == kind


@pytest.mark.parametrize(
    "text",
    [
        b"<!doctype html><html><head><title>ftyp GIF89a %PDF-1.4 ID3 OggS</title></head><body>"
        + "홍길동 가나다고 ".encode() * 60,
        "<html><body>".encode("euc-kr") + "홍길동 가나다고 학생 소식입니다. ".encode("euc-kr") * 40,
        b'{"items": [' + b'{"a": "b\\u0000"}, ' * 60 + b"]}",
        "\ufeff<html>홍길동</html>".encode("utf-16"),  # UTF-16: half NULs, but a BOM says text
        b"<p>tab\tand form feed\x0c and escape \x1b[0m</p>" * 20,
        b"<p>one stray NUL \x00 in a page</p>" + b"a" * 600,
        b"",
        b"ok",
    ],
)
def test_text_is_not_media(text: bytes) -> None:
    assert media_kind(text, complete=True) is None
    assert media_kind(text) is None


def test_a_short_body_is_judged_by_its_share_only_once_complete() -> None:
    assert media_kind(b"\x00\x01\x02\x03\x04\x05\x06\x07") is None  # more may come, and it may be text
    assert media_kind(b"\x00\x01\x02\x03\x04\x05\x06\x07", complete=True) == "binary"


@pytest.mark.parametrize(
    ("coding", "encode"),
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("br", brotli.compress),
        ("zstd", zstd.compress),
    ],
)
def test_the_sniffer_decodes_a_coding_just_far_enough(coding: str, encode: Callable[[bytes], bytes]) -> None:
    encoded = encode(b"\n\n" + MP4 * 1000)
    sniffer = HeadSniffer(coding)
    kinds = [sniffer.feed(encoded[i : i + 7]) for i in range(0, min(len(encoded), 4000), 7)]
    assert "mp4" in kinds and sniffer.done
    text = HeadSniffer(coding)
    page = encode(b"<html>" + "홍길동 ".encode() * 2000)
    assert all(text.feed(page[i : i + 100]) is None for i in range(0, len(page), 100))


def test_an_unknown_coding_is_left_to_the_decoded_check() -> None:
    sniffer = HeadSniffer("compress")
    assert sniffer.feed(MP4) is None and sniffer.undecodable


def test_extension_stops_disguised_media_and_names_the_rule() -> None:
    stats = Stats()
    # `stats`: a stand-in for Scrapy's stats collector.
    extension = MediaGuardExtension(stats)  # type: ignore[arg-type]
    request = Request("https://example.com/v.html")
    extension.headers_received(Headers({"Content-Type": "text/plain"}), 3_000_000, request, spider=None)
    extension.bytes_received(b"\xef\xbb\xbf", request, spider=None)
    extension.bytes_received(b"  \n", request, spider=None)
    with pytest.raises(MediaStoppedError) as excinfo:
        extension.bytes_received(MP4[:40], request, spider=None)
    assert excinfo.value.rule == "media_magic_bytes"

    gzipped = Request("https://example.com/g.html")
    headers = Headers({"Content-Type": "text/html", "Content-Encoding": "gzip"})
    extension.headers_received(headers, 0, gzipped, spider=None)
    with pytest.raises(MediaStoppedError) as excinfo:
        extension.bytes_received(gzip.compress(b" " + PNG), gzipped, spider=None)
    assert excinfo.value.rule == "media_magic_bytes"

    noise = Request("https://example.com/n.html")
    extension.headers_received(Headers({"Content-Type": "text/html"}), 0, noise, spider=None)
    with pytest.raises(MediaStoppedError) as excinfo:
        extension.bytes_received(bytes(range(256)) * 4, noise, spider=None)
    assert excinfo.value.rule == "media_binary"
    assert stats.values == {
        "jikimi/media/stopped": 3,
        "jikimi/media/stopped/magic_bytes": 2,
        "jikimi/media/stopped/binary": 1,
    }


def test_middleware_sniffs_the_decoded_body() -> None:
    stats = Stats()
    # `stats`: a stand-in for Scrapy's stats collector.
    middleware = MediaSniffMiddleware(stats)  # type: ignore[arg-type]
    request = Request("https://example.com/v.html")
    video = HtmlResponse(request.url, headers={"Content-Type": "text/html"}, body=b" \n" + MP4)
    with pytest.raises(RefusedRequestError) as excinfo:
        middleware.process_response(request, video)
    assert excinfo.value.rule == "media_magic_bytes"
    page = HtmlResponse(request.url, headers={"Content-Type": "text/html"}, body="<p>홍길동</p>".encode())
    assert middleware.process_response(request, page) is page
    assert stats.values == {"jikimi/media/stopped": 1, "jikimi/media/stopped/magic_bytes": 1}


def test_the_binary_share_counts_only_controls_text_never_uses() -> None:
    text = b"a" * (SNIFF_WINDOW - 26)
    # 26 of 512 bytes (more than 5%) are controls no text uses: binary; one fewer is still text.
    assert media_kind(text + bytes([0x01, 0x0B, 0x0E, 0x1C, 0x1F, 0x08]) * 4 + b"\x00\x7f") is None
    assert media_kind(text + bytes([0x01, 0x0B, 0x0E, 0x1C, 0x1F, 0x08]) * 4 + b"\x00\x02") == "binary"
    # TAB, LF, FF, CR and ESC are text's own controls, however many there are.
    assert media_kind(b"\t\n\x0c\r\x1b" * (SNIFF_WINDOW // 5 + 1)) is None
