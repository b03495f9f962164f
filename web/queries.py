"""Read models of the console's pages: paged, decrypting only the rows a page shows.

Triage score, tier and reasons come from the triage work (issue 12); they are read defensively so the
console works before and after those columns exist.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from storage.crypto import Crypto
from storage.models import Case, Exposure, Sighting

PAGE_SIZE = 50
TIERS = ("strong", "likely", "weak")
QUEUE_STATUSES = {
    "new": ("new", "reappeared"),
    "confirmed": ("confirmed",),
    "dismissed": ("dismissed",),
    "reported": ("reported",),
    "removed": ("removed",),
    "all": ("new", "reappeared", "confirmed", "dismissed", "reported", "removed"),
}


@dataclass(frozen=True)
class QueueItem:
    id: int
    score: float | None
    tier: str | None
    reasons: tuple[str, ...]
    status: str
    platform: str
    domain: str
    title: str | None
    snippet: str | None
    sources: tuple[str, ...]
    first_seen: datetime
    last_seen: datetime
    published_at: datetime | None


@dataclass(frozen=True)
class QueuePage:
    items: list[QueueItem]
    page: int
    pages: int
    total: int


def _tier(row: Exposure) -> str | None:
    value = getattr(row, "tier", None)
    return str(value) if value else None


def _reasons(row: Exposure) -> tuple[str, ...]:
    value: Any = getattr(row, "reasons", None)
    if not value:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, dict):
        return tuple(f"{k}: {v}" for k, v in value.items())
    return tuple(str(v) for v in value)


def _sources(session: Session, ids: Sequence[int]) -> dict[int, tuple[str, ...]]:
    found: dict[int, set[str]] = {}
    if ids:
        rows = session.execute(
            select(Sighting.exposure_id, Sighting.source)
            .where(Sighting.exposure_id.in_(list(ids)))
            .group_by(Sighting.exposure_id, Sighting.source)
        )
        for exposure_id, source in rows:
            found.setdefault(exposure_id, set()).add(source)
    return {k: tuple(sorted(v)) for k, v in found.items()}


def queue(
    session: Session, crypto: Crypto, case_id: int, status: str, page: int, tier: str | None = None
) -> QueuePage:
    """One page of a case's exposures in `status` (and `tier`): best score first, unscored last."""
    statuses = QUEUE_STATUSES.get(status, QUEUE_STATUSES["new"])
    case = session.get(Case, case_id)
    assert case is not None
    where: tuple[ColumnElement[bool], ...] = (Exposure.case_id == case_id, Exposure.status.in_(statuses))
    if tier in TIERS:
        where = (*where, Exposure.tier == tier)
    total = int(session.scalar(select(func.count()).select_from(Exposure).where(*where)) or 0)
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, page), pages)
    rows = list(
        session.scalars(
            select(Exposure)
            .where(*where)
            .order_by(Exposure.score.desc().nulls_last(), Exposure.id.desc())
            .limit(PAGE_SIZE)
            .offset((page - 1) * PAGE_SIZE)
        )
    )
    cipher = crypto.for_case(case.key_id)
    sources = _sources(session, [r.id for r in rows])
    items = [
        QueueItem(
            id=r.id,
            score=r.score,
            tier=_tier(r),
            reasons=_reasons(r),
            status=r.status,
            platform=r.platform,
            domain=cipher.decrypt(r.domain_ct),
            title=cipher.decrypt_opt(r.title_ct),
            snippet=cipher.decrypt_opt(r.snippet_ct),
            sources=sources.get(r.id, ()),
            first_seen=r.first_seen,
            last_seen=r.last_seen,
            published_at=r.published_at,
        )
        for r in rows
    ]
    return QueuePage(items, page, pages, total)


def counts(session: Session, case_ids: Sequence[int]) -> dict[int, dict[str, int]]:
    """{case id: {status or 'tier:<tier>': count}}; nothing decrypted."""
    out: dict[int, dict[str, int]] = {c: {} for c in case_ids}
    if not case_ids:
        return out
    rows = session.execute(
        select(Exposure.case_id, Exposure.status, func.count())
        .where(Exposure.case_id.in_(list(case_ids)))
        .group_by(Exposure.case_id, Exposure.status)
    )
    for case_id, status, count in rows:
        out[case_id][status] = int(count)
    tier = getattr(Exposure, "tier", None)
    if tier is not None:
        for case_id, value, count in session.execute(
            select(Exposure.case_id, tier, func.count())
            .where(Exposure.case_id.in_(list(case_ids)))
            .group_by(Exposure.case_id, tier)
        ):
            if value:
                out[case_id][f"tier:{value}"] = int(count)
    return out
