"""Every Scrapy setting of a jikimi crawl, and every `JIKIMI_*` setting name, declared once.

`scrapy.cfg` points here, so `scrapy crawl search` from the checkout (and Scrapyd) runs with exactly
the settings `jikimi run` uses: `python -m crawler` loads this module too. What depends on jikimi's
own configuration (user agent, politeness, timeouts, the address policy, the browser) comes from
`from_config` below, applied when this module is imported: Scrapy builds the process-wide parts
(the DNS resolver and its address policy) from the project settings before any crawler exists, so
an add-on would be too late. jikimi's configuration is read by `jikimi.config.load_settings`
(`JIKIMI_CONFIG`, the `JIKIMI_*` environment), the one place that reads it. What differs between
stages is in each spider's `custom_settings` (`SEARCH_SPIDER_SETTINGS`, `PAGE_SPIDER_SETTINGS`).

This module imports nothing of the crawler, so every component may read its names from here.
"""

from __future__ import annotations

from typing import Any

from scrapy.settings import default_settings

from jikimi.config import Settings, load_settings

MIB = 1024 * 1024

BOT_NAME = "jikimi"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"

# Progress as JSON lines on stdout, for `jikimi run` to draw bars from (set by `python -m crawler`).
JIKIMI_PROGRESS = False

# -- logging: jikimi's redacting handler is the only one (the stage installs it) -------------------

LOG_ENABLED = True
LOG_LEVEL = "WARNING"  # `scrapy crawl ... -L INFO` or `python -m crawler ... --verbose` for more
LOG_INSTALL_ROOT_HANDLER = False
# No request URL (they carry the victim's name) in Scrapy's own logs or stats dumps.
LOG_FORMATTER = "crawler.logformatter.RedactingLogFormatter"
LOGSTATS_INTERVAL = 0
STATS_DUMP = False
DUPEFILTER_DEBUG = False

# -- politeness (R4), set explicitly rather than inherited; the operator's values are at the end ------

CONCURRENT_REQUESTS = 16
AUTOTHROTTLE_ENABLED = False
RETRY_ENABLED = True
RETRY_TIMES = 2
# 429 is ours: the search spider reads Retry-After, which Scrapy's retry middleware ignores.
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408]
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
JOBDIR = None

# -- safety: every crawl, whatever the spider ----------------------------------------------------

