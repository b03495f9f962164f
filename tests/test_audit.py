"""The audit trail: appended in order, HMAC-chained, and any edit, deletion, reordering or cut detected."""

from __future__ import annotations

import hashlib
import hmac
import json
import multiprocessing
import secrets
from pathlib import Path

import pytest
import sqlalchemy as sa

from storage import audit
from storage.audit import append, list_records, record, verify
from storage.database import Store, open_store
from storage.errors import AuditDetailsError, KeyringError
from storage.keyring import load_keyring, parse_keyring, save_keyring

N = 6


def _fill(store: Store, n: int = N) -> None:
    for i in range(n):
        record(store, "advocate", "case.show", case_id=1 + i % 2, obj=("term", i), details={"count": i})


def _exec(store: Store, *statements: str) -> None:
    with store.engine.begin() as conn:
        for statement in statements:
            conn.execute(sa.text(statement))


def test_append_gives_a_contiguous_intact_chain(store: Store) -> None:
    _fill(store)
    result = verify(store)
    assert (result.ok, result.records, result.first_broken_id) == (True, N, None)
    records = list_records(store, limit=None)
    assert [r.id for r in records] == list(range(N, 0, -1))
    assert [r.id for r in list_records(store, case_id=2, limit=None)] == [6, 4, 2]
    assert records[-1].details == {"count": 0} and records[-1].obj_type == "term"


def test_empty_trail_is_intact(store: Store) -> None:
    assert verify(store).ok and verify(store).records == 0


REORDER = (
    "UPDATE audit_log SET id = -2 WHERE id = 2",
    "UPDATE audit_log SET id = 2 WHERE id = 3",
    "UPDATE audit_log SET id = 3 WHERE id = -2",
)


@pytest.mark.parametrize(
    ("statements", "first_broken"),
    [
        (("UPDATE audit_log SET action = 'case.list' WHERE id = 3",), 3),
        (("UPDATE audit_log SET actor = 'someone-else' WHERE id = 4",), 4),
        (("UPDATE audit_log SET case_id = 99 WHERE id = 2",), 2),
        (("UPDATE audit_log SET details = '{\"count\": 99}' WHERE id = 5",), 5),
        (("UPDATE audit_log SET at = '2020-01-01 00:00:00' WHERE id = 1",), 1),
        (("UPDATE audit_log SET hash = prev_hash WHERE id = 3",), 3),
        (("DELETE FROM audit_log WHERE id = 3",), 3),
        (("DELETE FROM audit_log WHERE id = 1",), 1),
        (REORDER, 2),
        (("DELETE FROM audit_log WHERE id >= 5",), 5),  # tail cut off: the checkpoint knows
        (("DELETE FROM meta WHERE key = 'audit.head'",), N),
        (("DELETE FROM audit_log", "DELETE FROM meta WHERE key = 'audit.head'"), None),
    ],
    ids=[
        "edit-action",
        "edit-actor",
        "edit-case",
        "edit-details",
        "edit-time",
        "edit-hash",
        "delete-middle",
        "delete-first",
        "reorder",
        "truncate-tail",
        "delete-checkpoint",
        "wipe-everything",
    ],
)
def test_tampering_is_detected(store: Store, statements: tuple[str, ...], first_broken: int | None) -> None:
    _fill(store)
    _exec(store, *statements)
    result = verify(store)
    if first_broken is None:
        # Wiping rows and checkpoint together leaves an empty trail: it verifies, but shows 0 records,
        # which `jikimi audit verify` prints (the advocate sees the history is gone).
        assert result.ok and result.records == 0
        return
    assert not result.ok
    assert result.first_broken_id == first_broken, result.reason


def test_cut_tail_with_copied_checkpoint_is_detected(store: Store) -> None:
    """An insider cuts the tail and points the checkpoint at the new last row: the MAC of the head fails."""
    _fill(store)
    with store.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM audit_log WHERE id > 4"))
        row_hash = conn.execute(sa.text("SELECT hash FROM audit_log WHERE id = 4")).scalar()
        head = json.loads(
            conn.execute(sa.text("SELECT value FROM meta WHERE key = 'audit.head'")).scalar_one()
        )
        head.update(id=4, hash=row_hash)
        conn.execute(sa.text("UPDATE meta SET value = :v WHERE key = 'audit.head'"), {"v": json.dumps(head)})
    result = verify(store)
    assert not result.ok and "checkpoint" in (result.reason or "")


