"""With `[cluster]`, schedulers on several machines: one elected by PostgreSQL's lock, the others stand by."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.home import ROOT, JikimiHome


def _start(env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "jikimi", "schedule"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.postgres
def test_a_second_scheduler_stands_by_and_takes_over_when_the_first_dies(
    home: JikimiHome, pg_url: str, tmp_path: Path
) -> None:
    # The nodes are never asked (no pass runs here): electing a scheduler needs only the database.
    home.write_config(f'database_url = "{pg_url}"\n\n[cluster]\nscrapyd = ["http://127.0.0.1:9"]\n')
    home.ok("init")
    env = {k: v for k, v in os.environ.items() if not k.startswith("JIKIMI_")}
    env.update(
        JIKIMI_DATA_DIR=str(home.data_dir),
        JIKIMI_CONFIG=str(home.config),
        PYTHONPATH=str(ROOT),
        PYTHONUNBUFFERED="1",
    )
    first = _start(env)
    second: subprocess.Popen[str] | None = None
    try:
        assert first.stdout is not None
        assert first.stdout.readline().startswith("scheduler started")
        second = _start(env)
        assert second.stdout is not None
        assert second.stdout.readline().startswith("another scheduler holds this database; standing by")
        assert second.poll() is None  # it waits rather than exits
        first.send_signal(signal.SIGKILL)  # the elected one dies without letting go: its connection ends
        first.wait(30)
        assert second.stdout.readline().startswith("scheduler started")  # and the standby takes over
        second.send_signal(signal.SIGTERM)
        out, err = second.communicate(timeout=60)
        assert second.returncode == 0, err
        assert "scheduler stopping" in out
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait()


def test_without_a_cluster_a_second_scheduler_still_exits_2_unless_told_to_stand_by(home: JikimiHome) -> None:
    home.ok("init")
    env = {k: v for k, v in os.environ.items() if not k.startswith("JIKIMI_")}
    env.update(
        JIKIMI_DATA_DIR=str(home.data_dir),
        JIKIMI_CONFIG=str(home.config),
        PYTHONPATH=str(ROOT),
        PYTHONUNBUFFERED="1",
    )
    first = _start(env)
    try:
        assert first.stdout is not None and first.stdout.readline().startswith("scheduler started")
        second = subprocess.run(
            [sys.executable, "-m", "jikimi", "schedule"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert second.returncode == 2
        standby = subprocess.Popen(
            [sys.executable, "-m", "jikimi", "schedule", "--standby"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert standby.stdout is not None
        assert standby.stdout.readline().startswith("another scheduler holds this database; standing by")
        standby.send_signal(signal.SIGTERM)  # a standby stops cleanly too
        assert standby.wait(30) == 0
    finally:
        if first.poll() is None:
            first.send_signal(signal.SIGTERM)
            first.wait(30)
