"""A failed page fetch (a Scrapy errback's Failure) as one named reason from `page_status.REASONS`."""

from __future__ import annotations

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from twisted.internet.error import ConnectError, ConnectionLost, DNSLookupError, TimeoutError
from twisted.python.failure import Failure

from crawler.robots import RobotsDisallowedError
from crawler.safety.errors import MediaStoppedError, RefusedRequestError

_UNREACHABLE = (
    CannotResolveHostError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    ResponseDataLossError,
    ConnectError,
    ConnectionLost,
    DNSLookupError,
    TimeoutError,
)


def failure_reason(failure: Failure) -> str:
    """The reason a request failed, never its URL: robots, media, size, the address gate, the network."""
    exc = failure.value
    if isinstance(exc, RobotsDisallowedError):
        return exc.reason
    if isinstance(exc, RefusedRequestError):
        if exc.rule == "media_binary":
            return "not-text"  # no media signature, but mostly control bytes (noise, a bomb of zeros)
        if isinstance(exc, MediaStoppedError) or exc.rule.startswith("media_"):
            return "media-refused"
        if exc.rule == "unresolvable_host":
            return "unreachable"
        return "unsafe-address"
    if isinstance(exc, DownloadCancelledError):
        return "too-large"  # DOWNLOAD_MAXSIZE reached while downloading
    if isinstance(exc, IgnoreRequest):
        message = str(exc)
        if "DOWNLOAD_MAXSIZE" in message:
            return "too-large"  # a decompression bomb
        if "redirections" in message:
            return "too-many-redirects"
        return "error"
    if isinstance(exc, _UNREACHABLE):
        return "unreachable"
    return "error"
