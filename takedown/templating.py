"""Jinja2 environments for notices (plain text) and reports (HTML): autoescape on in both.

Autoescape is on for the plain-text notices too, so a value that reaches a template unfiltered is
HTML-escaped (harmless, visible) rather than trusted. Values meant for plain text pass through
`plain` or `url_text`, which make them inert for a text reader instead: no control characters, no
line breaks (no forged lines or mail headers), no bidirectional overrides (no text that displays
differently from what it is), and URLs reduced to printable ASCII. Those two filters exist only in
the text environment: an HTML template cannot use them to let data through unescaped.
"""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import datetime
from functools import cache
from pathlib import Path
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from storage.times import clock_text

TEMPLATES = Path(__file__).with_name("templates")

# C0/C1 controls, zero-width characters and bidirectional embeddings, overrides and isolates.
_UNSAFE = re.compile("[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")
# RFC 3986 reserved and unreserved characters, and '%' so existing escapes stay as they are.
_URL_SAFE = ":/?#[]@!$&()*+,;=-._~%"
_STYLE_BLOCK = re.compile(r"<style>(.*?)</style>", re.DOTALL)


def plain(value: object) -> Markup:
    """A value for plain text: one line, no control, zero-width or bidi characters."""
    # Markup only tells the text template "already made safe for plain text": never used for HTML.
    return Markup(" ".join(_UNSAFE.sub(" ", str(value)).split()))  # nosec B704


def url_text(url: object) -> Markup:
    """A URL as printable ASCII: anything else (controls, spaces, quotes, brackets, bidi, non-ASCII)
    percent-encoded, so it stays one token on one line and reads as what it is."""
    return Markup(quote(str(url).strip(), safe=_URL_SAFE))  # nosec B704 - text environment only


def clock(moment: datetime, tz: object) -> str:
    """`2026-11-24 03:12 KST +09:00` in the given zone: the offset is always shown."""
    return clock_text(moment.astimezone(tz))  # type: ignore[arg-type]


def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


@cache
def text_environment() -> Environment:
    """For `*.txt.j2` notices and e-mail bodies."""
    env = _environment()
    env.filters["plain"] = plain
    env.filters["url_text"] = url_text
    return env


@cache
def html_environment() -> Environment:
    """For `*.html.j2` reports: plain autoescape, no text filters."""
    return _environment()


@cache
def style_source(template: str) -> str:
    """The CSP source that allows exactly the one `<style>` block of `template`: `'sha256-...'`.

    A hash rather than 'unsafe-inline': should escaping ever fail and crawled text reach a report as
    markup, an injected `style` attribute or block still would not apply (no overlay hiding a link,
    no CSS that reads attribute values out).
    """
    return style_hash((TEMPLATES / template).read_text(encoding="utf-8"), template)


def style_hash(source: str, name: str) -> str:
    """`'sha256-...'` of the one static `<style>` block in a template's source.

    The block must hold no template expression, so the text the browser hashes is the source text;
    a template with none, two, or a dynamic block is refused rather than given a hash that never matches.
    """
    blocks = _STYLE_BLOCK.findall(source)
    if len(blocks) != 1 or "{{" in blocks[0] or "{%" in blocks[0] or "{#" in blocks[0]:
        raise ValueError(f"{name} needs exactly one static <style> block")
    digest = base64.b64encode(hashlib.sha256(blocks[0].encode("utf-8")).digest()).decode("ascii")
    return f"'sha256-{digest}'"
