"""A damaged database or a full disk: one line on stderr and exit 1, never a traceback.

Real failures, not mocks: the SQLite file's pages are overwritten with junk, and "the disk is full"
is a child process whose file size limit (RLIMIT_FSIZE) the database's next write exceeds.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys

import pytest

from tests.support.home import ROOT, JikimiHome


def jikimi(home: JikimiHome, *args: str, file_limit: int | None = None) -> subprocess.CompletedProcess[str]:
    def limit() -> None:
        if file_limit is not None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
            resource.setrlimit(resource.RLIMIT_FSIZE, (file_limit, file_limit))

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "jikimi", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        preexec_fn=limit,  # only sets a file size limit and a signal disposition
    )


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1, (result.returncode, result.stderr[-2000:])
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    return lines[0]


@pytest.mark.parametrize(
    "command", [("status",), ("case", "list"), ("run",), ("export", "--format", "csv", "--output", "x.csv")]
)
def test_a_damaged_database_is_one_line_and_exit_1(home: JikimiHome, command: tuple[str, ...]) -> None:
    home.ok("init")
    home.ok("case", "add", "--label", "x", "--consent", "fictional")
    home.ok("status")
    path = home.data_dir / "jikimi.sqlite"
    raw = bytearray(path.read_bytes())
    raw[100:8000] = b"\xab" * 7900  # the schema pages
    path.write_bytes(bytes(raw))
    line = one_line(jikimi(home, *command))
    assert line.startswith("jikimi: error: the database file is damaged"), line


def test_a_crawl_stage_on_a_damaged_database_is_one_line_and_exit_1(home: JikimiHome) -> None:
    home.ok("init")
    home.ok("case", "add", "--label", "x", "--consent", "fictional")
    path = home.data_dir / "jikimi.sqlite"
    raw = bytearray(path.read_bytes())
    raw[100:8000] = b"\xab" * 7900
    path.write_bytes(bytes(raw))
    # Warnings off: Scrapy's own deprecation notices are not what this test counts.
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONWARNINGS": "ignore"}
    for stage in ("search", "pages", "recheck"):
        done = subprocess.run(
            [sys.executable, "-m", "crawler", stage],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        line = one_line(done)
        assert line.startswith("crawler: error: the database file is damaged"), line


@pytest.mark.parametrize("limit_kib", [8, 96])
def test_a_full_disk_is_one_line_and_exit_1(home: JikimiHome, limit_kib: int) -> None:
    home.ok("init")
    case_id = home.ok("case", "add", "--label", "x", "--consent", "fictional").strip()
    # 2,000 made-up names: far more pages than the limit lets the write-ahead log hold.
    syllables = [chr(0xAC00 + 28 * i) for i in range(300)]
    names = {f"{a}{b}{c}" for a in syllables[:10] for b in syllables[10:30] for c in syllables[30:40]}
    terms = home.data_dir.parent / "terms.txt"
    terms.write_text("\n".join(sorted(names)) + "\n", encoding="utf-8")
    line = one_line(jikimi(home, "term", "import", case_id, str(terms), file_limit=limit_kib * 1024))
    assert line.startswith("jikimi: error: the disk is full or failing"), line
    # Nothing half-written: the import is all or nothing, and the database still opens.
    assert json.loads(home.ok("term", "list", case_id, "--json")) == []
