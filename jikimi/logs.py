"""Logging that never prints a watch term, a query string or a credential.

Search URLs carry the victim's name in their query string and Scrapy logs every request URL, so
redaction happens in the formatter every handler uses: query strings and fragments are cut from
anything that looks like a URL, and registered secrets (terms, credentials) are masked wherever
they appear, tracebacks included.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
from collections.abc import Iterable
from urllib.parse import quote, quote_plus

_URL_QUERY = re.compile(r"(?P<base>\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s?#'\"<>]*)[?#][^\s'\"<>]*")
_QUERY_KEYS = re.compile(r"(?i)\b(q|query|text|uddg|key|api_key|client_secret|token)=[^\s&'\"]+")
MASK = "[redacted]"


class Redactor:
    """Masks URL query strings and every registered sensitive string."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._secrets: set[str] = set()
        self._pattern: re.Pattern[str] | None = None

    def add(self, values: Iterable[str]) -> None:
        with self._lock:
            for value in values:
                value = value.strip()
                if len(value) >= 2:
                    # URLs in Scrapy's messages carry terms percent-encoded (paths, not only queries).
                    self._secrets.update({value, quote(value, safe=""), quote_plus(value, safe="")})
            if self._secrets:
                ordered = sorted(self._secrets, key=len, reverse=True)
                self._pattern = re.compile("|".join(re.escape(s) for s in ordered), re.IGNORECASE)

    def clear(self) -> None:
        with self._lock:
            self._secrets.clear()
            self._pattern = None

    def __call__(self, text: str) -> str:
        text = _URL_QUERY.sub(lambda m: m.group("base") + "?" + MASK, text)
        text = _QUERY_KEYS.sub(lambda m: m.group(1) + "=" + MASK, text)
        pattern = self._pattern
        if pattern is not None:
            text = pattern.sub(MASK, text)
        return text


REDACTOR = Redactor()


class RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return REDACTOR(super().format(record))

    def formatException(self, ei: object) -> str:
        return REDACTOR(super().formatException(ei))  # type: ignore[arg-type]


def setup_logging(level: int | str = logging.WARNING, stream: object | None = None) -> logging.Handler:
    """Install one redacting handler on the root logger (idempotent); every entry point calls this."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_jikimi", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stderr)  # type: ignore[arg-type]
    handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler._jikimi = True  # type: ignore[attr-defined]
    # The level sits on our handler too: Scrapy resets the root logger's level when it starts.
    handler.setLevel(level)
    root.addHandler(handler)
    root.setLevel(level)
    return handler
