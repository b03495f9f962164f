"""Exports on SQLite and PostgreSQL: `--new` delivers exactly once, terms stay in, files all or nothing."""

from __future__ import annotations

import csv
import io
import json
import multiprocessing
import stat
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from storage.cases import Consent, add_term, create_case
from storage.database import Store, open_store
from storage.errors import ExportConflictError, NotFoundError, ValidationError
from storage.exports import exported_exposure_ids, list_exports, record_export
from storage.exposures import Observation, record_observation
from storage.keyring import load_keyring
from storage.models import Exposure
from takedown import exporting
from takedown.exporting import ExportResult, export_exposures
from tests.support.exports import CANARY, T0, add_exposure, seed_case

HOSTILE_TITLE = '=HYPERLINK("http://evil.example","x") <script>alert(1)</script> {{7*7}}'
FORMATS = ("csv", "jsonl", "html")


def set_status(store: Store, exposure_id: int, status: str) -> None:
    with store.session() as s:
        row = s.get(Exposure, exposure_id)
        assert row is not None
        row.status = status


def export(store: Store, path: Path | str, fmt: str = "jsonl", **kw: Any) -> ExportResult:
    kw.setdefault("actor", "tester")
    return export_exposures(store, fmt=fmt, output=path, **kw)


def jsonl_ids(path: Path) -> list[int]:
    return [json.loads(line)["id"] for line in path.read_text(encoding="utf-8").splitlines()]


def export_rows(store: Store) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(sa.text("select count(*) from exports")).scalar_one())


def export_item_rows(store: Store) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(sa.text("select count(*) from export_items")).scalar_one())


@pytest.fixture
def out(tmp_path: Path) -> Path:
    """An empty directory for export files (the store's own files live elsewhere under tmp_path)."""
    path = tmp_path / "out"
    path.mkdir()
    return path


# --- --new: exactly once ---


def test_a_temporary_file_left_by_an_export_killed_before_its_commit_is_removed(
    store: Store, out: Path
) -> None:
    seed_case(store)
    # What `_write_temp` leaves when the process dies before the delivery is recorded: decrypted rows
    # that nobody will ever place (the next export delivers them itself).
    orphan = out / ".jikimi-new-2026-11-24-030007.jsonl.x7k2_q9a.tmp"
    orphan.write_text('{"id": 1, "title": "left behind"}\n', encoding="utf-8")
    unrelated = out / ".keep"
    unrelated.write_text("", encoding="utf-8")
    result = export(store, out / "feed.jsonl", only_new=True)
    assert not orphan.exists()
    assert unrelated.exists()  # only the exporter's own temporary names are swept
    assert result.count == len(jsonl_ids(out / "feed.jsonl"))


@pytest.mark.parametrize("fmt", FORMATS)
def test_new_twice_second_file_is_empty(store: Store, out: Path, fmt: str) -> None:
    case_id, term_id = seed_case(store)
    ids = [add_exposure(store, case_id, f"https://forum.example/{i}", term_id=term_id) for i in range(3)]
    first = export(store, out / f"first.{fmt}", fmt, only_new=True)
    assert first.count == 3 and exported_exposure_ids(store, first.export_id) == ids
    second = export(store, out / f"second.{fmt}", fmt, only_new=True)
    assert second.count == 0 and exported_exposure_ids(store, second.export_id) == []
    body = second.path.read_bytes()
    if fmt == "csv":
        assert body.decode("utf-8-sig").splitlines() == [",".join(exporting.FIELDS)]
    elif fmt == "jsonl":
        assert body == b""
    else:
        assert "Nothing new since the last export." in body.decode()
        assert "forum.example" not in body.decode()


def test_new_delivers_only_what_came_after(store: Store, out: Path) -> None:
    case_id, _ = seed_case(store)
    old = add_exposure(store, case_id, "https://forum.example/old")
    export(store, out / "a.jsonl", only_new=True)
    # seen again: not new
    add_exposure(store, case_id, "https://forum.example/old", seen=T0 + timedelta(days=1))
    fresh = add_exposure(store, case_id, "https://forum.example/fresh")
    result = export(store, out / "b.jsonl", only_new=True)
    assert jsonl_ids(result.path) == [fresh] and old != fresh


def test_full_export_ignores_and_keeps_the_new_feed(store: Store, out: Path) -> None:
    """A plain export delivers everything and does not count as a delivery for `--new`."""
    case_id, _ = seed_case(store)
    ids = [add_exposure(store, case_id, f"https://forum.example/{i}") for i in range(2)]
    assert jsonl_ids(export(store, out / "all.jsonl").path) == ids
    assert jsonl_ids(export(store, out / "new.jsonl", only_new=True).path) == ids
    assert jsonl_ids(export(store, out / "all2.jsonl").path) == ids


