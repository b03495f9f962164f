"""Which exposures an export carries, and the record of what each export delivered.

An only-new export (`jikimi export --new`, the nightly feed) carries exactly the exposures that no
earlier only-new export carried, and never a dismissed one. Two guards make "exactly once" hold
when exports run at the same time:

- only-new exports run one at a time: on SQLite every Store transaction is BEGIN IMMEDIATE, so the
  second waits for the first to commit; on PostgreSQL `lock_new_exports` takes a transaction-scoped
  advisory lock, and read-committed gives each later statement a snapshot that sees the commit;
- the partial unique index `uq_export_items_new_exposure` (migration 0003) lets an exposure appear
  in at most one only-new export, so even a caller that skipped the lock cannot deliver it twice.

The matched term is decrypted only when the advocate asked for it (`include_terms`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import exists, insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.cases import NotFoundError, ValidationError
from storage.crypto import Crypto
from storage.database import Store
from storage.exposures import BY_SCORE
from storage.models import Case, Export, ExportItem, Exposure, Sighting, Term, utcnow

EXPORT_FORMATS = ("csv", "jsonl", "html")
# pg_advisory_xact_lock takes a bigint: a fixed number that only jikimi's only-new exports use.
_NEW_EXPORT_LOCK = 0x6A696B696D690001
_CHUNK = 500


class ExportConflictError(Exception):
    """Another only-new export already delivered one of these exposures; nothing was recorded."""


@dataclass(frozen=True)
class ExportRow:
    """One exposure as an export carries it: decrypted, with the term only when asked for."""

    id: int
    case_id: int
    case: str
    url: str
    domain: str
    platform: str
    title: str | None
    snippet: str | None
    confidence: str
    sources: tuple[str, ...]
    first_seen: datetime
    last_seen: datetime
    status: str
    term: str | None = None
    score: float | None = None
    tier: str | None = None
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class ExportRecord:
    """What one export delivered (its path decrypted)."""

    id: int
    created_at: datetime
    format: str
    only_new: bool
    case_id: int | None
    include_terms: bool
    count: int
    path: str | None


def lock_new_exports(session: Session) -> None:
    """Make only-new exports run one at a time, until this transaction ends."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _NEW_EXPORT_LOCK})
    else:
        # SQLite: the Store's BEGIN IMMEDIATE already holds the write lock; touching the database
        # here makes sure the transaction (and so the lock) has begun before we select.
        session.execute(text("SELECT 1"))


def select_for_export(
    session: Session,
    crypto: Crypto,
    *,
    case_id: int | None = None,
    only_new: bool = False,
    include_terms: bool = False,
) -> list[ExportRow]:
    """The exposures an export carries, highest score first; only-new ones skip dismissed and delivered."""
    if case_id is not None and session.get(Case, case_id) is None:
        raise NotFoundError(f"no case with id {case_id}")
    query = select(Exposure, Case).join(Case, Case.id == Exposure.case_id).order_by(*BY_SCORE)
    if case_id is not None:
        query = query.where(Exposure.case_id == case_id)
    if only_new:
        delivered = select(ExportItem.id).where(
            ExportItem.exposure_id == Exposure.id, ExportItem.only_new.is_(True)
        )
        query = query.where(Exposure.status != "dismissed", ~exists(delivered))
    pairs = [(row[0], row[1]) for row in session.execute(query)]
    ids = [exposure.id for exposure, _ in pairs]
    sources = _sources(session, ids)
    terms = _terms(session, [e.term_id for e, _ in pairs if e.term_id is not None]) if include_terms else {}
    rows: list[ExportRow] = []
    for exposure, case in pairs:
        cipher = crypto.for_case(case.key_id)
        term_ct = terms.get(exposure.term_id) if exposure.term_id is not None else None
        rows.append(
            ExportRow(
                id=exposure.id,
                case_id=case.id,
                case=cipher.decrypt(case.label_ct),
                url=cipher.decrypt(exposure.url_ct),
                domain=cipher.decrypt(exposure.domain_ct),
                platform=exposure.platform,
                title=cipher.decrypt_opt(exposure.title_ct),
                snippet=cipher.decrypt_opt(exposure.snippet_ct),
                confidence=exposure.confidence,
                sources=tuple(sorted(sources.get(exposure.id, ()))),
                first_seen=exposure.first_seen,
                last_seen=exposure.last_seen,
                status=exposure.status,
                term=cipher.decrypt(term_ct) if include_terms and term_ct is not None else None,
                score=exposure.score,
                tier=exposure.tier,
                reasons=tuple(exposure.reasons or ()),
            )
        )
    return rows


def _chunks(values: Sequence[int]) -> Iterator[Sequence[int]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def _sources(session: Session, exposure_ids: Sequence[int]) -> dict[int, set[str]]:
    out: dict[int, set[str]] = {}
    for chunk in _chunks(exposure_ids):
        query = (
            select(Sighting.exposure_id, Sighting.source).where(Sighting.exposure_id.in_(chunk)).distinct()
        )
        for exposure_id, source in session.execute(query):
            out.setdefault(exposure_id, set()).add(source)
    return out


def _terms(session: Session, term_ids: Sequence[int]) -> dict[int, str]:
    """Term ciphertexts by id: decrypted by the caller with the case's key."""
    out: dict[int, str] = {}
    for chunk in _chunks(sorted(set(term_ids))):
        for term_id, term_ct in session.execute(select(Term.id, Term.term_ct).where(Term.id.in_(chunk))):
            out[term_id] = term_ct
    return out


def record_export(
    session: Session,
    crypto: Crypto,
    *,
    fmt: str,
    only_new: bool,
    case_id: int | None,
    include_terms: bool,
    path: Path | str,
    exposure_ids: Sequence[int],
    created_at: datetime | None = None,
) -> int:
    """Record an export and what it delivered; the caller's transaction makes it final.

    Raises `ExportConflictError` when an only-new export would deliver an exposure a second time.
    """
    if fmt not in EXPORT_FORMATS:
        raise ValidationError(f"format must be one of {', '.join(EXPORT_FORMATS)}")
    export = Export(
        created_at=created_at or utcnow(),
        format=fmt,
        only_new=only_new,
        case_id=case_id,
        include_terms=include_terms,
        count=len(exposure_ids),
        # The path may carry a case name an advocate chose: encrypted like every other label.
        path_ct=crypto.data.encrypt(str(path)),
    )
    session.add(export)
    session.flush()
    if exposure_ids:
        items = [{"export_id": export.id, "exposure_id": i, "only_new": only_new} for i in exposure_ids]
        try:
            session.execute(insert(ExportItem), items)
        except IntegrityError:
            raise ExportConflictError(
                "another export already delivered some of these exposures: run the export again"
            ) from None
    return export.id


def list_exports(store: Store, limit: int = 20) -> list[ExportRecord]:
    """The most recent exports, newest first."""
    with store.session() as session:
        query = select(Export).order_by(Export.id.desc()).limit(limit)
        return [
            ExportRecord(
                id=e.id,
                created_at=e.created_at,
                format=e.format,
                only_new=e.only_new,
                case_id=e.case_id,
                include_terms=e.include_terms,
                count=e.count,
                path=store.crypto.data.decrypt_opt(e.path_ct),
            )
            for e in session.scalars(query)
        ]


def exported_exposure_ids(store: Store, export_id: int) -> list[int]:
    """The exposures one export delivered, by id."""
    with store.session() as session:
        query = (
            select(ExportItem.exposure_id)
            .where(ExportItem.export_id == export_id)
            .order_by(ExportItem.exposure_id)
        )
        return list(session.scalars(query))
