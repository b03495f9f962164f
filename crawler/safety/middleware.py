"""`SafetyGateMiddleware`: every request Scrapy sends passes the address gate (threat T6).

Redirects are covered because RedirectMiddleware (and MetaRefresh) answer with a *new* Request,
which the engine schedules and which comes through `process_request` again like any other; robots.txt
requests go through the downloader middlewares too. The check before sending resolves the host in
a thread (no blocking DNS on the reactor); the check at connect time is `SafeHostnameResolver`,
whose refusals surface here as a failed name lookup and are reported as `RefusedRequestError`.
The address the response actually came from is checked once more when Scrapy reports it.

Settings: JIKIMI_ALLOW_PRIVATE_ADDRESSES (bool, default False: tests and the sandbox only) and
JIKIMI_TRUSTED_ORIGINS (list of source base URLs, e.g. a self-hosted SearXNG on localhost).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.exceptions import CannotResolveHostError
from scrapy.http import Request, Response
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.misc import load_object
from twisted.internet.error import DNSLookupError
from twisted.internet.threads import deferToThread

from crawler.safety.addresses import Resolve, UnsafeURLError, default_resolve, non_public_reason, parse_target
from crawler.safety.browser import verify_browser_settings
from crawler.safety.browser_guard import GATE_META, guard_browser_page
from crawler.safety.errors import RefusedRequestError
from crawler.safety.policy import SafetyPolicy
from crawler.safety.resolver import SafeHostnameResolver, install_resolver

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings
    from scrapy.statscollectors import StatsCollector

logger = logging.getLogger(__name__)


class SafetyGateMiddleware:
    """Downloader middleware: refuse any request, redirect hop or response the address gate rejects."""

    def __init__(
        self,
        policy: SafetyPolicy,
        stats: StatsCollector,
        *,
        resolve: Resolve = default_resolve,
        cache_size: int = 0,
        reactor: Any = None,
    ) -> None:
        self.policy = policy
        self.stats = stats
        self.resolve = resolve
        self.cache_size = cache_size
        self._reactor = reactor  # None: Twisted's global reactor, looked up when first needed
        self.browser_gate: object = None  # PLAYWRIGHT_ABORT_REQUEST, for pages guarded by default

    @property
    def reactor(self) -> Any:
        if self._reactor is None:
            from twisted.internet import reactor

            self._reactor = reactor
        return self._reactor

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SafetyGateMiddleware:
        settings = crawler.settings
        policy = SafetyPolicy.from_settings(settings)
        verify_browser_settings(settings, policy)
        if not policy.allow_private:
            _require_twisted_http(settings)
        cache_size = settings.getint("DNSCACHE_SIZE") if settings.getbool("DNSCACHE_ENABLED") else 0
        gate = cls(policy, crawler.stats, cache_size=cache_size)
        gate.browser_gate = settings.get("PLAYWRIGHT_ABORT_REQUEST")
        return gate

    def verdict_without_dns(self, url: str) -> UnsafeURLError | None | _NeedsDNS:
        """The same checks as `verdict`, but `_NEEDS_DNS` where the host would have to be resolved.

        An IP literal, a localhost name, a trusted origin, a crawl that allows private addresses and
        a malformed URL are all decided without DNS, so they need no thread. A host name is never
        decided here (nor cached): DNS rebinding is answered by resolving again, and the connect-time
        resolver checks the addresses actually used either way.
        """
        try:
            self.policy.check(url, resolve=_refuse_to_resolve)
        except UnsafeURLError as exc:
            return exc
        except _NeedsDNS as needs:
            return needs
        return None

    def verdict(self, url: str) -> UnsafeURLError | None:
        """The gate's objection to `url`, or None; may block on DNS, so it runs in a thread."""
        try:
            self.policy.check(url, resolve=self.resolve)
        except UnsafeURLError as exc:
            return exc
        return None

    async def process_request(self, request: Request) -> None:
        self._require_connect_time_guard()
        quick = self.verdict_without_dns(request.url)
        if isinstance(quick, _NeedsDNS):
            objection = await maybe_deferred_to_future(deferToThread(self.verdict, request.url))
        else:
            objection = quick
        if objection is not None:
            raise self._refuse(objection.rule, str(objection))
        forbid_browser_downloads(request)
        guard_browser_responses(request, self.browser_gate)

    def process_response(self, request: Request, response: Response) -> Response:
        # Defence in depth: the peer Scrapy actually talked to, or the server the browser ended on
        # (its redirect hops are not routed through the gate: judge the final URL, not the request's).
        if (
            response.ip_address is None
            or self.policy.allow_private
            or self.policy.trusts_origin(response.url)
        ):
            return response
        reason = non_public_reason(str(response.ip_address))
        if reason is not None:
            raise self._refuse("private_address", f"private address: {reason}")
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        resolver = self._installed_resolver()
        # Scrapy 2.19 wraps Twisted's DNSLookupError in CannotResolveHostError; accept either.
        if resolver is None or not isinstance(exception, (CannotResolveHostError, DNSLookupError)):
            return
        try:
            host = parse_target(request.url).host
        except UnsafeURLError:
            return
        reason = resolver.refusal(host)
        if reason is not None:
            # Raised, not returned: the errback gets this instead of the DNSLookupError, and the
            # retry middleware (which retries DNS failures) never sees it.
            raise self._refuse("private_address", f"private address: {reason}")
        return

    def _require_connect_time_guard(self) -> None:
        """Make sure the reactor resolves through a SafeHostnameResolver with this crawl's policy.

        Checked per request, not in from_crawler: CrawlerProcess installs TWISTED_DNS_RESOLVER only
        in start(), after the middlewares exist, and CrawlerRunner never installs one.
        """
        if self.policy.allow_private:
            return
        resolver = self._installed_resolver()
        if resolver is None:
            install_resolver(self.reactor, self.policy, self.cache_size)
        elif resolver.policy != self.policy:
            # The process and this crawler disagree on JIKIMI_*: fetch nothing rather than guess.
            logger.error(
                "JIKIMI_ALLOW_PRIVATE_ADDRESSES / JIKIMI_TRUSTED_ORIGINS differ between the crawler "
                "process and this spider's settings; refusing every request"
            )
            raise self._refuse("resolver_mismatch", "DNS resolver configured with another policy")

    def _installed_resolver(self) -> SafeHostnameResolver | None:
        resolver = getattr(self.reactor, "nameResolver", None)
        return resolver if isinstance(resolver, SafeHostnameResolver) else None

    def _refuse(self, rule: str, reason: str) -> RefusedRequestError:
        self.stats.inc_value("jikimi/safety/refused")
        self.stats.inc_value(f"jikimi/safety/refused/{rule}")
        return RefusedRequestError(rule, reason)


