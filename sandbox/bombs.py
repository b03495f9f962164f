"""Decompression bombs: about 1 MiB (or less) on the wire, 1 GiB of zeros once decoded.

Built once per process on first use and kept in memory. Compressing 1 GiB with zlib takes several
seconds, so the deflate stream is one full-flushed block of 1 MiB of zeros repeated 1024 times: a
full flush resets the compressor's history, so every block is byte-identical and valid to repeat.
"""

from __future__ import annotations

import functools
import struct
import threading
import zlib

import brotli

EXPANDED_SIZE = 1 << 30
_BLOCK = 1 << 20
_lock = threading.Lock()
_cache: dict[str, bytes] = {}


@functools.lru_cache(maxsize=1)
def _raw_deflate() -> tuple[bytes, int, int]:
    """Raw deflate of 1 GiB of zeros, with its CRC-32 and Adler-32; gzip and deflate wrap the same stream."""
    zeros = bytes(_BLOCK)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
    tail = compressor.flush(zlib.Z_FINISH)
    crc = 0
    for _ in range(EXPANDED_SIZE // _BLOCK):
        crc = zlib.crc32(zeros, crc)
    # Adler-32 of n zero bytes: the running sum stays 1, so the second sum is n (mod 65521).
    adler = ((EXPANDED_SIZE % 65521) << 16) | 1
    return block * (EXPANDED_SIZE // _BLOCK) + tail, crc, adler


def _build(kind: str) -> bytes:
    if kind == "brotli":
        compressor = brotli.Compressor(quality=1)
        zeros = bytes(_BLOCK)
        parts = [compressor.process(zeros) for _ in range(EXPANDED_SIZE // _BLOCK)]
        return b"".join(parts) + bytes(compressor.finish())
    stream, crc, adler = _raw_deflate()
    if kind == "gzip":
        header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
        return header + stream + struct.pack("<II", crc, EXPANDED_SIZE & 0xFFFFFFFF)
    if kind == "deflate":
        # HTTP "deflate" is the zlib format (RFC 9110 8.4.1.2), not a raw deflate stream.
        return b"\x78\xda" + stream + struct.pack(">I", adler)
    raise ValueError(f"unknown bomb {kind!r}")


def bomb(kind: str) -> bytes:
    """The compressed body for `gzip`, `deflate` or `brotli`."""
    with _lock:
        if kind not in _cache:
            _cache[kind] = _build(kind)
        return _cache[kind]
