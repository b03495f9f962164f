"""Vetting an advocate-entered target URL before it is stored: valid, public, http(s) only."""

from __future__ import annotations

import socket

from crawler.safety.addresses import UnsafeURLError, check_url, origin_of
from jikimi.config import Settings
from storage.errors import InvalidURLError
from storage.urls import is_telegram_host, parse_target_url, telegram_channel


class TargetRefusedError(Exception):
    """The URL cannot be watched; the message says why in one line."""


def _resolve_or_nothing(host: str, port: int) -> list[str]:
    """At registration an unresolvable host is not an error (it is checked again at every fetch)."""
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError, OSError):
        return []
    return sorted({str(info[4][0]) for info in infos})


def trusted_origins(settings: Settings) -> frozenset[tuple[str, str, int]]:
    """The operator's configured source endpoints (a self-hosted SearXNG often lives on localhost)."""
    return frozenset(origin_of(s.base_url) for s in settings.sources.values() if s.enabled)


def vet_target_url(url: str, settings: Settings) -> str:
    try:
        clean = parse_target_url(url)
    except InvalidURLError as exc:
        raise TargetRefusedError(f"not a usable URL: {exc}") from None
    if is_telegram_host(clean) and telegram_channel(clean) is None:
        raise TargetRefusedError("a Telegram target must look like https://t.me/s/<channel>")
    try:
        check_url(
            clean,
            allow_private=settings.network.allow_private_addresses,
            trusted_origins=frozenset(),
            resolve=_resolve_or_nothing,
        )
    except UnsafeURLError as exc:
        if "unresolvable" in str(exc):
            return clean
        if exc.rule == "private_address":
            raise TargetRefusedError(
                f"refused: {exc} (an address on this computer or a private network, which jikimi "
                "never visits; only for the sandbox, set [network] allow_private_addresses = true "
                "in the config file)"
            ) from None
        raise TargetRefusedError(f"refused: {exc}") from None
    return clean
