"""Models, migrations, encryption at rest and exposure uniqueness, on SQLite and PostgreSQL."""

from __future__ import annotations

import multiprocessing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from storage.cases import (
    Consent,
    active_terms,
    add_target,
    add_term,
    close_case,
    create_case,
    get_case,
    list_terms,
)
from storage.database import (
    HEAD_REVISION,
    Store,
    current_revision,
    head_revision,
    make_engine,
    open_store,
)
from storage.errors import DatabaseError, KeyringError, NotFoundError, ValidationError
from storage.exposures import Observation, list_exposures, record_observation, record_observations
from storage.keyring import Keyring, create_keyring_file, load_keyring
from storage.runs import calls_today, finish_run, last_success, record_source, start_run

CONSENT = Consent(
    statement="victim, in person, signed form", recorded_by="advocate", recorded_at="2026-11-20"
)
CANARY = "캐너리홍길동QX7"


def _obs(case_id: int, url: str, seen: datetime, **kw: Any) -> Observation:
    base: dict[str, Any] = {
        "case_id": case_id,
        "url": url,
        "canonical_url": url,
        "domain": "forum.example",
        "platform": "web",
        "title": "title",
        "snippet": "snippet",
        "confidence": "snippet",
        "source": "naver",
        "seen_at": seen,
    }
    base.update(kw)
    return Observation(**base)


def test_migrations_reach_head(store: Store) -> None:
    assert current_revision(store.engine) == head_revision()
    # Opening a database checks it against the constant, not Alembic: a new migration moves both.
    assert head_revision() == HEAD_REVISION, "a new migration: set storage.database.HEAD_REVISION to it"
    names = set(sa.inspect(store.engine).get_table_names())
    assert {"cases", "terms", "targets", "runs", "run_sources", "exposures", "sightings", "exports"} <= names


def test_case_and_terms_round_trip_encrypted(store: Store) -> None:
    case_id = create_case(store, "사건 A", CONSENT, notes="메모")
    term_id = add_term(store, case_id, CANARY, "name", context=["가나다고"], exclude=["기상캐스터"])
    case = get_case(store, case_id)
    assert case.label == "사건 A" and case.notes == "메모" and case.consent.statement == CONSENT.statement
    [term] = list_terms(store, case_id)
    assert (term.id, term.text, term.context, term.exclude) == (
        term_id,
        CANARY,
        ("가나다고",),
        ("기상캐스터",),
    )
    with store.engine.connect() as conn:
        raw = " ".join(str(v) for row in conn.execute(sa.text("select * from terms")) for v in row)
        raw += " ".join(str(v) for row in conn.execute(sa.text("select * from cases")) for v in row)
    assert CANARY not in raw and "사건 A" not in raw and "가나다고" not in raw


def test_duplicate_term_refused_even_with_other_spacing(store: Store) -> None:
    case_id = create_case(store, "c", CONSENT)
    add_term(store, case_id, "홍길동", "name")
    with pytest.raises(ValidationError):
        add_term(store, case_id, " 홍길동 ", "name")


@pytest.mark.parametrize("bad", ["", "   "])
def test_empty_term_refused(store: Store, bad: str) -> None:
    case_id = create_case(store, "c", CONSENT)
    with pytest.raises(ValidationError):
        add_term(store, case_id, bad)


def test_unknown_case_refused(store: Store) -> None:
    with pytest.raises(NotFoundError):
        add_term(store, 999, "홍길동")


def test_closed_case_terms_not_watched(store: Store) -> None:
    open_id = create_case(store, "open", CONSENT)
    closed_id = create_case(store, "closed", CONSENT)
    add_term(store, open_id, "가나다라")
    add_term(store, closed_id, "나다라마")
    close_case(store, closed_id)
    assert [t.text for t in active_terms(store)] == ["가나다라"]


