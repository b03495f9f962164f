"""Engine scenarios: the first path segment of every engine URL (`/{scenario}/{source}/...`).

Each one reproduces a way a real source behaves or fails, so each outcome jikimi reports
(ok / empty / quota / blocked / auth / unreachable / error) can be provoked on purpose.
"""

from __future__ import annotations

import threading

SLOW_SECONDS = 10.0
SCENARIOS: dict[str, str] = {
    "ok": "normal answers",
    "empty": "valid answer with zero results",
    "auth": "401 in the engine's own error shape, always",
    "ratelimit": "429 with Retry-After: 1 on the first request to each path+query, then normal",
    "ratelimit-date": "as ratelimit, with Retry-After as an HTTP date about 2 s ahead",
    "ratelimit-bare": "as ratelimit, without Retry-After",
    "quota": "429 daily/monthly quota exhausted in the engine's own shape, always",
    "error": "500, always",
    "flaky": "500 on the first request to each path+query, then normal",
    "captcha": "HTTP 200 block page (DuckDuckGo challenge form; an HTML page instead of JSON elsewhere)",
    "slow": f"waits {SLOW_SECONDS:g} s before a normal answer",
    "malformed": "truncated JSON / broken HTML",
    "injection": "results whose titles and snippets carry script, template and formula payloads",
    "partial": "searxng only: results plus unresponsive_engines",
    "nojson": "searxng only: 403 to format=json (JSON output disabled)",
    "limiter": "searxng only: its bot limiter, 429 unless Accept names text/html and Accept-Language is sent",
    "blocked": "duckduckgo only: HTTP 202 with the challenge page",
    "no-pipe": "naver and kakao only: normal answers, but `|` is not read as OR (both sides required)",
}
# Scenarios every engine supports; the rest are listed by the engines that have them.
COMMON = frozenset(SCENARIOS) - {"partial", "nojson", "limiter", "blocked", "no-pipe"}
RATE_LIMITED = frozenset({"ratelimit", "ratelimit-date", "ratelimit-bare"})
ONCE_ONLY = RATE_LIMITED | {"flaky"}


class OnceMemory:
    """Remembers which requests a once-only scenario has already failed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: set[str] = set()

    def first(self, identity: str) -> bool:
        with self._lock:
            if identity in self._seen:
                return False
            self._seen.add(identity)
            return True

    def clear(self) -> None:
        with self._lock:
            self._seen.clear()
