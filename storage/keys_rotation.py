"""Key rotation: new keys become primary, every ciphertext and blind index is rewritten, old keys retire.

Phases, recorded in meta `rotation.state` so that a crash resumes where it stopped:

1. keys: a new data key, index key, audit key and per-case key are put first in the key file.
   The old keys stay, so every row remains readable by every process throughout (MultiFernet
   decrypts with any key; blind-index look-ups try every index key).
2. reencrypt: every `_ct` column of every table (found by suffix, so a new column is never
   forgotten) is re-encrypted and every `_idx` recomputed, in primary-key batches, one
   transaction per batch, the progress saved in the same transaction.
3. audit: the audit chain is re-MACed under the new audit key, in batches.
4. verify: every row must decrypt with the new keys alone and carry the new key's blind index;
   rows a straggling process wrote with an old key send the job back to phase 2.
5. retire: the old keys are removed from the key file. No backup copy is made: a copy of the old
   keys would undo the retirement.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import MetaData, Table, select, update
from sqlalchemy.orm import Session

from storage import audit
from storage.crypto import Cipher, Crypto
from storage.database import Store
from storage.errors import DecryptionError, KeyringError, RotationError
from storage.keyring import Keyring, locked_keyring, new_fernet_key, new_index_key
from storage.models import AuditRecord, Base, Case, Meta, Run, utcnow
from storage.purge import finish_pending, owner_key_ids, single_pk

logger = logging.getLogger(__name__)

STATE_KEY = "rotation.state"
LAST_KEY = "rotation.last"
DEFAULT_BATCH = 200
MAX_ROUNDS = 3
PHASES = ("keys", "reencrypt", "audit", "verify", "retire")

# (table, blind-index column) -> (purpose, the `_ct` column holding what was indexed). The purposes
# are the ones storage.cases and storage.exposures pass to `crypto.index`.
INDEX_SOURCES: dict[tuple[str, str], tuple[str, str]] = {
    ("terms", "term_idx"): ("term", "term_ct"),
    ("exposures", "url_idx"): ("url", "canonical_url_ct"),
    ("targets", "url_idx"): ("target", "url_ct"),
}

AfterBatch = Callable[[str, int], None]


@dataclass(frozen=True)
class EncryptedTable:
    table: Table
    ct_columns: tuple[str, ...]
    indexes: tuple[tuple[str, str, str], ...]  # (index column, purpose, source `_ct` column)

    @property
    def name(self) -> str:
        return self.table.name


@dataclass
class RotationReport:
    resumed: bool = False
    rounds: int = 0
    rows: dict[str, int] = field(default_factory=dict)  # table -> rows rewritten
    audit_records: int = 0
    fingerprints: dict[str, Any] = field(default_factory=dict)


def fingerprint(key: bytes) -> str:
    """A short, one-way name for a key: shows which key is which, reveals nothing of it."""
    return hashlib.sha256(b"jikimi key fingerprint\x00" + key).hexdigest()[:16]


def keyring_fingerprints(keyring: Keyring) -> dict[str, Any]:
    return {
        "data": [fingerprint(k) for k in keyring.data],
        "index": [fingerprint(k) for k in keyring.index],
        "audit": [fingerprint(k) for k in keyring.audit],
        "cases": {kid: [fingerprint(k) for k in keys] for kid, keys in sorted(keyring.cases.items())},
    }


def encrypted_tables(metadata: MetaData = Base.metadata) -> list[EncryptedTable]:
    """Every table with `_ct` or `_idx` columns, parents first; refuses an index it cannot recompute."""
    out = []
    for table in metadata.sorted_tables:
        cts = tuple(c.name for c in table.columns if c.name.endswith("_ct"))
        idxs = [c.name for c in table.columns if c.name.endswith("_idx")]
        if not cts and not idxs:
            continue
        try:
            single_pk(table)
        except ValueError as exc:
            raise RotationError(f"cannot rotate: {exc}") from None
        indexes = []
        for column in idxs:
            source = INDEX_SOURCES.get((table.name, column))
            if source is None or source[1] not in cts:
                raise RotationError(
                    f"cannot rotate: {table.name}.{column} has no known purpose (add it to INDEX_SOURCES)"
                )
            indexes.append((column, source[0], source[1]))
        out.append(EncryptedTable(table, cts, tuple(indexes)))
    return out


def only_primaries(keyring: Keyring) -> Keyring:
    return Keyring(
        data=keyring.data[:1],
        index=keyring.index[:1],
        cases={kid: keys[:1] for kid, keys in keyring.cases.items()},
        path=None,
        audit=keyring.audit[:1],
    )


# ---- state ------------------------------------------------------------------------------------


def read_state(session: Session, key: str = STATE_KEY) -> dict[str, Any] | None:
    row = session.get(Meta, key)
    return json.loads(row.value) if row is not None else None


def write_state(session: Session, state: dict[str, Any] | None, key: str = STATE_KEY) -> None:
    row = session.get(Meta, key)
    if state is None:
        if row is not None:
            session.delete(row)
        return
    value = json.dumps(state, sort_keys=True)
    if row is None:
        session.add(Meta(key=key, value=value))
    else:
        row.value = value


def pending(store: Store) -> dict[str, Any] | None:
    """The state of an unfinished rotation, or None."""
    with store.session() as session:
        return read_state(session)


def last_rotation(store: Store) -> dict[str, Any] | None:
    with store.session() as session:
        return read_state(session, LAST_KEY)


@contextlib.contextmanager
def _rotation_lock(keyring: Keyring) -> Iterator[None]:
    assert keyring.path is not None
    lock_path = keyring.path.with_name(keyring.path.name + ".rotate-lock")
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RotationError("another `jikimi keys rotate` is running") from None
        yield
    finally:
        os.close(fd)


# ---- the job ----------------------------------------------------------------------------------


def rotate(
    store: Store,
    actor: str,
    *,
    resume_only: bool = False,
    batch_size: int = DEFAULT_BATCH,
    force: bool = False,
    after_batch: AfterBatch | None = None,
) -> RotationReport:
    """Start a rotation (or finish a pending one) and see it through to the retirement of old keys."""
    keyring = store.crypto.keyring
    if keyring.path is None:
        raise KeyringError("keys from JIKIMI_KEYRING are read-only: rotate with a key file")
    if batch_size < 1:
        raise RotationError("batch size must be at least 1")
    with _rotation_lock(keyring):
        finish_pending(store)
        report = RotationReport()
        with store.session() as session:
            state = read_state(session)
            if state is None and resume_only:
                raise RotationError("no key rotation is pending")
            _refuse_if_crawling(session, force)
            if state is None:
                state = {"phase": "keys", "started_at": utcnow().isoformat()}
                write_state(session, state)
                audit.append(session, store.crypto, actor, "keys.rotate", details={"step": "start"})
            else:
                report.resumed = True
        job = _Job(store, actor, batch_size, after_batch, report)
        job.run(state)
        return report


def _refuse_if_crawling(session: Session, force: bool) -> None:
    running = session.scalar(select(Run.id).where(Run.status == "running").limit(1))
    if running is not None and not force:
        raise RotationError(
            f"run {running} is still running: a crawl holds the old keys in memory; wait for it "
            "(or mark it interrupted) and stop the scheduler, or pass --force"
        )


class _Job:
    def __init__(
        self,
        store: Store,
        actor: str,
        batch_size: int,
        after_batch: AfterBatch | None,
        report: RotationReport,
    ) -> None:
        self.store = store
        self.actor = actor
        self.batch_size = batch_size
        self.after_batch = after_batch
        self.report = report
        self.batches = 0
        self.tables = encrypted_tables()

    @property
    def keyring(self) -> Keyring:
        return self.store.crypto.keyring

    def run(self, state: dict[str, Any]) -> None:
        while True:
            phase = state["phase"]
            if phase == "keys":
                state = self._new_keys(state)
            elif phase == "reencrypt":
                state = self._reencrypt_batch(state)
            elif phase == "audit":
                state = self._audit_batch(state)
            elif phase == "verify":
                state = self._verify(state)
            elif phase == "retire":
                self._retire(state)
                return
            else:
                raise RotationError(f"unknown rotation phase {phase!r} in the database")

    def _save(self, session: Session, state: dict[str, Any]) -> None:
        write_state(session, state)

    def _batch_done(self, phase: str) -> None:
        self.batches += 1
        if self.after_batch is not None:
            self.after_batch(phase, self.batches)

    # phase 1
    def _new_keys(self, state: dict[str, Any]) -> dict[str, Any]:
        with locked_keyring(self.keyring) as fresh:
            fresh.data.insert(0, new_fernet_key())
            fresh.index.insert(0, new_index_key())
            fresh.audit.insert(0, new_index_key())
            for keys in fresh.cases.values():
                keys.insert(0, new_fernet_key())
        self.store.crypto = Crypto(self.keyring)  # the cached ciphers knew only the old keys
        primaries = keyring_fingerprints(only_primaries(self.keyring))
        state = {
            **state,
            "phase": "reencrypt",
            "round": 1,
            "table": 0,
            "after": None,
            "new": {
                k: v[0] if isinstance(v, list) else {c: f[0] for c, f in v.items()}
                for k, v in primaries.items()
            },
        }
        with self.store.session() as session:
            self._save(session, state)
        logger.info("key rotation: new keys in the key file")
        return state

    # phase 2
    def _reencrypt_batch(self, state: dict[str, Any]) -> dict[str, Any]:
        crypto = self.store.crypto
        position = int(state["table"])
        with self.store.session() as session:
            if position >= len(self.tables):
                token, index_value = crypto.key_check()
                for key, value in (("key_check", token), ("index_check", index_value)):
                    check = session.get(Meta, key)
                    if check is None:
                        session.add(Meta(key=key, value=value))
                    else:
                        check.value = value
                audit.write_rechain(session, b"", None)  # a new pass re-signs from the first record
                state = {**state, "phase": "audit"}
                self._save(session, state)
                return state
            spec = self.tables[position]
            table = spec.table
            pk = single_pk(table)
            query = select(pk, *[table.c[c] for c in spec.ct_columns]).order_by(pk).limit(self.batch_size)
            if state.get("after") is not None:
                query = query.where(pk > state["after"])
            rows = session.execute(query).all()
            if not rows:
                state = {**state, "table": position + 1, "after": None}
                self._save(session, state)
                return state
            owners = owner_key_ids(session, table, [r[0] for r in rows])
            for row in rows:
                values = _rewrite_row(
                    crypto, spec, owners.get(row[0]), row[0], dict(zip(spec.ct_columns, row[1:]))
                )
                if values:
                    session.execute(update(table).where(pk == row[0]).values(**values))
            self.report.rows[spec.name] = self.report.rows.get(spec.name, 0) + len(rows)
            state = {**state, "after": rows[-1][0]}
            self._save(session, state)
        self._batch_done("reencrypt")
        return state

    # phase 3
    def _audit_batch(self, state: dict[str, Any]) -> dict[str, Any]:
        keys = audit.audit_keys(self.keyring)
        new_key = keys[0]
        with self.store.session() as session:
            audit.lock_chain(session)
            progress = audit.read_rechain(session, keys) or audit.Rechain(0, audit.GENESIS, audit.GENESIS)
            rows = list(
                session.scalars(
                    select(AuditRecord)
                    .where(AuditRecord.id > progress.after)
                    .order_by(AuditRecord.id)
                    .limit(self.batch_size)
                )
            )
            for row in rows:
                if row.id != progress.after + 1:
                    _broken(progress.after + 1, "missing")
                if not audit.mac_matches(keys, row):
                    _broken(row.id, "altered")
                if row.prev_hash not in (progress.old, progress.new):
                    _broken(row.id, "out of sequence")
                old_hash = row.hash
                row.prev_hash = progress.new
                row.hash = audit.record_mac(new_key, row)
                progress = audit.Rechain(row.id, old_hash, row.hash)
            head = audit.read_head(session)
            if progress.after and (head is None or head.id == progress.after):
                audit.write_head(session, new_key, progress.after, progress.new)
            if rows:
                audit.write_rechain(session, new_key, progress)
                self.report.audit_records += len(rows)
            else:
                audit.write_rechain(session, new_key, None)
                state = {**state, "phase": "verify"}
                self._save(session, state)
        if rows:
            self._batch_done("audit")
        return state

    # phase 4
    def _verify(self, state: dict[str, Any]) -> dict[str, Any]:
        strict = Crypto(only_primaries(self.keyring))
        stale = self._stale_rows(strict)
        with self.store.session() as session:
            check = {
                m.key: m.value
                for m in session.scalars(select(Meta).where(Meta.key.in_(["key_check", "index_check"])))
            }
            try:
                strict.verify_check(check.get("key_check", ""), check.get("index_check", ""))
            except KeyringError:
                stale += 1
            audit.lock_chain(session)
            chain = audit.verify_chain(session, strict.keyring.audit)
            if not chain.ok:
                stale += 1
            if stale:
                rounds = int(state.get("round", 1)) + 1
                if rounds > MAX_ROUNDS:
                    raise RotationError(
                        "rows keep being written with the old keys: stop every other jikimi process "
                        "(the scheduler) and run `jikimi keys rotate` again"
                    )
                logger.warning("key rotation: %d value(s) still under an old key; another pass", stale)
                state = {**state, "phase": "reencrypt", "round": rounds, "table": 0, "after": None}
            else:
                state = {**state, "phase": "retire"}
            self._save(session, state)
        self.report.rounds = int(state.get("round", 1))
        return state

    def _stale_rows(self, strict: Crypto) -> int:
        stale = 0
        for spec in self.tables:
            table = spec.table
            pk = single_pk(table)
            after: object = None
            while True:
                with self.store.session() as session:
                    query = select(
                        pk, *[table.c[c] for c in spec.ct_columns + tuple(i[0] for i in spec.indexes)]
                    )
                    query = query.order_by(pk).limit(self.batch_size * 5)
                    if after is not None:
                        query = query.where(pk > after)
                    rows = session.execute(query).all()
                    if not rows:
                        break
                    owners = owner_key_ids(session, table, [r[0] for r in rows])
                for row in rows:
                    values = dict(zip(spec.ct_columns + tuple(i[0] for i in spec.indexes), row[1:]))
                    if not _readable_with(strict, spec, owners.get(row[0]), values):
                        stale += 1
                after = rows[-1][0]
        return stale

    # phase 5
    def _retire(self, state: dict[str, Any]) -> None:
        new = state["new"]
        with locked_keyring(self.keyring) as fresh:
            if fingerprint(fresh.data[0]) != new["data"] or fingerprint(fresh.index[0]) != new["index"]:
                raise RotationError(
                    "the key file changed during the rotation: run `jikimi keys rotate` again"
                )
            if fresh.audit and fingerprint(fresh.audit[0]) != new["audit"]:
                raise RotationError(
                    "the key file changed during the rotation: run `jikimi keys rotate` again"
                )
            for kid, fp in new["cases"].items():
                if kid in fresh.cases and fingerprint(fresh.cases[kid][0]) != fp:
                    raise RotationError(
                        "the key file changed during the rotation: run `jikimi keys rotate` again"
                    )
            fresh.data = fresh.data[:1]
            fresh.index = fresh.index[:1]
            fresh.audit = fresh.audit[:1]
            fresh.cases = {kid: keys[:1] for kid, keys in fresh.cases.items()}
        self.store.crypto = Crypto(self.keyring)
        finished = {"finished_at": utcnow().isoformat(), "started_at": state.get("started_at"), "new": new}
        self.report.fingerprints = new
        with self.store.session() as session:
            write_state(session, None)
            write_state(session, finished, LAST_KEY)
            audit.append(
                session,
                self.store.crypto,
                self.actor,
                "keys.rotate",
                details={
                    "step": "done",
                    "data": new["data"],
                    "index": new["index"],
                    "audit": new["audit"],
                    "cases": len(new["cases"]),
                    "rounds": int(state.get("round", 1)),
                },
            )
        logger.info("key rotation finished; old keys retired")


def _broken(record_id: int, what: str) -> None:
    raise RotationError(
        f"the audit trail is broken at record {record_id} ({what}): rotation stopped before any key "
        "was retired; see `jikimi audit verify`"
    )


def _ciphers(crypto: Crypto, owner: str | None) -> list[Cipher]:
    out = []
    if owner is not None and owner in crypto.keyring.cases:
        out.append(crypto.for_case(owner))
    out.append(crypto.data)
    return out


def _rewrite_row(
    crypto: Crypto, spec: EncryptedTable, owner: str | None, pk: object, values: dict[str, str | None]
) -> dict[str, str]:
    """New tokens under the primary key of whichever family (case or global) could read each value."""
    out: dict[str, str] = {}
    plain_cipher: dict[str, Cipher] = {}
    for column, token in values.items():
        if token is None:
            continue
        for cipher in _ciphers(crypto, owner):
            try:
                out[column] = cipher.rotate(token)
                plain_cipher[column] = cipher
                break
            except DecryptionError:
                continue
        else:
            raise RotationError(
                f"{spec.name}.{column} of row {pk} cannot be decrypted with any key in the key file: "
                "rotation stopped"
            )
    for index_column, purpose, source in spec.indexes:
        token = values.get(source)
        if token is None:
            continue
        out[index_column] = crypto.index(purpose, plain_cipher[source].decrypt(token))
    return out


def _readable_with(
    strict: Crypto, spec: EncryptedTable, owner: str | None, values: dict[str, str | None]
) -> bool:
    plain: dict[str, str] = {}
    for column in spec.ct_columns:
        token = values.get(column)
        if token is None:
            continue
        for cipher in _ciphers(strict, owner):
            try:
                plain[column] = cipher.decrypt(token)
                break
            except DecryptionError:
                continue
        else:
            return False
    for index_column, purpose, source in spec.indexes:
        if source in plain and values.get(index_column) != strict.index(purpose, plain[source]):
            return False
    return True


# ---- status -----------------------------------------------------------------------------------


def key_status(store: Store) -> dict[str, Any]:
    """Fingerprints (never key material), which case each case key serves, and any pending rotation."""
    keyring = store.crypto.keyring
    prints = keyring_fingerprints(keyring)
    with store.session() as session:
        by_key = {key_id: case_id for key_id, case_id in session.execute(select(Case.key_id, Case.id))}
        state = read_state(session)
        last = read_state(session, LAST_KEY)
    cases = {str(by_key[kid]): fps for kid, fps in prints["cases"].items() if kid in by_key}
    return {
        "source": "key file" if keyring.path is not None else "JIKIMI_KEYRING",
        "data": prints["data"],
        "index": prints["index"],
        "audit": prints["audit"],
        "cases": cases,
        "unbound_case_keys": sum(1 for kid in prints["cases"] if kid not in by_key),
        "cases_without_key": sorted(cid for kid, cid in by_key.items() if kid not in keyring.cases),
        "rotation_pending": state.get("phase") if state else None,
        "last_rotation": last.get("finished_at") if last else None,
    }


def rotation_notice(store: Store) -> str | None:
    state = pending(store)
    if state is None:
        return None
    return f"a key rotation stopped in phase '{state.get('phase')}': run `jikimi keys rotate --resume`"
