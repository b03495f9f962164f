"""Every request the sandbox receives, and how many body bytes it really wrote for each.

Tests assert on these: how many calls a run made, and that media paths served zero bytes.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

RequestRecord = tuple[str, str, str, dict[str, str]]


@dataclass
class _Entry:
    method: str
    path: str
    query_string: str
    headers: dict[str, str]
    bytes_sent: int = 0
    done: bool = False


class Recorder:
    """Thread-safe log of requests; handler threads append while tests read."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[_Entry] = []

    def open(self, method: str, path: str, query_string: str, headers: dict[str, str]) -> _Entry:
        entry = _Entry(method, path, query_string, headers)
        with self._lock:
            self._entries.append(entry)
        return entry

    def add_bytes(self, entry: _Entry, count: int) -> None:
        with self._lock:
            entry.bytes_sent += count

    def finish(self, entry: _Entry) -> None:
        with self._lock:
            entry.done = True

    def busy(self) -> bool:
        """Whether any request is still being answered."""
        with self._lock:
            return any(not e.done for e in self._entries)

    def hits(self, path_prefix: str) -> int:
        with self._lock:
            return sum(1 for e in self._entries if e.path.startswith(path_prefix))

    def bytes_served(self, path_prefix: str) -> int:
        with self._lock:
            return sum(e.bytes_sent for e in self._entries if e.path.startswith(path_prefix))

    def snapshot(self) -> list[RequestRecord]:
        with self._lock:
            return [(e.method, e.path, e.query_string, dict(e.headers)) for e in self._entries]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
