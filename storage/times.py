"""Times as people read them: in the configured zone, always with the offset, so no reader has to guess.

Storage keeps UTC; everything shown or exported goes through these two functions.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo


def iso_local(moment: datetime, timezone: str) -> str:
    """ISO 8601 to the second with the zone's offset: `2026-11-24T12:00:00+09:00`."""
    return moment.astimezone(ZoneInfo(timezone)).replace(microsecond=0).isoformat()


def local_text(moment: datetime, timezone: str) -> str:
    """For tables and messages: `2026-11-24 12:00 KST +09:00`; the offset is always there."""
    return clock_text(moment.astimezone(ZoneInfo(timezone)))


def clock_text(local: datetime) -> str:
    """An aware time as it reads in its own zone: date, minutes, zone abbreviation, offset."""
    offset = local.strftime("%z") or "+0000"
    offset = f"{offset[:3]}:{offset[3:]}"
    name = local.tzname() or ""
    zone = f"{name} {offset}" if name and not name.startswith(("+", "-")) else offset
    return f"{local:%Y-%m-%d %H:%M} {zone}"
