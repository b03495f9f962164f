"""SAFETY_SETTINGS as Scrapy reads them, and the middleware's start-up refusals."""

from __future__ import annotations

from typing import Any

import pytest
from scrapy.settings import Settings
from scrapy.utils.conf import build_component_list

from crawler.safety.middleware import SafetyGateMiddleware
from crawler.settings import SAFETY_SETTINGS


def scrapy_settings(**overrides: Any) -> Settings:
    settings = Settings()
    settings.setdict(SAFETY_SETTINGS, priority="project")
    settings.setdict(overrides, priority="spider")
    return settings


class Crawler:
    """What from_crawler reads: settings and stats."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.stats = object()


def test_dangerous_handlers_and_consoles_are_off() -> None:
    settings = scrapy_settings()
    handlers = settings.getwithbase("DOWNLOAD_HANDLERS")
    for scheme in ("file", "data", "ftp", "s3"):
        assert handlers[scheme] is None
    assert handlers["http"] == "scrapy.core.downloader.handlers.http11.HTTP11DownloadHandler"
    extensions = settings.getwithbase("EXTENSIONS")
    enabled = build_component_list(extensions)
    assert "scrapy.extensions.telnet.TelnetConsole" not in enabled
    assert "scrapy.extensions.remote_control.RemoteControl" not in enabled
    assert "scrapy.extensions.corestats.CoreStats" in enabled  # the rest of Scrapy's base list stays
    assert not settings.getbool("TELNETCONSOLE_ENABLED")
    assert not settings.getbool("REMOTE_CONTROL_ENABLED")
    assert "crawler.safety.media.MediaGuardExtension" in build_component_list(extensions)


def test_limits_and_leak_settings() -> None:
    settings = scrapy_settings()
    assert settings.getint("DOWNLOAD_MAXSIZE") == 4 * 1024 * 1024
    assert settings.getint("DOWNLOAD_WARNSIZE") == 1024 * 1024
    assert settings.getint("DOWNLOAD_TIMEOUT") == 20
    assert settings.getint("REDIRECT_MAX_TIMES") == 5
    assert settings.getbool("DOWNLOAD_VERIFY_CERTIFICATES")
    assert settings.getbool("COMPRESSION_ENABLED")  # so DOWNLOAD_MAXSIZE bounds decompressed bodies
    for off in ("HTTPCACHE_ENABLED", "COOKIES_ENABLED"):
        assert not settings.getbool(off), off
    # The referer middleware stays (redirect handling expects it) but never sends a Referer.
    assert settings["REFERRER_POLICY"] == "no-referrer"
    assert settings["TWISTED_DNS_RESOLVER"] == "crawler.safety.resolver.SafeHostnameResolver"


def test_the_gate_sits_between_retry_and_the_downloader() -> None:
    order = build_component_list(scrapy_settings().getwithbase("DOWNLOADER_MIDDLEWARES"))
    position = {path: index for index, path in enumerate(order)}
    gate = position["crawler.safety.middleware.SafetyGateMiddleware"]
    # process_exception runs from the downloader outwards: the gate converts the resolver's lookup
    # failure before RetryMiddleware would retry it.
    assert gate > position["scrapy.downloadermiddlewares.retry.RetryMiddleware"]
    assert gate > position["scrapy.downloadermiddlewares.redirect.RedirectMiddleware"]
    assert (
        position["crawler.safety.media.MediaGuardMiddleware"]
        > position["scrapy.downloadermiddlewares.retry.RetryMiddleware"]
    )


def test_the_jikimi_settings_are_left_to_the_configuration() -> None:
    assert not any(key.startswith("JIKIMI_") for key in SAFETY_SETTINGS)


def test_from_crawler_accepts_the_safety_settings() -> None:
    gate = SafetyGateMiddleware.from_crawler(
        # A stand-in with the two attributes from_crawler reads, not a whole Scrapy crawler.
        Crawler(scrapy_settings(JIKIMI_TRUSTED_ORIGINS="http://127.0.0.1:8888"))  # type: ignore[arg-type]
    )
    assert gate.policy.trusted_origins == frozenset({("http", "127.0.0.1", 8888)})
    assert gate.cache_size == 10000


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {
                "DOWNLOAD_HANDLERS": {
                    "https": "scrapy.core.downloader.handlers._aiohttp.AiohttpDownloadHandler"
                }
            },
            "DOWNLOAD_HANDLERS",
        ),
        (
            {"DOWNLOAD_HANDLERS": {"http": "scrapy.core.downloader.handlers._httpx.HttpxDownloadHandler"}},
            "DOWNLOAD_HANDLERS",
        ),
        ({"TWISTED_REACTOR_ENABLED": False}, "TWISTED_REACTOR_ENABLED"),
        ({"JIKIMI_TRUSTED_ORIGINS": ["ftp://searx.internal"]}, "JIKIMI_TRUSTED_ORIGINS"),
    ],
)
def test_from_crawler_refuses_settings_that_bypass_the_resolver(
    overrides: dict[str, Any], message: str
) -> None:
    with pytest.raises((ValueError, TypeError), match=message):
        # a stand-in crawler with only what from_crawler reads.
        SafetyGateMiddleware.from_crawler(Crawler(scrapy_settings(**overrides)))  # type: ignore[arg-type]


def test_the_sandbox_may_use_any_handler() -> None:
    settings = scrapy_settings(
        JIKIMI_ALLOW_PRIVATE_ADDRESSES=True,
        DOWNLOAD_HANDLERS={"http": "scrapy.core.downloader.handlers._httpx.HttpxDownloadHandler"},
    )
    # a stand-in crawler with only what from_crawler reads.
    assert SafetyGateMiddleware.from_crawler(Crawler(settings)).policy.allow_private  # type: ignore[arg-type]