# T6, SSRF: no file:, data:, ftp: or s3: fetches; one gate for every request and redirect hop;
# the resolver checks the addresses actually connected to (DNS rebinding).
_CONSOLES = ("scrapy.extensions.telnet.TelnetConsole", "scrapy.extensions.remote_control.RemoteControl")
DISABLED_HANDLERS: dict[str, None] = {"file": None, "data": None, "ftp": None, "s3": None}
SAFETY_SETTINGS: dict[str, Any] = {
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
    # server on localhost that runs Python code sent to it, on by default). Off twice: their switches,
    # and out of the base list, so their modules are not even imported (Scrapy imports every class an
    # EXTENSIONS key names, None or not, and RemoteControl's aiohttp cost each crawl 0.2 s of CPU).
    "TELNETCONSOLE_ENABLED": False,
    "REMOTE_CONTROL_ENABLED": False,
    "EXTENSIONS_BASE": {
        path: order for path, order in default_settings.EXTENSIONS_BASE.items() if path not in _CONSOLES
    },
    "EXTENSIONS": {"crawler.safety.media.MediaGuardExtension": 100},
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
DOWNLOAD_HANDLERS = SAFETY_SETTINGS["DOWNLOAD_HANDLERS"]
DOWNLOADER_MIDDLEWARES = SAFETY_SETTINGS["DOWNLOADER_MIDDLEWARES"]
TWISTED_REACTOR_ENABLED = SAFETY_SETTINGS["TWISTED_REACTOR_ENABLED"]
TWISTED_DNS_RESOLVER = SAFETY_SETTINGS["TWISTED_DNS_RESOLVER"]
REDIRECT_MAX_TIMES = SAFETY_SETTINGS["REDIRECT_MAX_TIMES"]
TELNETCONSOLE_ENABLED = SAFETY_SETTINGS["TELNETCONSOLE_ENABLED"]
REMOTE_CONTROL_ENABLED = SAFETY_SETTINGS["REMOTE_CONTROL_ENABLED"]
EXTENSIONS_BASE = SAFETY_SETTINGS["EXTENSIONS_BASE"]
EXTENSIONS = SAFETY_SETTINGS["EXTENSIONS"]
DOWNLOAD_VERIFY_CERTIFICATES = SAFETY_SETTINGS["DOWNLOAD_VERIFY_CERTIFICATES"]
REFERER_ENABLED = SAFETY_SETTINGS["REFERER_ENABLED"]
REFERRER_POLICY = SAFETY_SETTINGS["REFERRER_POLICY"]
COOKIES_ENABLED = SAFETY_SETTINGS["COOKIES_ENABLED"]
HTTPCACHE_ENABLED = SAFETY_SETTINGS["HTTPCACHE_ENABLED"]
DOWNLOAD_MAXSIZE = SAFETY_SETTINGS["DOWNLOAD_MAXSIZE"]
DOWNLOAD_WARNSIZE = SAFETY_SETTINGS["DOWNLOAD_WARNSIZE"]
DOWNLOAD_TIMEOUT = SAFETY_SETTINGS["DOWNLOAD_TIMEOUT"]
DOWNLOAD_FAIL_ON_DATALOSS = SAFETY_SETTINGS["DOWNLOAD_FAIL_ON_DATALOSS"]

# -- per stage (each spider's custom_settings) -----------------------------------------------------

# API endpoints, not pages: the page spiders obey robots.txt, the search spider does not.
SEARCH_SPIDER_SETTINGS: dict[str, Any] = {
    "ROBOTSTXT_OBEY": False,
    # Before anything else sees a search request: in a cluster it first waits for the engine's shared pace.
    "DOWNLOADER_MIDDLEWARES": {**DOWNLOADER_MIDDLEWARES, "crawler.shared_pace.SharedPaceMiddleware": 50},
    "ITEM_PIPELINES": {"crawler.pipelines.ExposurePipeline": 300},
    # ExposurePipeline is synchronous (it batches and writes in flush), so concurrent items buy nothing,
    # while Scrapy starts CONCURRENT_ITEMS (default 100) asyncio tasks for every response's output.
    "CONCURRENT_ITEMS": 1,
}
PAGE_SPIDER_SETTINGS: dict[str, Any] = {
    # robots.txt obeyed the RFC 9309 way, by our middleware in place of Scrapy's.
    "ROBOTSTXT_OBEY": True,
    "DOWNLOADER_MIDDLEWARES": {
        **DOWNLOADER_MIDDLEWARES,
        "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
        "crawler.robots.StrictRobotsTxtMiddleware": 100,
    },
    # Page and channel items into exposures, target state and evidence.
    "ITEM_PIPELINES": {"crawler.page_pipeline.PagePipeline": 310},
    # One item at a time: a visit's exposures are stored before its target state (PagePipeline is
    # synchronous anyway), and Scrapy starts CONCURRENT_ITEMS asyncio tasks for every response.
    "CONCURRENT_ITEMS": 1,
    # A 429 (blocked) or 503 (overloaded) from a watched site is reported, not retried at once.
    "RETRY_HTTP_CODES": [500, 502, 504, 522, 524, 408],
    "RETRY_GIVE_UP_LOG_LEVEL": "DEBUG",  # the target's outcome says it; the log line names the URL
}


def from_config(config: Settings, *, safety_timeout: float = DOWNLOAD_TIMEOUT) -> dict[str, Any]:
    """The settings jikimi's configuration decides."""
    net = config.network
    return {
        "USER_AGENT": net.user_agent,
        "DOWNLOAD_DELAY": net.download_delay,
        "DOWNLOAD_DELAY_JITTER": 0.5 if net.download_delay > 0 else 0.0,
        "CONCURRENT_REQUESTS_PER_DOMAIN": net.concurrency_per_domain,
        # The operator's timeout wins over the safety default, but never beyond it.
        "DOWNLOAD_TIMEOUT": min(float(net.download_timeout), float(safety_timeout)),
        "JIKIMI_ALLOW_PRIVATE_ADDRESSES": net.allow_private_addresses,
        "JIKIMI_TRUSTED_ORIGINS": [s.base_url for s in config.sources.values() if s.enabled],
        "JIKIMI_CHROMIUM_PATH": config.chromium_path,
        "JIKIMI_BLOCK_STYLESHEETS": net.block_stylesheets,
    }


def scrapy_settings(config: Settings, *, obey_robots: bool) -> dict[str, Any]:
    """A stage's whole settings as one dict: this module, `config`'s values, the spider's own.

    For benchmarks that compare jikimi's crawl with bare Scrapy; crawls themselves load this module.
    """
    out = {name: value for name, value in globals().items() if name.isupper() and not name.startswith("_")}
    out.update(from_config(config, safety_timeout=SAFETY_SETTINGS["DOWNLOAD_TIMEOUT"]))
    out.update(PAGE_SPIDER_SETTINGS if obey_robots else SEARCH_SPIDER_SETTINGS)
    return out


# -- from jikimi's configuration -------------------------------------------------------------------

_CONFIGURED = from_config(load_settings())
USER_AGENT = _CONFIGURED["USER_AGENT"]
DOWNLOAD_DELAY = _CONFIGURED["DOWNLOAD_DELAY"]
DOWNLOAD_DELAY_JITTER = _CONFIGURED["DOWNLOAD_DELAY_JITTER"]
CONCURRENT_REQUESTS_PER_DOMAIN = _CONFIGURED["CONCURRENT_REQUESTS_PER_DOMAIN"]
DOWNLOAD_TIMEOUT = _CONFIGURED["DOWNLOAD_TIMEOUT"]
# Fetch private and loopback addresses (tests and the sandbox only; default False).
JIKIMI_ALLOW_PRIVATE_ADDRESSES = _CONFIGURED["JIKIMI_ALLOW_PRIVATE_ADDRESSES"]
# Base URLs of the enabled search sources: their origins are trusted by the address gate.
JIKIMI_TRUSTED_ORIGINS = _CONFIGURED["JIKIMI_TRUSTED_ORIGINS"]
# Debian's Chromium, for pages that need JavaScript.
JIKIMI_CHROMIUM_PATH = _CONFIGURED["JIKIMI_CHROMIUM_PATH"]
# The browser also aborts stylesheet requests.
JIKIMI_BLOCK_STYLESHEETS = _CONFIGURED["JIKIMI_BLOCK_STYLESHEETS"]
