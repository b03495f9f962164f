"""Read how long a 429 asks us to wait, and name the reason that tells the spider to retry, not give up."""

from __future__ import annotations

import email.utils
import re
from datetime import UTC, datetime

# The spider compares `SourceError.reason` with this to tell "slow down and retry" from a final error.
RATE_LIMITED = "rate-limited"

_SECONDS = re.compile(r"\d+(?:\.\d+)?")


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a `Retry-After` value: delay-seconds or an HTTP date (RFC 9110 10.2.3).

    A date in the past means "now" (0.0); anything unreadable is None so the caller uses its own backoff.
    """
    if value is None:
        return None
    text = value.strip()
    if _SECONDS.fullmatch(text):
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())