def test_insider_without_the_key_cannot_rebuild_the_chain(store: Store) -> None:
    """Edit record 3, then recompute every later hash and the checkpoint with a key of one's own."""
    _fill(store)
    forged_key = secrets.token_bytes(32)
    with store.session() as session:
        rows = list(audit.iter_records(session))
        rows[2].action = "case.list"
        prev = rows[1].hash
        for row in rows[2:]:
            row.prev_hash = prev
            row.hash = audit.record_mac(forged_key, row)
            prev = row.hash
        audit.write_head(session, forged_key, rows[-1].id, prev)
    result = verify(store)
    assert not result.ok and result.first_broken_id == 3


def test_append_after_a_cut_keeps_the_gap_visible(store: Store) -> None:
    _fill(store)
    _exec(store, "DELETE FROM audit_log WHERE id >= 5")
    new_id = record(store, "advocate", "status")
    assert new_id == N + 1  # linked to the checkpoint, not to the cut row 4
    result = verify(store)
    assert not result.ok and result.first_broken_id == 5


@pytest.mark.parametrize(
    "details",
    [
        {"term": "홍길동"},
        {"label": "case of Kim"},
        {"url": "https://forum.example/post/1"},
        {"note": "x" * 65},
        {"nested": {"a": 1}},
        {"terms": ["ok", "홍길동"]},
        {"Bad Key": 1},
        {"score": 1.5},
    ],
    ids=["hangul", "spaces", "url", "long", "nested", "list-with-term", "bad-key", "float"],
)
def test_details_refuse_anything_that_could_be_sensitive(store: Store, details: dict[str, object]) -> None:
    with pytest.raises(AuditDetailsError) as caught:
        record(store, "advocate", "term.add", details=details)
    assert "홍길동" not in str(caught.value) and "forum.example" not in str(caught.value)
    assert verify(store).records == 0  # nothing appended


@pytest.mark.parametrize("action", ["Case.Show", "case show", "", "case.", "x" * 65])
def test_bad_action_names_refused(store: Store, action: str) -> None:
    with pytest.raises(AuditDetailsError):
        record(store, "advocate", action)


def test_append_joins_the_callers_transaction(store: Store) -> None:
    with pytest.raises(RuntimeError), store.session() as session:
        append(session, store.crypto, "advocate", "case.close", case_id=1)
        raise RuntimeError("the change failed")
    assert list_records(store) == []
    record(store, "advocate", "case.close", case_id=1)
    assert verify(store).ok and [r.id for r in list_records(store)] == [1]


def test_key_file_without_audit_key_still_loads_and_init_adds_one(tmp_path: Path) -> None:
    old = {
        "format": "jikimi-keyring/1",
        "data": ["cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4="],
        "index": ["AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="],
        "cases": {},
    }
    path = tmp_path / "jikimi.key"
    keyring = parse_keyring(json.dumps(old), path)
    assert keyring.audit == []
    with pytest.raises(KeyringError):
        audit.audit_keys(keyring)
    save_keyring(keyring)
    assert audit.ensure_audit_key(keyring) is True
    assert audit.ensure_audit_key(keyring) is False
    reloaded = load_keyring(path)
    assert len(reloaded.audit) == 1 and reloaded.audit == keyring.audit
    assert reloaded.data == keyring.data and reloaded.index == keyring.index


def test_verify_uses_the_key_file_not_just_a_hash(store: Store) -> None:
    """A chain of plain SHA-256 digests (what an attacker can compute) is not accepted."""
    _fill(store, 2)
    with store.session() as session:
        rows = list(audit.iter_records(session))
        payload = audit._payload(
            rows[0].id,
            rows[0].at,
            rows[0].actor,
            rows[0].action,
            rows[0].case_id,
            rows[0].obj_type,
            rows[0].obj_id,
            rows[0].details,
            rows[0].prev_hash,
        )
        assert rows[0].hash == hmac.new(store.crypto.keyring.audit[0], payload, hashlib.sha256).hexdigest()
        assert rows[0].hash != hashlib.sha256(payload).hexdigest()


def _appender(url: str, key_path: str, n: int, who: str) -> None:
    st = open_store(url, load_keyring(Path(key_path)))
    for i in range(n):
        record(st, who, "exposures.list", details={"count": i})
    st.close()


def test_concurrent_appends_never_fork_the_chain(store: Store) -> None:
    ctx = multiprocessing.get_context("spawn")
    url = store.engine.url.render_as_string(hide_password=False)
    procs = [
        ctx.Process(target=_appender, args=(url, str(store.crypto.keyring.path), 20, f"p{i}"))
        for i in range(3)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(180)
        assert p.exitcode == 0
    result = verify(store)
    assert result.ok and result.records == 60
    actors = [r.actor for r in list_records(store, limit=None)]
    assert sorted(set(actors)) == ["p0", "p1", "p2"]
