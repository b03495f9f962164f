"""Crash windows around keys: a process killed mid-save or mid-purge leaves no key behind for good.

Each crash is a real SIGKILL of a real process at the exact moment in question: the child swaps the
one call that follows the window (`os.replace`, the key removal) for a kill of itself.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.support.home import ROOT, JikimiHome


def killed_child(code: str) -> None:
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


OPEN_STORE = """
    import os, signal
    from jikimi.config import load_settings
    from storage.database import open_store
    from storage.keyring import load_keyring
    settings = load_settings()
    keyring = load_keyring(settings.key_file)
    store = open_store(settings.database_url, keyring)
    def die(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGKILL)
"""


def case_key_ids(home: JikimiHome) -> set[str]:
    return set(json.loads((home.data_dir / "jikimi.key").read_text("utf-8"))["cases"])


def setup(home: JikimiHome) -> int:
    home.ok("init")
    case_id = int(home.ok("case", "add", "--label", "crash", "--consent", "fictional").strip())
    home.ok("term", "add", str(case_id), "홍길동", "--kind", "name")
    return case_id


def temps(home: JikimiHome) -> list[Path]:
    return sorted(home.data_dir.glob(".jikimi.key.*.tmp"))


def test_a_key_save_killed_before_its_rename_leaves_no_temp_file(home: JikimiHome) -> None:
    case_id = setup(home)
    [key_id] = case_key_ids(home)
    [secret] = json.loads((home.data_dir / "jikimi.key").read_text("utf-8"))["cases"][key_id]
    # Killed between writing the new key file and renaming it into place.
    killed_child(
        OPEN_STORE + "\n    os.replace = die\n    from storage.keyring import save_keyring\n"
        "    save_keyring(keyring)\n"
    )
    [left] = temps(home)
    assert secret in left.read_text("utf-8"), "the temp file holds the case's key"
    # The case is purged (its key retired) by a later process; the temp copy must not outlive that.
    home.ok("case", "purge", str(case_id), "--yes")
    assert key_id not in case_key_ids(home)
    assert temps(home) == []
    for path in home.data_dir.rglob("*"):
        if path.is_file():
            assert secret.encode() not in path.read_bytes(), path


def test_the_next_command_sweeps_a_stale_temp_file(home: JikimiHome) -> None:
    setup(home)
    killed_child(
        OPEN_STORE + "\n    os.replace = die\n    from storage.keyring import save_keyring\n"
        "    save_keyring(keyring)\n"
    )
    assert len(temps(home)) == 1
    home.ok("status")
    assert temps(home) == []


@pytest.mark.parametrize("finisher", ["purge", "status"])
def test_a_purge_killed_before_the_key_went_is_finished_next_time(home: JikimiHome, finisher: str) -> None:
    case_id = setup(home)
    [key_id] = case_key_ids(home)
    # Killed right after the rows' transaction committed, before the key left the key file.
    killed_child(
        OPEN_STORE + f"\n    import storage.purge\n    storage.purge._remove_key = die\n"
        f"    storage.purge.purge_case(store, {case_id}, 'test')\n"
    )
    assert key_id in case_key_ids(home), "the crash window: rows gone, key still there"
    assert json.loads(home.ok("case", "list", "--json")) == []
    if finisher == "purge":
        result = home.cli("case", "purge", str(case_id), "--yes")
        assert result.code == 0, result.err
        assert "interrupted purge is now finished" in result.out
    else:
        out = home.ok("status")
        assert "finished 1 interrupted case purge" in out
    assert key_id not in case_key_ids(home)
    # Done once: a second purge of the same id is an unknown case again.
    assert home.cli("case", "purge", str(case_id), "--yes").code == 2
