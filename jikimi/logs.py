"""Logging that never prints a watch term, a query string or a credential.

Search URLs carry the victim's name in their query string and Scrapy logs every request URL, so
redaction happens in the formatter every handler uses: query strings and fragments are cut from
anything that looks like a URL, and registered secrets (terms, credentials) are masked wherever
they appear, tracebacks included, spaced, percent-encoded or punycoded. Host names are names too:
code that logs a host logs `host_tag(host)`, a short digest.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import sys
import threading
from collections.abc import Callable, Iterable
from urllib.parse import unquote_plus

_URL_QUERY = re.compile(r"(?P<base>\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s?#'\"<>]*)[?#][^\s'\"<>]*")
_QUERY_KEYS = re.compile(r"(?i)\b(q|query|text|uddg|key|api_key|client_secret|token)=[^\s&'\"]+")
# A token holding percent-escapes (a URL path, a form body): judged decoded.
_PERCENT_TOKEN = re.compile(r"[^\s'\"<>]*%[0-9A-Fa-f]{2}[^\s'\"<>]*")
# An IDNA label (a Korean host name on the wire): judged decoded.
_PUNYCODE_LABEL = re.compile(r"(?i)\bxn--[a-z0-9-]+")
# What a name may be spelled apart with ("홍 길 동", "hong.gil-dong", "gil_dong"): ignored when comparing.
_SEPARATORS = frozenset(" \t\r\n\f\v._-·・*+/|\u00a0\u3000")
MASK = "[redacted]"


def host_tag(host: str) -> str:
    """A host as a log line may name it: a short digest, since a host name can be a person's name."""
    digest = hashlib.sha256(host.strip().lower().rstrip(".").encode("utf-8")).hexdigest()
    return f"host#{digest[:10]}"


def _fold(char: str) -> str:
    lower = char.lower()
    return lower if len(lower) == 1 else char


def _compact(text: str) -> tuple[str, list[int]]:
    """`text` without separators, lower-cased, and the position in `text` of each remaining character."""
    chars: list[str] = []
    positions: list[int] = []
    for index, char in enumerate(text):
        if char not in _SEPARATORS:
            chars.append(_fold(char))
            positions.append(index)
    return "".join(chars), positions


def _decode_label(label: str) -> str:
    try:
        return label[4:].encode("ascii").decode("punycode")
    except (UnicodeError, ValueError):
        return label


class Redactor:
    """Masks URL query strings and every registered sensitive string, in every spelling a log line may use.

    A secret is compared with separators and case ignored, so spaced, dotted and hyphenated forms
    ("홍 길 동", "hong-gil.dong" in a host name) are masked too; percent-encoded tokens and punycode
    (IDNA) labels are decoded first. Callers register the other forms a term takes (romanizations).
    Lookup is by substring hashing per secret length: cheap however many terms are registered.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_length: dict[int, frozenset[str]] = {}
        self._lengths: tuple[int, ...] = ()

    def add(self, values: Iterable[str]) -> None:
        with self._lock:
            grouped: dict[int, set[str]] = {n: set(v) for n, v in self._by_length.items()}
            for value in values:
                key, _ = _compact(value.strip())
                if len(key) >= 2:
                    grouped.setdefault(len(key), set()).add(key)
            self._by_length = {n: frozenset(v) for n, v in grouped.items()}
            self._lengths = tuple(sorted(self._by_length, reverse=True))

    def clear(self) -> None:
        with self._lock:
            self._by_length = {}
            self._lengths = ()

    def _spans(self, text: str) -> list[tuple[int, int]]:
        """Where in `text` a registered secret occurs (separators and case ignored)."""
        by_length, lengths = self._by_length, self._lengths
        if not lengths:
            return []
        key, positions = _compact(text)
        spans: list[tuple[int, int]] = []
        for length in lengths:
            found = by_length[length]
            for start in range(len(key) - length + 1):
                if key[start : start + length] in found:
                    spans.append((positions[start], positions[start + length - 1] + 1))
        return spans

    def _mask(self, text: str) -> str:
        spans = sorted(self._spans(text))
        if not spans:
            return text
        out: list[str] = []
        cursor = 0
        for start, end in spans:
            if end <= cursor:
                continue
            if start >= cursor:
                out.append(text[cursor:start])
                out.append(MASK)
            cursor = max(cursor, end)
        out.append(text[cursor:])
        return "".join(out)

    def _decoded_hit(self, match: re.Match[str], decode: Callable[[str], str]) -> str:
        token = match.group(0)
        return MASK if self._spans(decode(token)) else token

    def __call__(self, text: str) -> str:
        text = _URL_QUERY.sub(lambda m: m.group("base") + "?" + MASK, text)
        text = _QUERY_KEYS.sub(lambda m: m.group(1) + "=" + MASK, text)
        if not self._lengths:
            return text
        text = _PERCENT_TOKEN.sub(lambda m: self._decoded_hit(m, unquote_plus), text)
        text = _PUNYCODE_LABEL.sub(lambda m: self._decoded_hit(m, _decode_label), text)
        return self._mask(text)


REDACTOR = Redactor()


class RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return REDACTOR(super().format(record))

    def formatException(self, ei: object) -> str:
        return REDACTOR(super().formatException(ei))  # type: ignore[arg-type]


def setup_logging(
    level: int | str = logging.WARNING, stream: object | None = None, path: str | None = None
) -> logging.Handler:
    """Install one redacting handler on the root logger (idempotent); every entry point calls this.

    `path` (Scrapy's LOG_FILE, which Scrapyd sets to a job's log in its `logs_dir`) sends the lines to
    that file instead of stderr, still through the redactor: Scrapy's own root handler stays off.
    """
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "_jikimi", False):
            root.removeHandler(old)
    handler: logging.Handler
    if path:
        # Owner-only from the first byte: the file is created here before the handler appends to it.
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600))
        handler = logging.FileHandler(path, encoding="utf-8")
    else:
        handler = logging.StreamHandler(stream or sys.stderr)  # type: ignore[arg-type]
    handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler._jikimi = True  # type: ignore[union-attr]  # our own marker, read back above
    # The level sits on our handler too: Scrapy resets the root logger's level when it starts.
    handler.setLevel(level)
    root.addHandler(handler)
    root.setLevel(level)
    return handler
