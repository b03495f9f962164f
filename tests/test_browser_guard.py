"""`crawler.render.guard_page` on its own, in Debian's Chromium driven by Playwright.

Chromium's Local Network Access policy already keeps a served page away from loopback addresses,
which would hide whether our guard works; these tests switch that policy off, show that a plain
Playwright page then reaches the "internal" sink through redirects, and that a guarded page does not.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from typing import Any

import pytest
import scrapy

from crawler.page_run import RenderJob
from crawler.render import guard_page
from crawler.safety.browser import CONTEXT_OPTIONS, abort_request_factory
from crawler.safety.browser_guard import GATE_META
from sandbox.server import SandboxServer

pytestmark = pytest.mark.browser
CHROMIUM = "/usr/bin/chromium"
NO_LNA = "--disable-features=LocalNetworkAccessChecks,PrivateNetworkAccessSendPreflights"


@pytest.fixture
def servers() -> Iterator[tuple[SandboxServer, SandboxServer]]:
    with SandboxServer() as site, SandboxServer() as sink:
        yield site, sink


def app_page(sink_url: str) -> str:
    redirect = f"/web/redirect-to?u={sink_url}"
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<script src='{redirect}/evil.js'></script></head><body><p id='r'>홍길동</p>"
        f"<script>fetch('{redirect}/api.json').catch(function () {{}});"
        "fetch('/web/disguised.html?x=1').then(function (r) { return r.arrayBuffer(); })"
        ".then(function (b) { document.getElementById('r').textContent += ' got-' + b.byteLength; })"
        ".catch(function () { document.getElementById('r').textContent += ' blocked'; });"
        "</script></body></html>"
    )


async def render(site: SandboxServer, sink: SandboxServer, guarded: bool) -> str:
    from playwright.async_api import TimeoutError as PlaywrightTimeoutError
    from playwright.async_api import async_playwright

    gate = abort_request_factory(allow_private=False, trusted_origins=[site.url])
    url = site.url + "/web/app"
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", NO_LNA]
        )
        try:
            context = await browser.new_context(**CONTEXT_OPTIONS)
            page = await context.new_page()

            async def gated(route: Any, request: Any) -> None:  # what scrapy-playwright's handler does
                if await gate(request):
                    await route.abort()
                else:
                    await route.continue_()

            await page.route("**", gated)
            if guarded:
                job = RenderJob(
                    url=url,
                    body=app_page(sink.url).encode(),
                    content_type="text/html; charset=utf-8",
                    http_status=200,
                )
                await guard_page(page, scrapy.Request(url, meta={"render_job": job, GATE_META: gate}))
            else:
                site.set_page("/web/app", app_page(sink.url))
            await page.goto(url)
            with contextlib.suppress(PlaywrightTimeoutError):  # read the page as it is
                await page.wait_for_load_state("networkidle", timeout=5000)
            return str(await page.inner_text("#r"))
        finally:
            await browser.close()


def test_an_unguarded_page_reaches_the_sink_when_chromium_allows_it(
    servers: tuple[SandboxServer, SandboxServer],
) -> None:
    site, sink = servers
    text = asyncio.run(render(site, sink, guarded=False))
    assert {path for _m, path, _q, _h in sink.requests} >= {"/evil.js", "/api.json"}
    assert "got-20971520" in text  # and a "page" that is really a 20 MiB video is read whole


def test_a_guarded_page_never_reaches_the_sink_nor_reads_media(
    servers: tuple[SandboxServer, SandboxServer],
) -> None:
    site, sink = servers
    text = asyncio.run(render(site, sink, guarded=True))
    sink.wait_idle()
    assert sink.requests == []
    assert text.endswith("blocked")
    assert site.hits("/web/app") == 0  # the navigation was served from the vetted body
    assert site.hits("/web/redirect-to") == 2  # the first hops went out; where they led was refused
