"""The sandbox server itself: addresses, counters, resets, concurrency, TLS and the command line."""

from __future__ import annotations

import gzip
import json
import os
import signal
import ssl
import subprocess
import sys
import threading
from pathlib import Path
from urllib.error import URLError

import pytest

from sandbox.probe import fetch
from sandbox.server import SandboxServer
from sandbox.tls import SelfSignedServer

ROOT = Path(__file__).resolve().parent.parent
NAVER_KEYS = {"X-Naver-Client-Id": "client-id", "X-Naver-Client-Secret": "client-secret"}


def test_addresses(sandbox: SandboxServer) -> None:
    assert sandbox.url.startswith("http://127.0.0.1:") and not sandbox.url.endswith(":0")
    assert sandbox.base_url("naver") == f"{sandbox.url}/ok/naver"
    assert sandbox.base_url("naver", scenario="quota") == f"{sandbox.url}/quota/naver"
    assert sandbox.base_url("searxng", "partial") == f"{sandbox.url}/partial/searxng"
    assert sandbox.base_url("telegram") == f"{sandbox.url}/telegram"
    for source, scenario in (("bing", "ok"), ("naver", "nope"), ("kakao", "nojson")):
        with pytest.raises(ValueError):
            sandbox.base_url(source, scenario)
    assert "jikimi sandbox" in fetch(sandbox.url + "/").text


def test_counters_and_request_log(sandbox: SandboxServer) -> None:
    fetch(f"{sandbox.base_url('naver')}/v1/search/blog.json?query=%ED%99%8D", NAVER_KEYS)
    fetch(f"{sandbox.base_url('naver')}/v1/search/news.json?query=x", NAVER_KEYS)
    fetch(f"{sandbox.url}/web/forum/1")
    assert sandbox.wait_idle()
    assert sandbox.hits("/ok/naver") == 2 and sandbox.hits("/ok/naver/v1/search/blog.json") == 1
    assert sandbox.hits("/ok/naver/v1/search/blog.json?") == 0  # the query string is not part of the path
    assert sandbox.hits("/web/") == 1 and sandbox.hits("/") == 3
    assert sandbox.bytes_served("/web/forum/1") == len(fetch(f"{sandbox.url}/web/forum/1").body)
    method, path, query, headers = sandbox.requests[0]
    assert (method, path, query) == ("GET", "/ok/naver/v1/search/blog.json", "query=%ED%99%8D")
    assert headers["X-Naver-Client-Id"] == "client-id"
    sandbox.reset()
    assert sandbox.hits("/") == 0 and sandbox.bytes_served("/") == 0 and sandbox.requests == []


def test_reset_forgets_once_only_scenarios(sandbox: SandboxServer) -> None:
    url = f"{sandbox.base_url('naver', 'ratelimit')}/v1/search/webkr.json?query=x"
    assert [fetch(url, NAVER_KEYS).status for _ in range(2)] == [429, 200]
    sandbox.reset()
    assert fetch(url, NAVER_KEYS).status == 429


def test_post_form_counts_as_the_same_request(sandbox: SandboxServer) -> None:
    url = f"{sandbox.base_url('duckduckgo', 'flaky')}/html/"
    assert fetch(url, form={"q": "홍길동", "kl": "kr-kr"}).status == 500
    assert fetch(url, form={"kl": "kr-kr", "q": "홍길동"}).status == 200


def test_concurrent_requests_are_all_counted(sandbox: SandboxServer) -> None:
    statuses: list[int] = []
    lock = threading.Lock()

    def worker(n: int) -> None:
        status = fetch(f"{sandbox.url}/web/forum/{n % 10 + 1}").status
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 40 and sandbox.hits("/web/forum/") == 40


def test_gzip_when_offered(sandbox: SandboxServer) -> None:
    url = f"{sandbox.base_url('naver')}/v1/search/webkr.json?query=%ED%99%8D%EA%B8%B8%EB%8F%99"
    zipped = fetch(url, {**NAVER_KEYS, "Accept-Encoding": "gzip, deflate"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(zipped.body))["total"] > 0
    assert "Content-Encoding" not in fetch(url, NAVER_KEYS).headers


def test_google_key_in_header(sandbox: SandboxServer) -> None:
    url = f"{sandbox.base_url('google')}/customsearch/v1?cx=c&q=%ED%99%8D%EA%B8%B8%EB%8F%99"
    assert fetch(url, {"X-Goog-Api-Key": "k"}).status == 200
    assert fetch(url, {"X-Goog-Api-Key": "bad-key"}).status == 401


def test_reset_content_restores_everything(sandbox: SandboxServer) -> None:
    sandbox.add_document(url="https://x.example/1", title="되돌림시험", body="되돌림시험")
    sandbox.remove_document(f"{sandbox.url}/web/forum/1")
    sandbox.set_page("/web/forum/1", "changed")
    sandbox.post_message("hongnews", "new")
    sandbox.reset_content()
    assert not sandbox.remove_document("https://x.example/1")
    assert sandbox.remove_document(f"{sandbox.url}/web/forum/1")
    assert "changed" not in fetch(f"{sandbox.url}/web/forum/1").text
    assert 'data-post="hongnews/59"' not in fetch(f"{sandbox.url}/telegram/s/hongnews").text


def test_self_signed_certificate_is_refused_and_never_reaches_a_route() -> None:
    with SelfSignedServer() as tls:
        assert tls.url.startswith("https://127.0.0.1:")
        with pytest.raises(URLError) as refused:
            fetch(f"{tls.url}/web/forum/1", context=ssl.create_default_context())
        assert isinstance(refused.value.reason, ssl.SSLCertVerificationError)
        assert tls.wait_idle()
        assert tls.hits("/") == 0 and tls.handshake_failures >= 1
        # Trusting this very certificate shows the server itself works.
        trusting = ssl.create_default_context(cadata=tls.certificate_pem.decode())
        assert fetch(f"{tls.url}/web/forum/1", context=trusting).status == 200
        assert tls.hits("/web/forum/1") == 1


def test_command_line_serves_until_interrupted() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-m", "sandbox", "--port", "0"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        url = first.split(" on ", 1)[1].split()[0]
        listing = [process.stdout.readline() for _ in range(6)]
        assert any(f"{url}/ok/naver" in line for line in listing)
        assert fetch(f"{url}/robots.txt").status == 200
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
