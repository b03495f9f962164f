"""Threats T2/T3: a unique canary term, every command exercised, then zero occurrences anywhere
a copy could leak: the database files (WAL and journal included), exports without the opt-in,
captured stdout/stderr of every process (with verbose logging on), and the key-less config."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sandbox.server import SandboxServer
from tests.support.home import ROOT, files_under
from tests.support.search import ENGINES, engine_config

CANARY = "캐너리홍QZ"
CANARY_HANDLE = "canary_qz_handle"
# Host names are names: the handle as a host, and the name in punycode (IDNA), as hostile links carry them.
CANARY_HOST = "canary-qz-handle.example"
CANARY_PUNYCODE = "xn--" + CANARY.lower().encode("punycode").decode("ascii")
# Advocates name a case after the person.
CANARY_LABEL = f"{CANARY} 사건"


@pytest.fixture
def canary_sandbox(sandbox: SandboxServer) -> SandboxServer:
    """The sandbox with one more indexed post that carries the canary term and handle."""
    sandbox.add_document(
        url="https://forum.example.net/board/canary?utm_source=x",
        title=f"{CANARY} 지인능욕 합성 요청",
        body=f"{CANARY} 사진 있음 {CANARY_HANDLE} 갠텔",
        published=None,
    )
    return sandbox


def test_canary_never_leaks(tmp_path: Path, canary_sandbox: SandboxServer) -> None:
    sandbox = canary_sandbox
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    config = data / "config.toml"
    config.write_text(engine_config(sandbox, {name: "ok" for name in ENGINES}), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("JIKIMI_")}
    env.update(JIKIMI_DATA_DIR=str(data), JIKIMI_CONFIG=str(config), PYTHONPATH=str(ROOT))
    transcript: list[str] = []

    def jikimi(
        *args: str, stdin: str | None = None, ok: tuple[int, ...] = (0,), explicit_read: bool = False
    ) -> str:
        proc = subprocess.run(
            [sys.executable, "-m", "jikimi", "--verbose", *args],
            check=False,  # the caller checks the exit code against `ok`
            input=stdin,
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=300,
        )
        # What an advocate explicitly asked to read may show the term on their screen; its logs may not.
        transcript.append(proc.stderr if explicit_read else proc.stdout + proc.stderr)
        assert proc.returncode in ok, f"{args}: {proc.returncode} {proc.stderr[-2000:]}"
        return proc.stdout

    jikimi("init")
    case_id = jikimi("case", "add", "--label", CANARY_LABEL, "--consent", "fictional").strip()
    jikimi("term", "add", case_id, "-", stdin=CANARY + "\n")  # stdin keeps it out of argv
    jikimi("term", "add", case_id, "-", "--kind", "handle", stdin=CANARY_HANDLE + "\n")
    jikimi("target", "add", "https://forum.example.net/board/1", "--case", case_id)
    jikimi("target", "add", f"https://{CANARY_HOST}/board/1", "--case", case_id)
    jikimi("target", "add", f"https://{CANARY_PUNYCODE}.example/", "--case", case_id)
    jikimi("run", ok=(0, 3))
    jikimi("run", ok=(0, 3))
    exports = tmp_path / "exports"
    exports.mkdir()
    for fmt in ("csv", "jsonl", "html"):
        jikimi("export", "--format", fmt, "--output", str(exports / f"all.{fmt}"))
    jikimi("export", "--format", "csv", "--output", str(exports / "new.csv"), "--new")
    jikimi("status")
    jikimi("case", "list", explicit_read=True)
    jikimi("exposures", "list", explicit_read=True)
    listed = jikimi("exposures", "list", "--json", explicit_read=True)
    assert "forum.example.net" in listed, "the canary page must have become an exposure"
    jikimi("term", "list", case_id, explicit_read=True)
    jikimi("case", "show", case_id, explicit_read=True)

    needles = [
        CANARY.encode("utf-8"),
        CANARY_HANDLE.encode("utf-8"),
        CANARY.encode("utf-16-le"),
        b"canary-qz-handle",
        CANARY_PUNYCODE.encode("ascii"),
        "사건".encode(),
    ]
    leaks = []
    for path in files_under([data, exports]):
        raw = path.read_bytes()
        leaks += [f"{path.name}: {n!r}" for n in needles if n in raw]
    output = "\n".join(transcript).encode("utf-8")
    leaks += [f"process output: {n!r}" for n in needles if n in output]
    assert not leaks, leaks
    assert any(p.name.endswith("-wal") or p.name.endswith(".sqlite") for p in files_under([data]))
