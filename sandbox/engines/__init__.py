"""The fake search engines, one module each, and the scenario logic they share.

Order of checks, as on the real services: unknown path, then credentials, then quota and rate
limits, then server trouble, then the bot wall, then parameter validation and results.
"""

from __future__ import annotations

import gzip
import time
from email.utils import formatdate

from sandbox.corpus import Corpus
from sandbox.engines.base import Engine, EngineCall
from sandbox.engines.brave import Brave
from sandbox.engines.duckduckgo import DuckDuckGo
from sandbox.engines.google import Google
from sandbox.engines.kakao import Kakao
from sandbox.engines.naver import Naver
from sandbox.engines.searxng import Searxng
from sandbox.exchange import Request, Response, not_found
from sandbox.scenarios import RATE_LIMITED, SLOW_SECONDS, OnceMemory

ENGINES: dict[str, Engine] = {
    e.name: e for e in (Naver(), Kakao(), Brave(), Searxng(), DuckDuckGo(), Google())
}


def handle(request: Request, scenario: str, corpus: Corpus, memory: OnceMemory, root: str) -> Response:
    source, _, rest = request.path.split("/", 2)[2].partition("/")
    engine = ENGINES.get(source)
    if engine is None or scenario not in engine.scenarios:
        return not_found()
    subpath = "/" + rest
    vertical = engine.vertical(subpath, request.method)
    if vertical is None:
        return engine.not_found()
    call = EngineCall(request, scenario, source, subpath, corpus, root)
    response = engine.link(call) or _scenario(engine, call, memory) or engine.search(call, vertical)
    if scenario == "malformed" and response.status == 200:
        response = engine.malform(response)
    if scenario == "slow":
        response.delay = SLOW_SECONDS
    return _compressed(response, request.header("Accept-Encoding") or "")


def _compressed(response: Response, accept_encoding: str) -> Response:
    """gzip the body when the client offers it, as the real APIs and their CDNs do."""
    offered = {part.split(";")[0].strip().lower(): part for part in accept_encoding.split(",")}
    if "gzip" not in offered or "q=0" in offered["gzip"].replace(" ", "").split(";")[1:]:
        return response
    if not isinstance(response.body, bytes) or not response.body:
        return response
    response.body = gzip.compress(response.body, mtime=0)
    response.headers += [("Content-Encoding", "gzip"), ("Vary", "Accept-Encoding")]
    return response


def _scenario(engine: Engine, call: EngineCall, memory: OnceMemory) -> Response | None:
    scenario = call.scenario
    if scenario == "auth":
        return engine.auth_error()
    denied = engine.check_credentials(call)
    if denied is not None:
        return denied
    if scenario == "quota":
        return engine.quota_exhausted()
    if scenario in RATE_LIMITED and memory.first(call.request.identity()):
        response = engine.rate_limited()
        if scenario == "ratelimit":
            response.headers.append(("Retry-After", "1"))
        elif scenario == "ratelimit-date":
            response.headers.append(("Retry-After", formatdate(time.time() + 2, usegmt=True)))
        return response
    if scenario == "error" or (scenario == "flaky" and memory.first(call.request.identity())):
        return engine.server_error()
    if scenario == "captcha":
        return engine.captcha(call)
    return engine.special(call)
