"""`jikimi sources check`: one cheap live call per search engine that is turned on, and what it means.

Each engine is asked one page for a neutral word (never a watch term), built and parsed by the engine's
own module, so the check sees exactly what a pass would: accepted keys, a quota, a block page. One call
with the standard library, not a Scrapy crawl: a check must answer in seconds. It keeps the crawl's
rules: only the configured base URL (a trusted origin of the address gate) is contacted, no redirect is
followed (a redirect could lead anywhere), the body is bounded, and nothing is stored.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request
import zlib
from dataclasses import dataclass
from email.message import Message

from crawler.safety.addresses import UnsafeURLError, check_url, origin_of
from crawler.safety.media import is_text_content_type
from crawler.sources.base import Outcome, PageCursor, Query, SourceError
from crawler.sources.registry import SOURCES
from jikimi.config import KNOWN_SOURCES, Settings, SourceConfig

# A neutral, common word: the check must never send a victim's name.
PROBE_QUERY = "날씨"
MAX_BODY = 2 * 1024 * 1024


@dataclass(frozen=True)
class SourceCheck:
    """How one source answered: `outcome` is a run outcome, or `off` / `skipped`; `detail` names the fix."""

    name: str
    outcome: str
    detail: str
    results: int = 0
    seconds: float = 0.0

    @property
    def good(self) -> bool:
        return self.outcome in (Outcome.OK, Outcome.EMPTY, "off", "skipped")


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None  # the 3xx comes back as an HTTPError and is reported, never followed


def _fix(cfg: SourceConfig, outcome: Outcome, reason: str) -> str:
    keys = " and ".join(KNOWN_SOURCES[cfg.name][2]) or "base_url"
    fixes = {
        Outcome.AUTH: f"the engine refused the keys ({reason}): check {keys} under [sources.{cfg.name}]",
        Outcome.QUOTA: f"over its quota ({reason}): it resets tomorrow; lower daily_budget or ask for more",
        Outcome.BLOCKED: f"the engine blocked the request ({reason}): try again later",
        Outcome.UNREACHABLE: f"could not reach {cfg.base_url} ({reason}): check base_url and the network",
        Outcome.ERROR: f"the engine answered with an error ({reason}): check base_url, or try later",
    }
    return fixes.get(outcome, reason)


def _fetch(settings: Settings, cfg: SourceConfig) -> tuple[int, dict[str, str], bytes]:
    module = SOURCES[cfg.name]
    vertical = cfg.verticals[0] if cfg.verticals else ""
    query = Query(text=PROBE_QUERY, case_id=0, term_id=0, exact=False, vertical=vertical)
    request = module.build_request(cfg, query, PageCursor(1))
    check_url(
        request.url,
        allow_private=settings.network.allow_private_addresses,
        trusted_origins=frozenset({origin_of(cfg.base_url)}),
    )
    headers = {"User-Agent": settings.network.user_agent, **request.headers}
    http = urllib.request.Request(request.url, data=request.body, method=request.method, headers=headers)
    opener = urllib.request.build_opener(_NoRedirects)
    try:
        answer = opener.open(http, timeout=settings.network.download_timeout)
    except urllib.error.HTTPError as error:
        answer = error
    with answer:
        got: Message = answer.headers
        status = answer.status if answer.status is not None else 0
        if not is_text_content_type(got.get("Content-Type")):
            raise SourceError(Outcome.ERROR, "the answer was not text")
        body = _decoded(got.get("Content-Encoding", ""), answer.read(MAX_BODY))
        return status, {k: v for k, v in got.items() if k.lower() != "content-encoding"}, body


def _decoded(coding: str, body: bytes) -> bytes:
    """gzip/deflate bodies (SearXNG's bot check wants clients that accept them), bounded like the crawl."""
    coding = coding.strip().lower()
    if coding in ("", "identity"):
        return body
    if coding not in ("gzip", "x-gzip", "deflate"):
        raise SourceError(Outcome.ERROR, f"unsupported content-encoding {coding}")
    wbits = 16 + zlib.MAX_WBITS if coding != "deflate" else zlib.MAX_WBITS
    try:
        return zlib.decompressobj(wbits).decompress(body, MAX_BODY)
    except zlib.error:
        raise SourceError(Outcome.ERROR, "a compressed answer could not be read") from None


def check_source(settings: Settings, cfg: SourceConfig) -> SourceCheck:
    """One live call to one enabled search engine, classified like a pass would classify it."""
    module = SOURCES.get(cfg.name)
    if module is None:
        return SourceCheck(cfg.name, "skipped", "not a search engine: checked when a watched channel is read")
    problems = module.check_config(cfg)
    if problems:
        return SourceCheck(cfg.name, Outcome.ERROR, "; ".join(problems))
    started = time.monotonic()
    try:
        status, headers, body = _fetch(settings, cfg)
        if 300 <= status < 400:
            raise SourceError(Outcome.ERROR, f"redirected elsewhere (http {status})")
        vertical = cfg.verticals[0] if cfg.verticals else ""
        query = Query(text=PROBE_QUERY, case_id=0, term_id=0, exact=False, vertical=vertical)
        page = module.parse_response(cfg, query, PageCursor(1), status, headers, body)
    except SourceError as error:
        took = time.monotonic() - started
        return SourceCheck(cfg.name, error.outcome, _fix(cfg, error.outcome, error.reason), seconds=took)
    except UnsafeURLError as error:
        return SourceCheck(cfg.name, Outcome.ERROR, f"refused by the address gate ({error})")
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        reason = getattr(error, "reason", None) or error.__class__.__name__
        took = time.monotonic() - started
        return SourceCheck(
            cfg.name, Outcome.UNREACHABLE, _fix(cfg, Outcome.UNREACHABLE, str(reason)), 0, took
        )
    took = time.monotonic() - started
    count = len(page.results)
    if count == 0:
        return SourceCheck(cfg.name, Outcome.EMPTY, "answered, with no results for the test word", 0, took)
    detail = f"answered with {count} result(s) for the test word"
    if page.partial_reason:
        detail += f" (partly: {page.partial_reason})"
    return SourceCheck(cfg.name, Outcome.OK, detail, count, took)


def off_detail(cfg: SourceConfig) -> str:
    """Why a source that is off is off, in the words of its config table."""
    needs = KNOWN_SOURCES[cfg.name][2]
    if cfg.name not in SOURCES:
        return "turned off"
    if needs and all(getattr(cfg, key) for key in needs):
        return f"its keys are filled in but it is turned off: set enabled = true under [sources.{cfg.name}]"
    if needs:
        return f"off until its keys ({', '.join(needs)}) are filled in under [sources.{cfg.name}]"
    return f"turned off: set enabled = true under [sources.{cfg.name}] to use it"


def check_all(settings: Settings) -> list[SourceCheck]:
    """Every known source: a live check for each enabled one, the reason it is off for the others."""
    out = []
    for cfg in settings.sources.values():
        if cfg.enabled:
            out.append(check_source(settings, cfg))
        else:
            out.append(SourceCheck(cfg.name, "off", off_detail(cfg)))
    return out
