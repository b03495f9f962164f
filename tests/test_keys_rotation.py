"""Key rotation: everything re-encrypted, readable with the new keys alone, old keys useless, crash-safe."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from storage import keys_rotation as kr
from storage.audit import list_records, record, verify
from storage.cases import add_target, add_term, list_cases, list_targets, list_terms
from storage.crypto import Cipher, Crypto
from storage.database import Store, open_store
from storage.errors import DecryptionError, KeyringError, RotationError, ValidationError
from storage.exposures import Observation, list_exposures, record_observation
from storage.keyring import Keyring, load_keyring
from storage.models import Base, Case, Export, Exposure, ExposureEvent, Sighting
from storage.runs import start_run
from tests.support.purge import CANARY, OTHER_TERM, key_path, populate

ROOT = Path(__file__).resolve().parent.parent


class Boom(Exception):
    pass


def _url(store: Store) -> str:
    return store.engine.url.render_as_string(hide_password=False)


def _fresh(store: Store) -> Store:
    """What a new process sees: the key file as it is now."""
    return open_store(_url(store), load_keyring(key_path(store)))


def _copy(keyring: Keyring) -> Keyring:
    return Keyring(
        data=list(keyring.data),
        index=list(keyring.index),
        cases={k: list(v) for k, v in keyring.cases.items()},
        path=None,
        audit=list(keyring.audit),
    )


def snapshot(store: Store) -> dict[str, Any]:
    """Every encrypted value, decrypted through the repositories (or the ciphers where none exists)."""
    cases = list_cases(store)
    out: dict[str, Any] = {
        "cases": [(c.id, c.label, c.notes, c.consent.statement) for c in cases],
        "terms": [(t.id, t.text, t.context) for c in cases for t in list_terms(store, c.id)],
        "targets": [(t.id, t.url) for t in list_targets(store)],
        "exposures": [
            (e.id, e.url, e.canonical_url, e.domain, e.title, e.snippet, e.term)
            for e in list_exposures(store)
        ],
    }
    with store.session() as session:
        sightings = session.execute(
            select(Sighting.id, Sighting.query_ct, Case.key_id)
            .join(Exposure, Exposure.id == Sighting.exposure_id)
            .join(Case, Case.id == Exposure.case_id)
            .order_by(Sighting.id)
        )
        out["sightings"] = [(i, store.crypto.for_case(k).decrypt_opt(q)) for i, q, k in sightings]
        events = session.execute(
            select(ExposureEvent.id, ExposureEvent.note_ct, Case.key_id)
            .join(Exposure, Exposure.id == ExposureEvent.exposure_id)
            .join(Case, Case.id == Exposure.case_id)
        )
        out["events"] = [(i, store.crypto.for_case(k).decrypt_opt(n)) for i, n, k in events]
        out["exports"] = [
            (i, store.crypto.data.decrypt_opt(p))
            for i, p in session.execute(select(Export.id, Export.path_ct))
        ]
    return out


def _stored_values(store: Store) -> dict[str, list[str]]:
    """Raw `_ct` tokens and `_idx` values, per kind."""
    tokens: list[str] = []
    indexes: list[str] = []
    with store.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            for column in table.columns:
                if column.name.endswith(("_ct", "_idx")):
                    values = [v for (v,) in conn.execute(select(column)) if v]
                    (tokens if column.name.endswith("_ct") else indexes).extend(values)
    return {"tokens": tokens, "indexes": indexes}


def _decryptable(keyring: Keyring, token: str) -> bool:
    for keys in [keyring.data, *keyring.cases.values()]:
        try:
            Cipher(keys).decrypt(token)
            return True
        except DecryptionError:
            pass
    return False


@pytest.fixture
def filled(store: Store) -> Store:
    a = populate(store, "aaa", "사건 A", CANARY)
    populate(store, "bbb", "사건 B", OTHER_TERM)
    add_target(store, "https://t.me/s/globalchan", "telegram", None)
    for i in range(5):
        record(store, "advocate", "case.show", case_id=a, details={"i": i})
    return store


def _assert_fully_rotated(store: Store, before: dict[str, Any], old: Keyring) -> None:
    keyring = load_keyring(key_path(store))
    assert len(keyring.data) == len(keyring.index) == len(keyring.audit) == 1
    assert all(len(keys) == 1 for keys in keyring.cases.values())
    assert (
        keyring.data[0] not in old.data
        and keyring.index[0] not in old.index
        and keyring.audit[0] not in old.audit
    )
    assert keyring.cases
    for key_id, keys in keyring.cases.items():
        assert keys[0] not in old.cases.get(key_id, [])
    new_only = open_store(_url(store), keyring)  # only the new keys exist now
    try:
        assert snapshot(new_only) == before
        result = verify(new_only)
        assert result.ok, result.reason
        stored = _stored_values(new_only)
        # The old keys open nothing that is stored, and their blind indexes match nothing.
        assert stored["tokens"] and not any(_decryptable(old, t) for t in stored["tokens"])
        old_crypto = Crypto(old)
        old_indexes = {old_crypto.index("term", t[1]) for t in before["terms"]}
        old_indexes |= {old_crypto.index("url", e[2]) for e in before["exposures"]}
        old_indexes |= {old_crypto.index("target", t[1]) for t in before["targets"]}
        assert old_indexes.isdisjoint(stored["indexes"])
        # Blind-index look-ups work with the new index key alone.
        case_a = before["cases"][0][0]
        with pytest.raises(ValidationError):
            add_term(new_only, case_a, CANARY)
        with pytest.raises(ValidationError):
            add_target(new_only, "https://t.me/s/globalchan", "telegram", None)
        with new_only.session() as session:
            url = "https://forum.example/aaa/0"
            _, created = record_observation(
                session,
                new_only.crypto,
                Observation(
                    case_id=case_a,
                    url=url,
                    canonical_url=url,
                    domain="forum.example",
                    platform="web",
                    title=None,
                    snippet=None,
                    confidence="engine",
                    source="brave",
                    seen_at=datetime.now(UTC),
                ),
            )
            assert created is False
    finally:
        new_only.close()


def test_rotation_rewrites_everything_and_retires_the_old_keys(filled: Store) -> None:
    before = snapshot(filled)
    old = _copy(filled.crypto.keyring)
    old_values = _stored_values(filled)
    report = kr.rotate(filled, "advocate", batch_size=2)
    assert not report.resumed and report.rounds == 1
    assert report.rows["terms"] == 2 and report.rows["exposures"] == 6 and report.rows["cases"] == 2
    assert report.audit_records >= 6
    new_values = _stored_values(filled)
    assert set(old_values["tokens"]).isdisjoint(new_values["tokens"])
    assert set(old_values["indexes"]).isdisjoint(new_values["indexes"])
    _assert_fully_rotated(filled, before, old)
    assert kr.pending(filled) is None and kr.last_rotation(filled) is not None
    actions = [(r.action, r.details.get("step")) for r in list_records(filled, limit=2)]
    assert actions == [("keys.rotate", "done"), ("keys.rotate", "start")]


@pytest.mark.parametrize("crash_after", [1, 4, 9, 14])  # 14: in the audit re-chaining
def test_a_crash_midway_leaves_everything_readable_and_resume_finishes(
    filled: Store, crash_after: int
) -> None:
    before = snapshot(filled)
    old = _copy(filled.crypto.keyring)

    def crash(phase: str, batches: int) -> None:
        if batches == crash_after:
            raise Boom(phase)

    with pytest.raises(Boom):
        kr.rotate(filled, "advocate", batch_size=2, after_batch=crash)
    other = _fresh(filled)  # a new process, old and new keys both in the key file
    try:
        assert kr.pending(other) is not None
        assert kr.key_status(other)["rotation_pending"] in ("reencrypt", "audit")
        assert len(load_keyring(key_path(filled)).data) == 2
        assert snapshot(other) == before
        assert verify(other).ok
        with pytest.raises(RotationError):
            kr.rotate(other, "advocate", resume_only=False, batch_size=0)
        report = kr.rotate(other, "advocate", resume_only=True, batch_size=3)
        assert report.resumed
    finally:
        other.close()
    _assert_fully_rotated(filled, before, old)


_KILL_SCRIPT = """
import sys, time
from pathlib import Path
from storage.database import open_store  # noqa
from storage.keyring import load_keyring
from storage.keys_rotation import rotate

