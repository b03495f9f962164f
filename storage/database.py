"""Engines, sessions and migrations for SQLite (default) and PostgreSQL."""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import create_engine, event, inspect, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.engine.url import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from storage.crypto import Crypto
from storage.errors import DatabaseError, DatabaseUnusableError, KeyringError
from storage.keyring import Keyring
from storage.models import Meta

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig
    from sqlalchemy.dialects.postgresql import Insert as PostgresInsert
    from sqlalchemy.dialects.sqlite import Insert as SqliteInsert

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# The newest migration. Every process checks the schema against it when it opens the database, and
# reading it here costs nothing, while asking Alembic (importing it, loading every migration script)
# cost each crawl stage about half a second of CPU; tests/test_storage.py keeps it equal to Alembic's.
HEAD_REVISION = "0008"
BUSY_TIMEOUT_MS = 30_000


_DAMAGED = ("malformed", "not a database", "corrupt", "file is encrypted")
_DISK = ("disk is full", "disk i/o error", "no space left", "quota exceeded", "file too large", "readonly")
_DISK_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO, errno.EROFS})


def database_failure(exc: BaseException) -> str | None:
    """One line saying why the database or the disk failed, for a failure that is neither; else None.

    The driver's own words are kept (they name no data); SQL text and parameters are never shown.
    """
    if isinstance(exc, OSError) and exc.errno in _DISK_ERRNOS:
        return f"the disk is full or failing ({exc.strerror}): free space or fix the disk, then run it again"
    if not isinstance(exc, DBAPIError):
        return None
    words = " ".join(str(exc.orig).split())[:120]
    lowered = words.lower()
    if any(marker in lowered for marker in _DAMAGED):
        return f"the database file is damaged ({words}): restore it from a backup"
    if any(marker in lowered for marker in _DISK):
        return f"the disk is full or failing ({words}): free space or fix the disk, then run it again"
    return f"the database failed ({exc.orig.__class__.__name__}: {words})"


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            path = Path(parsed.database)
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
        event.listen(engine, "connect", _sqlite_pragmas)
        # pysqlite's own transaction handling would BEGIN lazily (deferred); we issue BEGIN IMMEDIATE
        # ourselves so concurrent writers wait on the busy timeout instead of failing mid-transaction.
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    if parsed.get_backend_name() == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        return create_engine(parsed, pool_pre_ping=True)
    raise DatabaseError("database_url: only sqlite and postgresql are supported")


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None  # autocommit at the driver: SQLAlchemy's begin event issues BEGIN
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA foreign_keys=ON")
    # Deleted rows are overwritten with zeros, so purged terms do not linger in free pages.
    cur.execute("PRAGMA secure_delete=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def _sqlite_begin(conn: Any) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def dialect_insert(session: Session, table: Any) -> PostgresInsert | SqliteInsert:
    """An INSERT in the session's dialect, for its ON CONFLICT clauses.

    Each dialect's module is imported when first used: PostgreSQL's (its catalogue, asyncpg's types)
    cost every SQLite process a quarter second of CPU at start-up.
    """
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as postgres_insert

        return postgres_insert(table)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table)


def sqlite_path(engine: Engine) -> Path | None:
    if engine.url.get_backend_name() != "sqlite" or not engine.url.database:
        return None
    if engine.url.database == ":memory:":
        return None
    return Path(engine.url.database)


def _alembic_config(engine: Engine) -> AlembicConfig:
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    return cfg


def head_revision() -> str:
    """The head as Alembic reads it from the migration scripts (slow: `HEAD_REVISION` is what opens use)."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(MIGRATIONS_DIR))
    head = script.get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, None before its first migration.

    Read from Alembic's version table directly, as Alembic's MigrationContext would, without importing
    Alembic. More than one row (branches, which jikimi never has) reads as no single revision: "".
    """
    try:
        with engine.connect() as conn:
            if not inspect(conn).has_table("alembic_version"):
                return None
            rows = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    except DBAPIError as exc:
        failure = database_failure(exc)
        if failure is not None and not failure.startswith("the database failed"):
            raise DatabaseUnusableError(failure) from None
        raise DatabaseError(f"cannot open the database: {exc.orig.__class__.__name__}") from None
    if not rows:
        return None
    return str(rows[0]) if len(rows) == 1 else ""


def migrate(engine: Engine) -> None:
    from alembic import command

    command.upgrade(_alembic_config(engine), "head")
    path = sqlite_path(engine)
    if path is not None:
        for candidate in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            if candidate.exists():
                os.chmod(candidate, 0o600)


def check_schema(engine: Engine) -> None:
    """Refuse to run on a database that was never initialised or needs a migration."""
    current = current_revision(engine)
    if current is None:
        raise DatabaseError("the database is not initialised: run `jikimi init`")
    if current != HEAD_REVISION:
        raise DatabaseError("the database schema is out of date: run `jikimi init` to migrate it")


@dataclass
class Store:
    """An open database with its keys: what every repository function takes."""

    engine: Engine
    crypto: Crypto
    sessions: sessionmaker[Session]

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self.sessions.begin() as session:
            yield session

    def close(self) -> None:
        self.engine.dispose()


def open_store(url: str, keyring: Keyring, *, initialise: bool = False) -> Store:
    """Open (and with `initialise`, create or migrate) the database; fail closed on a wrong key."""
    engine = make_engine(url)
    try:
        if initialise:
            migrate(engine)
        check_schema(engine)
        crypto = Crypto(keyring)
        sessions = sessionmaker(engine, expire_on_commit=False)
        with sessions.begin() as session:
            _check_or_store_key(session, crypto, allow_store=initialise)
    except Exception:
        engine.dispose()
        raise
    return Store(engine=engine, crypto=crypto, sessions=sessions)


def _check_or_store_key(session: Session, crypto: Crypto, *, allow_store: bool) -> None:
    rows = {
        m.key: m.value
        for m in session.scalars(select(Meta).where(Meta.key.in_(["key_check", "index_check"])))
    }
    if "key_check" not in rows:
        if not allow_store:
            raise KeyringError("the database has no key check: run `jikimi init`")
        token, index_value = crypto.key_check()
        session.add_all([Meta(key="key_check", value=token), Meta(key="index_check", value=index_value)])
        return
    crypto.verify_check(rows["key_check"], rows.get("index_check", ""))
