"""The audit trail: who read or changed what, when, in which case; append-only and HMAC-chained.

Each record's `hash` is HMAC-SHA256, under the primary audit key of the key file, over the
canonical JSON of the record including the previous record's hash. Editing, deleting, reordering
or inserting a record breaks the chain, and someone with database access but without the key file
cannot recompute it. A checkpoint of the head (id, hash and a MAC over both) in `meta` catches a
truncated tail; only replaying a checkpoint copied earlier could hide a truncation.

Nothing sensitive goes in: `details` accepts ids, counts, statuses and fingerprints only (short
ASCII tokens), so a term, a label or a URL cannot slip in by mistake.

Call `append` inside the transaction of the change it records, as its last statement: on
PostgreSQL it takes the chain lock, which is then held until commit.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from storage.crypto import Crypto
from storage.database import Store
from storage.errors import AuditDetailsError, KeyringError
from storage.keyring import Keyring, locked_keyring, new_index_key
from storage.models import AuditRecord, Meta, utcnow

GENESIS = "0" * 64
HEAD_KEY = "audit.head"
RECHAIN_KEY = "audit.rechain"  # progress of a key rotation re-signing the chain (storage.keys_rotation)
CHAIN_LOCK_ID = 0x6A696B696D6901  # pg_advisory_xact_lock key of the audit chain
VERIFY_BATCH = 1000

_ACTION = re.compile(r"[a-z][a-z_]*(\.[a-z][a-z_-]*)*")
_NAME = re.compile(r"[a-z][a-z_]{0,31}")
# Ids, counts, statuses, formats, fingerprints: no spaces, no Hangul, no '/', so no name or URL.
_TOKEN = re.compile(r"[A-Za-z0-9_.:+-]{0,64}")
MAX_LIST = 200

Scalar = int | bool | str | None
DetailValue = Scalar | list[Scalar]


@dataclass(frozen=True)
class AuditView:
    id: int
    at: datetime
    actor: str
    action: str
    case_id: int | None
    obj_type: str | None
    obj_id: int | None
    details: dict[str, Any]


@dataclass(frozen=True)
class VerifyResult:
    """`ok` with the record count, or the first broken record id and why."""

    ok: bool
    records: int
    first_broken_id: int | None = None
    reason: str | None = None
    head_id: int | None = None


# ---- keys -------------------------------------------------------------------------------------


def _keyring(keys: Crypto | Keyring) -> Keyring:
    return keys.keyring if isinstance(keys, Crypto) else keys


def audit_keys(keys: Crypto | Keyring) -> list[bytes]:
    found = _keyring(keys).audit
    if not found:
        raise KeyringError("the key file has no audit key: run `jikimi init` to add one")
    return found


def ensure_audit_key(keyring: Keyring) -> bool:
    """Add an audit key to a key file written before the audit trail existed; True if one was added."""
    if keyring.audit:
        return False
    with locked_keyring(keyring) as fresh:
        if fresh.audit:
            return False
        fresh.audit.append(new_index_key())
    return True


# ---- canonical form and MACs ------------------------------------------------------------------


def _payload(
    rid: int,
    at: datetime,
    actor: str,
    action: str,
    case_id: int | None,
    obj_type: str | None,
    obj_id: int | None,
    details: Mapping[str, Any],
    prev_hash: str,
) -> bytes:
    body = {
        "v": 1,
        "id": rid,
        "at": at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor": actor,
        "action": action,
        "case_id": case_id,
        "obj_type": obj_type,
        "obj_id": obj_id,
        "details": details,
        "prev": prev_hash,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def record_mac(key: bytes, row: AuditRecord, prev_hash: str | None = None) -> str:
    """The hash a record must carry under `key`; `prev_hash` overrides the stored link (re-chaining)."""
    payload = _payload(
        row.id,
        row.at,
        row.actor,
        row.action,
        row.case_id,
        row.obj_type,
        row.obj_id,
        row.details or {},
        row.prev_hash if prev_hash is None else prev_hash,
    )
    return hmac.new(key, payload, hashlib.sha256).hexdigest()


def _head_mac(key: bytes, rid: int, digest: str) -> str:
    return hmac.new(key, f"head\x00{rid}\x00{digest}".encode(), hashlib.sha256).hexdigest()


def mac_matches(keys: Sequence[bytes], row: AuditRecord) -> bool:
    return any(hmac.compare_digest(record_mac(k, row), row.hash) for k in keys)


# ---- validation -------------------------------------------------------------------------------


def _clean_scalar(name: str, value: object) -> Scalar:
    if value is None or isinstance(value, (bool, int)):
        return value
    if isinstance(value, str) and _TOKEN.fullmatch(value):
        return value
    raise AuditDetailsError(f"audit details: {name} must be an id, a count or a short ASCII token")


def clean_details(details: Mapping[str, object] | None) -> dict[str, DetailValue]:
    out: dict[str, DetailValue] = {}
    for name, value in (details or {}).items():
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise AuditDetailsError("audit details: keys are lower-case identifiers")
        if isinstance(value, (list, tuple)):
            if len(value) > MAX_LIST:
                raise AuditDetailsError(f"audit details: {name} has more than {MAX_LIST} items")
            out[name] = [_clean_scalar(name, v) for v in value]
        else:
            out[name] = _clean_scalar(name, value)
    return out


def _clean_actor(actor: str) -> str:
    actor = " ".join(str(actor).split())[:64]
    if not actor:
        raise AuditDetailsError("audit: actor must not be empty")
    return actor


# ---- the chain --------------------------------------------------------------------------------


def lock_chain(session: Session) -> None:
    """Serialise appends. SQLite: every Store transaction is already BEGIN IMMEDIATE."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": CHAIN_LOCK_ID})


