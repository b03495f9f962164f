"""A self-hosted SearXNG instance: `GET|POST /search?q=&format=json&pageno=`.

Without `format=json` it answers its HTML results page, as the real one does; the `nojson` scenario is
an instance whose settings.yml leaves JSON out (403). Titles and snippets are plain text. Upstream
engines that failed are listed in `unresponsive_engines` while HTTP stays 200 (`partial`).
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from html import escape
from urllib.parse import urlparse

from sandbox.corpus import KST, Hit
from sandbox.engines.base import Engine, EngineCall, int_param
from sandbox.exchange import Response, html_response, json_response
from sandbox.query import snippet

PAGE_SIZE = 10
_TIME_RANGES = {"day": 1, "week": 7, "month": 31, "year": 365}
_UPSTREAM = ("google", "bing", "brave", "duckduckgo", "qwant", "startpage")
_FAILED_UPSTREAM = (("google", "CAPTCHA"), ("bing", "timeout"))


def _page(status: int, title: str) -> Response:
    return html_response(
        status,
        f"<!DOCTYPE html><html><head><title>{title}</title></head><body><h1>{title}</h1></body></html>",
    )


def _upstream(url: str, scenario: str) -> list[str]:
    """Which upstream engines "found" a result: stable per URL, minus the failed ones in `partial`."""
    seed = hashlib.sha256(url.encode()).digest()
    engines = sorted({_UPSTREAM[b % len(_UPSTREAM)] for b in seed[: 1 + seed[5] % 3]})
    if scenario == "partial":
        failed = {name for name, _ in _FAILED_UPSTREAM}
        engines = [e for e in engines if e not in failed]
    return engines


def _looks_like_a_browser(call: EngineCall) -> bool:
    """The limiter's header checks (botdetection): Accept must name text/html, Accept-Language be present."""
    accept = call.request.header("Accept") or ""
    return "text/html" in accept and bool(call.request.header("Accept-Language"))


class Searxng(Engine):
    name = "searxng"
    scenarios = Engine.scenarios | {"partial", "nojson", "limiter"}

    def vertical(self, subpath: str, method: str) -> str | None:
        return "web" if subpath == "/search" and method in ("GET", "POST", "HEAD") else None

    def auth_error(self) -> Response:
        # A public instance only asks for credentials from behind an authenticating proxy.
        response = _page(401, "401 Unauthorized")
        response.headers.append(("WWW-Authenticate", 'Basic realm="searxng"'))
        return response

    def rate_limited(self) -> Response:
        return _page(429, "Too Many Requests")

    def quota_exhausted(self) -> Response:
        return _page(429, "Too Many Requests")

    def server_error(self) -> Response:
        return _page(500, "Internal Server Error")

    def not_found(self) -> Response:
        return _page(404, "Not Found")

    def special(self, call: EngineCall) -> Response | None:
        if call.scenario == "nojson" and call.request.param("format") == "json":
            return _page(403, "Forbidden")
        if call.scenario == "limiter" and not _looks_like_a_browser(call):
            return self.rate_limited()
        return None

    def search(self, call: EngineCall, vertical: str) -> Response:
        params = call.request.params
        output = params.get("format", "html")
        if output in ("csv", "rss"):
            return _page(403, "Forbidden")  # formats this instance does not enable
        as_json = output == "json"
        query = params.get("q", "").strip()
        pageno = int_param(params.get("pageno"), 1)
        time_range = params.get("time_range", "")
        if not query:
            return json_response(400, {"error": "No query"}) if as_json else _page(200, "SearXNG")
        if pageno is None or pageno < 1:
            return json_response(400, {"error": "Invalid value for parameter pageno"})
        if time_range and time_range not in _TIME_RANGES:
            return json_response(400, {"error": f"Invalid value {time_range!r} for parameter time_range"})
        since = datetime.now(KST) - timedelta(days=_TIME_RANGES[time_range]) if time_range else None
        hits = [h for h in call.find(query, since=since) if _upstream(h.document.url, call.scenario)]
        page = hits[(pageno - 1) * PAGE_SIZE : pageno * PAGE_SIZE]
        first = (pageno - 1) * PAGE_SIZE
        results = [
            _result(hit, call.terms(query), first + i + 1, call.scenario) for i, hit in enumerate(page)
        ]
        if not as_json:
            return html_response(200, _results_html(query, results))
        unresponsive = [list(pair) for pair in _FAILED_UPSTREAM] if call.scenario == "partial" else []
        return json_response(
            200,
            {
                "query": query,
                "number_of_results": 0,
                "results": results,
                "answers": [],
                "corrections": [],
                "infoboxes": [],
                "suggestions": [],
                "unresponsive_engines": unresponsive,
            },
        )


def _result(hit: Hit, terms: tuple[str, ...], rank: int, scenario: str) -> dict[str, object]:
    doc = hit.document
    engines = _upstream(doc.url, scenario)
    published = doc.published.astimezone(KST).replace(tzinfo=None).isoformat() if doc.published else None
    return {
        "url": doc.url,
        "title": doc.title,
        "content": snippet(doc.body, terms),
        "engine": engines[0],
        "parsed_url": list(urlparse(doc.url)),
        "template": "default.html",
        "engines": engines,
        "positions": [rank],
        "publishedDate": published,
        "thumbnail": "",
        "img_src": "",
        "score": round(len(engines) / rank + hit.score / 100, 4),
        "category": "general",
        "priority": "",
    }


def _results_html(query: str, results: list[dict[str, object]]) -> str:
    articles = "\n".join(
        '<article class="result result-default category-general">'
        f'<h3><a href="{escape(str(r["url"]))}" rel="noreferrer">{escape(str(r["title"]))}</a></h3>'
        f'<p class="content">{escape(str(r["content"]))}</p></article>'
        for r in results
    )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="UTF-8">'
        f"<title>{escape(query)} - SearXNG</title></head>"
        '<body class="results_endpoint"><main id="main_results">'
        f'<div id="urls" role="main">{articles}</div></main></body></html>'
    )
