"""`jikimi sources check`: one cheap live call per search engine that is turned on, and what it means.

Each engine is asked one page for a neutral word (never a watch term), built and parsed by the engine's
own module, so the check sees exactly what a pass would: accepted keys, a quota, a block page. One call
with the standard library, not a Scrapy crawl: a check must answer in seconds. It keeps the crawl's
rules: only the configured base URL (a trusted origin of the address gate) is contacted, no redirect is
followed (a redirect could lead anywhere), the body is bounded, and nothing is stored here (the caller
stores the operator probe's answer).

Operator probe: Naver and Daum document `|` (OR) for their search pages, not for their APIs, and a
misread operator would silently find nothing. On an engine that answered, whose `or_operator` is not
set, a second call asks for two neutral, common words joined by `|`: the operator works when the answer
holds pages that show one word without the other, and pages that show the other without the first
(an engine that ignored `|` would have required both, one that read it as a word would find next to
nothing). The answer (`or_operator`: "|" confirmed, "" not) is kept per deployment and the query plan
joins alternatives there only when confirmed. Only the first configured vertical is asked: an API's
verticals are taken to share one query parser (the check costs one call, not one per vertical).
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import Message

from crawler.safety.addresses import UnsafeURLError, check_url, origin_of
from crawler.safety.media import is_text_content_type
from crawler.sources.base import Outcome, PageCursor, ParsedPage, Query, SearchResult, SourceError
from crawler.sources.query_syntax import PIPE, any_of
from crawler.sources.registry import SOURCES
from jikimi.config import KNOWN_SOURCES, Settings, SourceConfig

# A neutral, common word: the check must never send a victim's name.
PROBE_QUERY = "날씨"
# Two neutral, common words that are rarely on one page together: weather news and a recipe.
OR_PROBE_WORDS = ("일교차", "김치찌개")
# Engines whose API may or may not read their search page's OR operator: probed by the check.
OR_PROBES: dict[str, str] = {"naver": PIPE, "kakao": PIPE}
# Where a deployment keeps the probe's answer (storage.meta; never a term): `or_probe.<source>`.
OR_PROBE_KEY = "or_probe.{}"
MAX_BODY = 2 * 1024 * 1024


@dataclass(frozen=True)
class SourceCheck:
    """How one source answered: `outcome` is a run outcome, or `off` / `skipped`; `detail` names the fix."""

    name: str
    outcome: str
    detail: str
    results: int = 0
    seconds: float = 0.0
    or_operator: str | None = None  # the operator probe's answer: "|" works, "" does not, None not asked

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


def _probe_query(cfg: SourceConfig) -> Query:
    vertical = cfg.verticals[0] if cfg.verticals else ""
    return Query(text=PROBE_QUERY, case_id=0, term_id=0, exact=False, vertical=vertical)


def _or_probe_query(cfg: SourceConfig, operator: str) -> Query:
    text = any_of(OR_PROBE_WORDS, operator)
    vertical = cfg.verticals[0] if cfg.verticals else ""
    return Query(text=text, case_id=0, term_id=0, exact=False, vertical=vertical, joined=True)


def _fetch(settings: Settings, cfg: SourceConfig, query: Query) -> tuple[int, dict[str, str], bytes]:
    module = SOURCES[cfg.name]
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
        page = _ask(settings, cfg, _probe_query(cfg))
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
    operator = _probe_operator(settings, cfg)
    note = _operator_note(operator)
    if count == 0:
        detail = "answered, with no results for the test word" + note
        return SourceCheck(cfg.name, Outcome.EMPTY, detail, 0, took, operator)
    detail = f"answered with {count} result(s) for the test word"
    if page.partial_reason:
        detail += f" (partly: {page.partial_reason})"
    return SourceCheck(cfg.name, Outcome.OK, detail + note, count, took, operator)


def _ask(settings: Settings, cfg: SourceConfig, query: Query) -> ParsedPage:
    status, headers, body = _fetch(settings, cfg, query)
    if 300 <= status < 400:
        raise SourceError(Outcome.ERROR, f"redirected elsewhere (http {status})")
    return SOURCES[cfg.name].parse_response(cfg, query, PageCursor(1), status, headers, body)


def _probe_operator(settings: Settings, cfg: SourceConfig) -> str | None:
    """`|` when the engine's API reads it as OR, "" when it does not, None when not asked (the setting
    decides, the engine has no operator to probe) or the probe call failed."""
    operator = OR_PROBES.get(cfg.name)
    if operator is None or cfg.or_operator is not None:
        return None
    try:
        page = _ask(settings, cfg, _or_probe_query(cfg, operator))
    except (SourceError, UnsafeURLError, urllib.error.URLError, TimeoutError, OSError):
        return None
    return operator if or_answer_works(page.results) else ""


def or_answer_works(results: Sequence[SearchResult]) -> bool:
    """Whether an answer to the OR probe holds pages with either word alone: the operator was read as OR."""
    first, second = (word.casefold() for word in OR_PROBE_WORDS)
    seen: set[tuple[bool, bool]] = set()
    for result in results:
        text = f"{result.title}\n{result.snippet}".casefold()
        seen.add((first in text, second in text))
    return (True, False) in seen and (False, True) in seen


def _operator_note(operator: str | None) -> str:
    if operator is None:
        return ""
    if operator:
        return f"; `{operator}` joins alternatives here (checked): a case's terms share one query"
    return "; `|` is not read as OR by this API: each alternative is searched alone"


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
