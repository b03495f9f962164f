"""Daily call budgets and request pace per source, shared by every process through the database.

Several crawl processes (Scrapyd nodes, or shards on one node) may search the same engine at once. Each
takes its calls from one row per (source, local day) and its send times from one row per source, both
read under a row lock (`SELECT ... FOR UPDATE` on PostgreSQL; SQLite's `BEGIN IMMEDIATE` serialises
every writer), so four nodes never spend four budgets or hit an engine four times as fast.
"""

from __future__ import annotations

import time

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.database import Store, dialect_insert
from storage.models import SourceBudget, SourcePace


def _insert_ignore(session: Session, table: type[SourceBudget | SourcePace], **values: object) -> None:
    """Create the row if no one has: two nodes creating it at once must not fail either of them."""
    session.execute(dialect_insert(session, table).values(**values).on_conflict_do_nothing())


def reserve(store: Store, source: str, day: str, want: int, budget: int) -> int:
    """Take up to `want` calls from the day's budget; returns how many were granted (0 when spent)."""
    if want <= 0:
        return 0
    with store.session() as session:
        _insert_ignore(session, SourceBudget, source=source, day=day, used=0)
        row = session.scalars(
            select(SourceBudget)
            .where(SourceBudget.source == source, SourceBudget.day == day)
            .with_for_update()
        ).one()
        granted = max(0, min(want, budget - row.used))
        row.used += granted
        return granted


def refund(store: Store, source: str, day: str, calls: int) -> None:
    """Give back calls that were reserved but not sent (a query stopped paging early)."""
    if calls <= 0:
        return
    with store.session() as session:
        row = session.scalars(
            select(SourceBudget)
            .where(SourceBudget.source == source, SourceBudget.day == day)
            .with_for_update()
        ).one_or_none()
        if row is not None:
            row.used = max(0, row.used - calls)


def used(store: Store, source: str, day: str) -> int:
    with store.session() as session:
        row = session.get(SourceBudget, (source, day))
        return row.used if row is not None else 0


def next_slot(store: Store, source: str, interval: float, now: float | None = None) -> float:
    """Book the next send time for `source`, `interval` seconds after the last one booked anywhere.

    Returns how long the caller must wait before sending (0 when the engine has been quiet long enough).
    """
    now = time.time() if now is None else now
    with store.session() as session:
        _insert_ignore(session, SourcePace, source=source, next_at=0.0)
        row = session.scalars(select(SourcePace).where(SourcePace.source == source).with_for_update()).one()
        slot = max(now, row.next_at)
        row.next_at = slot + interval
        return slot - now