def test_exposure_unique_per_case_and_url(store: Store) -> None:
    a = create_case(store, "a", CONSENT)
    b = create_case(store, "b", CONSENT)
    t0 = datetime(2026, 11, 1, tzinfo=UTC)
    with store.session() as s:
        first, created1 = record_observation(s, store.crypto, _obs(a, "https://forum.example/1", t0))
        again, created2 = record_observation(
            s, store.crypto, _obs(a, "https://forum.example/1", t0 + timedelta(days=1), confidence="page")
        )
        other, created3 = record_observation(s, store.crypto, _obs(b, "https://forum.example/1", t0))
    assert (created1, created2, created3) == (True, False, True)
    assert first == again != other
    [exp] = list_exposures(store, case_id=a)
    assert exp.first_seen == t0 and exp.last_seen == t0 + timedelta(days=1)
    assert exp.confidence == "page"
    with store.engine.connect() as conn:
        assert conn.execute(sa.text("select count(*) from sightings")).scalar() == 3
        raw = " ".join(str(v) for row in conn.execute(sa.text("select * from exposures")) for v in row)
    assert "forum.example" not in raw


def test_confidence_never_goes_down(store: Store) -> None:
    a = create_case(store, "a", CONSENT)
    t0 = datetime(2026, 11, 1, tzinfo=UTC)
    with store.session() as s:
        record_observation(s, store.crypto, _obs(a, "https://x.example/", t0, confidence="page"))
        record_observation(s, store.crypto, _obs(a, "https://x.example/", t0, confidence="engine"))
    assert list_exposures(store)[0].confidence == "page"


def test_wrong_key_file_fails_closed(database_url: str, tmp_path: Path) -> None:
    right = create_keyring_file(tmp_path / "right.key")
    open_store(database_url, right, initialise=True).close()
    wrong = Keyring.generate()
    with pytest.raises(KeyringError, match="does not belong"):
        open_store(database_url, wrong)


def test_missing_or_loose_key_file_refused(tmp_path: Path) -> None:
    with pytest.raises(KeyringError, match="not found"):
        load_keyring(tmp_path / "absent.key")
    key = create_keyring_file(tmp_path / "k.key")
    assert key.path is not None
    key.path.chmod(0o644)
    with pytest.raises(KeyringError, match="readable by other users"):
        load_keyring(key.path)


def test_key_file_created_private(tmp_path: Path) -> None:
    key = create_keyring_file(tmp_path / "k.key")
    assert key.path is not None and key.path.stat().st_mode & 0o777 == 0o600


def test_uninitialised_database_refused(tmp_path: Path) -> None:
    with pytest.raises(DatabaseError, match="not initialised"):
        open_store(f"sqlite:///{tmp_path / 'x.sqlite'}", Keyring.generate())


def test_database_behind_the_head_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    open_store(url, Keyring.generate(), initialise=True).close()
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '0007'")
    engine.dispose()
    with pytest.raises(DatabaseError, match="out of date"):
        open_store(url, Keyring.generate())


