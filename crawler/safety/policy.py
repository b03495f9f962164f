"""The address policy of one crawl, read once from the `JIKIMI_*` Scrapy settings."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from scrapy.settings import BaseSettings

from crawler.safety.addresses import (
    Origin,
    Resolve,
    UnsafeURLError,
    check_url,
    default_resolve,
    normalise_host,
    origin_of,
)

ALLOW_PRIVATE_SETTING = "JIKIMI_ALLOW_PRIVATE_ADDRESSES"
TRUSTED_ORIGINS_SETTING = "JIKIMI_TRUSTED_ORIGINS"


@dataclass(frozen=True)
class SafetyPolicy:
    """Whether private addresses are allowed (tests, sandbox) and which source origins are trusted."""

    allow_private: bool = False
    trusted_origins: frozenset[Origin] = field(default_factory=frozenset)

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> SafetyPolicy:
        """Read and validate the settings; a bad value raises ValueError naming the setting."""
        return cls(
            allow_private=settings.getbool(ALLOW_PRIVATE_SETTING, False),
            trusted_origins=trusted_origins_from(settings.getlist(TRUSTED_ORIGINS_SETTING, [])),
        )

    def check(self, url: str, resolve: Resolve = default_resolve) -> None:
        """Raise UnsafeURLError unless this crawl may fetch `url`."""
        check_url(
            url, allow_private=self.allow_private, trusted_origins=self.trusted_origins, resolve=resolve
        )

    def trusts_origin(self, url: str) -> bool:
        try:
            return origin_of(url) in self.trusted_origins
        except UnsafeURLError:
            return False

    def trusts_endpoint(self, host: str, port: int) -> bool:
        """Whether a connection to host:port belongs to a trusted origin (the resolver knows no scheme)."""
        key = (normalise_host(host), port)
        return any((origin_host, origin_port) == key for _, origin_host, origin_port in self.trusted_origins)


def trusted_origins_from(base_urls: Iterable[str]) -> frozenset[Origin]:
    """Origins of the operator's source base URLs; refuses anything that is not a plain http(s) URL."""
    origins = set()
    for base_url in base_urls:
        try:
            origins.add(origin_of(str(base_url).strip()))
        except UnsafeURLError as exc:
            raise ValueError(f"{TRUSTED_ORIGINS_SETTING}: a base URL is unusable ({exc})") from None
    return frozenset(origins)
