"""Every source module against the sandbox's fake engines over loopback: build, send, parse, page.

The fixtures pin single shapes; this checks that requests are accepted by an engine that validates
them like the real one, and that every failure scenario maps to its honest outcome.
"""

from __future__ import annotations

import gzip
import urllib.request
from urllib.error import HTTPError

import pytest

from crawler.sources import registry
from crawler.sources.base import (
    HttpRequest,
    Outcome,
    PageCursor,
    ParsedPage,
    Query,
    SourceConfig,
    SourceError,
)
from crawler.sources.retry_after import RATE_LIMITED
from sandbox.server import SandboxServer

PERSONA = "홍길동"
# Google's key travels in the X-Goog-Api-Key header (never in a URL); the fake Google accepts it there.
ENGINES = ("naver", "kakao", "brave", "searxng", "duckduckgo", "google")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect())


def send(request: HttpRequest) -> tuple[int, dict[str, str], bytes]:
    outgoing = urllib.request.Request(
        request.url, data=request.body, headers=dict(request.headers), method=request.method
    )
    try:
        response = _OPENER.open(outgoing, timeout=5)
    except HTTPError as error:
        with error:
            status, headers, body = error.code, error.headers, error.read()
    else:
        with response:
            status, headers, body = response.status, response.headers, response.read()
    flat = {k.lower(): v for k, v in headers.items()}
    if flat.get("content-encoding") == "gzip":
        body = gzip.decompress(body)
    return status, flat, body


def config(sandbox: SandboxServer, source: str, scenario: str, max_pages: int = 3) -> SourceConfig:
    return SourceConfig(
        name=source,
        enabled=True,
        base_url=sandbox.base_url(source, scenario),
        max_pages=max_pages,
        client_id="client-id",
        client_secret="client-secret",
        api_key="token",
        cx="cx",
    )


def crawl(
    sandbox: SandboxServer, source: str, scenario: str = "ok", text: str = PERSONA, max_pages: int = 3
) -> list[ParsedPage]:
    """Every page of one query, as the spider would walk them (no retries)."""
    module = registry.SOURCES[source]
    cfg = config(sandbox, source, scenario, max_pages)
    query = Query(text=text, case_id=1, term_id=1, vertical=module.VERTICALS[0])
    pages: list[ParsedPage] = []
    cursor: PageCursor | None = PageCursor(1)
    while cursor is not None:
        status, headers, body = send(module.build_request(cfg, query, cursor))
        page = module.parse_response(cfg, query, cursor, status, headers, body)
        pages.append(page)
        cursor = page.next_page
    return pages


def failure(sandbox: SandboxServer, source: str, scenario: str, text: str = PERSONA) -> SourceError:
    with pytest.raises(SourceError) as caught:
        crawl(sandbox, source, scenario, text)
    return caught.value


@pytest.mark.parametrize("source", ENGINES)
def test_ok_finds_the_persona_and_pages_within_max_pages(sandbox: SandboxServer, source: str) -> None:
    pages = crawl(sandbox, source, max_pages=2)
    results = [r for page in pages for r in page.results]
    assert 1 <= len(pages) <= 2
    assert any(PERSONA in r.title + r.snippet for r in results)
    assert [r.rank for r in results] == list(range(1, len(results) + 1))
    assert len({r.url for r in results}) == len(results)  # paging does not repeat a page
    assert all(r.url.startswith(("http://", "https://")) for r in results)
    assert not any("<b>" in r.title + r.snippet or "<strong>" in r.title + r.snippet for r in results)


@pytest.mark.parametrize("source", ENGINES)
def test_empty_is_an_empty_page_not_an_error(sandbox: SandboxServer, source: str) -> None:
    pages = crawl(sandbox, source, "empty")
    assert [page.results for page in pages] == [()]


# DuckDuckGo (keyless) and a self-hosted SearXNG have no quota: their 429 is a rate limit.
FAILURE_CASES = [
    (source, scenario, outcome)
    for source in ENGINES
    for scenario, outcome in (
        ("quota", Outcome.QUOTA),
        ("error", Outcome.UNREACHABLE),
        ("captcha", Outcome.BLOCKED),
    )
    if not (source in ("duckduckgo", "searxng") and scenario == "quota")
]


@pytest.mark.parametrize(("source", "scenario", "outcome"), FAILURE_CASES)
def test_failures_map_to_their_outcome(
    sandbox: SandboxServer, source: str, scenario: str, outcome: Outcome
) -> None:
    assert failure(sandbox, source, scenario).outcome is outcome


@pytest.mark.parametrize("source", [s for s in ENGINES if s != "duckduckgo"])
def test_auth(sandbox: SandboxServer, source: str) -> None:
    assert failure(sandbox, source, "auth").outcome is Outcome.AUTH


@pytest.mark.parametrize("source", ENGINES)
def test_malformed_is_an_error(sandbox: SandboxServer, source: str) -> None:
    error = failure(sandbox, source, "malformed")
    assert error.outcome in (Outcome.ERROR, Outcome.BLOCKED)  # never "nothing found"


@pytest.mark.parametrize(("scenario", "low", "high"), [("ratelimit", 1.0, 1.0), ("ratelimit-date", 0.0, 3.0)])
@pytest.mark.parametrize("source", ENGINES)
def test_rate_limits_are_retryable_then_recover(
    sandbox: SandboxServer, source: str, scenario: str, low: float, high: float
) -> None:
    limited = failure(sandbox, source, scenario)
    assert limited.reason == RATE_LIMITED and limited.retry_after is not None
    assert low <= limited.retry_after <= high
    assert crawl(sandbox, source, scenario, max_pages=1)[0].results  # the same request, retried


@pytest.mark.parametrize("source", ENGINES)
def test_bare_rate_limit_has_no_wait(sandbox: SandboxServer, source: str) -> None:
    limited = failure(sandbox, source, "ratelimit-bare")
    if source == "kakao":
        # Kakao words both limits alike; without a Retry-After the throttle is read as the daily quota.
        assert limited.outcome is Outcome.QUOTA
        return
    assert limited.reason == RATE_LIMITED
    if source != "brave":  # Brave's X-RateLimit-Reset still says when the next slot opens
        assert limited.retry_after is None


def test_searxng_partial_and_json_disabled(sandbox: SandboxServer) -> None:
    pages = crawl(sandbox, "searxng", "partial", max_pages=1)
    assert pages[0].results and (pages[0].partial_reason or "").startswith("unresponsive engines: ")
    error = failure(sandbox, "searxng", "nojson")
    assert (error.outcome, error.reason) == (Outcome.ERROR, "searxng JSON output disabled")


def test_duckduckgo_202_is_blocked(sandbox: SandboxServer) -> None:
    assert failure(sandbox, "duckduckgo", "blocked").outcome is Outcome.BLOCKED


@pytest.mark.parametrize("source", ENGINES)
def test_injection_payloads_arrive_as_inert_text(sandbox: SandboxServer, source: str) -> None:
    results = [r for page in crawl(sandbox, source, "injection", max_pages=1) for r in page.results]
    assert results
    assert all(r.url.startswith(("http://", "https://")) for r in results)
