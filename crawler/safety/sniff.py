"""Content sniffing: whether the first bytes of a body are media, whatever its Content-Type says.

A server that wants a crawler to swallow a video labels it `text/html` and puts a few bytes in
front of the container signature (whitespace, a byte-order mark, junk), so a check at fixed
offsets misses it. Like a browser's sniffer (WHATWG MIME Sniffing) we skip leading whitespace and
BOMs, and go further: binary-anchored signatures (bytes no text page contains, such as PNG's
`\\x89PNG\\r\\n\\x1a\\n` or an MP4 box header) count anywhere in the first `SNIFF_WINDOW` bytes;
signatures made of printable ASCII (`%PDF-`, `GIF89a`) count only near the start, where a text page
would not have them; and a window with a high share of control bytes (which no text encoding but
UTF-16 produces) is binary, hence media, whatever its signature.

`HeadSniffer` collects the first bytes of a download as they arrive, decoding gzip, deflate, brotli
or zstd transfer codings just far enough to sniff what the page would receive.
"""

from __future__ import annotations

import re
import zlib
from typing import Protocol

import brotli
from backports import zstd

# Bytes looked at: signatures anywhere in here, control-byte share over all of it.
SNIFF_WINDOW = 512
# How far past the skipped prefix an ASCII-only signature may start ("a few bytes of junk").
NEAR_START = 32
# More than this share of control bytes in the window: binary. Text has none (a stray one at most);
# compressed media has about 27/256 (10.5 %), container headers and padding far more.
BINARY_SHARE = 0.05
# Below this many bytes a share means little: a tiny body is judged by its signatures only.
MIN_SHARE_BYTES = 64

_PREFIX = re.compile(rb"(?:\xef\xbb\xbf|\xfe\xff|\xff\xfe|[\t\n\x0c\r ])*")
_UTF16_BOMS = (b"\xfe\xff", b"\xff\xfe")

# (kind, pattern). Every pattern holds at least one byte a text page does not contain.
_ANYWHERE: tuple[tuple[str, re.Pattern[bytes]], ...] = tuple(
    (kind, re.compile(pattern, re.DOTALL))
    for kind, pattern in (
        ("jpeg", rb"\xff\xd8\xff"),
        ("png", rb"\x89PNG\r\n\x1a\n"),
        ("gif", rb"GIF8[79]a..[\x00-\x1f]"),  # the width's high byte: a control byte below 8192 px
        ("riff", rb"RIFF....(?:WEBP|AVI |WAVE)"),  # WebP, AVI, WAV
        ("mp4", rb"\x00...(?:ftyp|moov|mdat|wide|free|skip)"),  # MP4, MOV, HEIC, AVIF, 3GP, M4A
        ("matroska", rb"\x1a\x45\xdf\xa3"),  # Matroska, WebM (EBML)
        ("mp3", rb"ID3[\x02-\x04]\x00"),
        ("ogg", rb"OggS\x00"),
        ("flac", rb"fLaC[\x00\x80]"),
        ("flv", rb"FLV\x01"),
        ("mpeg", rb"\x00\x00\x01[\xba\xb3]"),
        ("asf", rb"\x30\x26\xb2\x75\x8e\x66\xcf\x11"),
        ("zip", rb"PK\x03\x04"),  # zip, office documents, APK, EPUB
        ("rar", rb"Rar!\x1a\x07"),
        ("7z", rb"7z\xbc\xaf\x27\x1c"),
        ("gzip", rb"\x1f\x8b\x08"),  # an archive: a gzip *transfer coding* is decoded before sniffing
        ("xz", rb"\xfd7zXZ\x00"),
        ("zstd", rb"\x28\xb5\x2f\xfd"),
        ("tiff", rb"II\*\x00|MM\x00\*"),
        ("ico", rb"\x00\x00[\x01\x02]\x00[\x01-\xff]\x00"),
        ("swf", rb"[FCZ]WS[\x01-\x2f]"),
    )
)
_NEAR_START: tuple[tuple[str, re.Pattern[bytes]], ...] = tuple(
    (kind, re.compile(pattern))
    for kind, pattern in (
        ("pdf", rb"%PDF-"),
        ("gif", rb"GIF8[79]a"),
        ("woff", rb"wOF[F2]"),
        ("mp4", rb"ftyp(?:isom|iso[2-9]|mp4[12v]|avc1|M4[AVP]|qt  |3gp|heic|heix|avif|mif1|msf1|dash)"),
    )
)
# WHATWG's "binary data bytes": controls that text never uses (not TAB, LF, FF, CR or ESC).
_BINARY_BYTES = frozenset([*range(0x09), 0x0B, *range(0x0E, 0x1B), *range(0x1C, 0x20)])
# The same bytes as a deletion table: counted in C (every response is sniffed twice, a byte-by-byte
# Python loop over the window was most of the sniff's cost).
_BINARY_DELETE = bytes(sorted(_BINARY_BYTES))


