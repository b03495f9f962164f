"""Google Custom Search JSON API (legacy, optional): `GET /customsearch/v1?key=&cx=&q=&start=&num=`.

`items` is absent when nothing was found; `start` is 1-based and start+num may not pass 100.
The brief asks every keyed engine for 401 on a missing or "bad-key" key, so this one answers 401
UNAUTHENTICATED (the real service says 400 API_KEY_INVALID / 403 for those).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from html import escape
from urllib.parse import urlsplit

from sandbox.corpus import KST, Hit
from sandbox.engines.base import REJECTED_KEY, Engine, EngineCall, int_param
from sandbox.exchange import Response, json_response
from sandbox.query import mark, snippet

_DATE_RESTRICT = re.compile(r"^([dwmy])(\d{1,4})$")
_UNIT_DAYS = {"d": 1, "w": 7, "m": 31, "y": 365}


def _error(status: int, message: str, reason: str, state: str) -> Response:
    body = {
        "error": {
            "code": status,
            "message": message,
            "errors": [{"message": message, "domain": "global", "reason": reason}],
            "status": state,
        }
    }
    return json_response(status, body)


def _invalid(message: str) -> Response:
    return _error(400, message, "invalid", "INVALID_ARGUMENT")


class Google(Engine):
    name = "google"

    def vertical(self, subpath: str, method: str) -> str | None:
        return "web" if subpath == "/customsearch/v1" and method in ("GET", "HEAD") else None

    def check_credentials(self, call: EngineCall) -> Response | None:
        # Google takes the key as `?key=` or, keeping it out of URLs, as the X-Goog-Api-Key header.
        key = call.request.param("key") or call.request.header("X-Goog-Api-Key")
        return self.auth_error() if not key or key == REJECTED_KEY else None

    def auth_error(self) -> Response:
        return _error(401, "Request is missing a valid API key.", "unauthorized", "UNAUTHENTICATED")

    def rate_limited(self) -> Response:
        return _error(
            429,
            "Quota exceeded for quota metric 'Queries' and limit 'Queries per minute per user' "
            "of service 'customsearch.googleapis.com'.",
            "rateLimitExceeded",
            "RESOURCE_EXHAUSTED",
        )

    def quota_exhausted(self) -> Response:
        return _error(
            429,
            "Quota exceeded for quota metric 'Queries' and limit 'Queries per day' "
            "of service 'customsearch.googleapis.com'.",
            "rateLimitExceeded",
            "RESOURCE_EXHAUSTED",
        )

    def server_error(self) -> Response:
        return _error(500, "Backend Error", "backendError", "INTERNAL")

    def not_found(self) -> Response:
        return _error(404, "Not Found", "notFound", "NOT_FOUND")

    def search(self, call: EngineCall, vertical: str) -> Response:
        params = call.request.params
        query = params.get("q", "").strip()
        num = int_param(params.get("num"), 10)
        start = int_param(params.get("start"), 1)
        restrict = params.get("dateRestrict", "")
        if not params.get("cx"):
            return _invalid("Request contains an invalid argument.")
        if not query:
            return _invalid("Missing query.")
        if num is None or not 1 <= num <= 10:
            return _invalid("Invalid value at 'num'.")
        if start is None or start < 1 or start + num - 1 > 100:
            return _invalid("Request contains an invalid argument.")
        since = None
        if restrict:
            found = _DATE_RESTRICT.match(restrict)
            if not found:
                return _invalid("Invalid value at 'date_restrict'.")
            since = datetime.now(KST) - timedelta(days=_UNIT_DAYS[found.group(1)] * int(found.group(2)))
        hits = call.find(query, since=since)
        terms = call.terms(query)
        page = hits[start - 1 : start - 1 + num]
        request = {
            "title": "Google Custom Search - " + query,
            "totalResults": str(len(hits)),
            "searchTerms": query,
            "count": len(page),
            "startIndex": start,
            "inputEncoding": "utf8",
            "outputEncoding": "utf8",
            "safe": "off",
            "cx": params["cx"],
        }
        queries: dict[str, object] = {"request": [request]}
        if start - 1 + num < min(len(hits), 100):
            queries["nextPage"] = [dict(request, startIndex=start + num, count=num)]
        body: dict[str, object] = {
            "kind": "customsearch#search",
            "url": {
                "type": "application/json",
                "template": "https://www.googleapis.com/customsearch/v1?q={searchTerms}",
            },
            "queries": queries,
            "context": {"title": "jikimi"},
            "searchInformation": {
                "searchTime": 0.21,
                "formattedSearchTime": "0.21",
                "totalResults": str(len(hits)),
                "formattedTotalResults": f"{len(hits):,}",
            },
        }
        if page:
            body["items"] = [_item(hit, terms) for hit in page]
        return json_response(200, body)


def _item(hit: Hit, terms: tuple[str, ...]) -> dict[str, object]:
    doc = hit.document
    text = snippet(doc.body, terms)
    host = urlsplit(doc.url).hostname or ""
    item: dict[str, object] = {
        "kind": "customsearch#result",
        "title": doc.title,
        "htmlTitle": mark(doc.title, terms, escape, "<b>", "</b>"),
        "link": doc.url,
        "displayLink": host,
        "snippet": text,
        "htmlSnippet": mark(text, terms, escape, "<b>", "</b>"),
        "formattedUrl": doc.url,
        "htmlFormattedUrl": escape(doc.url),
    }
    if doc.published is not None:
        item["pagemap"] = {"metatags": [{"article:published_time": doc.published.isoformat()}]}
    return item
