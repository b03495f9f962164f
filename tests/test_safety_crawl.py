"""The safety layer in a real Scrapy crawl against local servers with hit and byte counters.

Each crawl runs in a subprocess (this file is also its driver script): Twisted's reactor cannot be
restarted, and `CrawlerProcess` installs the DNS resolver the way production crawls do. A "site"
server plays the trusted source origin and a public page; a "sink" server plays the internal
service that must never be reached. A fake system DNS maps `rebind.test` to 127.0.0.1 while the
gate's own pre-check is told it is public: DNS rebinding, caught by the resolver at connect time.
"""

from __future__ import annotations

import gzip
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
MIB = 1024 * 1024
PUBLIC_V4 = "93.184.216.34"
SECRET = "VICTIMNAME"
CHUNK = 64 * 1024


@dataclass
class FakeWeb:
    """A loopback HTTP server counting hits and body bytes actually written, per path."""

    hits: Counter[str] = field(default_factory=Counter)
    bytes_sent: Counter[str] = field(default_factory=Counter)
    in_flight: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    redirect_to: str = ""
    sink_base: str = ""
    server: ThreadingHTTPServer | None = None

    @property
    def base(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def settle(self, timeout: float = 10.0) -> None:
        """Wait until no handler is still writing (a stopped download ends with a broken pipe)."""
        deadline = time.monotonic() + timeout
        while self.in_flight and time.monotonic() < deadline:
            time.sleep(0.05)


def _handler(web: FakeWeb) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def setup(self) -> None:
            # A small send buffer, so "bytes written" counts what reached the crawler's socket rather
            # than what loopback's auto-tuned multi-megabyte buffers swallowed.
            self.request.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 64 * 1024)
            super().setup()

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            with web.lock:
                web.hits[path] += 1
                web.in_flight += 1
            try:
                self._serve(path)
            except (BrokenPipeError, ConnectionResetError):
                pass
            finally:
                with web.lock:
                    web.in_flight -= 1

        def _serve(self, path: str) -> None:
            if path == "/page.html":
                self._send(
                    200, "text/html; charset=utf-8", b"<html><title>ok</title><p>hello</p></html>", path
                )
            elif path == "/redirect":
                self.send_response(302)
                self.send_header("Location", web.redirect_to)
                self.send_header("Content-Length", "0")
                self.end_headers()
            elif path == "/redirect-media":
                self.send_response(302)
                self.send_header("Location", "/photo.jpg")
                self.send_header("Content-Length", "0")
                self.end_headers()
            elif path == "/video.html":
                self._stream("video/mp4", b"\x00" * CHUNK, 20 * MIB, path)
            elif path == "/lying.html":
                # Under DOWNLOAD_MAXSIZE, so only the signature check can stop it.
                self._stream("text/html", b"\xff\xd8\xff\xe0" + b"\x00" * (CHUNK - 4), 3 * MIB, path)
            elif path == "/huge.html":
                self._stream("text/html", b"<p>" + b"a" * (CHUNK - 3), 50 * MIB, path, length=False)
            elif path == "/bomb.html":
                body = gzip.compress(b"<p>" + b"a" * (64 * MIB), compresslevel=9)
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Encoding", "gzip")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self._write(body, path)
            elif path == "/browser.html":
                self._send(200, "text/html; charset=utf-8", _browser_page(web.sink_base).encode(), path)
            elif path == "/app.js":
                script = b"document.getElementById('js').textContent = 'script ran';"
                self._send(200, "application/javascript", script, path)
            elif path == "/style.css":
                self._send(200, "text/css", b"body { margin: 0 }", path)
            elif path == "/api.json":
                self._send(200, "application/json", b'{"ok": true}', path)
            elif path == "/download":
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Disposition", 'attachment; filename="clip.bin"')
                self.send_header("Content-Length", str(2 * MIB))
                self.end_headers()
                self._write(b"\x00" * (2 * MIB), path)
            else:  # every path on a media-looking URL and every path on the sink
                self._send(200, "image/jpeg", b"\xff\xd8\xff\xe0" + b"\x00" * 1000, path)

        def _send(self, status: int, content_type: str, body: bytes, path: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self._write(body, path)

        def _stream(
            self, content_type: str, chunk: bytes, total: int, path: str, *, length: bool = True
        ) -> None:
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            if length:
                self.send_header("Content-Length", str(total))
            self.end_headers()
            self.wfile.flush()
            sent = 0
            while sent < total:
                self._write(chunk, path)
                sent += len(chunk)

        def _write(self, data: bytes, path: str) -> None:
            self.wfile.write(data)
            self.wfile.flush()
            with web.lock:
                web.bytes_sent[path] += len(data)

    return Handler


def _browser_page(sink_base: str) -> str:
    """A page pulling in every kind of subresource, some of them from the internal sink."""
    return f"""<!doctype html><html><head><title>rendered</title>
<link rel="stylesheet" href="/style.css">
<style>@font-face {{ font-family: f; src: url(/font.woff2); }} body {{ font-family: f; }}</style>
<script src="/app.js" defer></script>
</head><body>
<p id="js">script did not run</p>
<img src="/img/photo.jpg"><img src="/pixel">
<video src="/clip" autoplay muted></video><audio src="/sound" autoplay></audio>
<iframe src="{sink_base}/frame"></iframe>
<img src="{sink_base}/sink-image">
<script>
fetch("/api.json");
fetch("{sink_base}/xhr").catch(() => {{}});
navigator.sendBeacon && navigator.sendBeacon("{sink_base}/beacon", "x");
</script>
</body></html>"""


@pytest.fixture
def fake_web() -> Iterator[tuple[FakeWeb, FakeWeb]]:
    site, sink = FakeWeb(), FakeWeb()
    servers = []
    for web in (site, sink):
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(web))
        server.daemon_threads = True
        web.server = server
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
    site.redirect_to = f"{sink.base}/from-redirect?q={SECRET}"
    site.sink_base = sink.base
    try:
        yield site, sink
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()


