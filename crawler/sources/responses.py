"""What every source does with an HTTP answer before its own parsing: headers, JSON, status errors.

Reasons built here are fixed phrases and engine error codes, never text taken from a body, because a
body may echo the query.
"""

from __future__ import annotations

import email.utils
import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime

from crawler.sources.base import Outcome, SourceError
from crawler.sources.retry_after import RATE_LIMITED, parse_retry_after

MALFORMED = "malformed response"

# Engine error codes ("010", "SE01", "RequestThrottled") are safe to put in a reason; free text is not.
_SAFE_CODE = re.compile(r"[A-Za-z0-9_.-]{1,40}")


def header(headers: Mapping[str, str], name: str) -> str | None:
    """A header by case-insensitive name (the spider may hand us any capitalisation)."""
    if name in headers:
        return headers[name]
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return None


def response_time(headers: Mapping[str, str]) -> datetime:
    """The server's `Date`, so an HTTP-date `Retry-After` is measured on the server's clock, not ours.

    Our clock is read only when the server sent no usable `Date`.
    """
    value = header(headers, "Date")
    if value:
        try:
            parsed = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            parsed = None
        if parsed is not None:
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return datetime.now(UTC)


def rate_limited(headers: Mapping[str, str], fallback: float | None = None) -> SourceError:
    """A per-second limit: retryable, waiting as long as the server asked (or `fallback`, or unknown)."""
    wait = parse_retry_after(header(headers, "Retry-After"), response_time(headers))
    return SourceError(Outcome.ERROR, RATE_LIMITED, retry_after=wait if wait is not None else fallback)


def server_error(status: int) -> SourceError:
    """5xx: the engine is down or failing; the spider may retry later in the run."""
    return SourceError(Outcome.UNREACHABLE, f"http {status}")


def unexpected_status(status: int, code: str | None = None) -> SourceError:
    """Any other non-success status, with the engine's error code when it gave a safe one."""
    safe = safe_code(code)
    return SourceError(Outcome.ERROR, f"http {status} {safe}" if safe else f"http {status}")


def safe_code(value: object) -> str | None:
    """An engine error code fit for a reason, or None when it looks like free text."""
    if isinstance(value, (str, int)) and _SAFE_CODE.fullmatch(str(value)):
        return str(value)
    return None


def looks_like_html(headers: Mapping[str, str], body: bytes) -> bool:
    """A login wall, CAPTCHA or proxy error page answered where an API promised JSON."""
    content_type = (header(headers, "Content-Type") or "").lower()
    if "html" in content_type:
        return True
    start = body.lstrip()[:64].lower()
    return start.startswith((b"<!doctype", b"<html", b"<head", b"<body", b"<?xml"))


def decode_json(headers: Mapping[str, str], body: bytes) -> dict[str, object]:
    """The JSON object of a 2xx API answer.

    An HTML page is BLOCKED (a challenge or block page, never "no results"); anything else that is not a
    JSON object is ERROR "malformed response".
    """
    if looks_like_html(headers, body):
        raise SourceError(Outcome.BLOCKED, "html page instead of json")
    data = _loads(body)
    if not isinstance(data, dict):
        raise SourceError(Outcome.ERROR, MALFORMED)
    return data


def error_body(body: bytes) -> dict[str, object]:
    """The JSON object of an error answer, or {} when the body is not one (errors stay classifiable)."""
    data = _loads(body)
    return data if isinstance(data, dict) else {}


def _loads(body: bytes) -> object:
    """Parsed JSON, or None. The decoder's exception holds the whole body (which may echo the query), so
    it is dropped here rather than chained onto a SourceError."""
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None


def json_list(data: Mapping[str, object], key: str) -> list[object]:
    """`data[key]` when it is a list; a missing key is an empty list, any other type is malformed."""
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise SourceError(Outcome.ERROR, MALFORMED)
    return value
