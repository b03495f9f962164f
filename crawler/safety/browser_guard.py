"""The browser's stand-in for `headers_received` and the body sniffer, on every page Chromium opens.

Installed through the DevTools Fetch domain at the response stage, before the page sees a byte:

* a response whose headers say media, or whose Content-Length is above DOWNLOAD_MAXSIZE, is failed;
* a redirect is followed only when the address gate allows its Location (Playwright routes no
  redirect hop, so without this the browser would follow one to an internal address);
* every other response (a navigation, a script's fetch, XHR, a worker's request) reaches the page only
  after its first bytes are sniffed as text by the plain path's sniffer (`crawler.safety.sniff`).

`guard_browser_page` is the `playwright_page_init_callback` the safety middleware gives every browser
request that has none of its own; the render spider installs `guard_responses` in its own callback.
"""

from __future__ import annotations

import asyncio
import base64
import logging
from typing import Any
from urllib.parse import urljoin

import scrapy

from crawler.safety.browser import BrowserRequestGate
from crawler.safety.media import is_text_content_type
from crawler.safety.sniff import SNIFF_WINDOW, media_kind

logger = logging.getLogger(__name__)

DEFAULT_MAXSIZE = 4 * 1024 * 1024
GATE_META = "jikimi_browser_gate"


def refuse_response(headers: dict[str, str], max_bytes: int) -> str | None:
    """Why a response must not be read any further (its headers say media, or too big), or None."""
    if not is_text_content_type(headers.get("content-type")):
        return "media"
    length = headers.get("content-length", "")
    if length.isdigit() and max_bytes and int(length) > max_bytes:
        return "too-large"
    return None


async def guard_responses(page: Any, max_bytes: int, gate: BrowserRequestGate) -> None:
    session = await page.context.new_cdp_session(page)

    async def paused(event: dict[str, Any]) -> None:
        headers = {
            str(h.get("name", "")).lower(): str(h.get("value", ""))
            for h in event.get("responseHeaders") or []
        }
        status = int(event.get("responseStatusCode") or 0)
        if 300 <= status < 400:
            refusal = await _refuse_redirect(event, headers, gate)
        else:
            refusal = refuse_response(headers, max_bytes)
        request_id = {"requestId": event["requestId"]}
        try:
            if refusal is not None:
                await session.send("Fetch.failRequest", {**request_id, "errorReason": "BlockedByClient"})
            elif "responseErrorReason" in event:
                await session.send("Fetch.continueRequest", request_id)  # a network error: let it fail
            elif 300 <= status < 400:
                await session.send("Fetch.continueResponse", request_id)  # a hop the gate allows
            else:
                await _deliver_sniffed(session, event, max_bytes)
        except Exception:  # noqa: BLE001 - fail closed; if the page closed meanwhile, nothing is left to guard
            try:
                await session.send("Fetch.failRequest", {**request_id, "errorReason": "BlockedByClient"})
            except Exception:  # noqa: BLE001
                return

    session.on("Fetch.requestPaused", lambda event: asyncio.ensure_future(paused(event)))
    await session.send("Fetch.enable", {"patterns": [{"urlPattern": "*", "requestStage": "Response"}]})


async def _read_stream(session: Any, handle: str, size: int) -> tuple[bytes, bool]:
    """Up to `size` bytes of a DevTools stream, and whether it ended."""
    data = b""
    while len(data) < size:
        chunk = await session.send("IO.read", {"handle": handle, "size": min(size - len(data), 64 * 1024)})
        raw = chunk.get("data", "")
        data += base64.b64decode(raw) if chunk.get("base64Encoded") else str(raw).encode("utf-8")
        if chunk.get("eof"):
            return data, True
    return data, False


async def _deliver_sniffed(session: Any, event: dict[str, Any], max_bytes: int) -> None:
    """Hand a response to the page only once its first bytes are sniffed as text (not media).

    A script's fetch(), XHR or worker can pull a video labelled text/plain: the headers say text, so
    only the bytes tell. The body is taken as a stream (decoded from its Content-Encoding), its
    first `SNIFF_WINDOW` bytes judged by the plain path's sniffer, and the request failed at once
    when they are media; the page never receives a byte of it. Text is read whole (up to
    DOWNLOAD_MAXSIZE) and fulfilled, without the coding headers that no longer apply.
    """
    request_id = event["requestId"]
    stream = await session.send("Fetch.takeResponseBodyAsStream", {"requestId": request_id})
    handle = stream["stream"]
    try:
        head, ended = await _read_stream(session, handle, SNIFF_WINDOW)
        refused = media_kind(head, complete=ended) is not None
        body = head
        if not refused and not ended:
            rest, ended = await _read_stream(session, handle, max(max_bytes - len(head), 0) + 1)
            body += rest
            refused = len(body) > max_bytes
    finally:
        await session.send("IO.close", {"handle": handle})
    if refused:
        await session.send("Fetch.failRequest", {"requestId": request_id, "errorReason": "BlockedByClient"})
        return
    headers = [
        h
        for h in event.get("responseHeaders") or []
        if str(h.get("name", "")).lower() not in ("content-encoding", "content-length", "transfer-encoding")
    ]
    await session.send(
        "Fetch.fulfillRequest",
        {
            "requestId": request_id,
            "responseCode": int(event.get("responseStatusCode") or 200),
            "responseHeaders": headers,
            "body": base64.b64encode(body).decode("ascii"),
        },
    )


async def _refuse_redirect(
    event: dict[str, Any], headers: dict[str, str], gate: BrowserRequestGate
) -> str | None:
    """Why a redirect must not be followed (the gate refuses where it leads), or None."""
    location = headers.get("location")
    if not location:
        return None
    request = event.get("request") or {}
    target = urljoin(str(request.get("url", "")), location)
    resource_type = str(event.get("resourceType", "other")).lower()
    try:
        refused = await asyncio.to_thread(gate.should_abort, target, resource_type)
    except Exception:  # noqa: BLE001 - whatever goes wrong, the redirect is not followed
        refused = True
    return "redirect-refused" if refused else None


async def guard_browser_page(page: Any, request: scrapy.Request) -> None:
    """`playwright_page_init_callback` for a browser request with no guard of its own: fail closed."""
    try:
        gate = request.meta.get(GATE_META)
        if not isinstance(gate, BrowserRequestGate):
            raise TypeError("no browser gate for this page")
        await guard_responses(page, int(request.meta.get("download_maxsize") or DEFAULT_MAXSIZE), gate)
    except Exception:
        logger.warning("could not install the browser guards on a page; not rendering it")
        await page.close()
        raise
