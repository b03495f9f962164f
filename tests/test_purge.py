"""Purging a case: its rows (only its rows) and its key gone, and its bytes gone from SQLite files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from storage import purge
from storage.audit import list_records, verify
from storage.cases import add_target, get_case, list_cases
from storage.crypto import Cipher
from storage.database import Store, open_store
from storage.errors import DecryptionError, KeyringError, NotFoundError
from storage.exposures import list_exposures
from storage.keyring import Keyring, load_keyring
from storage.models import Case, Export, ExportItem
from tests.support.home import files_under
from tests.support.purge import CANARY, OTHER_TERM, key_path, populate

# Ciphertext of a case, under the case's own key: what must become unreadable.
_JOIN = "JOIN exposures e ON e.id = x.exposure_id WHERE e.case_id = :c"
CASE_TOKENS = [
    "SELECT label_ct, notes_ct, consent_ct FROM cases WHERE id = :c",
    "SELECT term_ct, context_ct FROM terms WHERE case_id = :c",
    "SELECT canonical_url_ct, url_ct, domain_ct, title_ct, snippet_ct FROM exposures WHERE case_id = :c",
    f"SELECT x.query_ct FROM sightings x {_JOIN}",
    f"SELECT x.note_ct FROM exposure_events x {_JOIN}",
]


def _all_cases_export(store: Store) -> int:
    with store.session() as session:
        export = Export(format="csv", only_new=True, case_id=None, include_terms=False, count=0)
        session.add(export)
        session.flush()
        for (eid,) in session.execute(sa.text("SELECT id FROM exposures")):
            session.add(ExportItem(export_id=export.id, exposure_id=eid, only_new=True))
        return export.id


def _case_tokens(store: Store, case_id: int) -> list[str]:
    out: list[str] = []
    with store.engine.connect() as conn:
        for query in CASE_TOKENS:
            for row in conn.execute(sa.text(query), {"c": case_id}):
                out.extend(v for v in row if v)
    return out


def _counts(store: Store, case_id: int) -> dict[str, int]:
    queries = {
        "cases": "SELECT count(*) FROM cases WHERE id = :c",
        "terms": "SELECT count(*) FROM terms WHERE case_id = :c",
        "targets": "SELECT count(*) FROM targets WHERE case_id = :c",
        "exposures": "SELECT count(*) FROM exposures WHERE case_id = :c",
        "sightings": f"SELECT count(*) FROM sightings x {_JOIN}",
        "evidence": f"SELECT count(*) FROM evidence x {_JOIN}",
        "exposure_events": f"SELECT count(*) FROM exposure_events x {_JOIN}",
        "exports": "SELECT count(*) FROM exports WHERE case_id = :c",
        "export_items": f"SELECT count(*) FROM export_items x {_JOIN}",
    }
    with store.engine.connect() as conn:
        return {
            name: int(conn.execute(sa.text(q), {"c": case_id}).scalar() or 0) for name, q in queries.items()
        }


def test_purge_deletes_every_row_of_the_case_and_nothing_else(store: Store) -> None:
    a = populate(store, "aaa", "사건 A", CANARY)
    b = populate(store, "bbb", "사건 B", OTHER_TERM)
    add_target(store, "https://t.me/s/globalchan", "telegram", None)
    all_export = _all_cases_export(store)
    before_b = _counts(store, b)
    assert all(n > 0 for n in _counts(store, a).values())
    key_a = get_key_id(store, a)

    report = purge.purge_case(store, a, "advocate")

    assert report is not None and report.key_removed
    assert _counts(store, a) == {name: 0 for name in before_b}
    assert _counts(store, b) == before_b
    assert [c.id for c in list_cases(store)] == [b]
    assert {e.case_id for e in list_exposures(store)} == {b}
    with store.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM targets WHERE case_id IS NULL")).scalar() == 1
        items = conn.execute(
            sa.text("SELECT count(*) FROM export_items WHERE export_id = :e"), {"e": all_export}
        )
        assert items.scalar() == 3  # the all-cases export keeps case B's items only
        assert conn.execute(sa.text("SELECT count(*) FROM runs")).scalar() == 2
    assert key_a not in load_keyring(key_path(store)).cases
    assert get_key_id(store, b) in load_keyring(key_path(store)).cases
    # The audit record keeps the case id and counts, never the label or a term.
    [last] = list_records(store, limit=1)
    assert (last.action, last.case_id) == ("case.purge", a)
    assert last.details["terms"] == 1 and last.details["exposures"] == 3
    assert "사건 A" not in json.dumps(last.details, ensure_ascii=False)
    assert verify(store).ok


def get_key_id(store: Store, case_id: int) -> str:
    with store.session() as session:
        case = session.get(Case, case_id)
        assert case is not None
        return case.key_id


def _readable_by(keyring: Keyring, token: str) -> bool:
    families = [keyring.data, *keyring.cases.values()]
    for keys in families:
        try:
            Cipher(keys).decrypt(token)
            return True
        except DecryptionError:
            continue
    return False


def test_purged_ciphertext_in_an_old_copy_is_unreadable_with_the_key_file(store: Store) -> None:
    a = populate(store, "aaa", "사건 A", CANARY)
    b = populate(store, "bbb", "사건 B", OTHER_TERM)
    old_tokens = _case_tokens(store, a)  # what a backup taken now would hold
    assert len(old_tokens) >= 15
    assert all(_readable_by(store.crypto.keyring, t) for t in old_tokens)  # the check can fail
    purge.purge_case(store, a, "advocate")
    current = load_keyring(key_path(store))
    assert not any(_readable_by(current, t) for t in old_tokens)
    assert all(_readable_by(current, t) for t in _case_tokens(store, b))


def test_an_old_sqlite_backup_cannot_be_read_after_purge(tmp_path: Path) -> None:
    from storage.keyring import create_keyring_file

    keyring = create_keyring_file(tmp_path / "keys" / "jikimi.key")
    db = tmp_path / "db" / "jikimi.sqlite"
    store = open_store(f"sqlite:///{db}", keyring, initialise=True)
    a = populate(store, "aaa", "사건 A", CANARY)
    b = populate(store, "bbb", "사건 B", OTHER_TERM)
    purge.compact_sqlite(store.engine)  # everything in the main file, so one copy is a full backup
    backup = tmp_path / "backup" / "jikimi.sqlite"
    backup.parent.mkdir()
    shutil.copy(db, backup)
    purge.purge_case(store, a, "advocate")
    store.close()
    old = open_store(f"sqlite:///{backup}", load_keyring(tmp_path / "keys" / "jikimi.key"))
    try:
        assert get_case(old, b).label == "사건 B"
        with pytest.raises(KeyringError):
            get_case(old, a)
        with pytest.raises(KeyringError):
            list_exposures(old, case_id=a)
    finally:
        old.close()


def test_sqlite_files_hold_no_trace_of_the_purged_case(tmp_path: Path) -> None:
    from storage.keyring import create_keyring_file

    keyring = create_keyring_file(tmp_path / "keys" / "jikimi.key")
    db = tmp_path / "db" / "jikimi.sqlite"
    store = open_store(f"sqlite:///{db}", keyring, initialise=True)
    a = populate(store, "aaa", "사건 A", CANARY)
    b = populate(store, "bbb", "사건 B", OTHER_TERM)
    tokens_a = _case_tokens(store, a)
    with store.engine.connect() as conn:
        index_a = [
            r[0] for r in conn.execute(sa.text("SELECT url_idx FROM exposures WHERE case_id = :c"), {"c": a})
        ]
        index_a += [
            r[0] for r in conn.execute(sa.text("SELECT term_idx FROM terms WHERE case_id = :c"), {"c": a})
        ]
    tokens_b = _case_tokens(store, b)

    def raw() -> bytes:
        return b"".join(p.read_bytes() for p in files_under([tmp_path]))

    before = raw()
    assert CANARY.encode() not in before  # never stored in the clear
    assert all(t.encode() in before for t in tokens_a)  # the scan sees the ciphertext while it exists
    purge.purge_case(store, a, "advocate")
    after = raw()
    assert CANARY.encode() not in after
    leftovers = [t for t in tokens_a + index_a if t.encode() in after]
    assert leftovers == []
    assert all(t.encode() in after for t in tokens_b)
    wal = db.with_name(db.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0
    store.close()


def test_interrupted_purge_is_finished_later(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    a = populate(store, "aaa", "사건 A", CANARY)
    b = populate(store, "bbb", "사건 B", OTHER_TERM)
    key_a = get_key_id(store, a)

    def disk_full(keyring: Keyring) -> None:
        raise OSError("no space left on device")

    monkeypatch.setattr(purge, "locked_keyring", disk_full)
    with pytest.raises(OSError):
        purge.purge_case(store, a, "advocate")
    monkeypatch.undo()
    assert _counts(store, a)["cases"] == 0  # rows went in one transaction
    assert key_a in load_keyring(key_path(store)).cases  # the key did not
    assert purge.pending_purges(store) == [key_a]
    assert purge.finish_pending(store) == 1
    assert key_a not in load_keyring(key_path(store)).cases
    assert purge.pending_purges(store) == []
    assert get_case(store, b).label == "사건 B"


def test_purge_refused_with_read_only_keys(store: Store) -> None:
    a = populate(store, "aaa", "사건 A", CANARY)
    url = store.engine.url.render_as_string(hide_password=False)
    keyring = load_keyring(Path("unused"), store.crypto.keyring.to_json())
    read_only = open_store(url, keyring)
    try:
        with pytest.raises(KeyringError):
            purge.purge_case(read_only, a, "advocate")
    finally:
        read_only.close()
    assert _counts(store, a)["terms"] == 1


def test_purge_unknown_case(store: Store) -> None:
    with pytest.raises(NotFoundError):
        purge.purge_case(store, 404, "advocate")


def test_case_tables_cover_every_table_that_points_at_a_case() -> None:
    names = {t.name for t in purge.case_tables()}
    assert {
        "terms",
        "targets",
        "exposures",
        "sightings",
        "evidence",
        "exposure_events",
        "exports",
        "export_items",
    } <= names
    assert "runs" not in names and "audit_log" not in names
