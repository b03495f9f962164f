"""What each visit to a watched page, channel or exposure URL saw: target state and evidence rows.

A target remembers its HTTP validators (ETag, Last-Modified), the SHA-256 of its extracted text and,
for a Telegram channel, the newest message id read, so the next night asks "changed since?" and
reads only what is new. Its last outcome and a named reason (`ok`, `unchanged`, `robots-disallowed`,
`http-404`, `blocked`, ...) are what `jikimi target list` shows. Evidence rows record what a fetch
of an exposure's page proved (status, time, text hash), never the page itself.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.cases import target_cipher
from storage.database import Store
from storage.errors import ValidationError
from storage.models import Case, Evidence, Exposure, Sighting, Target, utcnow
from storage.triage import rescore_id

EVIDENCE_PURPOSES = ("verify", "recheck", "page", "resolve")
MAX_ERROR_LENGTH = 200
MAX_OUTCOME_LENGTH = 32


class _Keep:
    """Leave the column as it is (None would clear it)."""

    def __repr__(self) -> str:
        return "KEEP"


KEEP: Final = _Keep()


@dataclass(frozen=True)
class TargetState:
    """A watched target with its URL decrypted and what the last visit left behind."""

    id: int
    case_id: int | None
    url: str
    platform: str
    render: bool
    etag: str | None
    last_modified: str | None
    text_sha256: str | None
    last_message_id: int | None
    last_checked_at: datetime | None
    last_outcome: str | None


@dataclass(frozen=True)
class ExposureToFetch:
    """An exposure whose page a crawl must fetch (to verify a search hit, or to re-check removal)."""

    id: int
    case_id: int
    url: str
    status: str
    confidence: str
    term_id: int | None
    platform: str


@dataclass(frozen=True)
class EvidenceView:
    id: int
    exposure_id: int
    run_id: int | None
    purpose: str
    http_status: int | None
    fetched_at: datetime
    text_sha256: str | None
    outcome: str


def target_states(store: Store, *, active_only: bool = True) -> list[TargetState]:
    """Every (active) target, URL decrypted, in id order."""
    with store.session() as session:
        query = select(Target, Case.key_id).outerjoin(Case, Case.id == Target.case_id).order_by(Target.id)
        if active_only:
            query = query.where(Target.active.is_(True))
        return [
            TargetState(
                id=t.id,
                case_id=t.case_id,
                url=target_cipher(store.crypto, key_id).decrypt(t.url_ct),
                platform=t.platform,
                render=t.render,
                etag=t.etag,
                last_modified=t.last_modified,
                text_sha256=t.text_sha256,
                last_message_id=t.last_message_id,
                last_checked_at=t.last_checked_at,
                last_outcome=t.last_outcome,
            )
            for t, key_id in session.execute(query)
        ]


@dataclass(frozen=True)
class TargetUpdate:
    """How one visit ended; validators, hash and last message change only when given (not KEEP)."""

    target_id: int
    outcome: str
    error: str | None = None
    checked_at: datetime | None = None
    etag: object = KEEP
    last_modified: object = KEEP
    text_sha256: object = KEEP
    last_message_id: object = KEEP


def update_target(
    store: Store, target_id: int, *, outcome: str, error: str | None = None, **state: object
) -> None:
    """Store how one visit ended (see `TargetUpdate` and `update_targets`)."""
    update_targets(store, [TargetUpdate(target_id, outcome, error, **state)])  # type: ignore[arg-type]


def update_targets(store: Store, updates: Sequence[TargetUpdate]) -> None:
    """Store how visits ended, all in one transaction.

    Call it after the visits' exposures are stored: a crash in between then repeats a visit
    (recording nothing twice, exposures are idempotent) instead of skipping what it found.
    A target deleted meanwhile is skipped.
    """
    for update in updates:
        if not update.outcome or len(update.outcome) > MAX_OUTCOME_LENGTH:
            raise ValidationError(f"outcome must be 1 to {MAX_OUTCOME_LENGTH} characters")
    if not updates:
        return
    with store.session() as session:
        rows = {
            t.id: t
            for t in session.scalars(
                select(Target).where(Target.id.in_(sorted({u.target_id for u in updates})))
            )
        }
        for update in updates:
            target = rows.get(update.target_id)
            if target is not None:
                _apply_update(target, update)


def _apply_update(target: Target, update: TargetUpdate) -> None:
    target.last_outcome = update.outcome
    target.last_error = update.error[:MAX_ERROR_LENGTH] if update.error else None
    target.last_checked_at = update.checked_at or utcnow()
    if not isinstance(update.etag, _Keep):
        target.etag = str(update.etag)[:256] if update.etag else None
    if not isinstance(update.last_modified, _Keep):
        target.last_modified = str(update.last_modified)[:64] if update.last_modified else None
    if not isinstance(update.text_sha256, _Keep):
        target.text_sha256 = str(update.text_sha256) if update.text_sha256 else None
    if not isinstance(update.last_message_id, _Keep):
        newest = update.last_message_id
        if isinstance(newest, int) and target.last_message_id is not None:
            # Never move backwards: a preview answering with older messages is not a reset.
            newest = max(newest, target.last_message_id)
        target.last_message_id = newest if isinstance(newest, int) else None


def record_evidence(
    session: Session,
    exposure_id: int,
    *,
    run_id: int | None,
    purpose: str,
    http_status: int | None,
    text_sha256: str | None,
    outcome: str,
    fetched_at: datetime | None = None,
) -> int:
    """Add one evidence row inside the caller's transaction; returns its id."""
    if purpose not in EVIDENCE_PURPOSES:
        raise ValidationError(f"purpose must be one of {', '.join(EVIDENCE_PURPOSES)}")
    if not outcome or len(outcome) > MAX_OUTCOME_LENGTH:
        raise ValidationError(f"outcome must be 1 to {MAX_OUTCOME_LENGTH} characters")
    if text_sha256 is not None and len(text_sha256) != 64:
        raise ValidationError("text_sha256 must be 64 hex digits")
    row = Evidence(
        exposure_id=exposure_id,
        run_id=run_id,
        purpose=purpose,
        http_status=http_status,
        fetched_at=fetched_at or utcnow(),
        text_sha256=text_sha256,
        outcome=outcome,
    )
    session.add(row)
    session.flush()
    if purpose == "verify":
        rescore_id(session, exposure_id)  # a page check confirms or fails to confirm: the score follows
    return row.id