@dataclass(frozen=True)
class Head:
    id: int
    hash: str
    mac: str


def read_head(session: Session) -> Head | None:
    row = session.get(Meta, HEAD_KEY)
    if row is None:
        return None
    try:
        raw = json.loads(row.value)
        return Head(id=int(raw["id"]), hash=str(raw["hash"]), mac=str(raw["mac"]))
    except (ValueError, KeyError, TypeError):
        return Head(id=-1, hash="", mac="")  # unreadable: verify reports it


def write_head(session: Session, key: bytes, rid: int, digest: str) -> None:
    value = json.dumps({"id": rid, "hash": digest, "mac": _head_mac(key, rid, digest)})
    row = session.get(Meta, HEAD_KEY)
    if row is None:
        session.add(Meta(key=HEAD_KEY, value=value))
    else:
        row.value = value


@dataclass(frozen=True)
class Rechain:
    """Records up to `after` are re-signed: record `after` + 1 still links to the old hash `old` of
    record `after`, whose hash is now `new`. MACed, so the bridge cannot be forged."""

    after: int
    old: str
    new: str


def _rechain_mac(key: bytes, r: Rechain) -> str:
    return hmac.new(key, f"rechain\x00{r.after}\x00{r.old}\x00{r.new}".encode(), hashlib.sha256).hexdigest()


def read_rechain(session: Session, keys: Sequence[bytes]) -> Rechain | None:
    """The re-signing progress if present and authentic; None otherwise."""
    row = session.get(Meta, RECHAIN_KEY)
    if row is None:
        return None
    try:
        raw = json.loads(row.value)
        found = Rechain(after=int(raw["after"]), old=str(raw["old"]), new=str(raw["new"]))
        mac = str(raw["mac"])
    except (ValueError, KeyError, TypeError):
        return None
    if not any(hmac.compare_digest(_rechain_mac(k, found), mac) for k in keys):
        return None
    return found


def write_rechain(session: Session, key: bytes, progress: Rechain | None) -> None:
    row = session.get(Meta, RECHAIN_KEY)
    if progress is None:
        if row is not None:
            session.delete(row)
        return
    value = json.dumps({**progress.__dict__, "mac": _rechain_mac(key, progress)})
    if row is None:
        session.add(Meta(key=RECHAIN_KEY, value=value))
    else:
        row.value = value


def _last(session: Session) -> tuple[int, str]:
    found = session.execute(
        select(AuditRecord.id, AuditRecord.hash).order_by(AuditRecord.id.desc()).limit(1)
    ).first()
    return (int(found[0]), str(found[1])) if found else (0, GENESIS)


