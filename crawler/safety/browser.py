"""Safety for the scrapy-playwright path: what Chromium may request, and how it is launched.

scrapy-playwright routes every request a page makes ("**") through `PLAYWRIGHT_ABORT_REQUEST`
before it is sent: the navigation itself and every subresource. That predicate cannot see Scrapy
settings, so it is an object, not a module function: `BrowserRequestGate` carries its policy, and
`playwright_settings()` puts an instance straight into the settings (`load_object` returns a
callable as is). This keeps the configuration explicit and per crawl, with no module-level state a
from_crawler would have to set before the first page opens; `SafetyGateMiddleware.from_crawler`
calls `verify_browser_settings`, which refuses to start when the gate's policy and the JIKIMI_*
settings disagree, when the gate is missing, or when a context could accept downloads.

Known limits, each pinned by a strict xfail in tests/test_safety_crawl.py (an egress proxy in
front of Chromium, or a network namespace, is the real fix):
- Playwright does not route redirect hops (`page.route` sees only the first URL of a chain), nor
  WebSocket connections, and Chromium resolves names itself: the browser path checks each URL before
  it is requested, not the address finally connected to. A redirect to an internal address is
  followed; SafetyGateMiddleware then refuses the response by its peer address, so the content never
  reaches the spider, but the request was sent. The plain Scrapy path has neither gap.
- The browser fires no `headers_received`: a page URL answering video/mp4 (or a download) streams
  into Chromium before MediaGuardMiddleware refuses the rendered response. Image/media/font
  requests are aborted by type and downloads are refused in every context, so this takes a
  top-level navigation. Render only pages the plain path has already seen as text/html.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from scrapy.settings import BaseSettings

from crawler.safety.addresses import Resolve, UnsafeURLError, default_resolve
from crawler.safety.media import is_media_url
from crawler.safety.policy import SafetyPolicy, trusted_origins_from
from crawler.settings import DISABLED_HANDLERS

CHROMIUM_PATH = "/usr/bin/chromium"
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
PLAYWRIGHT_HANDLER = "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler"
ABORTED_RESOURCE_TYPES = frozenset({"image", "media", "font", "texttrack"})
CONTEXT_OPTIONS: dict[str, Any] = {
    "accept_downloads": False,
    # Requests a service worker makes are invisible to page.route, so no service workers at all.
    "service_workers": "block",
    "ignore_https_errors": False,
}


@dataclass(frozen=True)
class BrowserRequestGate:
    """`PLAYWRIGHT_ABORT_REQUEST` predicate: True (abort) for media and for anything the gate refuses."""

    policy: SafetyPolicy = field(default_factory=SafetyPolicy)
    block_stylesheets: bool = False
    resolve: Resolve = default_resolve

    def should_abort(self, url: str, resource_type: str) -> bool:
        """The decision itself, synchronous and pure but for `resolve` (may block on DNS)."""
        if resource_type in ABORTED_RESOURCE_TYPES:
            return True
        if self.block_stylesheets and resource_type == "stylesheet":
            return True
        if is_media_url(url):
            return True
        try:
            self.policy.check(url, resolve=self.resolve)
        except UnsafeURLError:
            return True
        return False

    async def __call__(self, request: Any) -> bool:
        """Called by scrapy-playwright with a playwright Request; awaited, so DNS runs off the loop."""
        try:
            url, resource_type = str(request.url), str(request.resource_type)
            return await asyncio.to_thread(self.should_abort, url, resource_type)
        except Exception:  # noqa: BLE001 - whatever goes wrong, the request is not sent
            return True


def abort_request_factory(
    *,
    allow_private: bool = False,
    trusted_origins: Iterable[str] = (),
    block_stylesheets: bool = False,
) -> BrowserRequestGate:
    """A predicate for PLAYWRIGHT_ABORT_REQUEST; `trusted_origins` are source base URLs."""
    policy = SafetyPolicy(allow_private=allow_private, trusted_origins=trusted_origins_from(trusted_origins))
    return BrowserRequestGate(policy=policy, block_stylesheets=block_stylesheets)


# The strict predicate (no private addresses, no trusted origins), importable by dotted path:
# PLAYWRIGHT_ABORT_REQUEST = "crawler.safety.browser.abort_request"
abort_request = BrowserRequestGate()


def playwright_settings(
    *,
    allow_private: bool = False,
    trusted_origins: Iterable[str] = (),
    block_stylesheets: bool = False,
    executable_path: str = CHROMIUM_PATH,
    navigation_timeout_ms: int = 20_000,
    max_pages_per_context: int = 4,
) -> dict[str, Any]:
    """Scrapy settings for rendering pages in Debian's Chromium; pass the crawl's JIKIMI_* values.

    Only requests with `meta={"playwright": True}` use the browser; the others keep going through
    Scrapy's HTTP/1.1 handler, which scrapy-playwright's handler extends.
    """
    return {
        "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
        "DOWNLOAD_HANDLERS": {**DISABLED_HANDLERS, "http": PLAYWRIGHT_HANDLER, "https": PLAYWRIGHT_HANDLER},
        "PLAYWRIGHT_BROWSER_TYPE": "chromium",
        "PLAYWRIGHT_LAUNCH_OPTIONS": {
            "executable_path": executable_path,
            "headless": True,
            "args": list(CHROMIUM_ARGS),
        },
        "PLAYWRIGHT_CONTEXTS": {"default": dict(CONTEXT_OPTIONS)},
        "PLAYWRIGHT_ABORT_REQUEST": abort_request_factory(
            allow_private=allow_private, trusted_origins=trusted_origins, block_stylesheets=block_stylesheets
        ),
        "PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT": navigation_timeout_ms,
        "PLAYWRIGHT_MAX_PAGES_PER_CONTEXT": max_pages_per_context,
    }


def verify_browser_settings(settings: BaseSettings, policy: SafetyPolicy) -> None:
    """Refuse to start a browser crawl whose guard is missing, weaker than the crawl's, or leaky."""
    handlers = settings.getwithbase("DOWNLOAD_HANDLERS")
    if PLAYWRIGHT_HANDLER not in (handlers.get("http"), handlers.get("https")):
        return
    gate = settings.get("PLAYWRIGHT_ABORT_REQUEST")
    if isinstance(gate, str) and gate == "crawler.safety.browser.abort_request":
        gate = abort_request
    if not isinstance(gate, BrowserRequestGate):
        raise TypeError("PLAYWRIGHT_ABORT_REQUEST must be a crawler.safety.browser.BrowserRequestGate")
    if gate.policy != policy:
        raise ValueError(
            "PLAYWRIGHT_ABORT_REQUEST was built with other values than JIKIMI_ALLOW_PRIVATE_ADDRESSES / "
            "JIKIMI_TRUSTED_ORIGINS: build it with playwright_settings() from the same values"
        )
    contexts = settings.getdict("PLAYWRIGHT_CONTEXTS")
    if any(dict(options or {}).get("accept_downloads") is not False for options in contexts.values()):
        raise ValueError("PLAYWRIGHT_CONTEXTS: every context needs accept_downloads=False")
    if settings.get("PLAYWRIGHT_CDP_URL") or settings.get("PLAYWRIGHT_CONNECT_URL"):
        raise ValueError(
            "PLAYWRIGHT_CDP_URL / PLAYWRIGHT_CONNECT_URL: only a locally launched browser is vetted"
        )
