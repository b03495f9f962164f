"""A lean fake of the five search engines for the search benchmark: canned answers, never the bottleneck.

One asyncio process answering raw HTTP/1.1 with keep-alive. Every query gets one page of ten results
that name nobody (a quiet night), in each engine's real shape; the results differ per query and page.
Each request is appended to a JSON-lines log (method, path, headers, body) so a bare Scrapy spider can
replay exactly what jikimi sent. Run: `python lean_engines.py PORT LOG` (prints "ready" when listening).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import sys
from typing import IO
from urllib.parse import parse_qs, urlsplit

RESULTS = 10
_JSON = b"application/json; charset=utf-8"
_HTML = b"text/html; charset=utf-8"


def _key(path: str, body: bytes) -> str:
    return hashlib.sha1(path.encode() + body, usedforsecurity=False).hexdigest()[:12]


def _items(key: str) -> list[tuple[str, str, str]]:
    return [
        (
            f"https://quiet{i}.example/{key}/{i}",
            f"오늘의 <b>날씨</b>와 커피 {i}",
            f"동네 카페 소식과 주말 날씨 정리 {i}번째 글입니다. 누구의 이름도 없습니다.",
        )
        for i in range(RESULTS)
    ]


def naver(key: str) -> bytes:
    items = [{"title": t, "link": u, "description": d} for u, t, d in _items(key)]
    envelope = {"lastBuildDate": "Fri, 04 Dec 2026 03:00:00 +0900", "total": 1000, "start": 1}
    return json.dumps({**envelope, "display": RESULTS, "items": items}).encode()


def kakao(key: str) -> bytes:
    docs = [
        {"title": t, "contents": d, "url": u, "datetime": "2025-01-01T00:00:00.000+09:00"}
        for u, t, d in _items(key)
    ]
    meta = {"total_count": 1000, "pageable_count": 800, "is_end": False}
    return json.dumps({"meta": meta, "documents": docs}).encode()


def brave(key: str) -> bytes:
    results = [
        {"title": t, "url": u, "description": d, "page_age": "2025-01-01T00:00:00"} for u, t, d in _items(key)
    ]
    query = {"original": key, "more_results_available": True}
    return json.dumps(
        {"type": "search", "query": query, "web": {"type": "search", "results": results}}
    ).encode()


def searxng(key: str) -> bytes:
    results = [
        {"url": u, "title": t, "content": d, "engine": "bing", "engines": ["bing"], "publishedDate": None}
        for u, t, d in _items(key)
    ]
    data = {"query": key, "results": results, "answers": [], "suggestions": [], "unresponsive_engines": []}
    return json.dumps(data).encode()


def duckduckgo(key: str, form: dict[str, list[str]]) -> bytes:
    offset = int((form.get("s") or ["0"])[0] or 0)
    blocks = "".join(
        f'<div class="result results_links results_links_deep web-result"><div class="links_main">'
        f'<h2 class="result__title"><a rel="nofollow" class="result__a" href="//duckduckgo.com/l/?uddg='
        f'{u.replace(":", "%3A").replace("/", "%2F")}&amp;rut=x">{t}</a></h2>'
        f'<a class="result__snippet" href="#">{d}</a></div></div>'
        for u, t, d in _items(key)
    )
    nxt = (
        '<form action="/html/" method="post"><input type="submit" value="Next">'
        '<input type="hidden" name="q" value="q">'
        f'<input type="hidden" name="s" value="{offset + RESULTS}">'
        f'<input type="hidden" name="dc" value="{offset + RESULTS + 1}">'
        '<input type="hidden" name="v" value="l">'
        '<input type="hidden" name="o" value="json"><input type="hidden" name="api" value="d.js">'
        f'<input type="hidden" name="vqd" value="4-{key}"></form>'
    )
    return f"<!DOCTYPE html><html><head><title>q</title></head><body>{blocks}{nxt}</body></html>".encode()


def answer(method: str, target: str, body: bytes) -> tuple[bytes, bytes]:
    path = urlsplit(target).path
    key = _key(target, body)
    engine = path.split("/", 2)[1] if path.count("/") >= 1 else ""
    if engine == "naver":
        return naver(key), _JSON
    if engine == "kakao":
        return kakao(key), _JSON
    if engine == "brave":
        return brave(key), _JSON
    if engine == "searxng":
        return searxng(key), _JSON
    if engine == "duckduckgo" and method == "POST":
        return duckduckgo(key, parse_qs(body.decode("ascii", "replace"))), _HTML
    return b"not found", b"text/plain"


async def serve(port: int, log: IO[str]) -> None:

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, target, _ = lines[0].split(" ", 2)
                headers = {}
                for line in lines[1:]:
                    if ":" in line:
                        name, value = line.split(":", 1)
                        headers[name.strip()] = value.strip()
                length = int(next((v for k, v in headers.items() if k.lower() == "content-length"), "0"))
                body = await reader.readexactly(length) if length else b""
                payload, content_type = answer(method, target, body)
                status = b"200 OK" if content_type != b"text/plain" else b"404 Not Found"
                record = {
                    "method": method,
                    "path": target,
                    "headers": headers,
                    "body": body.decode("latin-1"),
                }
                log.write(json.dumps(record) + "\n")
                writer.write(
                    b"HTTP/1.1 "
                    + status
                    + b"\r\nContent-Type: "
                    + content_type
                    + b"\r\nContent-Length: "
                    + str(len(payload)).encode()
                    + b"\r\nConnection: keep-alive\r\n\r\n"
                    + payload
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, ValueError):
            pass
        finally:
            log.flush()
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=256)
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    with open(sys.argv[2], "a", encoding="utf-8") as request_log:
        asyncio.run(serve(int(sys.argv[1]), request_log))
