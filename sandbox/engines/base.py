"""What every fake engine has in common: the call it answers and the failure shapes it must supply."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from sandbox.corpus import Corpus, Hit
from sandbox.exchange import Request, Response, html_response
from sandbox.query import parse_query
from sandbox.scenarios import COMMON

# The one credential every keyed engine rejects (any other non-empty key is accepted).
REJECTED_KEY = "bad-key"


@dataclass(frozen=True)
class EngineCall:
    """One request to an engine, with the scenario it runs under."""

    request: Request
    scenario: str
    source: str
    subpath: str  # the engine's real path, e.g. /v1/search/blog.json
    corpus: Corpus
    root: str  # the sandbox's own address, for links back into it

    @property
    def mount(self) -> str:
        """Where this engine lives in the sandbox; real root-relative links are written against it."""
        return f"/{self.scenario}/{self.source}"

    def find(
        self, text: str, kind: str = "web", since: datetime | None = None, by_date: bool = False
    ) -> list[Hit]:
        if self.scenario == "empty":
            return []
        hits = self.corpus.search(parse_query(text, self.scenario != "no-pipe"), kind, since, by_date)
        if self.scenario == "injection":
            return [Hit(doc, 1) for doc in self.corpus.injection] + hits
        return hits

    @staticmethod
    def terms(text: str) -> tuple[str, ...]:
        return parse_query(text).terms


class Engine(ABC):
    """A fake engine: its real paths, its answers, and its real error bodies."""

    name: ClassVar[str]
    scenarios: ClassVar[frozenset[str]] = COMMON

    @abstractmethod
    def vertical(self, subpath: str, method: str) -> str | None:
        """The vertical a real path names, or None when the engine has no such path."""

    def link(self, call: EngineCall) -> Response | None:
        """A route outside the API proper (Naver's redirect links): answered before any scenario."""
        return None

    def check_credentials(self, call: EngineCall) -> Response | None:
        """The engine's 401 when the key is missing or "bad-key"; keyless engines accept everything."""
        return None

    @abstractmethod
    def auth_error(self) -> Response: ...

    @abstractmethod
    def rate_limited(self) -> Response:
        """The per-second 429, without Retry-After (the scenario decides that header)."""

    @abstractmethod
    def quota_exhausted(self) -> Response: ...

    @abstractmethod
    def server_error(self) -> Response: ...

    @abstractmethod
    def not_found(self) -> Response: ...

    def captcha(self, call: EngineCall) -> Response:
        """A JSON API fronted by a bot wall answers 200 with an HTML page instead of JSON."""
        return html_response(200, UNUSUAL_TRAFFIC_HTML)

    def special(self, call: EngineCall) -> Response | None:
        """Engine-only scenarios (searxng partial/nojson, duckduckgo blocked)."""
        return None

    @abstractmethod
    def search(self, call: EngineCall, vertical: str) -> Response:
        """The normal answer, or the engine's own 4xx for bad parameters."""

    def malform(self, response: Response) -> Response:
        """Cut the body short, as a dropped connection behind a proxy would."""
        body = response.body if isinstance(response.body, bytes) else b"".join(response.body)
        response.body = body[: max(1, len(body) * 3 // 5)]
        return response


UNUSUAL_TRAFFIC_HTML = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Sorry...</title></head>
<body>
  <div id="captcha-page">
    <h1>Our systems have detected unusual traffic from your computer network.</h1>
    <p>비정상적인 트래픽이 감지되었습니다. 로봇이 아닌지 확인해 주세요.</p>
    <form id="captcha-form" action="/sorry/index" method="POST">
      <img src="/media/captcha/unusual-traffic.png" alt="captcha">
      <input type="text" name="captcha"><input type="submit" value="Submit">
    </form>
  </div>
</body></html>
"""


def int_param(value: str | None, default: int) -> int | None:
    """The parameter as an int, the default when absent, None when it is not a number."""
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        return None