def test_dismissed_never_in_new_but_listed_in_full_export(store: Store, out: Path) -> None:
    case_id, _ = seed_case(store)
    keep = add_exposure(store, case_id, "https://forum.example/keep")
    dismissed = add_exposure(store, case_id, "https://forum.example/namesake")
    set_status(store, dismissed, "dismissed")
    assert jsonl_ids(export(store, out / "new.jsonl", only_new=True).path) == [keep]
    records = [json.loads(line) for line in (export(store, out / "all.jsonl").path).read_text().splitlines()]
    assert [(r["id"], r["status"]) for r in records] == [(keep, "new"), (dismissed, "dismissed")]
    # Re-opened later, it is delivered by the next --new export, once.
    set_status(store, dismissed, "confirmed")
    assert jsonl_ids(export(store, out / "new2.jsonl", only_new=True).path) == [dismissed]
    assert export(store, out / "new3.jsonl", only_new=True).count == 0


def test_case_filter(store: Store, out: Path) -> None:
    a, _ = seed_case(store, "a", "zq_term_a")
    b, _ = seed_case(store, "b", "zq_term_b")
    in_a = add_exposure(store, a, "https://forum.example/a")
    in_b = add_exposure(store, b, "https://forum.example/b")
    assert jsonl_ids(export(store, out / "a.jsonl", only_new=True, case_id=a).path) == [in_a]
    # b's exposure was not delivered by a's export
    assert jsonl_ids(export(store, out / "rest.jsonl", only_new=True).path) == [in_b]


def test_unknown_case_writes_and_records_nothing(store: Store, out: Path) -> None:
    with pytest.raises(NotFoundError):
        export(store, out / "x.csv", "csv", case_id=999)
    assert list(out.iterdir()) == [] and export_rows(store) == 0


@pytest.mark.parametrize(
    ("kwargs", "exc"),
    [
        ({"fmt": "xlsx"}, ValidationError),
        ({"output_dir": "missing/deeper"}, ValidationError),
        ({"output_dir": "is_a_dir", "name": ""}, ValidationError),
    ],
    ids=["format", "missing-dir", "output-is-dir"],
)
def test_bad_input_writes_and_records_nothing(
    store: Store, out: Path, kwargs: dict[str, str], exc: type[Exception]
) -> None:
    case_id, _ = seed_case(store)
    add_exposure(store, case_id, "https://forum.example/1")
    (out / "is_a_dir").mkdir()
    target = out / kwargs.get("output_dir", ".") / kwargs.get("name", "out.csv")
    with pytest.raises(exc):
        export_exposures(store, fmt=kwargs.get("fmt", "csv"), output=target, only_new=True, actor="t")
    assert sorted(p.name for p in out.iterdir()) == ["is_a_dir"]
    assert list((out / "is_a_dir").iterdir()) == []
    assert export_rows(store) == 0


def test_nightly_never_replaces_an_earlier_feed(store: Store, out: Path) -> None:
    """With overwrite=False (the nightly job) an existing file is refused; its exposures stay undelivered."""
    case_id, _ = seed_case(store)
    exposure_id = add_exposure(store, case_id, "https://forum.example/1")
    earlier = exporting.nightly_export_path(out, T0, "jsonl")
    earlier.write_text("delivered yesterday", encoding="utf-8")
    with pytest.raises(ValidationError):
        export(store, earlier, only_new=True, overwrite=False)
    assert earlier.read_text(encoding="utf-8") == "delivered yesterday" and export_rows(store) == 0
    later = exporting.nightly_export_path(out, T0 + timedelta(seconds=1), "jsonl")
    assert jsonl_ids(export(store, later, only_new=True, overwrite=False).path) == [exposure_id]


