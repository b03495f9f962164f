"""The DNS half of the SSRF gate: the addresses Scrapy connects to are the addresses checked.

The middleware checks a URL before the request is sent, but DNS can answer differently a moment
later (DNS rebinding). Scrapy's HTTP/1.1 handler connects through Twisted's `HostnameEndpoint`,
which asks the reactor's `nameResolver` for addresses and connects only to what it is given, IP
literals included. `SafeHostnameResolver` is that name resolver: it delivers a host's addresses only
when every one is public (or the crawl allows private addresses, or host:port is a trusted source
origin). A refused host gets no addresses, so the endpoint fails with `DNSLookupError`; the resolver
remembers why, and `SafetyGateMiddleware.process_exception` turns that failure into a
`RefusedRequestError("private_address", ...)` for the spider's errback.

Install it with `TWISTED_DNS_RESOLVER` (Scrapy 2.19 deprecates `DNS_RESOLVER`); `CrawlerProcess`
installs it in `start()`, just before the reactor runs (after the middlewares are built), and the
middleware installs one itself where Scrapy does not (`CrawlerRunner`). It resolves IPv4 and IPv6 (it
extends `CachingHostnameResolver`, not the IPv4-only `CachingThreadedResolver`); Scrapy's DNS cache holds
raw answers and the check runs on every use.
Not covered: connections through an HTTP proxy (Twisted resolves the proxy host with the reactor's
simple resolver) and the browser, which resolves names itself (see `browser.py`).
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from scrapy.resolver import CachingHostnameResolver
from twisted.internet.interfaces import IAddress, IHostnameResolver, IHostResolution, IResolutionReceiver
from zope.interface import implementer  # type: ignore[import-untyped]

from crawler.safety.addresses import first_non_public, normalise_host
from crawler.safety.policy import SafetyPolicy
from jikimi.logs import host_tag

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from twisted.internet.base import ReactorBase

logger = logging.getLogger(__name__)

_REMEMBERED_REFUSALS = 1024


@implementer(IHostnameResolver)
class SafeHostnameResolver(CachingHostnameResolver):
    """A caching IPv4/IPv6 name resolver that never hands out a non-public address."""

    def __init__(self, reactor: ReactorBase, cache_size: int, policy: SafetyPolicy) -> None:
        super().__init__(reactor, cache_size)
        if isinstance(self.original_resolver, SafeHostnameResolver):
            # Re-installed over an earlier instance: wrap the system resolver, not the earlier gate.
            self.original_resolver = self.original_resolver.original_resolver
        self.policy = policy
        self._refusals: OrderedDict[str, str] = OrderedDict()

    @classmethod
    def from_crawler(cls, crawler: Crawler, reactor: ReactorBase) -> SafeHostnameResolver:
        # Scrapy passes the CrawlerProcess here; like Scrapy's resolvers, only `.settings` is used.
        enabled = crawler.settings.getbool("DNSCACHE_ENABLED")
        cache_size = crawler.settings.getint("DNSCACHE_SIZE") if enabled else 0
        return cls(reactor, cache_size, SafetyPolicy.from_settings(crawler.settings))

    def resolveHostName(
        self,
        resolutionReceiver: IResolutionReceiver,
        hostName: str,
        portNumber: int = 0,
        addressTypes: Sequence[type[IAddress]] | None = None,
        transportSemantics: str = "TCP",
    ) -> IHostResolution:
        receiver: Any = resolutionReceiver  # zope interfaces do not type-check without mypy-zope
        if not (self.policy.allow_private or self.policy.trusts_endpoint(hostName, portNumber)):
            receiver = _PublicOnlyReceiver(resolutionReceiver, hostName, self)
        return super().resolveHostName(receiver, hostName, portNumber, addressTypes, transportSemantics)

    def refusal(self, host: str) -> str | None:
        """Why the last resolution of `host` was refused ("loopback", ...), or None if it was not."""
        return self._refusals.get(normalise_host(host))

    def note_refused(self, host: str, reason: str) -> None:
        """Remember why `host` got no addresses, for the middleware to report."""
        key = normalise_host(host)
        self._refusals[key] = reason
        self._refusals.move_to_end(key)
        while len(self._refusals) > _REMEMBERED_REFUSALS:
            self._refusals.popitem(last=False)
        # A host name can be a person's name (hansoyul.example, or its punycode): logged as a digest.
        logger.warning("refused to connect to %s: private address (%s)", host_tag(key), reason)

    def note_accepted(self, host: str) -> None:
        """A clean answer: a stale refusal must not turn a later plain DNS failure into "unsafe"."""
        self._refusals.pop(normalise_host(host), None)


@implementer(IResolutionReceiver)
class _PublicOnlyReceiver:
    """Holds a resolution's addresses until it completes, then passes on all of them or none."""

    def __init__(self, receiver: IResolutionReceiver, host: str, resolver: SafeHostnameResolver) -> None:
        self._receiver: Any = receiver
        self._host = host
        self._resolver = resolver
        self._addresses: list[IAddress] = []

    def resolutionBegan(self, resolutionInProgress: IHostResolution) -> None:
        self._receiver.resolutionBegan(resolutionInProgress)

    def addressResolved(self, address: IAddress) -> None:
        self._addresses.append(address)

    def resolutionComplete(self) -> None:
        # All or nothing: a host with one private address among public ones is refused entirely.
        reason = first_non_public(str(getattr(address, "host", "")) for address in self._addresses)
        if reason is None:
            self._resolver.note_accepted(self._host)
            for address in self._addresses:
                self._receiver.addressResolved(address)
        else:
            self._resolver.note_refused(self._host, reason)
        self._receiver.resolutionComplete()


def install_resolver(reactor: Any, policy: SafetyPolicy, cache_size: int) -> SafeHostnameResolver:
    """Install a SafeHostnameResolver where Scrapy did not (CrawlerRunner ignores TWISTED_DNS_RESOLVER)."""
    resolver = SafeHostnameResolver(reactor, cache_size, policy)
    resolver.install_on_reactor()
    logger.info("installed the safe DNS resolver (TWISTED_DNS_RESOLVER was not applied)")
    return resolver