store = open_store(sys.argv[1], load_keyring(Path(sys.argv[2])))
def slow(phase, batches):
    print(f"batch {batches} {phase}", flush=True)
    time.sleep(0.2)
rotate(store, "advocate", batch_size=1, after_batch=slow)
print("finished", flush=True)
"""


def test_kill_9_midway_then_resume(filled: Store) -> None:
    before = snapshot(filled)
    old = _copy(filled.crypto.keyring)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-c", _KILL_SCRIPT, _url(filled), str(key_path(filled))],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    assert proc.stdout is not None
    seen = []
    for line in proc.stdout:
        seen.append(line.strip())
        if line.startswith("batch 6 "):
            os.kill(proc.pid, signal.SIGKILL)
            break
    proc.wait(60)
    assert proc.returncode == -signal.SIGKILL, (seen, proc.stderr.read() if proc.stderr else "")
    other = _fresh(filled)
    try:
        assert kr.pending(other) is not None
        assert snapshot(other) == before
        kr.rotate(other, "advocate", resume_only=True)
    finally:
        other.close()
    _assert_fully_rotated(filled, before, old)


def test_rows_written_with_an_old_key_meanwhile_are_caught_by_the_check(filled: Store) -> None:
    """A straggling process that loaded the key file before the rotation keeps writing with old keys."""
    old = _copy(filled.crypto.keyring)
    straggler = Store(engine=filled.engine, crypto=Crypto(old), sessions=filled.sessions)
    case_b = list_cases(filled)[1].id
    written: list[int] = []

    def straggle(phase: str, batches: int) -> None:
        if phase == "audit" and not written:
            written.append(add_term(straggler, case_b, "늦은용어", "alias"))
            record(straggler, "crawler", "exposures.list")

    report = kr.rotate(filled, "advocate", batch_size=50, after_batch=straggle)
    assert written and report.rounds == 2
    before = snapshot(_fresh_view(filled))
    assert any(t[1] == "늦은용어" for t in before["terms"])
    _assert_fully_rotated(filled, before, old)


def _fresh_view(store: Store) -> Store:
    return Store(engine=store.engine, crypto=Crypto(load_keyring(key_path(store))), sessions=store.sessions)


def test_rotation_refused_while_a_crawl_runs(filled: Store) -> None:
    start_run(filled, "search")
    key_text = key_path(filled).read_text()
    with pytest.raises(RotationError, match="still running"):
        kr.rotate(filled, "advocate")
    assert key_path(filled).read_text() == key_text
    assert kr.pending(filled) is None
    kr.rotate(filled, "advocate", force=True)
    assert len(load_keyring(key_path(filled)).data) == 1


def test_a_broken_audit_trail_stops_the_rotation_before_any_key_is_retired(filled: Store) -> None:
    before = snapshot(filled)
    with filled.engine.begin() as conn:
        conn.execute(sa.text("UPDATE audit_log SET actor = 'forged' WHERE id = 2"))
    with pytest.raises(RotationError, match="audit trail is broken at record 2"):
        kr.rotate(filled, "advocate")
    assert len(load_keyring(key_path(filled)).data) == 2
    pending = kr.pending(filled)
    assert pending is not None and pending["phase"] == "audit"
    assert snapshot(_fresh_view(filled)) == before


def test_read_only_keys_cannot_rotate(filled: Store) -> None:
    read_only = open_store(_url(filled), load_keyring(Path("unused"), filled.crypto.keyring.to_json()))
    try:
        with pytest.raises(KeyringError):
            kr.rotate(read_only, "advocate")
    finally:
        read_only.close()


def test_resume_with_nothing_pending(store: Store) -> None:
    with pytest.raises(RotationError, match="no key rotation is pending"):
        kr.rotate(store, "advocate", resume_only=True)


def test_every_encrypted_column_of_the_models_is_rotated() -> None:
    every_ct = {
        (t.name, c.name) for t in Base.metadata.sorted_tables for c in t.columns if c.name.endswith("_ct")
    }
    every_idx = {
        (t.name, c.name) for t in Base.metadata.sorted_tables for c in t.columns if c.name.endswith("_idx")
    }
    specs = kr.encrypted_tables()
    assert every_ct == {(s.name, c) for s in specs for c in s.ct_columns}
    assert every_idx == {(s.name, i[0]) for s in specs for i in s.indexes}


def test_an_index_column_without_a_known_purpose_stops_rotation() -> None:
    metadata = sa.MetaData()
    sa.Table(
        "notes",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("text_ct", sa.Text),
        sa.Column("text_idx", sa.String(64)),
    )
    with pytest.raises(RotationError, match="notes.text_idx"):
        kr.encrypted_tables(metadata)


def test_fingerprints_reveal_no_key_material(filled: Store) -> None:
    status = kr.key_status(filled)
    keyring = filled.crypto.keyring
    text = repr(status)
    assert status["data"] == [kr.fingerprint(keyring.data[0])]
    assert len(status["cases"]) == 2 and status["unbound_case_keys"] == 0
    assert keyring.data[0].decode() not in text
    assert all(k.decode() not in text for keys in keyring.cases.values() for k in keys)
