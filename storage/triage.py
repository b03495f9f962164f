"""Keeps each exposure's stored score, tier and reasons in step with its evidence (`storage.scoring` decides).

`rescore` is called inside the transaction that changed the evidence: a new sighting, a page check, a
re-upload link. It reads only plaintext columns (variant, match level, context kinds, sources, evidence
outcomes), never a ciphertext, so it is cheap and needs no key.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Evidence, Exposure, Sighting, Term
from storage.scoring import VERIFY_SOURCE, WATCHED_SOURCES, Assessment, Signals, assess

VERIFY_CONFIRMED = "confirmed"
VERIFY_ABSENT = "term-absent"


def join_context(kinds: Iterable[str]) -> str | None:
    """Context kinds as stored: sorted, comma-separated; None when there are none."""
    joined = ",".join(sorted({k for k in kinds if k}))
    return joined or None


def split_context(stored: str | None) -> frozenset[str]:
    return frozenset(k for k in (stored or "").split(",") if k)


def signals_for(
    *,
    confidence: str,
    variant: str | None,
    match_confidence: float | None,
    level: str | None,
    context: str | None,
    term_kind: str | None,
    sources: Sequence[str],
    verify_outcomes: Sequence[str],
    reupload: bool,
) -> Signals:
    """Signals from an exposure's plaintext columns; shared by `rescore` and the migration that backfills."""
    distinct = set(sources)
    return Signals(
        seen=confidence,
        variant=None if variant == "engine" else variant,
        match_confidence=None if confidence == "engine" or variant == "engine" else match_confidence,
        level=level,
        term_kind=term_kind,
        context=split_context(context),
        search_sources=len(distinct - WATCHED_SOURCES - {VERIFY_SOURCE}),
        watched=bool(distinct & WATCHED_SOURCES),
        verified=VERIFY_CONFIRMED in verify_outcomes,
        unconfirmed=VERIFY_ABSENT in verify_outcomes,
        reupload=reupload,
    )


def rescore(session: Session, row: Exposure) -> Assessment:
    """Recompute and store one exposure's score, tier and reasons from what the database holds now."""
    session.flush()
    sources = list(session.scalars(select(Sighting.source).where(Sighting.exposure_id == row.id).distinct()))
    outcomes = list(
        session.scalars(
            select(Evidence.outcome)
            .where(Evidence.exposure_id == row.id, Evidence.purpose == "verify")
            .distinct()
        )
    )
    term_kind = (
        session.scalar(select(Term.kind).where(Term.id == row.term_id)) if row.term_id is not None else None
    )
    result = assess(
        signals_for(
            confidence=row.confidence,
            variant=row.variant,
            match_confidence=row.match_confidence,
            level=row.match_level,
            context=row.context,
            term_kind=term_kind,
            sources=sources,
            verify_outcomes=outcomes,
            reupload=row.reupload_of_id is not None,
        )
    )
    row.score = float(result.score)
    row.tier = result.tier
    row.reasons = list(result.reasons)
    return result


def rescore_id(session: Session, exposure_id: int) -> Assessment | None:
    row = session.get(Exposure, exposure_id)
    return rescore(session, row) if row is not None else None
