"""Scrapy settings every jikimi crawl applies, whatever the spider; merge dict values key by key.

JIKIMI_ALLOW_PRIVATE_ADDRESSES and JIKIMI_TRUSTED_ORIGINS are deliberately absent: they come from
jikimi's configuration, and the components default to the strict values (False, no origins).
"""

from __future__ import annotations

from typing import Any

from crawler.safety.browser import DISABLED_HANDLERS

MIB = 1024 * 1024

SAFETY_SETTINGS: dict[str, Any] = {
    # T6, SSRF: no file:, data:, ftp: or s3: fetches; one gate for every request and redirect hop;
    # the resolver checks the addresses actually connected to (DNS rebinding).
    "DOWNLOAD_HANDLERS": dict(DISABLED_HANDLERS),
    "DOWNLOADER_MIDDLEWARES": {
        # Close to the downloader: process_exception must see the resolver's DNSLookupError before
        # RetryMiddleware (550) retries it, and nothing after the gate rewrites the URL.
        "crawler.safety.media.MediaGuardMiddleware": 940,
        # Below HttpCompressionMiddleware (590): sees the decoded body, browser-rendered ones included.
        "crawler.safety.media.MediaSniffMiddleware": 580,
        "crawler.safety.middleware.SafetyGateMiddleware": 950,
    },
    "TWISTED_REACTOR_ENABLED": True,
    "TWISTED_DNS_RESOLVER": "crawler.safety.resolver.SafeHostnameResolver",
    "REDIRECT_MAX_TIMES": 5,
    # No control surfaces inside a crawl: the telnet console, and Scrapy 2.19's RemoteControl (an HTTP
    # server on localhost that runs Python code sent to it, on by default).
    "TELNETCONSOLE_ENABLED": False,
    "REMOTE_CONTROL_ENABLED": False,
    "EXTENSIONS": {
        "scrapy.extensions.telnet.TelnetConsole": None,
        "scrapy.extensions.remote_control.RemoteControl": None,
        "crawler.safety.media.MediaGuardExtension": 100,
    },
    # Scrapy 2.19 does not verify TLS certificates by default; a self-signed certificate must fail.
    "DOWNLOAD_VERIFY_CERTIFICATES": True,
    # T3, leaks: a search URL holds the victim's name, and a Referer would hand it to every result
    # page; a cookie set while searching one name would link it to the next search. No HTTP cache.
    "REFERER_ENABLED": True,
    "REFERRER_POLICY": "no-referrer",
    "COOKIES_ENABLED": False,
    "HTTPCACHE_ENABLED": False,
    # T8, hostile pages: small bodies (HttpCompressionMiddleware applies DOWNLOAD_MAXSIZE to the
    # decompressed size too, chunk by chunk, so gzip/deflate/brotli/zstd bombs stop there), short
    # timeouts.
    "DOWNLOAD_MAXSIZE": 4 * MIB,
    "DOWNLOAD_WARNSIZE": 1 * MIB,
    "DOWNLOAD_TIMEOUT": 20,
    "DOWNLOAD_FAIL_ON_DATALOSS": True,
}
