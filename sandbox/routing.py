"""Which part of the sandbox answers a path."""

from __future__ import annotations

from html import escape

from sandbox import engines, hostile, media, pages, telegram
from sandbox.exchange import Request, Response, html_response, not_found
from sandbox.scenarios import SCENARIOS
from sandbox.state import SandboxState


def dispatch(state: SandboxState, request: Request) -> Response:
    path = request.path
    if path == "/robots.txt":
        return pages.robots(state.pages)
    first = path.split("/", 2)[1]
    if first == "":
        return html_response(200, _index(state.root))
    if first == "web":
        return pages.handle(state.pages, request)
    if first == "media":
        return media.handle(request)
    if first == "telegram":
        return telegram.handle(state.channels, state.root, request)
    if first == "hostile":
        return hostile.handle(request)
    if first in SCENARIOS and path.count("/") >= 2:
        return engines.handle(request, first, state.corpus, state.memory, state.root)
    return not_found()


def _index(root: str) -> str:
    sources = "".join(f"<li>{name}: {escape(root)}/ok/{name}</li>" for name in engines.ENGINES)
    scenarios = "".join(f"<li><b>{name}</b>: {escape(text)}</li>" for name, text in SCENARIOS.items())
    hostile_routes = "".join(f"<li>{escape(root)}/hostile/{name}</li>" for name in hostile.ROUTES)
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>jikimi sandbox</title></head><body>"
        f"<h1>jikimi sandbox</h1><h2>Engines</h2><ul>{sources}</ul><h2>Scenarios</h2><ul>{scenarios}</ul>"
        f"<h2>Pages</h2><ul><li>{escape(root)}/web/</li><li>{escape(root)}/telegram/s/hongnews</li></ul>"
        f"<h2>Hostile</h2><ul>{hostile_routes}</ul></body></html>"
    )
