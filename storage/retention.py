"""Retention: a closed case is purged `retention_days` after it was closed (0 keeps it until purged by hand).

Nothing here decrypts: only ids, statuses and dates are read. `purge_due` is what the nightly job
and `jikimi retention run` call; `notices` is what `jikimi status` shows a week ahead.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from storage.database import Store
from storage.models import Case, utcnow
from storage.purge import PurgeReport, compact_sqlite, finish_pending, purge_case

logger = logging.getLogger(__name__)

DEFAULT_ACTOR = "jikimi:retention"
NOTICE_WINDOW = timedelta(days=7)


@dataclass(frozen=True)
class ScheduledPurge:
    case_id: int
    closed_at: datetime
    purge_on: datetime


def purge_date(closed_at: datetime, retention_days: int) -> datetime:
    return closed_at + timedelta(days=retention_days)


def scheduled(store: Store, retention_days: int) -> list[ScheduledPurge]:
    """Every closed case with the moment retention purges it, soonest first; [] when retention is off."""
    if retention_days <= 0:
        return []
    with store.session() as session:
        rows = session.execute(
            select(Case.id, Case.closed_at).where(Case.status == "closed", Case.closed_at.is_not(None))
        ).all()
    out = [
        ScheduledPurge(cid, closed, purge_date(closed, retention_days))
        for cid, closed in rows
        if closed is not None
    ]
    return sorted(out, key=lambda s: (s.purge_on, s.case_id))


def due(store: Store, retention_days: int, now: datetime | None = None) -> list[ScheduledPurge]:
    now = now or utcnow()
    return [s for s in scheduled(store, retention_days) if s.purge_on <= now]


def upcoming(
    store: Store, retention_days: int, now: datetime | None = None, within: timedelta = NOTICE_WINDOW
) -> list[ScheduledPurge]:
    now = now or utcnow()
    return [s for s in scheduled(store, retention_days) if now < s.purge_on <= now + within]


def notice_lines(items: list[ScheduledPurge], now: datetime, timezone: str) -> list[str]:
    """One line per case, dates in the team's time zone; ids only, never a label."""
    zone = ZoneInfo(timezone)
    lines = []
    for item in items:
        day = item.purge_on.astimezone(zone).date().isoformat()
        ago = max(0, (now - item.closed_at).days)
        if item.purge_on <= now:
            lines.append(
                f"case #{item.case_id} is past its retention date ({day}, closed {ago} days ago): "
                "it will be purged by the next nightly run or `jikimi retention run`"
            )
        else:
            lines.append(f"case #{item.case_id} will be purged on {day} (closed {ago} days ago)")
    return lines


def notices(store: Store, retention_days: int, timezone: str, now: datetime | None = None) -> list[str]:
    now = now or utcnow()
    items = [s for s in scheduled(store, retention_days) if s.purge_on <= now + NOTICE_WINDOW]
    return notice_lines(items, now, timezone)


def purge_due(
    store: Store, retention_days: int, *, actor: str = DEFAULT_ACTOR, now: datetime | None = None
) -> list[PurgeReport]:
    """Purge every closed case past its retention date; compacts SQLite once at the end.

    A case reopened meanwhile is skipped: the closed-since check runs again inside each purge.
    """
    if retention_days <= 0:
        return []
    now = now or utcnow()
    finish_pending(store)
    cutoff = now - timedelta(days=retention_days)
    reports = []
    for item in due(store, retention_days, now):
        report = purge_case(
            store, item.case_id, actor, compact=False, closed_before=cutoff, action="retention.purge"
        )
        if report is not None:
            reports.append(report)
    if reports:
        compacted = compact_sqlite(store.engine)
        reports = [PurgeReport(r.case_id, r.deleted, r.key_removed, compacted) for r in reports]
        logger.info("retention purged %d case(s)", len(reports))
    return reports
