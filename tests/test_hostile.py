"""Threats T8-T10 end to end: a self-signed certificate fails, bombs stay bounded in memory, and
injected titles and snippets are inert in every export and report."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

from sandbox.server import SandboxServer
from tests.support.home import ROOT, JikimiHome, setup_case
from tests.support.search import engine_config, outcomes, run_json


def test_self_signed_certificate_is_refused(home: JikimiHome) -> None:
    from sandbox.tls import SelfSignedServer

    with SelfSignedServer() as tls:
        https_root = tls.url.replace("http://", "https://")
        home.write_config(
            "[network]\nallow_private_addresses = true\ndownload_delay = 0.0\n"
            f'[sources.searxng]\nbase_url = "{https_root}/ok/searxng"\n'
            "[sources.duckduckgo]\nenabled = false\n[sources.telegram]\nenabled = false\n"
        )
        setup_case(home, ("홍길동", "name"))
        code, summary = run_json(home)
        tls.wait_idle()
        assert code == 3
        assert outcomes(summary) == {"searxng": "unreachable"}
        assert tls.hits("/") == 0, "no request may be sent over an unverified connection"
        assert tls.handshake_failures >= 1


def test_injected_titles_are_inert_in_every_export_and_report(
    home: JikimiHome, sandbox: SandboxServer, tmp_path: Path
) -> None:
    home.write_config(engine_config(sandbox, {"brave": "injection", "naver": "injection"}))
    case_id = setup_case(home, ("홍길동", "name"))
    run_json(home)
    found = json.loads(home.ok("exposures", "list", "--json"))
    stored = "".join((e["title"] or "") + (e["snippet"] or "") + e["url"] for e in found)
    assert "=HYPERLINK" in stored and "{{7*7}}" in stored, "the payloads must reach storage as text"
    out = tmp_path / "out"
    out.mkdir()
    for fmt in ("csv", "jsonl", "html"):
        home.ok("export", "--format", fmt, "--output", str(out / f"x.{fmt}"))
    home.ok("report", "--output", str(out / "report.html"))
    home.ok("exposure", "mark-case", str(case_id), "--from", "new", "--to", "confirmed")
    home.ok("takedown", "draft", "--output", str(out / "drafts"))
    html = (out / "x.html").read_text("utf-8")
    assert "<script" not in html and "onerror" not in html.replace("onerror=", "") and "{{7*7}}" in html
    assert 'href="javascript' not in html.lower()
    assert "<script" not in (out / "report.html").read_text("utf-8")
    rows = list(csv.reader(io.StringIO((out / "x.csv").read_text("utf-8-sig"))))
    assert len(rows) > 1  # the header and at least one exposure
    for row in rows:
        assert not any(cell[:1] in ("=", "+", "-", "@") for cell in row), row
    for line in (out / "x.jsonl").read_text("utf-8").splitlines():
        json.loads(line)  # one object per line, however hostile the text
    drafts = "".join(p.read_text("utf-8") for p in (out / "drafts").rglob("*") if p.is_file())
    assert "<script>" not in drafts and "=HYPERLINK" not in drafts


def test_bombs_and_huge_pages_keep_the_crawl_small(home: JikimiHome, sandbox: SandboxServer) -> None:
    """The pages stage over every bomb: the crawl process's peak memory stays far below the bombs' size."""
    sb = sandbox
    home.write_config(
        "[network]\nallow_private_addresses = true\ndownload_delay = 0.0\ndownload_timeout = 5.0\n"
        f'[sources.telegram]\nbase_url = "{sb.url}/telegram"\n[sources.duckduckgo]\nenabled = false\n'
    )
    setup_case(home, ("홍길동", "name"))
    for name in ("gzip-bomb", "deflate-bomb", "brotli-bomb", "huge", "nested"):
        home.ok("target", "add", f"{sb.url}/hostile/{name}")
    from storage.runs import start_run

    store_run = home.cli("status", "--json")
    assert store_run.code == 0
    from jikimi.cli.app_state import state

    run_id = start_run(state.store(), "test")
    state.close()
    probe = (
        "import resource, subprocess, sys\n"
        f"code = subprocess.call([sys.executable, '-m', 'crawler', 'pages', '--run-id', '{run_id}'],"
        " stdout=subprocess.DEVNULL)\n"
        "print(code, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", probe], check=True, capture_output=True, text=True, env=env, timeout=300
    )
    code, peak_kib = (int(v) for v in done.stdout.split())
    assert code in (0, 3), done.stderr[-2000:]
    assert peak_kib < 400 * 1024, f"crawl peaked at {peak_kib // 1024} MB on ~1 GiB bombs"


def test_no_referer_follows_a_redirect(home: JikimiHome, sandbox: SandboxServer) -> None:
    """A search URL names the victim; no Referer may carry it (or any URL) to the next site."""
    sb = sandbox
    home.write_config(
        "[network]\nallow_private_addresses = true\ndownload_delay = 0.0\n"
        "[sources.duckduckgo]\nenabled = false\n[sources.telegram]\nenabled = false\n"
    )
    setup_case(home, ("홍길동", "name"))
    home.ok("target", "add", f"{sb.url}/web/redirect-to?u=/web/forum/3")
    sb.reset()
    result = home.cli("run", "--stage", "pages", "--json")
    assert result.code in (0, 3), result.err
    followed = [r for r in sb.requests if r[1] == "/web/forum/3"]
    assert followed, "the redirect must have been followed"
    assert all("referer" not in {k.lower() for k in r[3]} for r in sb.requests)
