"""One pass at a time: a second `jikimi run` (a real process) stops with exit 2, or waits with --wait.

Process A runs a pass whose search engine answers only after the sandbox's `slow` delay, so it holds the
pass lock for several seconds; B and C are started while it does. On SQLite and on PostgreSQL.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sandbox.server import SandboxServer
from tests.support.home import ROOT, JikimiHome, setup_case
from tests.support.search import engine_config


def _jikimi(*args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "jikimi", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )


def _wait_for_hit(sb: SandboxServer, prefix: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while sb.hits(prefix) == 0:
        assert time.monotonic() < deadline, "the first pass never reached the engine"
        time.sleep(0.05)


@pytest.mark.slow
def test_second_pass_stops_or_waits(
    home: JikimiHome, sandbox: SandboxServer, database_url: str, tmp_path: Path
) -> None:
    config = engine_config(sandbox, {"brave": "slow"}).replace(
        "download_timeout = 3.0", "download_timeout = 30.0"
    )
    home.write_config(f'database_url = "{database_url}"\n' + config)
    setup_case(home, ("홍길동", "name"))
    sandbox.reset()

    first = _jikimi("run", "--stage", "search", "--json")
    _wait_for_hit(sandbox, "/slow/brave/")  # A holds the pass lock and waits on the slow engine
    second = _jikimi("run", "--stage", "search", "--json")
    out, err = second.communicate(timeout=60)
    assert first.poll() is None, "B must have been refused while A was still running"
    assert second.returncode == 2
    assert err.strip().splitlines() == [
        (
            "jikimi: error: another pass is already running on this database (run 1, manual): "
            "let it finish, or add --wait to start this one when it ends"
        )
    ]
    assert out == ""
    recheck = _jikimi("recheck")
    _, recheck_err = recheck.communicate(timeout=60)
    assert recheck.returncode == 2 and "--wait" in recheck_err

    third = _jikimi("run", "--stage", "search", "--wait")
    time.sleep(1.0)
    assert first.poll() is None and third.poll() is None, "C waits while A runs"
    first_out, first_err = first.communicate(timeout=120)
    assert first.returncode == 0, first_err
    third_out, third_err = third.communicate(timeout=120)
    assert third.returncode == 0, third_err
    assert "another pass is running: waiting for it to end" in third_out

    runs = {r["id"]: r for r in json.loads(home.ok("status", "--json"))["runs"]}
    assert sorted(runs) == [1, 2], "B and the re-check never started a run"
    assert json.loads(first_out)["run_ids"] == [1]
    assert runs[2]["started_at"] >= runs[1]["finished_at"], "C started only after A ended"
    assert sandbox.hits("/slow/brave/") >= 2