class _NeedsDNS(Exception):
    """Raised by `_refuse_to_resolve`: deciding this URL needs a DNS lookup (done in a thread).

    Deliberately not an OSError/ValueError, which `check_url` would turn into "unresolvable_host".
    """


def _refuse_to_resolve(host: str, port: int) -> list[str]:
    raise _NeedsDNS


def forbid_browser_downloads(request: Request) -> None:
    """Contexts scrapy-playwright creates on demand take their options from the request, and
    Playwright's own default is to accept downloads (it would save whatever a page serves)."""
    if request.meta.get("playwright"):
        context_kwargs = dict(request.meta.get("playwright_context_kwargs") or {})
        context_kwargs["accept_downloads"] = False
        request.meta["playwright_context_kwargs"] = context_kwargs


def guard_browser_responses(request: Request, browser_gate: object) -> None:
    """Every browser page gets the response guard (`browser_guard`), not only the render spider's.

    Without it a page's redirect hop to an internal address, or media its scripts pull, would reach
    Chromium unchecked. A request that brings its own init callback (the render spider's, which
    installs the same guard and more) keeps it.
    """
    if request.meta.get("playwright") and "playwright_page_init_callback" not in request.meta:
        request.meta["playwright_page_init_callback"] = guard_browser_page
        request.meta.setdefault(GATE_META, browser_gate)


def _require_twisted_http(settings: BaseSettings) -> None:
    """The connect-time check lives in Twisted's resolver: refuse handlers that do not use it."""
    if not settings.getbool("TWISTED_REACTOR_ENABLED", True):
        raise ValueError("TWISTED_REACTOR_ENABLED must stay True: the DNS rebinding guard needs it")
    handlers = settings.getwithbase("DOWNLOAD_HANDLERS")
    for scheme in ("http", "https"):
        path = handlers.get(scheme)
        if path is None:
            continue
        handler = load_object(path)
        if not (isinstance(handler, type) and issubclass(handler, HTTP11DownloadHandler)):
            raise TypeError(
                f"DOWNLOAD_HANDLERS[{scheme!r}] must be Scrapy's HTTP/1.1 handler (or scrapy-playwright's, "
                "which uses it for plain requests): other handlers bypass the DNS rebinding guard"
            )
