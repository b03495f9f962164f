"""Hostile endpoints respond as described; bombs are checked by their headers and first bytes only."""

from __future__ import annotations

import time
import zlib

import brotli
import pytest

from sandbox.bombs import EXPANDED_SIZE
from sandbox.hostile import HUGE_SIZE, NESTING_DEPTH
from sandbox.probe import fetch
from sandbox.server import SandboxServer


def first_bytes(encoding: str, compressed: bytes, limit: int = 1 << 20) -> bytes:
    if encoding == "br":
        return bytes(brotli.Decompressor().process(compressed, output_buffer_limit=limit))
    wbits = {"gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}[encoding]
    return zlib.decompressobj(wbits).decompress(compressed, limit)


@pytest.mark.parametrize(
    "name, encoding", [("gzip-bomb", "gzip"), ("deflate-bomb", "deflate"), ("brotli-bomb", "br")]
)
def test_bombs_are_small_on_the_wire_and_expand_to_zeros(
    sandbox: SandboxServer, name: str, encoding: str
) -> None:
    bomb = fetch(f"{sandbox.url}/hostile/{name}", limit=64 * 1024)
    assert bomb.status == 200
    assert bomb.headers["Content-Encoding"] == encoding
    assert bomb.headers.get_content_type() == "text/html"
    assert int(bomb.headers["Content-Length"]) < 2 * 1024 * 1024 < EXPANDED_SIZE
    expanded = first_bytes(encoding, bomb.body)
    # The limit is a floor for brotli's output buffer, not an exact size.
    assert 1 << 20 <= len(expanded) <= 4 << 20 and expanded.count(0) == len(expanded)


def test_huge_page_streams_without_length(sandbox: SandboxServer) -> None:
    sandbox.reset()
    huge = fetch(f"{sandbox.url}/hostile/huge", limit=1 << 20)
    assert huge.status == 200 and huge.headers.get_content_type() == "text/html"
    assert "Content-Length" not in huge.headers and len(huge.body) == 1 << 20
    assert sandbox.wait_idle()
    assert sandbox.bytes_served("/hostile/huge") < HUGE_SIZE // 2
    declared = fetch(f"{sandbox.url}/hostile/huge?length=1", limit=16)
    assert int(declared.headers["Content-Length"]) == HUGE_SIZE


def test_slow_drip_sends_a_byte_a_second(sandbox: SandboxServer) -> None:
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        fetch(f"{sandbox.url}/hostile/slow", timeout=0.5, limit=10)
    assert time.monotonic() - started < 2


def test_nested_page_is_deep(sandbox: SandboxServer) -> None:
    nested = fetch(f"{sandbox.url}/hostile/nested").text
    assert nested.count("<div>") == NESTING_DEPTH == nested.count("</div>")


def test_bad_utf8_is_declared_utf8(sandbox: SandboxServer) -> None:
    page = fetch(f"{sandbox.url}/hostile/bad-utf8")
    assert page.headers.get_content_charset() == "utf-8"
    with pytest.raises(UnicodeDecodeError):
        page.body.decode("utf-8")
    assert "홍길동" in page.body.decode("utf-8", "replace")


@pytest.mark.parametrize(
    "path, declared, actual",
    [
        ("lying-charset", "utf-8", "euc-kr"),
        ("lying-charset-latin1", "iso-8859-1", "euc-kr"),
        ("lying-charset-utf8-as-latin1", "iso-8859-1", "utf-8"),
    ],
)
def test_lying_charsets(sandbox: SandboxServer, path: str, declared: str, actual: str) -> None:
    page = fetch(f"{sandbox.url}/hostile/{path}")
    assert page.headers.get_content_charset() == declared
    assert "홍길동" in page.body.decode(actual)
    assert "홍길동" not in page.body.decode(declared, "replace")


def test_injection_page_names_the_persona(sandbox: SandboxServer) -> None:
    text = fetch(f"{sandbox.url}/hostile/injection").text
    for payload in (
        "<title><script>alert(1)</script> 홍길동 {{7*7}}</title>",
        '=HYPERLINK("http://evil.example","x")',
    ):
        assert payload in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; 홍길동" in text


def test_storm_is_always_429(sandbox: SandboxServer) -> None:
    for _ in range(3):
        storm = fetch(f"{sandbox.url}/hostile/storm")
        assert storm.status == 429 and storm.headers["Retry-After"] == "1"
