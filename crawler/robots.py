"""robots.txt the way RFC 9309 reads it, for the page crawls (promise R4).

Scrapy's RobotsTxtMiddleware parses whatever answer it gets (a 503 error page becomes "allow
everything") and allows everything when robots.txt cannot be fetched. RFC 9309 section 2.3.1:
a 4xx robots.txt is "unavailable" (the crawler may access anything), while a server error (5xx,
after the retries) or an unreachable host means "complete disallow" until it can be read.

A refusal raises `RobotsDisallowedError` (an IgnoreRequest, so Scrapy does not log it as an error)
whose `reason` is `robots-disallowed` (the rules say no) or `robots-unreachable` (no rules could be
read). Nothing here logs a URL: the page's path may be all a log line needs to name a victim.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request
from scrapy.http.request import NO_CALLBACK
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import build_from_crawler
from twisted.internet.defer import Deferred

from crawler.safety.errors import MediaStoppedError, RefusedRequestError

if TYPE_CHECKING:
    from scrapy.http import Response
    from scrapy.robotstxt import RobotParser

logger = logging.getLogger(__name__)

DISALLOWED = "robots-disallowed"
UNREACHABLE = "robots-unreachable"


class RobotsDisallowedError(IgnoreRequest):
    """robots.txt forbids the request, or could not be read (which RFC 9309 counts as forbidding)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class DisallowAllParser:
    """Stands in for the rules of a host whose robots.txt could not be read: nothing is allowed.

    When the safety gate refused the robots.txt request itself (a private address, say), `refusal`
    keeps that verdict: the host's pages are refused for the same reason, and reported as such.
    """

    def __init__(self, refusal: RefusedRequestError | None = None) -> None:
        self.refusal = refusal

    def allowed(self, url: str | bytes, user_agent: str | bytes) -> bool:
        return False

    def crawl_delay(self, user_agent: str | bytes) -> float | None:
        return None


class StrictRobotsTxtMiddleware(RobotsTxtMiddleware):
    """RobotsTxtMiddleware with RFC 9309's error handling, a named refusal, and every waiter served."""

    def __init__(self, crawler: Any) -> None:
        super().__init__(crawler)
        self._waiters: dict[str, list[Deferred[Any]]] = {}

    def process_request_2(self, rp: RobotParser | None, request: Request) -> None:
        if rp is None:
            return
        useragent: Any = self._robotstxt_useragent or request.headers.get(
            b"User-Agent", self._default_useragent
        )
        if rp.allowed(request.url, useragent):
            return
        if isinstance(rp, DisallowAllParser) and rp.refusal is not None:
            raise RefusedRequestError(rp.refusal.rule, rp.refusal.reason)
        unreadable = isinstance(rp, DisallowAllParser)
        self._stats.inc_value("jikimi/robots/unreachable" if unreadable else "robotstxt/forbidden")
        raise RobotsDisallowedError(UNREACHABLE if unreadable else DISALLOWED)

    async def robot_parser(self, request: Request) -> RobotParser | None:
        """Scrapy's, with one waiter per request and without its error log line (which names the URL).

        Scrapy 2.19 lets every request for a host await the one Deferred of its robots.txt fetch via
        `Deferred.asFuture`, which consumes the result: the first waiter gets the rules, every other
        request that arrived meanwhile gets None ("no rules") and is sent. Here each waiter gets a
        Deferred of its own, fired with the rules.
        """
        netloc = urlparse_cached(request).netloc
        if netloc not in self._parsers:
            self._parsers[netloc] = Deferred()  # marks "being fetched"
            robots_request = Request(
                f"{urlparse_cached(request).scheme}://{netloc}/robots.txt",
                priority=self.DOWNLOAD_PRIORITY,
                meta={"dont_obey_robotstxt": True},
                callback=NO_CALLBACK,
            )
            try:
                response = await self.crawler.engine.download_async(robots_request)
                await self._parse_robots(response, netloc, request)
            except Exception as exc:  # noqa: BLE001 - any failure to read robots.txt means "disallow"
                self._robots_error(exc, netloc)
            self._stats.inc_value("robotstxt/request_count")
        parser = self._parsers[netloc]
        if isinstance(parser, Deferred):
            waiter: Deferred[Any] = Deferred()
            self._waiters.setdefault(netloc, []).append(waiter)
            return await maybe_deferred_to_future(waiter)
        return parser

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        self._stats.inc_value("robotstxt/response_count")
        self._stats.inc_value(f"robotstxt/response_status_count/{response.status}")
        if 200 <= response.status < 300:
            rp: Any = build_from_crawler(self._parserimpl, self.crawler, response.body)
        elif 400 <= response.status < 500:
            # "Unavailable": no rules at all (RFC 9309 2.3.1.3).
            rp = build_from_crawler(self._parserimpl, self.crawler, b"")
        else:
            # Server errors, and redirects Scrapy did not follow: "unreachable" (2.3.1.4).
            rp = DisallowAllParser()
        self._settle(netloc, rp)

    def _robots_error(self, exc: Exception, netloc: str) -> None:
        # Timeouts, refused connections, DNS failures, a refusal by the safety gate: disallow all.
        self._stats.inc_value("jikimi/robots/fetch_failed")
        refusal = (
            exc if isinstance(exc, RefusedRequestError) and not isinstance(exc, MediaStoppedError) else None
        )
        if refusal is None:
            logger.warning(
                "robots.txt of a host could not be read (%s): its pages are skipped", type(exc).__name__
            )
        self._settle(netloc, DisallowAllParser(refusal))

    def _settle(self, netloc: str, parser: Any) -> None:
        self._parsers[netloc] = parser
        for waiter in self._waiters.pop(netloc, []):
            waiter.callback(parser)