def test_relative_output_path(store: Store, out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(out)
    result = export(store, "relative.csv", "csv")
    assert result.path == out.resolve() / "relative.csv" and result.path.is_file()


def test_export_is_recorded_with_encrypted_path(store: Store, out: Path) -> None:
    case_id, _ = seed_case(store)
    add_exposure(store, case_id, "https://forum.example/1")
    target = out / "사건A-takedown.csv"
    result = export(store, target, "csv", only_new=True, case_id=case_id)
    [record] = list_exports(store)
    got = (record.id, record.format, record.only_new, record.case_id, record.count, record.include_terms)
    assert got == (result.export_id, "csv", True, case_id, 1, False)
    assert record.path == str(target)
    with store.engine.connect() as conn:
        raw = " ".join(str(v) for row in conn.execute(sa.text("select * from exports")) for v in row)
    assert "사건A" not in raw


def test_file_is_private(store: Store, out: Path) -> None:
    case_id, _ = seed_case(store)
    add_exposure(store, case_id, "https://forum.example/1")
    result = export(store, out / "out.html", "html")
    assert stat.S_IMODE(result.path.stat().st_mode) == 0o600


# --- all or nothing ---


def _failing_renderer(rows: Any, out: TextIO, meta: Any) -> None:
    out.write("half a file")
    raise RuntimeError("disk full (simulated)")


@pytest.mark.parametrize("only_new", [True, False])
def test_failure_mid_write_leaves_no_file_and_records_nothing(
    store: Store, out: Path, monkeypatch: pytest.MonkeyPatch, only_new: bool
) -> None:
    case_id, _ = seed_case(store)
    ids = [add_exposure(store, case_id, f"https://forum.example/{i}") for i in range(3)]
    previous = out / "feed.csv"
    previous.write_text("yesterday's file", encoding="utf-8")
    monkeypatch.setitem(exporting.RENDERERS, "csv", _failing_renderer)
    with pytest.raises(RuntimeError):
        export(store, previous, "csv", only_new=only_new, overwrite=True)  # even with --force
    assert [p.name for p in out.iterdir()] == ["feed.csv"]  # no temporary file left behind
    assert previous.read_text(encoding="utf-8") == "yesterday's file"
    assert export_rows(store) == 0 and export_item_rows(store) == 0
    monkeypatch.undo()
    assert jsonl_ids(export(store, out / "retry.jsonl", only_new=True).path) == ids


def test_failure_at_rename_leaves_no_file_and_records_nothing(
    store: Store, out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    case_id, _ = seed_case(store)
    add_exposure(store, case_id, "https://forum.example/1")

    def refuse(src: Any, dst: Any) -> None:
        raise PermissionError(13, "Permission denied")

    # The file gets its name with os.link (never replacing), or os.replace with --force: refuse both.
    monkeypatch.setattr("takedown.exporting.os.replace", refuse)
    monkeypatch.setattr("takedown.exporting.os.link", refuse)
    with pytest.raises(PermissionError):
        export(store, out / "out.jsonl", only_new=True)
    with pytest.raises(PermissionError):
        export(store, out / "out.jsonl", only_new=True, overwrite=True)
    monkeypatch.undo()
    assert list(out.iterdir()) == [] and export_rows(store) == 0


def test_failed_commit_takes_the_file_back(store: Store, out: Path) -> None:
    case_id, _ = seed_case(store)
    exposure_id = add_exposure(store, case_id, "https://forum.example/1")

    def boom(session: Any) -> None:
        raise RuntimeError("database went away (simulated)")

    event.listen(store.sessions, "before_commit", boom)
    try:
        with pytest.raises(RuntimeError):
            export(store, out / "out.jsonl", only_new=True)
    finally:
        event.remove(store.sessions, "before_commit", boom)
    assert list(out.iterdir()) == [] and export_rows(store) == 0
    assert jsonl_ids(export(store, out / "again.jsonl", only_new=True).path) == [exposure_id]


def test_database_refuses_a_second_new_delivery(store: Store) -> None:
    """The partial unique index: even without the lock, an exposure is in at most one only-new export."""
    case_id, _ = seed_case(store)
    exposure_id = add_exposure(store, case_id, "https://forum.example/1")
    kw: dict[str, Any] = {
        "fmt": "csv",
        "case_id": None,
        "include_terms": False,
        "path": "/x",
        "exposure_ids": [exposure_id],
    }
    with store.session() as s:
        record_export(s, store.crypto, only_new=True, **kw)
    with pytest.raises(ExportConflictError), store.session() as s:
        record_export(s, store.crypto, only_new=True, **kw)
    with store.session() as s:  # plain exports may list it again
        record_export(s, store.crypto, only_new=False, **kw)
        record_export(s, store.crypto, only_new=False, **kw)
    assert export_rows(store) == 3


def _slow_jsonl(rows: Any, out: TextIO, meta: Any) -> None:
    time.sleep(0.2)  # keeps each export's transaction open long enough for the others to collide with it
    exporting.write_jsonl(rows, out, meta)


def _concurrent_exporter(url: str, key_path: str, out_dir: str, worker: int, rounds: int, start: Any) -> None:
    exporting.RENDERERS["jsonl"] = _slow_jsonl  # this subprocess only
    st = open_store(url, load_keyring(Path(key_path)))
    try:
        start.wait()
        for i in range(rounds):
            export_exposures(
                st,
                fmt="jsonl",
                output=Path(out_dir) / f"w{worker}-{i}.jsonl",
                only_new=True,
                actor=f"w{worker}",
            )
    finally:
        st.close()


def _concurrent_adder(url: str, key_path: str, case_id: int, first: int, n: int, start: Any) -> None:
    st = open_store(url, load_keyring(Path(key_path)))
    try:
        start.wait()
        for i in range(first, first + n):
            add_exposure(st, case_id, f"https://race.example/{i}")
            time.sleep(0.05)
    finally:
        st.close()


@pytest.mark.slow
def test_concurrent_new_exports_deliver_each_exposure_once(
    store: Store, database_url: str, tmp_path: Path
) -> None:
    """Four processes export `--new` at once while a crawler adds exposures: each goes out exactly once."""
    case_id, _ = seed_case(store)
    for i in range(20):
        add_exposure(store, case_id, f"https://race.example/{i}")
    feeds = tmp_path / "feeds"
    feeds.mkdir()
    key_path = str(store.crypto.keyring.path)
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Barrier(5)
    procs = [
        ctx.Process(target=_concurrent_exporter, args=(database_url, key_path, str(feeds), w, 4, start))
        for w in range(4)
    ]
    procs.append(ctx.Process(target=_concurrent_adder, args=(database_url, key_path, case_id, 20, 20, start)))
    for p in procs:
        p.start()
    for p in procs:
        p.join(180)
        assert p.exitcode == 0
    export(store, feeds / "final.jsonl", only_new=True)  # whatever arrived after the last worker round
    delivered = [i for f in sorted(feeds.glob("*.jsonl")) for i in jsonl_ids(f)]
    assert len(delivered) == len(set(delivered)) == 40
    assert export_rows(store) == 17


# --- what leaves and what never does ---


@pytest.mark.parametrize("fmt", FORMATS)
def test_term_only_with_include_terms(store: Store, out: Path, fmt: str) -> None:
    case_id, term_id = seed_case(store)
    add_exposure(store, case_id, "https://forum.example/1", term_id=term_id)
    without = export(store, out / f"without.{fmt}", fmt)
    text = without.path.read_text(encoding="utf-8-sig")
    assert CANARY not in text and CANARY.encode() not in without.path.read_bytes()
    if fmt == "csv":
        assert "term" not in next(csv.reader(io.StringIO(text)))
    if fmt == "jsonl":
        assert "term" not in json.loads(text)
    with_terms = export(store, out / f"with.{fmt}", fmt, include_terms=True)
    text = with_terms.path.read_text(encoding="utf-8-sig")
    assert CANARY in text
    if fmt == "csv":
        [row] = list(csv.DictReader(io.StringIO(text)))
        assert row["term"] == CANARY
    if fmt == "jsonl":
        assert json.loads(text)["term"] == CANARY
    assert [r.include_terms for r in list_exports(store)] == [True, False]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_case_label_naming_the_person_leaves_only_with_include_terms(
    store: Store, out: Path, fmt: str
) -> None:
    label = f"{CANARY} 사건"  # advocates name cases after the person
    case_id, term_id = seed_case(store, label=label)
    add_exposure(store, case_id, "https://forum.example/1", term_id=term_id)
    without = export(store, out / f"without.{fmt}", fmt).path
    raw = without.read_bytes()
    assert CANARY.encode() not in raw and "사건".encode() not in raw
    text = without.read_text(encoding="utf-8-sig")
    if fmt == "csv":
        [row] = list(csv.DictReader(io.StringIO(text)))
        assert row["case"] == str(case_id) and "case_label" not in row
    if fmt == "jsonl":
        record = json.loads(text)
        assert record["case"] == case_id and "case_label" not in record
    if fmt == "html":
        assert f"#{case_id}" in text
    with_terms = export(store, out / f"with.{fmt}", fmt, include_terms=True).path.read_text(
        encoding="utf-8-sig"
    )
    assert label in with_terms
    if fmt == "csv":
        assert next(csv.DictReader(io.StringIO(with_terms)))["case_label"] == label


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_carries_the_fields(store: Store, out: Path, fmt: str) -> None:
    case_id, _ = seed_case(store)
    exposure_id = add_exposure(store, case_id, "https://forum.example/t/1", platform="forum")
    add_exposure(store, case_id, "https://forum.example/t/1", source="kakao", seen=T0 + timedelta(hours=5))
    path = export(store, out / f"out.{fmt}", fmt).path
    text = path.read_text(encoding="utf-8-sig")
    if fmt == "html":
        assert "사건 A" not in text  # the case label only with --include-terms
        for value in (
            f"#{case_id}",
            "https://forum.example/t/1",
            "forum.example",
            "forum",
            "홍길동 영상 유출",
            "지인능욕 게시물",
            "snippet",
            "kakao, naver",
            "2026-11-20T03:00:00+00:00",
            "2026-11-20T08:00:00+00:00",
        ):
            assert value in text
        return
    record: dict[str, Any] = (
        dict(next(csv.DictReader(io.StringIO(text)))) if fmt == "csv" else json.loads(text)
    )
    sources: Any = "kakao;naver" if fmt == "csv" else ["kakao", "naver"]
    # Triage fields (storage.scoring): present in every format, the reasons in words.
    assert record.pop("tier") in ("strong", "likely", "weak")
    assert 0 <= int(record.pop("score")) <= 100
    assert record.pop("reasons")
    assert record == {
        "id": str(exposure_id) if fmt == "csv" else exposure_id,
        "case": str(case_id) if fmt == "csv" else case_id,  # the label only with --include-terms
        "url": "https://forum.example/t/1",
        "domain": "forum.example",
        "platform": "forum",
        "title": "홍길동 영상 유출",
        "snippet": "지인능욕 게시물",
        "confidence": "snippet",
        "sources": sources,
        "first_seen": "2026-11-20T03:00:00+00:00",
        "last_seen": "2026-11-20T08:00:00+00:00",
        "status": "new",
    }


@pytest.mark.parametrize("fmt", FORMATS)
def test_hostile_page_text_is_inert(store: Store, out: Path, fmt: str) -> None:
    case_id, _ = seed_case(store)
    add_exposure(
        store,
        case_id,
        "javascript:alert(document.cookie)//forum.example/x",
        domain="forum.example",
        title=HOSTILE_TITLE,
        snippet="=1+2",
        platform="+cmd",
    )
    add_exposure(store, case_id, "https://forum.example/ok", title="-2+3")
    # a fixed export time: "49" must not appear by accident in a clock reading
    text = export(store, out / f"out.{fmt}", fmt, now=T0).path.read_text(encoding="utf-8-sig")
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(text)))
        assert len(rows) >= 2
        for row in rows:
            for value in row.values():
                assert not value.startswith(("=", "+", "-", "@", "\t", "\r"))
        assert rows[0]["title"] == "'" + HOSTILE_TITLE and rows[0]["snippet"] == "'=1+2"
        assert rows[0]["platform"] == "'+cmd" and rows[1]["title"] == "'-2+3"
    elif fmt == "jsonl":
        assert json.loads(text.splitlines()[0])["title"] == HOSTILE_TITLE  # data, untouched
    else:
        assert "<script" not in text.lower() and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
        assert "{{7*7}}" in text and "49" not in text
        assert 'href="javascript' not in text.lower()
        assert text.count("<a ") == 1
        assert '<a href="https://forum.example/ok" rel="noreferrer noopener">' in text


