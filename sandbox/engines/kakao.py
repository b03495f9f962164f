"""Kakao (Daum) Search API: `GET /v2/search/{web,blog,cafe}` with `Authorization: KakaoAK <key>`."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sandbox.corpus import KST, Hit
from sandbox.engines.base import REJECTED_KEY, Engine, EngineCall, int_param
from sandbox.exchange import Response, json_response
from sandbox.query import mark, snippet

_VERTICALS = {"/v2/search/web": "web", "/v2/search/blog": "blog", "/v2/search/cafe": "cafe"}
# Kakao stops paging at 50 pages whatever the total: `pageable_count` says how far one can go.
_PAGEABLE = 800
_ENTITIES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&#34;", "'": "&#39;"})


def _escape(text: str) -> str:
    """Kakao writes numeric entities for quotes (`&#34;`), unlike Naver's `&quot;`."""
    return text.translate(_ENTITIES)


def _error(status: int, error_type: str, message: str) -> Response:
    return json_response(status, {"errorType": error_type, "message": message})


def _iso(moment: datetime) -> str:
    return moment.astimezone(KST).isoformat(timespec="milliseconds")


class Kakao(Engine):
    name = "kakao"
    scenarios = Engine.scenarios | {"no-pipe"}

    def vertical(self, subpath: str, method: str) -> str | None:
        return _VERTICALS.get(subpath) if method in ("GET", "HEAD") else None

    def check_credentials(self, call: EngineCall) -> Response | None:
        scheme, _, key = (call.request.header("Authorization") or "").partition(" ")
        if scheme != "KakaoAK" or not key.strip():
            return _error(401, "AccessDeniedError", "cannot find Authorization : KakaoAK header")
        if key.strip() == REJECTED_KEY:
            return self.auth_error()
        return None

    def auth_error(self) -> Response:
        return _error(401, "AccessDeniedError", "wrong app key")

    def rate_limited(self) -> Response:
        return _error(429, "RequestThrottled", "API limit has been exceeded.")

    def quota_exhausted(self) -> Response:
        return _error(429, "RequestThrottled", "API limit has been exceeded.")

    def server_error(self) -> Response:
        return _error(500, "InternalServerError", "Internal server error")

    def not_found(self) -> Response:
        return _error(404, "NotFound", "Not Found")

    def search(self, call: EngineCall, vertical: str) -> Response:
        params = call.request.params
        query = params.get("query", "").strip()
        sort = params.get("sort", "accuracy")
        page = int_param(params.get("page"), 1)
        size = int_param(params.get("size"), 10)
        if not query:
            return _error(400, "MissingParameter", "query parameter required")
        if sort not in ("accuracy", "recency"):
            return _error(400, "InvalidArgument", "sort is not valid")
        if page is None or not 1 <= page <= 50:
            return _error(400, "InvalidArgument", "page is more than max")
        if size is None or not 1 <= size <= 50:
            return _error(400, "InvalidArgument", "size is more than max")
        hits = call.find(query, vertical, by_date=sort == "recency")
        terms = call.terms(query)
        pageable = min(len(hits), _PAGEABLE)
        window = hits[(page - 1) * size : page * size]
        return json_response(
            200,
            {
                "meta": {
                    "total_count": len(hits),
                    "pageable_count": pageable,
                    "is_end": page * size >= pageable,
                },
                "documents": [_document(hit, vertical, terms, call.root) for hit in window],
            },
        )


def _document(hit: Hit, vertical: str, terms: tuple[str, ...], root: str) -> dict[str, str]:
    doc = hit.document
    # Kakao always has a datetime; for an undated page it is when Daum collected it.
    moment = doc.published or (datetime.now(KST) - timedelta(days=30)).replace(hour=0, minute=0, second=0)
    document = {
        "title": mark(doc.title, terms, _escape, "<b>", "</b>"),
        "contents": mark(snippet(doc.body, terms), terms, _escape, "<b>", "</b>"),
        "url": doc.url,
        "datetime": _iso(moment),
    }
    thumbnail = f"{root}/media/kakao/thumb-{hashlib.sha256(doc.url.encode()).hexdigest()[:12]}.jpg"
    if vertical == "blog":
        document.update(blogname=doc.site or "가상 블로그", thumbnail=thumbnail)
    elif vertical == "cafe":
        document.update(cafename=doc.site or "가상 카페", thumbnail=thumbnail)
    return document
