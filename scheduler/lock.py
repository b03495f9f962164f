"""Database-wide locks: a PostgreSQL advisory lock, or an exclusive `flock` beside the SQLite file.

Two locks of the same kind, with different keys:
* the scheduler lock: one `jikimi schedule` per database, held for the scheduler's whole life;
* the pass lock: one pass at a time (`jikimi run`, `jikimi recheck`, or the scheduler's nightly job), held
  from the first crawl stage to the last after-step, so two passes never double the API calls.

Both belong to the process (a session-level advisory lock dies with its connection, an `flock` with its
file descriptor), so a crashed or killed process never leaves a stale lock behind.
"""

from __future__ import annotations

import fcntl
import logging
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.engine.url import URL, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

log = logging.getLogger(__name__)

# pg_try_advisory_lock(bigint) key: the first 8 bytes of sha256(b"jikimi.scheduler") with the sign bit
# cleared (positive, so it can be found again in pg_locks as classid << 32 | objid).
ADVISORY_LOCK_KEY = 0x1613_835B_87F0_8624
LOCK_SUFFIX = ".scheduler.lock"
# The pass lock: sha256(b"jikimi.pass"), first 8 bytes, sign bit cleared.
PASS_LOCK_KEY = 0x25FC_2058_E8FA_C12E
PASS_LOCK_SUFFIX = ".pass.lock"
# `jikimi status` probes the lock for a moment; a starting scheduler retries this long before giving up.
ACQUIRE_PATIENCE_SECONDS = 1.0

ALREADY_RUNNING = "another scheduler is already running against this database"


class SchedulerLockedError(Exception):
    """Another scheduler already holds this database's scheduler lock."""

    def __init__(self) -> None:
        super().__init__(ALREADY_RUNNING)


def _pauses() -> Iterator[float]:
    """Short waits first (a probe should answer at once), then one a second for a long wait."""
    pause = 0.05
    while True:
        yield pause
        pause = min(pause * 2, 1.0)


class PassLockedError(Exception):
    """Another pass (manual or scheduled) is running against this database right now."""

    def __init__(self) -> None:
        super().__init__("another pass is already running against this database")


LockedError = type[SchedulerLockedError] | type[PassLockedError]


class SchedulerLock(Protocol):
    def still_held(self) -> bool: ...

    def release(self) -> None: ...


class FileLock:
    """`flock(LOCK_EX)` on `<database file>.scheduler.lock` (mode 0600), held while the process lives."""

    def __init__(self, path: Path, locked: LockedError = SchedulerLockedError) -> None:
        self.path = path
        self.locked = locked
        self._fd: int | None = None

    def acquire(self, patience: float = ACQUIRE_PATIENCE_SECONDS) -> FileLock:
        """Take the lock, retrying for `patience` seconds (forever when it is `math.inf`)."""
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        deadline = time.monotonic() + patience
        pause = _pauses()
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    raise self.locked from None
                time.sleep(next(pause))
        # The pid is only a hint for an operator reading the file; the flock is what counts.
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return self

    def still_held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


class AdvisoryLock:
    """`pg_try_advisory_lock` on a dedicated autocommit connection kept open for the process lifetime."""

    def __init__(
        self, url: str | URL, key: int = ADVISORY_LOCK_KEY, locked: LockedError = SchedulerLockedError
    ) -> None:
        self.key = key
        self.locked = locked
        parsed = make_url(url)
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        # Its own engine without a pool: the lock lives exactly as long as this one connection.
        self._engine: Engine = create_engine(parsed, poolclass=NullPool)
        self._conn: Connection | None = None

    def acquire(self, patience: float = ACQUIRE_PATIENCE_SECONDS) -> AdvisoryLock:
        conn = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        deadline = time.monotonic() + patience
        pause = _pauses()
        while not conn.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": self.key}):
            if time.monotonic() >= deadline:
                conn.close()
                self._engine.dispose()
                raise self.locked
            time.sleep(next(pause))
        self._conn = conn
        return self

    def still_held(self) -> bool:
        """False when the lock's connection died (database restart): another scheduler could now start."""
        if self._conn is None:
            return False
        try:
            held = self._conn.scalar(
                text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
                    " AND pid = pg_backend_pid() AND objsubid = 1"
                    " AND ((classid::bigint << 32) | objid::bigint) = (:k)::bigint"
                ),
                {"k": self.key},
            )
        except SQLAlchemyError:
            return False
        return bool(held)

    def release(self) -> None:
        if self._conn is not None:
            try:
                self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self.key})
                self._conn.close()
            except SQLAlchemyError:
                log.warning("scheduler lock connection was already gone at release")
            self._conn = None
        self._engine.dispose()


def lock_file_for(url: str | URL, suffix: str = LOCK_SUFFIX) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise ValueError(
            "the scheduler needs a database file or a PostgreSQL server, not an in-memory database"
        )
    return Path(database).with_name(Path(database).name + suffix)


def acquire_scheduler_lock(url: str | URL, patience: float = ACQUIRE_PATIENCE_SECONDS) -> SchedulerLock:
    """Take this database's scheduler lock or raise `SchedulerLockedError`."""
    backend = make_url(url).get_backend_name()
    if backend == "postgresql":
        return AdvisoryLock(url).acquire(patience)
    if backend == "sqlite":
        return FileLock(lock_file_for(url)).acquire(patience)
    raise ValueError(f"no scheduler lock for {backend} databases")


def scheduler_running(url: str | URL) -> bool:
    """Whether some process holds the lock right now (probing takes it for an instant, then lets go)."""
    try:
        lock = acquire_scheduler_lock(url, patience=0.0)
    except SchedulerLockedError:
        return True
    lock.release()
    return False


def acquire_pass_lock(url: str | URL, patience: float = 0.0) -> SchedulerLock:
    """Take this database's pass lock or raise `PassLockedError` after `patience` seconds (`math.inf`:
    wait until the other pass ends)."""
    backend = make_url(url).get_backend_name()
    if backend == "postgresql":
        return AdvisoryLock(url, PASS_LOCK_KEY, PassLockedError).acquire(patience)
    if backend == "sqlite":
        return FileLock(lock_file_for(url, PASS_LOCK_SUFFIX), PassLockedError).acquire(patience)
    raise ValueError(f"no pass lock for {backend} databases")