def append(
    session: Session,
    keys: Crypto | Keyring,
    actor: str,
    action: str,
    case_id: int | None = None,
    obj: tuple[str, int] | None = None,
    details: Mapping[str, object] | None = None,
) -> int:
    """Append one record in the caller's transaction; returns its id.

    `action` is dotted lower case (`case.show`, `term.add`, `exposure.mark`); `obj` is
    (type, id) such as ("term", 12); `details` holds ids, counts and short ASCII tokens only.
    """
    key = audit_keys(keys)[0]
    if not _ACTION.fullmatch(action) or len(action) > 64:
        raise AuditDetailsError("audit: action must be dotted lower case, e.g. 'case.show'")
    obj_type, obj_id = obj if obj is not None else (None, None)
    if obj_type is not None and (not _NAME.fullmatch(obj_type) or not isinstance(obj_id, int)):
        raise AuditDetailsError("audit: obj must be (type, integer id)")
    clean = clean_details(details)
    actor = _clean_actor(actor)
    lock_chain(session)
    head = read_head(session)
    last_id, last_hash = _last(session)
    # Link to the checkpoint when it is ahead of the rows (a truncated tail stays a visible gap);
    # otherwise to the last row.
    if head is not None and head.id > last_id:
        prev_id, prev_hash = head.id, head.hash
    else:
        prev_id, prev_hash = last_id, last_hash
    row = AuditRecord(
        id=prev_id + 1,
        at=utcnow(),
        actor=actor,
        action=action,
        case_id=case_id,
        obj_type=obj_type,
        obj_id=obj_id,
        details=clean,
        prev_hash=prev_hash,
        hash="",
    )
    row.hash = record_mac(key, row)
    session.add(row)
    session.flush()
    write_head(session, key, row.id, row.hash)
    return row.id


def record(
    store: Store,
    actor: str,
    action: str,
    case_id: int | None = None,
    obj: tuple[str, int] | None = None,
    details: Mapping[str, object] | None = None,
) -> int:
    """`append` in a transaction of its own, for callers whose change is already committed (or a read)."""
    with store.session() as session:
        return append(session, store.crypto, actor, action, case_id, obj, details)


def iter_records(session: Session, after: int = 0, batch: int = VERIFY_BATCH) -> Iterator[AuditRecord]:
    while True:
        rows = list(
            session.scalars(
                select(AuditRecord).where(AuditRecord.id > after).order_by(AuditRecord.id).limit(batch)
            )
        )
        if not rows:
            return
        yield from rows
        after = rows[-1].id


def verify_chain(session: Session, keys: Sequence[bytes]) -> VerifyResult:
    """Walk the chain in the caller's transaction (which should hold the chain lock)."""
    expected_id, prev_hash, count = 1, GENESIS, 0
    bridge = read_rechain(session, keys)  # a key rotation re-signing the chain stopped midway
    for row in iter_records(session):
        if row.id != expected_id:
            return VerifyResult(False, count, expected_id, f"record {expected_id} is missing")
        if not mac_matches(keys, row):
            return VerifyResult(
                False, count, row.id, f"record {row.id} was altered or signed with an unknown key"
            )
        bridged = (
            bridge is not None
            and row.id == bridge.after + 1
            and hmac.compare_digest(prev_hash, bridge.new)
            and hmac.compare_digest(row.prev_hash, bridge.old)
        )
        if not bridged and not hmac.compare_digest(row.prev_hash, prev_hash):
            return VerifyResult(False, count, row.id, f"record {row.id} does not follow record {row.id - 1}")
        count, expected_id, prev_hash = count + 1, row.id + 1, row.hash
    last_id = expected_id - 1
    head = read_head(session)
    if head is None:
        if count:
            return VerifyResult(False, count, last_id, "the head checkpoint is missing")
        return VerifyResult(True, 0)
    if not any(hmac.compare_digest(_head_mac(k, head.id, head.hash), head.mac) for k in keys):
        return VerifyResult(False, count, max(head.id, 1), "the head checkpoint was altered")
    if head.id > last_id:
        return VerifyResult(
            False, count, last_id + 1, f"records {last_id + 1} to {head.id} are missing (tail cut off)"
        )
    if head.id < last_id or not hmac.compare_digest(head.hash, prev_hash):
        return VerifyResult(
            False,
            count,
            head.id + 1 if head.id < last_id else last_id,
            "the records do not match the head checkpoint",
        )
    return VerifyResult(True, count, head_id=head.id)


def verify(store: Store) -> VerifyResult:
    keys = audit_keys(store.crypto)
    with store.session() as session:
        lock_chain(session)  # a consistent view: no append lands between the walk and the head check
        return verify_chain(session, keys)


def list_records(store: Store, case_id: int | None = None, limit: int | None = 100) -> list[AuditView]:
    """Newest first."""
    with store.session() as session:
        query = select(AuditRecord).order_by(AuditRecord.id.desc())
        if case_id is not None:
            query = query.where(AuditRecord.case_id == case_id)
        if limit is not None:
            query = query.limit(limit)
        return [
            AuditView(r.id, r.at, r.actor, r.action, r.case_id, r.obj_type, r.obj_id, dict(r.details or {}))
            for r in session.scalars(query)
        ]


def count_records(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(AuditRecord)) or 0)
