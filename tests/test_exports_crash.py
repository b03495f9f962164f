"""A `jikimi export` killed between the commit that records a delivery and its file's final name.

Each crash is a real SIGKILL of a real `jikimi export --new` process at that exact moment (the child
swaps the one call that follows the window for a kill of itself), on SQLite and PostgreSQL. After
the next `jikimi status` or export, the file is in place, every delivered row is in exactly one
file, and the next `export --new` delivers none of them again.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from storage.database import Store
from storage.exports import exported_exposure_ids, list_exports
from tests.support.exports import add_exposure, seed_case
from tests.support.home import ROOT, JikimiHome

# What the child swaps for a SIGKILL: `_before_placing` runs right after the commit that records
# the delivery (file not yet named); `finish_placing` right after the file got its name (marker
# not yet cleared).
KILL_AT = {"before_link": "_before_placing", "after_link": "finish_placing"}


def _kill_export(home: JikimiHome, at: str, output: Path, *extra: str) -> None:
    code = f"""
        import os, signal
        import takedown.exporting as exporting
        def die(*args, **kwargs):
            os.kill(os.getpid(), signal.SIGKILL)
        exporting.{at} = die
        from jikimi.cli import main
        main(["export", "--new", "--format", "jsonl", "--output", {str(output)!r}, *{list(extra)!r}])
    """
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,  # it is meant to die by SIGKILL
    )
    assert done.returncode == -9, (done.returncode, done.stderr[-2000:])


def _open_store(home: JikimiHome) -> Store:
    from jikimi.config import load_settings
    from storage.database import open_store
    from storage.keyring import load_keyring

    settings = load_settings()
    return open_store(settings.database_url, load_keyring(settings.key_file))


def _file_ids(exports: Path) -> list[int]:
    ids: list[int] = []
    for path in sorted(exports.glob("*.jsonl")):
        ids += [json.loads(line)["id"] for line in path.read_text("utf-8").splitlines()]
    return ids


@pytest.mark.parametrize(
    ("window", "recovery", "temp_lost"),
    [
        ("before_link", "status", False),
        ("before_link", "export", False),
        ("after_link", "status", False),
        ("after_link", "export", False),
        ("before_link", "status", True),  # the temporary file removed by hand: the batch is rewritten
    ],
)
def test_export_killed_after_its_delivery_is_recorded(
    home: JikimiHome, database_url: str, tmp_path: Path, window: str, recovery: str, temp_lost: bool
) -> None:
    home.write_config(f'database_url = "{database_url}"\n')
    home.ok("init")
    store = _open_store(home)
    try:
        case_id, _ = seed_case(store)
        seeded = {add_exposure(store, case_id, f"https://forum.example/{i}") for i in range(5)}
    finally:
        store.close()
    exports = tmp_path / "exports"
    exports.mkdir()
    first = exports / "first.jsonl"

    _kill_export(home, KILL_AT[window], first)

    store = _open_store(home)
    try:
        (record,) = list_exports(store)
        recorded = set(exported_exposure_ids(store, record.id))
    finally:
        store.close()
    # The delivery was committed before the kill, so those rows will never be selected as new again.
    assert recorded == seeded
    temps = list(exports.glob(".first.jsonl.*.tmp"))
    assert len(temps) == 1, "the fsynced temporary file outlives the kill"
    assert first.exists() == (window == "after_link")
    if temp_lost:
        temps[0].unlink()

    if recovery == "status":
        status = json.loads(home.ok("status", "--json"))
        assert "finished 1 interrupted export(s): their files are in place" in status["notices"]
    # Otherwise the next export finishes it before selecting anything new.
    nothing = exports / "nothing.jsonl"
    out = json.loads(home.ok("export", "--new", "--format", "jsonl", "--output", str(nothing), "--json"))
    assert out["count"] == 0, "the next export --new delivers nothing again"
    assert nothing.read_text("utf-8") == ""

    assert first.exists(), "the interrupted export's file is in place"
    ids = _file_ids(exports)
    assert sorted(ids) == sorted(seeded), "every delivered row is in exactly one file"
    assert not list(exports.glob(".*")), "no temporary file is left"
    store = _open_store(home)
    try:
        records = {r.id: r for r in list_exports(store)}
    finally:
        store.close()
    assert records[record.id].path == str(first)
    notices = json.loads(home.ok("status", "--json")).get("notices", [])
    assert not [n for n in notices if "interrupted export" in n], "finished once, not again"


@pytest.mark.parametrize("window", ["before_link", "after_link"])
def test_forced_export_killed_is_placed_once_and_recovery_replaces_nothing(
    home: JikimiHome, database_url: str, tmp_path: Path, window: str
) -> None:
    """`--force` killed after its replace: recovery sees the file is placed (no `-2` copy). Killed
    before it: recovery never replaces a file on its own, so the rows go beside it as `first-2`."""
    home.write_config(f'database_url = "{database_url}"\n')
    home.ok("init")
    store = _open_store(home)
    try:
        case_id, _ = seed_case(store)
        seeded = {add_exposure(store, case_id, f"https://forum.example/{i}") for i in range(3)}
    finally:
        store.close()
    exports = tmp_path / "exports"
    exports.mkdir()
    first = exports / "first.jsonl"
    old = '{"id": 0}\n'
    first.write_text(old, encoding="utf-8")

    _kill_export(home, KILL_AT[window], first, "--force")
    assert (first.read_text("utf-8") == old) == (window == "before_link")

    home.ok("status")
    names = sorted(p.name for p in exports.iterdir())
    if window == "after_link":
        assert names == ["first.jsonl"], "placed once, nothing left over"
        assert sorted(_file_ids(exports)) == sorted(seeded)
    else:
        assert names == ["first-2.jsonl", "first.jsonl"] and first.read_text("utf-8") == old
        assert sorted(_file_ids(exports)) == sorted({0} | seeded)
    again = exports / "again.jsonl"
    out = json.loads(home.ok("export", "--new", "--format", "jsonl", "--output", str(again), "--json"))
    assert out["count"] == 0


@pytest.mark.parametrize("window", ["before_link", "after_link"])
def test_a_case_purged_before_the_recovery_is_not_placed_with_it(
    home: JikimiHome, database_url: str, tmp_path: Path, window: str
) -> None:
    """Killed before its file got a name, an export of two cases waits for recovery; the first case is
    purged meanwhile. The recovery places the other case's rows only: the purged case's rows, which
    the temporary file held decrypted, reach no file. A file that already had its name (killed after
    the link) was delivered, like any earlier export, and stays as it is."""
    home.write_config(f'database_url = "{database_url}"\n')
    home.ok("init")
    store = _open_store(home)
    try:
        gone, _ = seed_case(store, label="사건 A")
        kept, _ = seed_case(store, label="사건 B", term="other_handle_7")
        purged = {add_exposure(store, gone, f"https://forum.example/a{i}") for i in range(3)}
        others = {add_exposure(store, kept, f"https://forum.example/b{i}") for i in range(2)}
    finally:
        store.close()
    exports = tmp_path / "exports"
    exports.mkdir()
    first = exports / "first.jsonl"

    _kill_export(home, KILL_AT[window], first)
    home.ok("case", "purge", str(gone), "--yes")
    json.loads(home.ok("status", "--json"))

    ids = _file_ids(exports)
    if window == "before_link":
        assert sorted(ids) == sorted(others), "the recovery placed the other case's rows, and only them"
        assert not any("forum.example/a" in p.read_text("utf-8") for p in exports.iterdir())
    else:
        assert sorted(ids) == sorted(purged | others), "a delivered file is left as it was"
    assert not list(exports.glob(".*")), "no temporary file is left"
    notices = json.loads(home.ok("status", "--json")).get("notices", [])
    assert not [n for n in notices if "interrupted export" in n], "nothing is left pending"
