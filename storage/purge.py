"""Purging a case: every row that belongs to it, then its key, then (SQLite) the bytes on disk.

Which rows belong to a case is read from the foreign keys of the models, so a table added later
(takedown notices, say) is purged without anyone remembering to list it here. The case's data key
is removed from the key file afterwards, so a copy of the database taken before the purge (a
backup, a snapshot) holds ciphertext nobody can read any more: on PostgreSQL, whose dead tuples and
WAL we do not control, that removal is the guarantee.

Order: rows and a `purge.pending.<key id>` marker in one transaction (with the audit record), then
the key, then the marker. A crash in between leaves a marker that `finish_pending` completes. In
that transaction, before the rows, the temporary file of an export killed before its placement that
carries the case's rows is deleted: the recovery writes that batch again without them.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Column, ForeignKey, FromClause, Select, Table, delete, func, or_, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from storage import audit
from storage.database import Store, sqlite_path
from storage.errors import KeyringError, NotFoundError
from storage.exports import drop_unplaced_files_of_case
from storage.keyring import locked_keyring
from storage.models import AuditRecord, Base, Case, Meta

logger = logging.getLogger(__name__)

PENDING_PREFIX = "purge.pending."
# Kept on purpose: the audit trail outlives the case (it holds the case id, never its label).
KEPT_TABLES = frozenset({Meta.__tablename__, AuditRecord.__tablename__, Case.__tablename__})
MAX_PATH = 5


@dataclass(frozen=True)
class PurgeReport:
    case_id: int
    deleted: dict[str, int] = field(default_factory=dict)  # table -> rows
    key_removed: bool = False
    compacted: bool | None = None  # SQLite: checkpoint + VACUUM completed; None: not applicable


# ---- which rows belong to a case --------------------------------------------------------------


def case_paths(table: Table, target: str = Case.__tablename__) -> list[list[ForeignKey]]:
    """Every chain of foreign keys from `table` to the cases table (self-references skipped)."""
    found: list[list[ForeignKey]] = []

    def walk(current: Table, path: list[ForeignKey], seen: frozenset[str]) -> None:
        if len(path) >= MAX_PATH:
            return
        for fk in sorted(current.foreign_keys, key=lambda f: f.parent.name):
            parent = fk.column.table
            if parent.name in seen:
                continue
            if parent.name == target:
                found.append([*path, fk])
            else:
                walk(parent, [*path, fk], seen | {parent.name})

    walk(table, [], frozenset({table.name}))
    return found


def single_pk(table: Table) -> Column[object]:
    columns = list(table.primary_key.columns)
    if len(columns) != 1:
        raise ValueError(f"table {table.name} has no single-column primary key")
    return columns[0]


def _joined(table: Table) -> tuple[FromClause, FromClause, list[FromClause]]:
    """(the table aliased, the outer joins along every path, the cases alias at the end of each)."""
    base = table.alias()
    joined: FromClause = base
    ends: list[FromClause] = []
    for path in case_paths(table):
        current = base
        for fk in path:
            parent = fk.column.table.alias()
            joined = joined.outerjoin(parent, current.c[fk.parent.name] == parent.c[fk.column.name])
            current = parent
        ends.append(current)
    return base, joined, ends


def rows_of_case(table: Table, case_id: int) -> Select[tuple[object]]:
    """Primary keys of the rows of `table` that some foreign-key chain ties to the case."""
    if table.name == Case.__tablename__:
        return select(table.c.id).where(table.c.id == case_id)
    base, joined, ends = _joined(table)
    pk = base.c[single_pk(table).name]
    return select(pk).select_from(joined).where(or_(*[end.c.id == case_id for end in ends])).distinct()


def owner_key_ids(session: Session, table: Table, pks: Sequence[object]) -> dict[object, str]:
    """{primary key: the key id of the case the row belongs to}; rows of no case are absent."""
    if not pks:
        return {}
    if table.name == Case.__tablename__:
        rows = session.execute(select(table.c.id, table.c.key_id).where(table.c.id.in_(list(pks))))
        return {pk: key_id for pk, key_id in rows}
    base, joined, ends = _joined(table)
    if not ends:
        return {}
    pk = base.c[single_pk(table).name]
    key = ends[0].c.key_id if len(ends) == 1 else func.coalesce(*[e.c.key_id for e in ends])
    rows = session.execute(select(pk, key).select_from(joined).where(pk.in_(list(pks))))
    return {row[0]: row[1] for row in rows if row[1] is not None}


def case_tables() -> list[Table]:
    """Tables holding rows of cases, children before parents (the order to delete them in)."""
    return [t for t in reversed(Base.metadata.sorted_tables) if t.name not in KEPT_TABLES and case_paths(t)]


# ---- purging ----------------------------------------------------------------------------------


def purge_case(
    store: Store,
    case_id: int,
    actor: str,
    *,
    compact: bool = True,
    closed_before: datetime | None = None,
    action: str = "case.purge",
) -> PurgeReport | None:
    """Delete the case and everything of it, remove its key, compact SQLite.

    With `closed_before` (retention), the case is purged only if it is still closed since before
    then, checked in the deleting transaction; otherwise returns None.
    """
    keyring = store.crypto.keyring
    if keyring.path is None:
        raise KeyringError("purging a case removes its key: use a key file, not JIKIMI_KEYRING")
    finish_pending(store)
    with store.session() as session:
        case = session.get(Case, case_id)
        if case is None:
            raise NotFoundError(f"no case with id {case_id}")
        if closed_before is not None and not (
            case.status == "closed" and case.closed_at is not None and case.closed_at <= closed_before
        ):
            return None
        key_id = case.key_id
        # An export killed before its file got its name must not put this case's rows in place later.
        unplaced = drop_unplaced_files_of_case(session, store.crypto, case_id)
        deleted = _delete_rows(session, case_id)
        session.add(Meta(key=PENDING_PREFIX + key_id, value=str(case_id)))
        audit.append(session, store.crypto, actor, action, case_id=case_id, details=deleted)
    key_removed = _remove_key(store, key_id)
    compacted = compact_sqlite(store.engine) if compact else None
    logger.info("case %d purged (%d rows)", case_id, sum(deleted.values()))
    if unplaced:
        logger.info(
            "case %d: %d export file(s) not yet in place dropped, to be written without it", case_id, unplaced
        )
    return PurgeReport(case_id=case_id, deleted=deleted, key_removed=key_removed, compacted=compacted)


def _delete_rows(session: Session, case_id: int) -> dict[str, int]:
    deleted: dict[str, int] = {}
    for table in case_tables():
        pk = single_pk(table)
        result = session.execute(delete(table).where(pk.in_(rows_of_case(table, case_id))))
        if result.rowcount:  # type: ignore[attr-defined]
            deleted[table.name] = int(result.rowcount)  # type: ignore[attr-defined]
    result = session.execute(delete(Case).where(Case.id == case_id))
    deleted[Case.__tablename__] = int(result.rowcount or 0)  # type: ignore[attr-defined]
    return deleted


def _remove_key(store: Store, key_id: str) -> bool:
    with locked_keyring(store.crypto.keyring) as keyring:
        keyring.cases.pop(key_id, None)
    store.crypto.forget_case(key_id)
    with store.session() as session:
        marker = session.get(Meta, PENDING_PREFIX + key_id)
        if marker is not None:
            session.delete(marker)
    return key_id not in store.crypto.keyring.cases


def pending_purges(store: Store) -> list[str]:
    with store.session() as session:
        keys = session.scalars(select(Meta.key).where(Meta.key.like(PENDING_PREFIX + "%")))
        return [k[len(PENDING_PREFIX) :] for k in keys]


def finish_pending_case(store: Store, case_id: int) -> bool:
    """Finish the interrupted purge of this case, if there is one (its rows gone, its key not yet)."""
    with store.session() as session:
        keys = list(
            session.scalars(
                select(Meta.key).where(Meta.key.like(PENDING_PREFIX + "%"), Meta.value == str(case_id))
            )
        )
    for key in keys:
        _remove_key(store, key[len(PENDING_PREFIX) :])
    return bool(keys)


def finish_pending(store: Store) -> int:
    """Remove the keys of purges interrupted after their rows were deleted; returns how many."""
    pending = pending_purges(store)
    for key_id in pending:
        _remove_key(store, key_id)
    return len(pending)


def compact_sqlite(engine: Engine) -> bool | None:
    """Fold the WAL into the file, rebuild it and empty the WAL: no deleted page survives on disk.

    Returns True when both checkpoints completed, False when a reader kept the WAL busy, None on
    PostgreSQL or an in-memory database.
    """
    if sqlite_path(engine) is None:
        return None
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("PRAGMA temp_store=MEMORY")  # VACUUM's scratch copy stays off the disk
        first = cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        cursor.execute("VACUUM")
        second = cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        cursor.close()
    finally:
        raw.close()
    complete = bool(first and second and first[0] == 0 and second[0] == 0)
    if not complete:
        logger.warning(
            "the SQLite WAL could not be emptied (another process was reading): run the purge again later"
        )
    return complete


def case_summary(store: Store, case_id: int) -> dict[str, int]:
    """How many rows of each table a purge of the case would delete (nothing decrypted)."""
    with store.session() as session:
        if session.get(Case, case_id) is None:
            raise NotFoundError(f"no case with id {case_id}")
        out = {}
        for table in case_tables():
            n = session.scalar(select(func.count()).select_from(rows_of_case(table, case_id).subquery()))
            if n:
                out[table.name] = int(n)
        return out
