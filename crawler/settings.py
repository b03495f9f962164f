"""Scrapy settings for every jikimi crawl, derived once from jikimi's own `Settings`.

Also the module `scrapy.cfg` points at, so `scrapy list` works from a checkout.
"""

from __future__ import annotations

from typing import Any

from jikimi.config import Settings

BOT_NAME = "jikimi"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"


def scrapy_settings(settings: Settings, *, obey_robots: bool) -> dict[str, Any]:
    from crawler.safety.settings import SAFETY_SETTINGS

    net = settings.network
    out: dict[str, Any] = {
        "BOT_NAME": BOT_NAME,
        "SPIDER_MODULES": SPIDER_MODULES,
        "USER_AGENT": net.user_agent,
        "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
        # Politeness, set explicitly rather than inherited (R4).
        "DOWNLOAD_DELAY": net.download_delay,
        "DOWNLOAD_DELAY_JITTER": 0.5 if net.download_delay > 0 else 0.0,
        "LOG_INSTALL_ROOT_HANDLER": False,  # jikimi's redacting handler is the only one
        "CONCURRENT_REQUESTS": 16,
        "CONCURRENT_REQUESTS_PER_DOMAIN": net.concurrency_per_domain,
        "AUTOTHROTTLE_ENABLED": False,
        "DOWNLOAD_TIMEOUT": net.download_timeout,
        "ROBOTSTXT_OBEY": obey_robots,
        # 429 is ours: the spider reads Retry-After, which Scrapy's retry middleware ignores.
        "RETRY_ENABLED": True,
        "RETRY_TIMES": 2,
        "RETRY_HTTP_CODES": [500, 502, 503, 504, 522, 524, 408],
        # No request URL (they carry the victim's name) in Scrapy's own logs or stats dumps.
        "LOG_ENABLED": True,
        "LOG_LEVEL": "INFO",
        "LOGSTATS_INTERVAL": 0,
        "STATS_DUMP": False,
        "DUPEFILTER_DEBUG": False,
        "HTTPCACHE_ENABLED": False,
        "JOBDIR": None,
        "COOKIES_ENABLED": False,
        "LOG_FORMATTER": "crawler.logformatter.RedactingLogFormatter",
        "ITEM_PIPELINES": {"crawler.pipelines.ExposurePipeline": 300},
        "REQUEST_FINGERPRINTER_IMPLEMENTATION": "2.7",
        "JIKIMI_ALLOW_PRIVATE_ADDRESSES": net.allow_private_addresses,
        "JIKIMI_TRUSTED_ORIGINS": [s.base_url for s in settings.sources.values() if s.enabled],
    }
    for key, value in SAFETY_SETTINGS.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = {**out[key], **value}
        else:
            out[key] = value
    # The operator's timeout wins over the safety default, but never beyond it.
    out["DOWNLOAD_TIMEOUT"] = min(
        net.download_timeout, float(out.get("DOWNLOAD_TIMEOUT", net.download_timeout))
    )
    return out