def list_evidence(store: Store, exposure_id: int, purpose: str | None = None) -> list[EvidenceView]:
    """Evidence rows of one exposure, oldest first."""
    with store.session() as session:
        query = select(Evidence).where(Evidence.exposure_id == exposure_id).order_by(Evidence.id)
        if purpose is not None:
            query = query.where(Evidence.purpose == purpose)
        return [
            EvidenceView(
                id=e.id,
                exposure_id=e.exposure_id,
                run_id=e.run_id,
                purpose=e.purpose,
                http_status=e.http_status,
                fetched_at=e.fetched_at,
                text_sha256=e.text_sha256,
                outcome=e.outcome,
            )
            for e in session.scalars(query)
        ]


def _to_fetch(store: Store, rows: Sequence[tuple[Exposure, Case]]) -> list[ExposureToFetch]:
    out = []
    for row, case in rows:
        cipher = store.crypto.for_case(case.key_id)
        out.append(
            ExposureToFetch(
                id=row.id,
                case_id=row.case_id,
                url=cipher.decrypt(row.url_ct),
                status=row.status,
                confidence=row.confidence,
                term_id=row.term_id,
                platform=row.platform,
            )
        )
    return out


def exposures_to_verify(store: Store, run_id: int, sources: Collection[str]) -> list[ExposureToFetch]:
    """Exposures first found in this run by one of `sources`, not yet confirmed on their page."""
    if not sources:
        return []
    with store.session() as session:
        found_by = select(Sighting.exposure_id).where(
            Sighting.run_id == run_id, Sighting.source.in_(list(sources))
        )
        rows = session.execute(
            select(Exposure, Case)
            .join(Case, Case.id == Exposure.case_id)
            .where(
                Exposure.first_run_id == run_id,
                Exposure.id.in_(found_by),
                Exposure.confidence != "page",
                Exposure.status != "dismissed",
                Case.status == "open",
            )
            .order_by(Exposure.id)
        ).all()
        return _to_fetch(store, [(r[0], r[1]) for r in rows])


def exposures_to_recheck(
    store: Store, statuses: Collection[str] = ("reported", "removed")
) -> list[ExposureToFetch]:
    """Exposures of open cases whose removal is awaited (`reported`) or must stay removed (`removed`)."""
    with store.session() as session:
        rows = session.execute(
            select(Exposure, Case)
            .join(Case, Case.id == Exposure.case_id)
            .where(Exposure.status.in_(list(statuses)), Case.status == "open")
            .order_by(Exposure.id)
        ).all()
        return _to_fetch(store, [(r[0], r[1]) for r in rows])
