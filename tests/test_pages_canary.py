"""Threat T3 on the page path: a canary name on watched pages, in a page's URL path (percent-encoded,
as crawlers log it) and in a Telegram post; with verbose logging through the plain path, the browser
path and a removal re-check, no process output carries the name in any spelling."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest

from sandbox.server import SandboxServer
from tests.support.home import ROOT
from tests.support.pages import page_config

CANARY = "캐너리홍QZ"
BIG = 1_200_000  # past DOWNLOAD_WARNSIZE, whose warning names the request URL


def spellings(value: str) -> set[str]:
    encoded = {quote(value, safe=""), quote_plus(value, safe="")}
    return {value, *encoded, *(e.lower() for e in encoded)}


@pytest.mark.browser  # /web/app is found only once Chromium renders it
def test_the_canary_never_reaches_process_output(tmp_path: Path, sandbox: SandboxServer) -> None:
    sb = sandbox
    encoded = quote(CANARY, safe="")
    filler = "가나다 " * (BIG // 8)
    sb.set_page(
        f"/web/{encoded}",
        f"<html><body><article><p>{CANARY} 합성 요청</p><p>{filler}</p></article></body></html>",
    )
    sb.set_page(
        "/web/app",
        (
            "<html><body><div id='app'></div><script>document.getElementById('app').innerHTML = "
            f"'<p>' + decodeURIComponent('{encoded}') + ' 사진</p>';</script></body></html>"
        ),
    )
    sb.post_message("hongnews", f"{CANARY} 영상 요청")
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    config = data / "config.toml"
    config.write_text(page_config(sb), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("JIKIMI_")}
    env.update(JIKIMI_DATA_DIR=str(data), JIKIMI_CONFIG=str(config), PYTHONPATH=str(ROOT))
    transcript: list[str] = []

    def jikimi(*args: str, stdin: str | None = None, ok: tuple[int, ...] = (0,), read: bool = False) -> str:
        proc = subprocess.run(
            [sys.executable, "-m", "jikimi", "--verbose", *args],
            check=False,  # the caller checks the exit code against `ok`
            input=stdin,
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=600,
        )
        # An explicit read may show the name on the advocate's screen (stdout); logs never.
        transcript.append(proc.stderr if read else proc.stdout + proc.stderr)
        assert proc.returncode in ok, f"{args}: {proc.returncode} {proc.stderr[-2000:]}"
        return proc.stdout

    jikimi("init")
    case_id = jikimi("case", "add", "--label", "canary case", "--consent", "fictional").strip()
    jikimi("term", "add", case_id, "-", stdin=CANARY + "\n")
    jikimi("target", "add", f"{sb.url}/web/{encoded}")
    jikimi("target", "add", f"{sb.url}/web/app")
    jikimi("target", "add", "https://t.me/s/hongnews")
    jikimi("run", "--stage", "pages", ok=(0, 3))
    found = jikimi("exposures", "list", "--json", read=True)
    assert found.count('"id"') == 3, found  # the big page, the rendered app, the post
    for exposure_id in range(1, 4):
        jikimi("exposure", "mark", str(exposure_id), "reported", "--channel", "email")
    jikimi("recheck", ok=(0, 3))
    jikimi("run", "--stage", "pages", ok=(0, 3))

    output = "\n".join(transcript)
    for spelling in spellings(CANARY):
        assert spelling not in output, spelling
    assert "Scraped from" not in output and "Crawled (" not in output
