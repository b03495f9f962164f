"""`jikimi export` through the real entry point: its output; bad input is one line, exit 2, no writes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from jikimi.config import load_settings
from storage.database import Store, open_store
from storage.keyring import load_keyring
from tests.support.exports import CANARY, add_exposure, seed_case
from tests.support.home import JikimiHome


@pytest.fixture
def seeded(home: JikimiHome) -> Iterator[tuple[JikimiHome, Store, int]]:
    """An initialised home with one case, its canary term and two exposures."""
    home.ok("init")
    settings = load_settings()
    store = open_store(settings.database_url, load_keyring(settings.key_file))
    case_id, term_id = seed_case(store)
    add_exposure(store, case_id, "https://forum.example/1", term_id=term_id)
    add_exposure(store, case_id, "https://cafe.example/2", term_id=term_id, platform="cafe")
    try:
        yield home, store, case_id
    finally:
        store.close()


def _exports(store: Store) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(sa.text("select count(*) from exports")).scalar_one())


def test_export_new_twice(seeded: tuple[JikimiHome, Store, int], tmp_path: Path) -> None:
    home, _, _ = seeded
    first = tmp_path / "feed.csv"
    out = home.ok("export", "--format", "csv", "--output", str(first), "--new")
    assert out.strip() == f"wrote 2 exposures for default to {first} (export 1)"
    assert len(first.read_text(encoding="utf-8-sig").splitlines()) == 3
    refused = home.cli("export", "--format", "csv", "--output", str(first), "--new")
    assert refused.code == 2 and "already exists" in refused.err and "--force" in refused.err
    assert len(first.read_text(encoding="utf-8-sig").splitlines()) == 3  # untouched
    result = home.cli("export", "--format", "csv", "--output", str(first), "--new", "--json", "--force")
    assert result.code == 0 and result.err == ""
    data = json.loads(result.out)
    assert (data["count"], data["path"], data["only_new"], data["export_id"]) == (0, str(first), True, 2)
    assert len(first.read_text(encoding="utf-8-sig").splitlines()) == 1  # header only


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "html"])
def test_export_keeps_terms_unless_asked(
    seeded: tuple[JikimiHome, Store, int], tmp_path: Path, fmt: str
) -> None:
    home, _, case_id = seeded
    plain = tmp_path / f"plain.{fmt}"
    result = home.cli("export", "--format", fmt, "--output", str(plain), "--case", str(case_id))
    assert result.code == 0 and CANARY not in plain.read_text(encoding="utf-8-sig")
    assert CANARY not in result.out + result.err
    with_terms = tmp_path / f"terms.{fmt}"
    result = home.cli("export", "--format", fmt, "--output", str(with_terms), "--include-terms")
    assert result.code == 0 and CANARY in with_terms.read_text(encoding="utf-8-sig")
    assert "contains watch terms" in result.err and CANARY not in result.out + result.err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "xlsx", "--output", "{dir}/x.csv"], "--format: must be one of csv, jsonl, html"),
        (["--format", "csv", "--output", "{dir}/missing/x.csv"], "--output: directory"),
        (["--format", "csv", "--output", "{dir}"], "is a directory"),
        (["--format", "csv", "--output", "{dir}/x.csv", "--case", "999"], "no case with id 999"),
        (["--format", "csv", "--output", "{dir}/x.csv", "--case", "abc"], "--case"),
        (["--output", "{dir}/x.csv"], "--format"),
        (["--format", "csv"], "--output"),
    ],
    ids=["format", "missing-dir", "dir", "unknown-case", "case-not-int", "no-format", "no-output"],
)
def test_bad_input_is_one_line_exit_2_nothing_written(
    seeded: tuple[JikimiHome, Store, int], tmp_path: Path, args: list[str], message: str
) -> None:
    home, store, _ = seeded
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    result = home.cli("export", *[a.replace("{dir}", str(out_dir)) for a in args], "--new")
    assert result.code == 2
    assert result.err.count("\n") == 1 and result.err.startswith("jikimi: error: ") and message in result.err
    assert "Traceback" not in result.err and result.out == ""
    assert list(out_dir.iterdir()) == [] and _exports(store) == 0
    # and the feed is intact: the next good --new export still delivers both exposures
    out = home.ok("export", "--format", "jsonl", "--output", str(out_dir / "ok.jsonl"), "--new")
    assert "wrote 2 exposures" in out


def test_export_without_init_fails_closed(home: JikimiHome, tmp_path: Path) -> None:
    result = home.cli("export", "--format", "csv", "--output", str(tmp_path / "x.csv"))
    assert result.code == 2 and result.err.count("\n") == 1
    assert not (tmp_path / "x.csv").exists()
