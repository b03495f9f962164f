"""Near-duplicate fingerprints of page or message text (64-bit SimHash), as pure functions.

A removed post often comes back as a copy: same text, another URL, a changed view counter. A SimHash
over character shingles changes by only a few bits for such a copy and by about half its bits for
unrelated text, so "Hamming distance <= 3 of 64" finds re-uploads without keeping the text.

Shingles are hashed with keyed BLAKE2b when a key is given: without the key, someone holding a copy
of the database cannot fingerprint a page they know and test whether it is being watched.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter

BITS = 64
HEX_LENGTH = BITS // 4
SHINGLE_SIZE = 4
# Fewer shingles than this and a few changed characters move many bits: no fingerprint at all.
MIN_SHINGLES = 16
DEFAULT_THRESHOLD = 3

_DIGITS = re.compile(r"\d+(?:[.,:/-]\d+)*")  # 1,532 · 2026.11.20 · 03:12
_NOT_WORD = re.compile(r"[\W_]+")
_HEX = re.compile(r"[0-9a-f]{16}")


class FingerprintError(ValueError):
    """The text is too short to fingerprint reliably, or a fingerprint is not 16 hex digits."""


def normalise(text: str) -> str:
    """Letters and digits only, case-folded, each number (1,532 or 2026.11.20) as one `0`, no spaces.

    View counters and dates change between copies; spacing differs between Korean spellings of
    one sentence ("홍길동 영상" / "홍길동영상"): neither should change the fingerprint.
    """
    folded = unicodedata.normalize("NFKC", text).casefold()
    return _NOT_WORD.sub("", _DIGITS.sub("0", folded))


def shingles(text: str, size: int = SHINGLE_SIZE) -> Counter[str]:
    norm = normalise(text)
    return Counter(norm[i : i + size] for i in range(len(norm) - size + 1))


def fingerprint(text: str, key: bytes = b"") -> str:
    """The 64-bit SimHash of `text` as 16 lower-case hex digits; `FingerprintError` if too short."""
    features = shingles(text)
    if sum(features.values()) < MIN_SHINGLES:
        raise FingerprintError(f"text too short to fingerprint (needs {MIN_SHINGLES} shingles)")
    weights = [0] * BITS
    for shingle, count in features.items():
        value = int.from_bytes(
            hashlib.blake2b(shingle.encode("utf-8"), digest_size=8, key=key).digest(), "big"
        )
        for bit in range(BITS):
            weights[bit] += count if value >> bit & 1 else -count
    result = 0
    for bit in range(BITS):
        if weights[bit] > 0:
            result |= 1 << bit
    return f"{result:016x}"


def try_fingerprint(text: str | None, key: bytes = b"") -> str | None:
    """`fingerprint`, or None for missing or too-short text (the crawler's convenience)."""
    if not text:
        return None
    try:
        return fingerprint(text, key)
    except FingerprintError:
        return None


def _value(fp: str) -> int:
    if not isinstance(fp, str) or not _HEX.fullmatch(fp):
        raise FingerprintError("a fingerprint is 16 lower-case hex digits")
    return int(fp, 16)


def check(fp: str) -> str:
    """Return `fp` if it is a well-formed fingerprint, else raise `FingerprintError`."""
    _value(fp)
    return fp


def distance(a: str, b: str) -> int:
    """Hamming distance between two fingerprints: 0 (same) to 64."""
    return (_value(a) ^ _value(b)).bit_count()


def similar(a: str, b: str, threshold: int = DEFAULT_THRESHOLD) -> bool:
    """Near-duplicates: at most `threshold` of the 64 bits differ."""
    return distance(a, b) <= threshold