def media_kind(head: bytes, *, complete: bool = False) -> str | None:
    """What kind of media the first bytes of a body are ("png", "mp4", "binary", ...), or None for text.

    `head` is the body's first bytes (at most `SNIFF_WINDOW` are looked at). `complete` says the
    body ends there; otherwise the control-byte share is judged only on a full window.
    """
    window = head[:SNIFF_WINDOW]
    start = _PREFIX.match(window)
    skipped = start.end() if start else 0
    for kind, pattern in _ANYWHERE:
        if pattern.search(window):
            return kind
    near = window[skipped : skipped + NEAR_START + 16]
    for kind, pattern in _NEAR_START:
        found = pattern.search(near)
        if found is not None and found.start() <= NEAR_START:
            return kind
    if window.startswith(_UTF16_BOMS):
        return None  # UTF-16 text is half NUL bytes
    judged = window if len(window) >= SNIFF_WINDOW or complete else b""
    if len(judged) >= MIN_SHARE_BYTES or (complete and judged):
        binary = len(judged) - len(judged.translate(None, _BINARY_DELETE))
        if binary > BINARY_SHARE * len(judged) and binary >= 4:
            return "binary"
    return None


class _Decoder(Protocol):
    def __call__(self, data: bytes, limit: int) -> bytes: ...


def _zlib_decoder() -> _Decoder:
    # wbits 47: a zlib or gzip header, whichever the server sent ("deflate" is sometimes gzip).
    state = zlib.decompressobj(wbits=47)

    def decode(data: bytes, limit: int) -> bytes:
        return state.decompress(data, limit)

    return decode


def _brotli_decoder() -> _Decoder:
    state = brotli.Decompressor()

    def decode(data: bytes, limit: int) -> bytes:
        return bytes(state.process(data, output_buffer_limit=limit))

    return decode


def _zstd_decoder() -> _Decoder:
    state = zstd.ZstdDecompressor()

    def decode(data: bytes, limit: int) -> bytes:
        return bytes(state.decompress(data, max_length=limit))

    return decode


_DECODERS = {
    "gzip": _zlib_decoder,
    "x-gzip": _zlib_decoder,
    "deflate": _zlib_decoder,
    "br": _brotli_decoder,
    "zstd": _zstd_decoder,
}


class HeadSniffer:
    """Sniffs a download chunk by chunk: `feed` answers the media kind as soon as it is known.

    `content_encoding` is the response's Content-Encoding header; an unknown or stacked coding is
    not decoded here (`undecodable` is then True) and the body is sniffed once Scrapy decoded it.
    """

    def __init__(self, content_encoding: str = "") -> None:
        coding = content_encoding.strip().lower()
        self.head = b""
        self.done = False
        self.undecodable = False
        self._decode: _Decoder | None = None
        if coding and coding != "identity":
            factory = _DECODERS.get(coding)
            if factory is None:
                self.undecodable = True
                self.done = True
            else:
                self._decode = factory()

    def feed(self, data: bytes) -> str | None:
        if self.done:
            return None
        needed = SNIFF_WINDOW - len(self.head)
        if self._decode is None:
            chunk = data[:needed]
        else:
            try:
                chunk = self._decode(data, needed)
            except Exception:  # noqa: BLE001 - a broken coding fails in Scrapy's decoder; sniffed after
                self.undecodable = True
                self.done = True
                return None
        self.head += chunk[:needed]
        kind = media_kind(self.head)
        if kind is not None or len(self.head) >= SNIFF_WINDOW:
            self.done = True
        return kind
