"""Which exposures an export carries, and the record of what each export delivered.

Deliveries are per recipient (`--for takedown-team`, default `default`): an only-new export
(`jikimi export --new`, the nightly feed) carries exactly the exposures that no earlier only-new
export to the same recipient carried, never a dismissed one, and by default only the `strong` and
`likely` ones (a weak one goes out when asked for by tier, or once an advocate confirmed it). Two
guards make "exactly once per recipient" hold when exports run at the same time:

- only-new exports run one at a time: on SQLite every Store transaction is BEGIN IMMEDIATE, so the
  second waits for the first to commit; on PostgreSQL `lock_new_exports` takes a transaction-scoped
  advisory lock, and read-committed gives each later statement a snapshot that sees the commit;
- the partial unique index `uq_export_items_new_recipient` (migrations 0003, 0006) lets an exposure
  appear in at most one only-new export per recipient, so even a caller that skipped the lock cannot
  deliver it twice.

The matched term is decrypted only when the advocate asked for it (`include_terms`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import delete, exists, insert, or_, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.crypto import Crypto
from storage.database import Store
from storage.errors import ExportConflictError, NotFoundError, ValidationError
from storage.exposures import BY_SCORE
from storage.models import Case, Export, ExportItem, Exposure, Sighting, Term, utcnow

# The one list of export formats: the CLI offers these, takedown.exporting renders each of them.
EXPORT_FORMATS = ("csv", "jsonl", "html")
DEFAULT_RECIPIENT = "default"
# What a delivery carries unless asked otherwise: what is worth a takedown team's time.
DELIVERY_TIERS = ("strong", "likely")
# A weak exposure an advocate has looked at and kept is worth delivering whatever its score.
ADVOCATE_KEPT_STATUSES = ("confirmed", "reported", "reappeared")
# A recipient is a short label (it is stored and printed in clear, so never a person's name in Hangul).
_RECIPIENT = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
# pg_advisory_xact_lock takes a bigint: a fixed number that only jikimi's only-new exports use.
_NEW_EXPORT_LOCK = 0x6A696B696D690001
_CHUNK = 500


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
    recipient: str = DEFAULT_RECIPIENT
    rewrite_of: int | None = None


def check_recipient(recipient: str) -> str:
    """The recipient label, lower-cased, or a ValidationError saying what a label may hold."""
    label = (recipient or "").strip().lower()
    if not _RECIPIENT.fullmatch(label):
        raise ValidationError(
            "recipient must be 1 to 64 lower-case letters, digits, '.', '_' or '-' (e.g. takedown-team)"
        )
    return label


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
    recipient: str = DEFAULT_RECIPIENT,
    tiers: Collection[str] | None = None,
    batch: int | None = None,
) -> list[ExportRow]:
    """The exposures an export carries, highest score first.

    Only-new ones skip dismissed exposures and those already delivered to `recipient`. `tiers` keeps
    exposures of those tiers plus any an advocate kept (`ADVOCATE_KEPT_STATUSES`); None keeps all.
    `batch` selects exactly what that earlier export delivered.
    """
    if case_id is not None and session.get(Case, case_id) is None:
        raise NotFoundError(f"no case with id {case_id}")
    query = select(Exposure, Case).join(Case, Case.id == Exposure.case_id).order_by(*BY_SCORE)
    if case_id is not None:
        query = query.where(Exposure.case_id == case_id)
    if batch is not None:
        if session.get(Export, batch) is None:
            raise NotFoundError(f"no export batch with id {batch}")
        carried = select(ExportItem.id).where(
            ExportItem.exposure_id == Exposure.id, ExportItem.export_id == batch
        )
        query = query.where(exists(carried))
    if tiers is not None:
        query = query.where(or_(Exposure.tier.in_(list(tiers)), Exposure.status.in_(ADVOCATE_KEPT_STATUSES)))
    if only_new:
        delivered = select(ExportItem.id).where(
            ExportItem.exposure_id == Exposure.id,
            ExportItem.only_new.is_(True),
            ExportItem.recipient == recipient,
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
    recipient: str = DEFAULT_RECIPIENT,
    rewrite_of: int | None = None,
    placing: Path | str | None = None,
) -> int:
    """Record an export and what it delivered; the caller's transaction makes it final.

    `placing` is the temporary file that becomes `path` after the commit: until `finish_placing`
    clears it, the delivery is recorded but its file still has to be put in place.

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
        recipient=recipient,
        rewrite_of=rewrite_of,
        placing_ct=None if placing is None else crypto.data.encrypt(str(placing)),
    )
    session.add(export)
    session.flush()
    if exposure_ids:
        items = [
            {"export_id": export.id, "exposure_id": i, "only_new": only_new, "recipient": recipient}
            for i in exposure_ids
        ]
        try:
            session.execute(insert(ExportItem), items)
        except IntegrityError:
            raise ExportConflictError(
                f"another export already delivered some of these exposures to {recipient}:"
                " run the export again"
            ) from None
    return export.id