def test_names_in_titles_and_snippets_are_masked_without_include_terms(store: Store, tmp_path: Path) -> None:
    """A title names the victim as the page wrote it: the export shows the URL, not the name."""

    from takedown.exporting import export_exposures

    case_id = create_case(store, "c", Consent("x", "a", "2026-11-01"))
    add_term(store, case_id, "홍길동", "name")
    with store.session() as s:
        record_observation(
            s,
            store.crypto,
            Observation(
                case_id=case_id,
                url="https://forum.example/p/1",
                canonical_url="https://forum.example/p/1",
                domain="forum.example",
                platform="web",
                title="홍 길 동 합성 요청",
                snippet="홍길동이 사진 있음",
                confidence="snippet",
                source="naver",
                seen_at=datetime.now(UTC),
            ),
        )
    for fmt in ("csv", "jsonl", "html"):
        masked = export_exposures(store, fmt=fmt, output=tmp_path / f"m.{fmt}", actor="t").path.read_text(
            "utf-8-sig"
        )
        assert "홍길동" not in masked and "홍 길 동" not in masked and "●" in masked
        assert "https://forum.example/p/1" in masked
    shown = export_exposures(store, fmt="jsonl", output=tmp_path / "t.jsonl", include_terms=True, actor="t")
    assert "홍길동이 사진 있음" in shown.path.read_text("utf-8")
