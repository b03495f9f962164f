"""Parse the date formats engines use into aware UTC datetimes; anything unreadable is None, not an error."""

from __future__ import annotations

import email.utils
from datetime import UTC, datetime, timedelta, timezone

# Naver's postdate and Kakao's datetimes are Korean local time.
KST = timezone(timedelta(hours=9), "KST")


def parse_compact_date(value: object, tz: timezone = KST) -> datetime | None:
    """`YYYYMMDD` (Naver blog `postdate`) as midnight in `tz`, in UTC."""
    if not isinstance(value, str) or len(value.strip()) != 8 or not value.strip().isdigit():
        return None
    try:
        day = datetime.strptime(value.strip(), "%Y%m%d")
    except ValueError:
        return None
    return day.replace(tzinfo=tz).astimezone(UTC)


def parse_rfc822(value: object) -> datetime | None:
    """`Mon, 06 May 2024 09:30:00 +0900` (Naver news `pubDate`), in UTC."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    return as_utc(parsed)


def parse_iso(value: object, naive_tz: timezone = UTC) -> datetime | None:
    """ISO 8601 (Kakao `datetime`, Brave `page_age`, SearXNG `publishedDate`), in UTC.

    A value without an offset is read in `naive_tz`: Brave and SearXNG give UTC without saying so.
    """
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=naive_tz)
    return parsed.astimezone(UTC)


def as_utc(value: datetime) -> datetime:
    """The same instant in UTC; a naive datetime is taken to be UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)
