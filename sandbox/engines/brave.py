"""Brave Search API: `GET /res/v1/web/search` with `X-Subscription-Token`.

`offset` counts pages of `count` results (at most 9). Hits are marked with `<strong>` unless
`text_decorations=false`. Brave sends no Retry-After of its own; its 429s say per-second or
monthly through `X-RateLimit-Remaining: <second>, <month>` and the body's `meta`, and the
quota 429 is told apart from the per-second one only by those (both carry `RATE_LIMITED`).
"""

from __future__ import annotations

import time
import uuid
from datetime import datetime, timedelta
from html import escape
from urllib.parse import urlsplit

from sandbox.corpus import KST, Hit
from sandbox.engines.base import REJECTED_KEY, Engine, EngineCall, int_param
from sandbox.exchange import Response, json_response
from sandbox.query import mark, snippet

_FRESHNESS = {"pd": 1, "pw": 7, "pm": 31, "py": 365}
_QUOTA = 2000


def _error(
    status: int, code: str, detail: str, meta: dict[str, object], headers: list[tuple[str, str]]
) -> Response:
    body = {
        "type": "ErrorResponse",
        "error": {"id": str(uuid.uuid4()), "status": status, "code": code, "detail": detail, "meta": meta},
        "time": int(time.time()),
    }
    return json_response(status, body, headers)


def _limits(second_left: int, month_left: int) -> list[tuple[str, str]]:
    return [
        ("X-RateLimit-Limit", f"1, {_QUOTA}"),
        ("X-RateLimit-Policy", f"1;w=1, {_QUOTA};w=2592000"),
        ("X-RateLimit-Remaining", f"{second_left}, {month_left}"),
        ("X-RateLimit-Reset", "1, 1419704"),
    ]


def _validation(field: str, message: str) -> Response:
    meta: dict[str, object] = {"errors": [{"type": "value_error", "loc": ["query", field], "msg": message}]}
    return _error(422, "VALIDATION", "Unable to validate request parameter(s)", meta, [])


def _since(freshness: str) -> tuple[datetime | None, datetime | None] | None:
    """(since, until) for a freshness value; None when the value is invalid."""
    if not freshness:
        return (None, None)
    if freshness in _FRESHNESS:
        return (datetime.now(KST) - timedelta(days=_FRESHNESS[freshness]), None)
    start, sep, end = freshness.partition("to")
    try:
        since = datetime.fromisoformat(start).replace(tzinfo=KST)
        until = datetime.fromisoformat(end).replace(tzinfo=KST) + timedelta(days=1)
    except ValueError:
        return None
    return (since, until) if sep else None