@dataclass(frozen=True)
class PendingPlacement:
    """A recorded delivery whose file is not yet under its final name."""

    id: int
    created_at: datetime
    format: str
    only_new: bool
    case_id: int | None
    include_terms: bool
    target: Path
    temp: Path


def pending_placements(session: Session) -> list[int]:
    """The exports recorded while their file was still being put in place, oldest first."""
    query = select(Export.id).where(Export.placing_ct.is_not(None)).order_by(Export.id)
    return list(session.scalars(query))


def pending_temp_paths(session: Session, crypto: Crypto) -> set[Path]:
    """The temporary files recorded deliveries still wait to be placed from (they must be kept)."""
    rows = session.scalars(select(Export.placing_ct).where(Export.placing_ct.is_not(None)))
    return {Path(crypto.data.decrypt(value)) for value in rows if value}


def lock_placement(session: Session, crypto: Crypto, export_id: int) -> PendingPlacement | None:
    """The export's pending placement, locked until this transaction ends; None once it is placed.

    The lock makes the exporter and a recovery (`jikimi status`, the next export) place one file
    at most once: on PostgreSQL a row lock, on SQLite the Store's BEGIN IMMEDIATE write lock.
    """
    export = session.get(Export, export_id, with_for_update=True)
    if export is None or export.placing_ct is None:
        return None
    return PendingPlacement(
        id=export.id,
        created_at=export.created_at,
        format=export.format,
        only_new=export.only_new,
        case_id=export.case_id,
        include_terms=export.include_terms,
        target=Path(crypto.data.decrypt(export.path_ct or "")),
        temp=Path(crypto.data.decrypt(export.placing_ct)),
    )


def aside_path(temp: Path) -> Path:
    """The second name a replacing placement gives its temporary file, so `temp` itself stays to the end."""
    return temp.with_name(temp.name + ".r")


def drop_unplaced_files_of_case(session: Session, crypto: Crypto, case_id: int) -> int:
    """Delete the temporary file of every pending placement that carries rows of the case; returns how many.

    For a purge, inside its deleting transaction: such a file was never delivered (no final name
    links it yet) and holds the case's rows decrypted. Each placement is locked first, so a recovery
    waits for the purge; afterwards it finds the file gone and writes the batch again from what the
    purge left (the other cases' rows), or finds nothing to place if the export was the case's alone.
    A file already linked under its final name was delivered, like any earlier export, and is left.
    """
    carrying = select(ExportItem.export_id).join(Exposure, Exposure.id == ExportItem.exposure_id)
    query = (
        select(Export.id)
        .where(Export.placing_ct.is_not(None))
        .where(or_(Export.case_id == case_id, Export.id.in_(carrying.where(Exposure.case_id == case_id))))
        .order_by(Export.id)
    )
    dropped = 0
    for export_id in list(session.scalars(query)):
        pending = lock_placement(session, crypto, export_id)
        if pending is None:
            continue
        aside = aside_path(pending.temp)
        try:
            links = pending.temp.stat().st_nlink
        except FileNotFoundError:
            continue
        # A replace cut short leaves a second name for the same unplaced file: it goes too.
        if aside.exists() and os.path.samefile(aside, pending.temp):
            aside.unlink()
            links -= 1
        if links == 1:
            pending.temp.unlink()
            dropped += 1
    return dropped


def export_path(session: Session, crypto: Crypto, export_id: int) -> Path | None:
    """Where an export's file is (its recorded final name)."""
    export = session.get(Export, export_id)
    return None if export is None or export.path_ct is None else Path(crypto.data.decrypt(export.path_ct))


def finish_placing(session: Session, crypto: Crypto, export_id: int, path: Path | str) -> None:
    """The export's file is in place under `path`: record that name and clear the marker."""
    export = session.get(Export, export_id)
    if export is not None:
        export.path_ct = crypto.data.encrypt(str(path))
        export.placing_ct = None


def withdraw_export(session: Session, export_id: int) -> None:
    """Take back a recorded export whose file could not be given the name asked for."""
    session.execute(delete(ExportItem).where(ExportItem.export_id == export_id))
    session.execute(delete(Export).where(Export.id == export_id))


def list_exports(store: Store, limit: int = 20, recipient: str | None = None) -> list[ExportRecord]:
    """The most recent exports (deliveries), newest first; only one recipient's when given."""
    with store.session() as session:
        query = select(Export).order_by(Export.id.desc()).limit(limit)
        if recipient is not None:
            query = query.where(Export.recipient == recipient)
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
                recipient=e.recipient,
                rewrite_of=e.rewrite_of,
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