def test_sqlite_runs_in_wal_with_busy_timeout(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'w.sqlite'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert int(conn.exec_driver_sql("PRAGMA busy_timeout").scalar() or 0) >= 5000
        assert conn.exec_driver_sql("PRAGMA secure_delete").scalar() == 1
    engine.dispose()


def test_run_ledger_outcomes_and_budget(store: Store) -> None:
    run_id = start_run(store, "search")
    record_source(store, run_id, "naver", "ok", calls=7, results=12, new_exposures=3)
    record_source(store, run_id, "brave", "quota", "daily quota exhausted", calls=2)
    finish_run(store, run_id, "partial")
    assert last_success(store, "naver") is not None
    assert last_success(store, "brave") is None
    assert calls_today(store, "naver", "Asia/Seoul") == 7


def _concurrent_writer(url: str, key_path: str, case_id: int, n: int) -> None:
    st = open_store(url, load_keyring(Path(key_path)))
    for i in range(n):
        with st.session() as s:
            record_observation(
                s, st.crypto, _obs(case_id, f"https://race.example/{i}", datetime.now(UTC), source=f"p{i}")
            )
    st.close()


def test_concurrent_upserts_from_several_processes(database_url: str, tmp_path: Path) -> None:
    keyring = create_keyring_file(tmp_path / "k.key")
    st = open_store(database_url, keyring, initialise=True)
    case_id = create_case(st, "race", CONSENT)
    ctx = multiprocessing.get_context("spawn")
    procs = [
        ctx.Process(target=_concurrent_writer, args=(database_url, str(keyring.path), case_id, 15))
        for _ in range(4)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    exposures = list_exposures(st, case_id=case_id)
    assert len(exposures) == 15
    with st.engine.connect() as conn:
        assert conn.execute(sa.text("select count(*) from sightings")).scalar() == 60
    st.close()


def test_target_requires_open_case(store: Store) -> None:
    case_id = create_case(store, "c", CONSENT)
    close_case(store, case_id)
    with pytest.raises(ValidationError):
        add_target(store, "https://forum.example/x", "web", case_id)


def test_target_of_a_case_is_encrypted_with_the_case_key(store: Store) -> None:
    """Purging a case destroys its key: its watched URLs must go with it, even in old backups."""
    from storage.cases import list_targets
    from storage.models import Target

    case_id = create_case(store, "c", CONSENT)
    bound = add_target(store, "https://forum.example/bound", "web", case_id)
    free = add_target(store, "https://forum.example/free", "web")
    with store.session() as s:
        token = {t.id: t.url_ct for t in s.scalars(sa.select(Target))}
    case_key = store.crypto.keyring.cases[next(iter(store.crypto.keyring.cases))]
    from storage.crypto import Cipher

    assert Cipher(case_key).decrypt(token[bound]) == "https://forum.example/bound"
    assert store.crypto.data.decrypt(token[free]) == "https://forum.example/free"
    assert {t.url for t in list_targets(store)} == {
        "https://forum.example/bound",
        "https://forum.example/free",
    }


def test_a_batch_records_what_one_by_one_records(store: Store) -> None:
    a = create_case(store, "a", CONSENT)
    b = create_case(store, "b", CONSENT)
    t0 = datetime(2026, 11, 1, tzinfo=UTC)
    with store.session() as s:
        known, _ = record_observation(s, store.crypto, _obs(a, "https://forum.example/known", t0))
    later = t0 + timedelta(days=1)
    batch = [
        _obs(a, "https://forum.example/known", later, confidence="page", title="better"),
        _obs(a, "https://forum.example/new", later),
        _obs(a, "https://forum.example/new", later, confidence="page"),  # twice on one page
        _obs(b, "https://forum.example/new", later, confidence="engine"),
    ]
    with store.session() as s:
        recorded = record_observations(s, store.crypto, batch)
    assert [created for _, created in recorded] == [False, True, False, True]
    assert recorded[0][0] == known and recorded[1][0] == recorded[2][0] != recorded[3][0]
    by_url = {e.url: e for e in list_exposures(store, case_id=a)}
    assert by_url["https://forum.example/known"].confidence == "page"
    assert by_url["https://forum.example/known"].title == "better"
    assert by_url["https://forum.example/known"].last_seen == later
    assert by_url["https://forum.example/new"].confidence == "page"
    assert [e.confidence for e in list_exposures(store, case_id=b)] == ["engine"]
    with store.session() as s:
        single = record_observation(
            s, store.crypto, _obs(b, "https://forum.example/single", later, confidence="engine")
        )[0]
    scores = {e.id: (e.score, e.tier) for e in list_exposures(store)}
    assert all(score is not None and tier for score, tier in scores.values())
    assert scores[recorded[3][0]] == scores[single]  # same evidence, same score either way
    with store.engine.connect() as conn:
        assert conn.execute(sa.text("select count(*) from sightings")).scalar() == 6  # 1 + 4 + 1
    with store.session() as s, pytest.raises(ValidationError):
        record_observations(s, store.crypto, [_obs(a, "https://forum.example/x", t0, confidence="maybe")])