def _age(moment: datetime) -> str:
    """Brave's human-readable age: "5 hours ago", "3 days ago", then the date."""
    delta = datetime.now(KST) - moment
    if delta < timedelta(days=1):
        hours = int(delta.total_seconds() // 3600)
        return "1 hour ago" if hours == 1 else f"{hours} hours ago"
    if delta.days < 31:
        return "1 day ago" if delta.days == 1 else f"{delta.days} days ago"
    return f"{moment:%B} {moment.day}, {moment.year}"


class Brave(Engine):
    name = "brave"

    def vertical(self, subpath: str, method: str) -> str | None:
        return "web" if subpath == "/res/v1/web/search" and method in ("GET", "HEAD") else None

    def check_credentials(self, call: EngineCall) -> Response | None:
        token = call.request.header("X-Subscription-Token")
        if not token or token == REJECTED_KEY:
            return self.auth_error()
        return None

    def auth_error(self) -> Response:
        return _error(
            401,
            "SUBSCRIPTION_TOKEN_INVALID",
            "The provided subscription token is invalid.",
            {"component": "authentication"},
            [],
        )

    def rate_limited(self) -> Response:
        meta: dict[str, object] = {
            "plan": "Free",
            "rate_limit": 1,
            "rate_current": 1,
            "quota_limit": _QUOTA,
            "quota_current": 512,
            "component": "rate_limiter",
        }
        return _error(
            429, "RATE_LIMITED", "Request rate limit exceeded for plan", meta, _limits(0, _QUOTA - 512)
        )

    def quota_exhausted(self) -> Response:
        meta: dict[str, object] = {
            "plan": "Free",
            "rate_limit": 1,
            "rate_current": 0,
            "quota_limit": _QUOTA,
            "quota_current": _QUOTA,
            "component": "rate_limiter",
        }
        return _error(429, "RATE_LIMITED", "Request quota limit exceeded for plan", meta, _limits(1, 0))

    def server_error(self) -> Response:
        return _error(500, "INTERNAL_ERROR", "Internal server error", {}, [])

    def not_found(self) -> Response:
        return _error(404, "RESOURCE_NOT_FOUND", "Resource not found", {}, [])

    def search(self, call: EngineCall, vertical: str) -> Response:
        params = call.request.params
        query = params.get("q", "").strip()
        count = int_param(params.get("count"), 20)
        offset = int_param(params.get("offset"), 0)
        window = _since(params.get("freshness", ""))
        if not query:
            return _validation("q", "Field required")
        if len(query) > 400 or len(query.split()) > 50:
            return _validation("q", "Query too long")
        if count is None or not 1 <= count <= 20:
            return _validation("count", "Input should be between 1 and 20")
        if offset is None or not 0 <= offset <= 9:
            return _validation("offset", "Input should be between 0 and 9")
        if window is None:
            return _validation("freshness", "Invalid freshness value")
        since, until = window
        hits = call.find(query, since=since)
        if until is not None:
            hits = [h for h in hits if h.document.published is not None and h.document.published < until]
        decorate = params.get("text_decorations", "true").lower() not in ("false", "0")
        terms = call.terms(query) if decorate else ()
        page = hits[offset * count : (offset + 1) * count]
        body: dict[str, object] = {
            "type": "search",
            "query": {
                "original": query,
                "show_strict_warning": False,
                "is_navigational": False,
                "is_news_breaking": False,
                "spellcheck_off": True,
                "country": params.get("country", "us").lower(),
                "bad_results": False,
                "should_fallback": False,
                "postal_code": "",
                "city": "",
                "header_country": "",
                "more_results_available": (offset + 1) * count < len(hits),
                "state": "",
            },
            "mixed": {
                "type": "mixed",
                "main": [{"type": "web", "index": i, "all": False} for i in range(len(page))],
                "top": [],
                "side": [],
            },
        }
        # Brave leaves `web` out entirely when nothing was found.
        if page:
            body["web"] = {
                "type": "search",
                "results": [_result(hit, terms, call.root) for hit in page],
                "family_friendly": True,
            }
        return json_response(200, body, _limits(0, _QUOTA - 513))


def _result(hit: Hit, terms: tuple[str, ...], root: str) -> dict[str, object]:
    doc = hit.document
    parts = urlsplit(doc.url)
    host = parts.hostname or ""
    favicon = f"{root}/media/brave/favicon-{host or 'none'}.png"
    result: dict[str, object] = {
        "title": mark(doc.title, terms, escape, "<strong>", "</strong>"),
        "url": doc.url,
        "is_source_local": False,
        "is_source_both": False,
        "description": mark(snippet(doc.body, terms), terms, escape, "<strong>", "</strong>"),
        "profile": {
            "name": doc.site or host,
            "url": f"{parts.scheme}://{parts.netloc}",
            "long_name": host,
            "img": favicon,
        },
        "language": "ko",
        "family_friendly": True,
        "type": "search_result",
        "subtype": "generic",
        "is_live": False,
        "meta_url": {
            "scheme": parts.scheme,
            "netloc": parts.netloc,
            "hostname": host,
            "favicon": favicon,
            "path": f"› {parts.path.strip('/').replace('/', ' › ')}" if parts.path.strip("/") else "",
        },
    }
    if doc.published is not None:
        result["page_age"] = doc.published.astimezone(KST).replace(tzinfo=None).isoformat()
        result["age"] = _age(doc.published)
    return result
