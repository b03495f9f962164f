"""The sandbox's HTTP server: a stdlib ThreadingHTTPServer in a daemon thread, plus the test controls.

with SandboxServer() as sb:            # 127.0.0.1, a free port
    sb.base_url("naver")               # f"{sb.url}/ok/naver"
    sb.base_url("naver", "quota")      # f"{sb.url}/quota/naver"
    sb.hits("/ok/naver"), sb.bytes_served("/media/"), sb.requests
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import threading
import time
from collections.abc import Callable
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self
from urllib.parse import urlsplit

from sandbox import routing
from sandbox.corpus import Document, coerce_published
from sandbox.engines import ENGINES
from sandbox.exchange import Request, Response, text_response
from sandbox.recorder import RequestRecord
from sandbox.scenarios import SCENARIOS
from sandbox.state import SandboxState

logger = logging.getLogger(__name__)

MAX_REQUEST_BODY = 1024 * 1024
# Small send buffers for streamed bodies, so bytes_served tracks what the client really took
# instead of what the kernel could queue on loopback.
_STREAM_SNDBUF = 64 * 1024
_PATH_SOURCES = {"telegram": "/telegram", "web": "/web", "hostile": "/hostile", "media": "/media"}


def is_wildcard(host: str) -> bool:
    """Whether `host` binds every interface; links then use 127.0.0.1, which always reaches it."""
    try:
        return host == "" or ipaddress.ip_address(host).is_unspecified
    except ValueError:
        return False


# What socketserver hands a server per connection (a datagram pair never occurs over TCP).
_Connection = socket.socket | tuple[bytes, socket.socket]


class SandboxHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # The default backlog of 5 drops connections when a crawler opens many at once (a 1 s SYN retry).
    request_queue_size = 128
    state: SandboxState

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        super().__init__(address, handler)
        self._open_lock = threading.Lock()
        self._open: set[socket.socket] = set()

    def process_request(self, request: _Connection, client_address: Any) -> None:
        if isinstance(request, socket.socket):
            with self._open_lock:
                self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: _Connection) -> None:
        if isinstance(request, socket.socket):
            with self._open_lock:
                self._open.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """Hang up on kept-alive clients, so no handler thread outlives the server."""
        with self._open_lock:
            connections = list(self._open)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # already closed by the client


class SandboxRequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "sandbox"
    timeout = 30  # idle keep-alive connections and stalled writes give up after this
    server: SandboxHTTPServer

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_HEAD(self) -> None:
        self._serve()

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: object) -> None:
        # Request lines carry search terms; tests read sb.requests instead.
        return

    def _serve(self) -> None:
        state = self.server.state
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(min(length, MAX_REQUEST_BODY)) if length > 0 else b""
        headers = {k: v for k, v in self.headers.items()}
        entry = state.recorder.open(self.command, parts.path, parts.query, headers)
        request = Request(
            self.command, parts.path, parts.query, {k.lower(): v for k, v in headers.items()}, body
        )
        try:
            try:
                response = routing.dispatch(state, request)
            except Exception:
                logger.exception("sandbox route failed for %s", parts.path)
                response = text_response(500, "sandbox route failed\n")
            self._send(response, lambda count: state.recorder.add_bytes(entry, count))
        finally:
            state.recorder.finish(entry)

    def _send(self, response: Response, count: Callable[[int], None]) -> None:
        stopping = self.server.state.stopping
        if response.delay and stopping.wait(response.delay):
            self.close_connection = True
            return
        streamed = not isinstance(response.body, bytes)
        self.send_response(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        no_body = self.command == "HEAD" or response.status in (204, 304) or 100 <= response.status < 200
        if isinstance(response.body, bytes):
            if response.status not in (204, 304):
                self.send_header("Content-Length", str(len(response.body)))
        elif response.length is not None:
            self.send_header("Content-Length", str(response.length))
        else:
            # No length: the body ends when the connection closes (valid HTTP/1.1, and what the
            # 50 MB page needs so a client can only learn its size by reading).
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if no_body:
            return
        if streamed:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, _STREAM_SNDBUF)
        chunks = [response.body] if isinstance(response.body, bytes) else response.body
        for index, chunk in enumerate(chunks):
            if index and response.interval and stopping.wait(response.interval):
                self.close_connection = True
                return
            try:
                self.wfile.write(chunk)
            except (ConnectionError, TimeoutError, OSError):
                # The client hung up (as it should on a bomb or a video): stop writing.
                self.close_connection = True
                return
            count(len(chunk))


class SandboxServer:
    """The fake internet, running in a daemon thread until stopped (or the `with` block ends)."""

    scheme = "http"
    server_class: type[SandboxHTTPServer] = SandboxHTTPServer
    handler_class: type[SandboxRequestHandler] = SandboxRequestHandler

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._httpd = self.server_class((host, port), self.handler_class)
        bound_port = self._httpd.server_address[1]
        shown = "127.0.0.1" if is_wildcard(host) else host
        self.url = f"{self.scheme}://{shown}:{bound_port}"
        self.state = SandboxState(self.url)
        self._httpd.state = self.state
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> Self:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._httpd.serve_forever, kwargs={"poll_interval": 0.1}, name="sandbox", daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        self.state.stopping.set()
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._httpd.close_connections()
        self._httpd.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- addresses ---------------------------------------------------------------------------
    def base_url(self, source: str, scenario: str = "ok") -> str:
        """Where a source's client should point: `{url}/{scenario}/{source}` for engines."""
        if source in _PATH_SOURCES:
            return self.url + _PATH_SOURCES[source]
        engine = ENGINES.get(source)
        if engine is None:
            raise ValueError(f"unknown source {source!r}; known: {sorted(ENGINES) + sorted(_PATH_SOURCES)}")
        if scenario not in engine.scenarios:
            raise ValueError(f"{source} has no scenario {scenario!r}; it has {sorted(engine.scenarios)}")
        return f"{self.url}/{scenario}/{source}"

    # -- counters ----------------------------------------------------------------------------
    def hits(self, path_prefix: str) -> int:
        return self.state.recorder.hits(path_prefix)

    def bytes_served(self, path_prefix: str) -> int:
        return self.state.recorder.bytes_served(path_prefix)

    @property
    def requests(self) -> list[RequestRecord]:
        """(method, path, query_string, headers) per request, oldest first; a snapshot."""
        return self.state.recorder.snapshot()

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Wait until no response is being written (a hung-up stream is noticed on its next write).

        Call before reading bytes_served after a client aborted a download. False on timeout.
        """
        deadline = time.monotonic() + timeout
        while self.state.recorder.busy():
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.02)
        return True

    def reset(self) -> None:
        """Zero the counters and forget which requests the once-only scenarios already failed."""
        self.state.reset()

    def reset_content(self) -> None:
        """Undo add_document, remove_document, set_page, set_robots and post_message."""
        self.state.reset_content()

    # -- content controls --------------------------------------------------------------------
    def add_document(
        self,
        url: str,
        title: str,
        body: str,
        published: datetime | str | None = None,
        kind: str = "any",
        site: str = "",
        naver_redirect: bool = False,
    ) -> None:
        """Index a document in every engine (every vertical unless `kind` names one); same URL replaces."""
        published_at = coerce_published(published)
        self.state.corpus.add(Document(url, title, body, published_at, kind, site, naver_redirect))

    def remove_document(self, url: str) -> bool:
        return self.state.corpus.remove(url)

    def set_page(self, path: str, html: str) -> None:
        """Create or change a page under /web/ (a new ETag and a later Last-Modified)."""
        self.state.pages.set(path, html)

    def set_robots(self, body: str, status: int = 200) -> None:
        self.state.pages.set_robots(body, status)

    def post_message(self, channel: str, text: str) -> int:
        """Append a message to a Telegram channel (created if new); returns its id."""
        return self.state.channels.post(channel, text)


def serve(host: str, port: int) -> None:
    """Run the sandbox in the foreground until Ctrl-C (what `jikimi sandbox` calls)."""
    with SandboxServer(host, port) as sandbox:
        print(f"jikimi sandbox on {sandbox.url}  (fictional content only)")
        for name in ENGINES:
            print(f"  {name:<11} {sandbox.base_url(name)}")
        print(
            f"  {'telegram':<11} {sandbox.base_url('telegram')}   (t.me/s/<channel> -> /telegram/s/<channel>)"
        )
        print(f"  {'pages':<11} {sandbox.url}/web/   robots: {sandbox.url}/robots.txt")
        print(f"  {'hostile':<11} {sandbox.url}/hostile/<name>")
        print(f"  scenarios: replace 'ok' with one of {', '.join(SCENARIOS)}")
        print("Ctrl-C stops.", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            print("stopped")
