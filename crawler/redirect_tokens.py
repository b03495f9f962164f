"""Search engines' redirect tokens (Naver's `openapi.naver.com/l?<token>` links): where to ask, what they say.

Pure helpers for the page spider. A token is asked at the configured Naver base URL (the real origin, a
proxy, or the sandbox), with the same path and token; only the answer's headers are read: a redirect's
`Location` is the page's real URL. That URL must pass the address gate's URL rules (http/https, no
userinfo, nothing parsers could disagree on) before it is recorded; its page is fetched only by a
verification or a recheck, through the whole gate.
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from crawler.safety.addresses import UnsafeURLError, parse_target
from storage.urls import is_redirect_token

REDIRECT_STATUSES = (301, 302, 303, 307, 308)
MAX_HOPS = 3  # a token leading to another token is followed this many times, no more
HEADERS_ONLY = "jikimi_headers_only"  # request meta: stop the download as soon as the headers arrive


def token_request_url(token_url: str, naver_base: str) -> str:
    """The token asked at the configured Naver base URL: `{base}/l?<token>`."""
    return f"{naver_base.rstrip('/')}/l?{token_url.partition('?')[2]}"


def is_token_hop(url: str, naver_base: str) -> bool:
    """Whether a redirect leads to another token (at Naver itself or at the configured base URL)."""
    if is_redirect_token(url):
        return True
    base = urlsplit(naver_base.rstrip("/"))
    parts = urlsplit(url)
    return (parts.scheme, parts.netloc, parts.path) == (base.scheme, base.netloc, base.path + "/l")


def final_url(request_url: str, location: str | None) -> str | None:
    """The absolute URL a redirect points to, when the address gate's URL rules accept it; else None."""
    if not location or not location.strip():
        return None
    url = urljoin(request_url, location.strip())
    try:
        parse_target(url)
    except UnsafeURLError:
        return None
    return url
