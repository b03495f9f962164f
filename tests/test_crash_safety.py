"""R1/R2: a pass killed with SIGKILL at random moments, again and again, then completed by the next
pass, ends with the same exposures as an undisturbed pass, and no exposure is exported twice."""

from __future__ import annotations

import csv
import io
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from sandbox.server import SandboxServer
from storage.database import Store
from tests.support.home import ROOT, JikimiHome, setup_case
from tests.support.search import engine_config

KILLS = 8


def _configure(home: JikimiHome, sb: SandboxServer) -> Path:
    exports = home.data_dir / "exports"
    config = engine_config(sb, {"naver": "ok", "kakao": "ok", "brave": "ok"})
    home.write_config(f'export_dir = "{exports}"\n' + config)
    setup_case(home, ("홍길동", "name"), ("gildong_hong", "handle"))
    return exports


def _urls(home: JikimiHome) -> set[str]:
    return {e["url"] for e in json.loads(home.ok("exposures", "list", "--json"))}


def _exported_ids(exports: Path) -> list[int]:
    ids: list[int] = []
    for path in sorted(exports.glob("*.csv")):
        ids += [int(row["id"]) for row in csv.DictReader(io.StringIO(path.read_text("utf-8-sig")))]
    return ids


def test_killed_passes_converge_without_duplicates(
    home: JikimiHome, sandbox: SandboxServer, tmp_path: Path
) -> None:
    rng = random.Random(20261123)
    exports = _configure(home, sandbox)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for _ in range(KILLS):
        proc = subprocess.Popen(  # the whole pass, as the scheduler runs it: crawl, export, notify
            [sys.executable, "-m", "jikimi", "run", "--stage", "search", "--json"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        time.sleep(rng.uniform(0.3, 6.0))
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(30)
    result = home.cli("run", "--stage", "search", "--json")
    assert result.code == 0, result.err
    crashed = _urls(home)
    ids = _exported_ids(exports)
    assert len(ids) == len(set(ids)), "an exposure was exported twice"
    # The nightly feed carries the strong and likely exposures (weak ones wait for an advocate).
    all_ids = {
        e["id"]
        for e in json.loads(home.ok("exposures", "list", "--json"))
        if e["tier"] in ("strong", "likely")
    }
    assert all_ids and set(ids) == all_ids, (
        "every exposure worth delivering is exported once the passes complete"
    )
    assert not list(exports.glob(".*")) and not list(exports.glob("*.tmp")), "no half-written export remains"
    status = json.loads(home.ok("status", "--json"))
    assert all(r["status"] != "running" for r in status["runs"])

    # The same pass, never disturbed, in a fresh data directory against the same sandbox.
    fresh = tmp_path / "fresh"
    fresh.mkdir(mode=0o700)
    (fresh / "config.toml").write_text(
        home.config.read_text("utf-8").replace(str(exports), str(fresh / "x")), "utf-8"
    )
    home.monkeypatch.setenv("JIKIMI_DATA_DIR", str(fresh))
    home.monkeypatch.setenv("JIKIMI_CONFIG", str(fresh / "config.toml"))
    reference_home = JikimiHome(fresh, fresh / "config.toml", home.monkeypatch, home.capsys)
    setup_case(reference_home, ("홍길동", "name"), ("gildong_hong", "handle"))
    assert reference_home.cli("run", "--stage", "search", "--json").code == 0
    assert crashed == _urls(reference_home)


def test_a_live_concurrent_run_is_not_marked_interrupted(store: Store) -> None:
    from storage.runs import get_run, mark_stale_runs_interrupted, start_run

    live = start_run(store, "manual", os.getpid())
    dead = start_run(store, "manual", 2**22 + 12345)
    assert mark_stale_runs_interrupted(store, still_running=lambda run: run.pid == os.getpid()) == 1
    assert (get_run(store, live).status, get_run(store, dead).status) == ("running", "interrupted")
