"""How a pass reports its own failures: a killed crawl by its signal, the stored status as the exit."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from pathlib import Path

import pytest

from sandbox.server import SandboxServer
from scheduler.nightly import StageExit, describe_failure
from tests.support.home import JikimiHome


@pytest.mark.parametrize(
    ("done", "reason", "problem"),
    [
        (
            StageExit(-9, timed_out=True),
            "stopped after 60 s (its time limit)",
            "the search crawl ran out of time",
        ),
        (
            StageExit(-9),
            "killed by signal 9 (SIGKILL); likely out of memory",
            "the search crawl was killed by signal 9 (SIGKILL); likely out of memory",
        ),
        (
            StageExit(-15),
            "killed by signal 15 (SIGTERM)",
            "the search crawl was killed by signal 15 (SIGTERM)",
        ),
        (StageExit(2), "the crawl could not start (configuration)", "the search crawl could not start"),
        (StageExit(1), "the crawl process failed (exit 1)", "the search crawl failed"),
    ],
)
def test_a_failed_crawl_is_described_by_how_it_ended(done: StageExit, reason: str, problem: str) -> None:
    assert describe_failure("search", done, 60.0) == (reason, problem)


@pytest.mark.parametrize("code", [0, 3])
def test_a_finished_crawl_is_no_failure(code: int) -> None:
    assert describe_failure("search", StageExit(code), 60.0) is None


def _crawl_children() -> list[int]:
    """Our own `python -m crawler` children (what the kernel's OOM killer would pick)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == os.getpid() and b"crawler" in cmdline and b"-m" in cmdline:
            found.append(int(entry.name))
    return found


def test_a_crawl_killed_from_outside_is_reported_as_killed_not_as_out_of_time(
    home: JikimiHome, sandbox: SandboxServer
) -> None:
    home.write_config(
        "\n".join(
            [
                "crawl_timeout = 120.0",
                "[network]",
                "allow_private_addresses = true",
                "download_delay = 0.0",
                "download_timeout = 30.0",
                "[sources.brave]",
                f'base_url = "{sandbox.base_url("brave", scenario="slow")}"',
                'api_key = "test-key"',
                *(f"[sources.{name}]\nenabled = false" for name in ("duckduckgo", "telegram")),
            ]
        )
    )
    home.ok("init")
    case_id = home.ok("case", "add", "--label", "시험 사례", "--consent", "fictional, test").strip()
    home.ok("term", "add", case_id, "홍길동")
    killed: list[int] = []

    def oom_killer() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not killed:
            for pid in _crawl_children():
                time.sleep(1.0)  # let it start its crawl
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
                break
            time.sleep(0.05)

    thread = threading.Thread(target=oom_killer)
    thread.start()
    result = home.cli("run", "--stage", "search", "--json")
    thread.join()

    assert killed, "the crawl child was never seen"
    assert result.code == 1, result.err
    summary = json.loads(result.out)
    reason = summary["sources"]["search-crawl"]["reason"]
    assert "killed by signal 9" in reason and "out of memory" in reason
    assert "stopped after" not in reason
    assert any("killed by signal 9" in p for p in summary["problems"])
    assert json.loads(home.ok("status", "--json"))["runs"][0]["status"] == "failed"


def test_the_stored_status_is_the_outcome_after_export_and_notify(home: JikimiHome, tmp_path: Path) -> None:
    not_a_directory = tmp_path / "export-here"
    not_a_directory.write_text("a file where the export directory should be", encoding="utf-8")
    home.write_config(
        f'export_dir = "{not_a_directory}"\n'
        + "\n".join(f"[sources.{name}]\nenabled = false" for name in ("duckduckgo", "telegram"))
    )
    home.ok("init")

    result = home.cli("run", "--stage", "search", "--json")

    assert result.code == 1, result.err
    summary = json.loads(result.out)
    assert any("export_new failed" in p for p in summary["problems"])
    (run,) = json.loads(home.ok("status", "--json"))["runs"]
    assert run["status"] == "failed"
    assert any("export_new failed" in p for p in run["problems"])
