"""The request a sandbox route receives and the response it returns, independent of the HTTP server."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

# Headers and bodies are small everywhere except in the hostile routes, which stream.
Body = bytes | Iterable[bytes]


@dataclass(frozen=True)
class Request:
    """One HTTP request as the routes see it."""

    method: str
    path: str
    query_string: str
    headers: Mapping[str, str]  # keys lower-cased
    body: bytes = b""

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    @property
    def params(self) -> dict[str, str]:
        """Query and (for form POSTs) body parameters; the first value wins, as the real services do."""
        pairs = parse_qsl(self.query_string, keep_blank_values=True)
        content_type = (self.header("content-type") or "").lower()
        if self.method == "POST" and content_type.startswith("application/x-www-form-urlencoded"):
            pairs += parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True)
        params: dict[str, str] = {}
        for key, value in pairs:
            params.setdefault(key, value)
        return params

    def param(self, name: str, default: str | None = None) -> str | None:
        return self.params.get(name, default)

    def identity(self) -> str:
        """Path plus sorted parameters: what "the same request" means for once-only scenarios."""
        return self.path + "?" + "&".join(f"{k}={v}" for k, v in sorted(self.params.items()))


@dataclass
class Response:
    """What a route answers. A non-bytes body is streamed chunk by chunk and counted as it is written."""

    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: Body = b""
    # Declared Content-Length of a streamed body; None means the body ends when the connection closes.
    length: int | None = None
    # Seconds to wait before answering at all (the `slow` scenario).
    delay: float = 0.0
    # Seconds to wait between streamed chunks (the slow-drip server).
    interval: float = 0.0

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None


def json_response(status: int, payload: object, headers: Iterable[tuple[str, str]] = ()) -> Response:
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    return Response(status, [("Content-Type", "application/json; charset=utf-8"), *headers], body)


def html_response(status: int, html: str, headers: Iterable[tuple[str, str]] = ()) -> Response:
    return Response(status, [("Content-Type", "text/html; charset=utf-8"), *headers], html.encode("utf-8"))


def text_response(status: int, text: str, headers: Iterable[tuple[str, str]] = ()) -> Response:
    return Response(status, [("Content-Type", "text/plain; charset=utf-8"), *headers], text.encode("utf-8"))


def redirect_response(location: str, status: int = 302) -> Response:
    return Response(status, [("Location", location), ("Content-Type", "text/plain; charset=utf-8")], b"")


def not_found() -> Response:
    return text_response(404, "not found in the sandbox\n")
