"""Naver Search Open API: `GET /v1/search/{webkr,blog,news,cafearticle}.json`.

Items carry `<b>` marks and HTML entities; some `link`s are `http://openapi.naver.com/l?AAAB<token>`
redirect tokens, which this engine also resolves at `{mount}/l?AAAB<token>` (a client maps the
openapi.naver.com origin to its base_url, as it maps t.me for Telegram).
"""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime
from email.utils import format_datetime
from html import escape

from sandbox.corpus import KST, Document, Hit
from sandbox.engines.base import REJECTED_KEY, Engine, EngineCall, int_param
from sandbox.exchange import Response, json_response, redirect_response
from sandbox.query import mark, snippet

_VERTICALS = {
    "/v1/search/webkr.json": "web",
    "/v1/search/blog.json": "blog",
    "/v1/search/news.json": "news",
    "/v1/search/cafearticle.json": "cafe",
}
_AUTH_FAILED = "Authentication failed. (인증에 실패했습니다.)"


def _error(status: int, code: str, message: str) -> Response:
    return json_response(status, {"errorMessage": message, "errorCode": code})


def redirect_token(url: str) -> str:
    """An opaque, stable token for a URL, shaped like Naver's."""
    digest = hashlib.sha256(url.encode("utf-8")).digest()[:24]
    return "AAAB" + base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def _rfc822(moment: datetime) -> str:
    return format_datetime(moment.astimezone(KST))


class Naver(Engine):
    name = "naver"
    scenarios = Engine.scenarios | {"no-pipe"}

    def vertical(self, subpath: str, method: str) -> str | None:
        if subpath == "/l" and method in ("GET", "HEAD"):
            return "link"
        return _VERTICALS.get(subpath) if method in ("GET", "HEAD") else None

    def link(self, call: EngineCall) -> Response | None:
        if call.subpath != "/l":
            return None
        token = call.request.query_string
        for doc in call.corpus.documents():
            if redirect_token(doc.url) == token:
                return redirect_response(doc.url)
        return _error(404, "SE05", "Invalid Search API (존재하지 않는 검색 api 요청입니다.)")

    def check_credentials(self, call: EngineCall) -> Response | None:
        client_id = call.request.header("X-Naver-Client-Id")
        secret = call.request.header("X-Naver-Client-Secret")
        if not client_id:
            return _error(401, "024", f"Not Exist Client ID : {_AUTH_FAILED}")
        if not secret:
            return _error(401, "024", f"Not Exist Client Secret : {_AUTH_FAILED}")
        if REJECTED_KEY in (client_id, secret):
            return self.auth_error()
        return None

    def auth_error(self) -> Response:
        return _error(401, "024", f"NID AUTH Result Invalid (1000) : {_AUTH_FAILED}")

    def rate_limited(self) -> Response:
        return _error(429, "012", "Rate limit exceeded. (속도 제한을 초과했습니다.)")

    def quota_exhausted(self) -> Response:
        return _error(429, "010", "Query limit exceeded.")

    def server_error(self) -> Response:
        return _error(500, "SE99", "System Error (시스템 에러)")

    def not_found(self) -> Response:
        return _error(404, "SE05", "Invalid Search API (존재하지 않는 검색 api 요청입니다.)")

    def search(self, call: EngineCall, vertical: str) -> Response:
        params = call.request.params
        query = params.get("query", "").strip()
        display = int_param(params.get("display"), 10)
        start = int_param(params.get("start"), 1)
        sort = params.get("sort", "sim")
        if not query:
            return _error(400, "SE01", "Incorrect query request (잘못된 쿼리요청입니다.)")
        if display is None or not 1 <= display <= 100:
            return _error(400, "SE02", "Invalid display value (부적절한 display 값입니다.)")
        if start is None or not 1 <= start <= 1000:
            return _error(400, "SE03", "Invalid start value (부적절한 start 값입니다.)")
        if sort not in ("sim", "date"):
            return _error(400, "SE04", "Invalid sort value (부적절한 sort 값입니다.)")
        hits = call.find(query, vertical, by_date=sort == "date")
        terms = call.terms(query)
        items = [_item(hit, vertical, terms) for hit in hits[start - 1 : start - 1 + display]]
        return json_response(
            200,
            {
                "lastBuildDate": _rfc822(datetime.now(KST)),
                "total": len(hits),
                "start": start,
                "display": len(items),
                "items": items,
            },
        )


def _link(doc: Document) -> str:
    return f"http://openapi.naver.com/l?{redirect_token(doc.url)}" if doc.naver_redirect else doc.url


def _item(hit: Hit, vertical: str, terms: tuple[str, ...]) -> dict[str, str]:
    doc = hit.document
    item = {
        "title": mark(doc.title, terms, escape, "<b>", "</b>"),
        "link": _link(doc),
        "description": mark(snippet(doc.body, terms), terms, escape, "<b>", "</b>"),
    }
    site = doc.site or "가상 블로그"
    if vertical == "blog":
        item["bloggername"] = site
        item["bloggerlink"] = doc.url.split("://", 1)[-1].rsplit("/", 1)[0]
        item["postdate"] = doc.published.astimezone(KST).strftime("%Y%m%d") if doc.published else ""
    elif vertical == "news":
        item = {
            "title": item["title"],
            "originallink": doc.url,
            "link": item["link"],
            "description": item["description"],
            "pubDate": _rfc822(doc.published) if doc.published else "",
        }
    elif vertical == "cafe":
        item["cafename"] = doc.site or "가상 카페"
        item["cafeurl"] = doc.url.split("?")[0].rsplit("/", 1)[0]
    return item