def run_crawl(
    tmp_path: Path, urls: dict[str, str], *, allow_private: bool, trusted: list[str], browser: bool = False
) -> dict[str, Any]:
    config = tmp_path / f"crawl-{len(list(tmp_path.iterdir()))}.json"
    output = config.with_suffix(".out.json")
    config.write_text(
        json.dumps(
            {
                "urls": urls,
                "allow_private": allow_private,
                "trusted": trusted,
                "browser": browser,
                "output": str(output),
            }
        ),
        encoding="utf-8",
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    completed = subprocess.run(
        [sys.executable, __file__, str(config)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-4000:]
    result: dict[str, Any] = json.loads(output.read_text(encoding="utf-8"))
    result["stderr"] = completed.stderr
    return result


@pytest.mark.slow
def test_strict_crawl_refuses_media_private_addresses_and_rebinding(
    fake_web: tuple[FakeWeb, FakeWeb], tmp_path: Path
) -> None:
    site, sink = fake_web
    sink_port = sink.base.rsplit(":", 1)[1]
    urls = {
        "page": f"{site.base}/page.html?q={SECRET}",
        "media_url": f"{site.base}/photo.jpg?q={SECRET}",
        "media_type": f"{site.base}/video.html",
        "media_magic": f"{site.base}/lying.html",
        "redirect_to_sink": f"{site.base}/redirect",
        "redirect_to_media": f"{site.base}/redirect-media",
        "huge": f"{site.base}/huge.html",
        "bomb": f"{site.base}/bomb.html",
        "sink_direct": f"{sink.base}/direct?q={SECRET}",
        "sink_odd_spelling": f"http://2130706433:{sink_port}/odd",
        "sink_rebind": f"http://rebind.test:{sink_port}/rebind?q={SECRET}",
        "file": "file:///etc/passwd",
    }
    result = run_crawl(tmp_path, urls, allow_private=False, trusted=[site.base])
    site.settle()
    sink.settle()
    outcomes, stats = result["outcomes"], result["stats"]

    # The sink, the internal service, was never reached: not directly, by redirect or by rebinding.
    assert sum(sink.hits.values()) == 0, sink.hits
    for key in ("sink_direct", "sink_odd_spelling", "redirect_to_sink", "sink_rebind"):
        assert outcomes[key]["error"] == "RefusedRequestError", (key, outcomes[key])
        assert outcomes[key]["rule"] == "private_address", (key, outcomes[key])
    assert outcomes["file"]["error"] == "RefusedRequestError"
    assert outcomes["file"]["rule"] == "scheme_not_allowed"

    # The trusted origin (a loopback source) works.
    assert outcomes["page"] == {"status": 200, "body": 42}

    # A media URL is never requested, whether asked for directly or through a redirect.
    assert site.hits["/photo.jpg"] == 0
    assert outcomes["media_url"]["rule"] == "media_url"
    assert outcomes["redirect_to_media"]["rule"] == "media_url"

    # A 20 MB video behind an .html URL is stopped at its headers; a 3 MB JPEG labelled text/html at
    # its first bytes. The errback gets the truncated response.
    assert outcomes["media_type"]["error"] == "MediaStoppedError"
    assert outcomes["media_type"]["rule"] == "media_content_type"
    assert outcomes["media_type"]["partial"] == 0
    assert outcomes["media_magic"]["error"] == "MediaStoppedError"
    assert outcomes["media_magic"]["rule"] == "media_magic_bytes"
    assert outcomes["media_magic"]["partial"] < MIB
    for path in ("/video.html", "/lying.html"):
        # What the server managed to write before the connection closed, kernel buffers included.
        assert site.bytes_sent[path] < MIB, (path, site.bytes_sent[path])

    # T8: a 50 MB page and a 64 MB gzip bomb stop at DOWNLOAD_MAXSIZE (4 MiB).
    assert outcomes["huge"]["error"] == "DownloadCancelledError", outcomes["huge"]
    assert site.bytes_sent["/huge.html"] < 16 * MIB
    assert outcomes["bomb"]["error"] == "IgnoreRequest", outcomes["bomb"]

    assert stats["jikimi/safety/refused"] == 5
    assert stats["jikimi/safety/refused/private_address"] == 4
    assert stats["jikimi/safety/refused/scheme_not_allowed"] == 1
    assert stats["jikimi/media/refused"] == 2
    assert stats["jikimi/media/stopped"] == 2
    assert stats["jikimi/media/stopped/content_type"] == 1
    assert stats["jikimi/media/stopped/magic_bytes"] == 1
    # Refusals are final: the retry middleware never retried the rebinding DNS failure.
    assert "retry/count" not in stats

    # Reasons name the rule and never carry the query string.
    for outcome in outcomes.values():
        assert SECRET not in json.dumps(outcome)


@pytest.mark.slow
def test_allow_private_reaches_the_sink_so_the_strict_test_is_not_vacuous(
    fake_web: tuple[FakeWeb, FakeWeb], tmp_path: Path
) -> None:
    _, sink = fake_web
    sink_port = sink.base.rsplit(":", 1)[1]
    urls = {
        "sink_direct": f"{sink.base}/direct.html",
        "sink_rebind": f"http://rebind.test:{sink_port}/rebind.html",
        "file": "file:///etc/passwd",
        "media_url": f"{sink.base}/photo.jpg",
    }
    result = run_crawl(tmp_path, urls, allow_private=True, trusted=[])
    sink.settle()
    outcomes = result["outcomes"]
    # The sink answers image/jpeg on every path: reached, then stopped at the headers.
    assert sink.hits["/direct.html"] == 1
    assert sink.hits["/rebind.html"] == 1
    assert outcomes["sink_direct"]["error"] == "MediaStoppedError"
    # allow_private lifts the address rule only.
    assert outcomes["file"]["rule"] == "scheme_not_allowed"
    assert outcomes["media_url"]["rule"] == "media_url"
    assert sink.hits["/photo.jpg"] == 0


@pytest.mark.browser
@pytest.mark.slow
def test_browser_path_aborts_media_and_internal_subresources(
    fake_web: tuple[FakeWeb, FakeWeb], tmp_path: Path
) -> None:
    site, sink = fake_web
    urls = {
        "page": f"{site.base}/browser.html?q={SECRET}",
        "media_type": f"{site.base}/video.html",
        "download": f"{site.base}/download",
        "media_url": f"{site.base}/photo.jpg",
        "sink_direct": f"{sink.base}/direct.html",
        "redirect_to_sink": f"{site.base}/redirect",
    }
    result = run_crawl(tmp_path, urls, allow_private=False, trusted=[site.base], browser=True)
    site.settle()
    sink.settle()
    outcomes, stats = result["outcomes"], result["stats"]

    # The page rendered, with its script, stylesheet and JSON fetch.
    assert outcomes["page"]["status"] == 200, outcomes["page"]
    assert "script ran" in outcomes["page"]["text"]
    assert site.hits["/app.js"] == 1 and site.hits["/style.css"] == 1 and site.hits["/api.json"] == 1

    # Images, video, audio and fonts were never requested, by type or by URL.
    for path in ("/img/photo.jpg", "/pixel", "/clip", "/sound", "/font.woff2", "/photo.jpg"):
        assert site.hits[path] == 0, path
    # Nothing reached the internal sink: not the iframe, image, fetch, beacon, a direct navigation or
    # a redirect hop (the response guard checks each redirect's Location at its headers).
    assert sum(sink.hits.values()) == 0, sink.hits
    assert outcomes["sink_direct"]["rule"] == "private_address"
    assert "status" not in outcomes["redirect_to_sink"], outcomes["redirect_to_sink"]
    assert SECRET not in json.dumps(outcomes["redirect_to_sink"])
    assert stats["playwright/request_count/aborted"] >= 8

    # A video opened as a document and a download: failed at their headers in the browser (the
    # response guard), never handed to the spider, never saved.
    assert "status" not in outcomes["media_type"], outcomes["media_type"]
    assert "status" not in outcomes["download"], outcomes["download"]


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.xfail(
    strict=True,
    reason="known limit of bare browser navigation: the response guard fails a video/mp4 answer at its "
    "headers, but the server has written its first chunks into the socket by then, so zero bytes is "
    "reachable only by never navigating there; jikimi's render spider does exactly that (it renders "
    "only bodies the plain path already fetched as text)",
)
def test_browser_navigation_to_media_behind_a_page_url(
    fake_web: tuple[FakeWeb, FakeWeb], tmp_path: Path
) -> None:
    site, _ = fake_web
    urls = {"media_type": f"{site.base}/video.html", "download": f"{site.base}/download"}
    run_crawl(tmp_path, urls, allow_private=False, trusted=[site.base], browser=True)
    site.settle()
    assert site.bytes_sent["/video.html"] == 0
    assert site.bytes_sent["/download"] == 0


@pytest.mark.browser
@pytest.mark.slow
def test_browser_redirect_to_an_internal_address(fake_web: tuple[FakeWeb, FakeWeb], tmp_path: Path) -> None:
    site, sink = fake_web
    run_crawl(
        tmp_path,
        {"redirect": f"{site.base}/redirect"},
        allow_private=False,
        trusted=[site.base],
        browser=True,
    )
    sink.settle()
    assert sum(sink.hits.values()) == 0, sink.hits


# ---------------------------------------------------------------------------------------------------
# The driver, run as `python tests/test_safety_crawl.py CONFIG.json` in a fresh process.


def _drive(config_path: str) -> None:
    from scrapy import Request, Spider
    from scrapy.crawler import CrawlerProcess
    from twisted.internet._resolver import GAIResolver
    from twisted.python.failure import Failure

    from crawler.safety.browser import playwright_settings
    from crawler.safety.errors import RefusedRequestError
    from crawler.safety.middleware import SafetyGateMiddleware
    from crawler.settings import SAFETY_SETTINGS

    config = json.loads(Path(config_path).read_text(encoding="utf-8"))
    outcomes: dict[str, dict[str, Any]] = {}

    class PublicDnsGate(SafetyGateMiddleware):
        """The gate, told by its pre-check DNS that every name is public (as a rebinding DNS would)."""

        @classmethod
        def from_crawler(cls, crawler: Any) -> PublicDnsGate:
            gate = super().from_crawler(crawler)
            gate.resolve = lambda host, port: [PUBLIC_V4]
            # a gate object where Scrapy expects its resolver.
            return gate  # type: ignore[return-value]

    class ProbeSpider(Spider):
        name = "probe"

        async def start(self) -> Any:
            # The reactor runs and CrawlerProcess has installed TWISTED_DNS_RESOLVER by now. The
            # system DNS as an attacker controls it: rebind.test answers 127.0.0.1 at connect time.
            from twisted.internet import reactor

            def rebinding_getaddrinfo(
                host: bytes | str | None,
                port: bytes | str | int | None,
                family: int = 0,
                type: int = 0,
                proto: int = 0,
                flags: int = 0,
            ) -> list[Any]:
                answered = "127.0.0.1" if host == "rebind.test" else host
                return socket.getaddrinfo(answered, port, family, type, proto, flags)

            resolver = reactor.nameResolver
            assert type(resolver).__name__ == "SafeHostnameResolver", resolver
            resolver.original_resolver = GAIResolver(reactor, reactor.getThreadPool, rebinding_getaddrinfo)
            meta = {"playwright": True} if config["browser"] else {}
            for key, url in config["urls"].items():
                yield Request(
                    url,
                    callback=self.ok,
                    errback=self.failed,
                    cb_kwargs={"key": key},
                    dont_filter=True,
                    meta=meta,
                )

        def ok(self, response: Any, key: str) -> None:
            outcomes[key] = {"status": response.status, "body": len(response.body)}
            if config["browser"]:
                outcomes[key]["text"] = response.text

        def failed(self, failure: Failure) -> None:
            # Twisted's Failure carries Scrapy's request as an attribute it does not declare.
            key = failure.request.cb_kwargs["key"]  # type: ignore[attr-defined]
            value = failure.value
            response = getattr(value, "response", None)
            outcomes[key] = {
                "error": type(value).__name__,
                "rule": getattr(value, "rule", None),
                "reason": str(value) if isinstance(value, RefusedRequestError) else "",
                "partial": len(response.body) if response is not None else None,
            }

    settings: dict[str, Any] = {
        "LOG_LEVEL": "INFO",
        "ROBOTSTXT_OBEY": False,
        "JIKIMI_ALLOW_PRIVATE_ADDRESSES": config["allow_private"],
        "JIKIMI_TRUSTED_ORIGINS": config["trusted"],
    }
    for key, value in SAFETY_SETTINGS.items():
        settings[key] = dict(value) if isinstance(value, dict) else value
    settings["DOWNLOADER_MIDDLEWARES"]["crawler.safety.middleware.SafetyGateMiddleware"] = None
    settings["DOWNLOADER_MIDDLEWARES"][PublicDnsGate] = 950
    if config["browser"]:
        browser = playwright_settings(
            allow_private=config["allow_private"], trusted_origins=config["trusted"]
        )
        for key, value in browser.items():
            settings[key] = (
                {**settings[key], **value} if isinstance(value, dict) and key in settings else value
            )

    process = CrawlerProcess(settings, install_root_handler=True)
    crawler = process.create_crawler(ProbeSpider)
    process.crawl(crawler)
    process.start()
    stats = crawler.stats.get_stats() if crawler.stats else {}
    Path(config["output"]).write_text(
        json.dumps({"outcomes": outcomes, "stats": stats}, default=str), encoding="utf-8"
    )


if __name__ == "__main__":
    _drive(sys.argv[1])
