"""The platform directory: who takes takedown requests for which hosts, and what law to cite.

Shipped as data (`takedown/platforms.toml`), extended or corrected by the operator's own
`platforms.toml` in the data directory, merged key by key over the shipped one. Loading validates
everything once, so a typo in the operator file is one clear error, not a broken notice later.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

SHIPPED_FILE = Path(__file__).with_name("platforms.toml")
OPERATOR_FILE_NAME = "platforms.toml"
LANGUAGES = ("ko", "en")

_ID = re.compile(r"[a-z0-9_]{1,32}")
_HOST = re.compile(r"(?=.{1,253}$)[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_CHANNEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,63}")
_PLATFORM_KEYS = {
    "name",
    "hosts",
    "sources",
    "fallback",
    "route_to",
    "report_url",
    "email",
    "phone",
    "channel",
    "language",
    "legal_basis",
    "verify",
    "notes",
}
_LEGAL_KEYS = {"ko", "en", "verify"}


class PlatformDirectoryError(ValueError):
    """The platform directory (shipped or the operator's) is not valid; the message names the key."""


@dataclass(frozen=True)
class LegalBasis:
    id: str
    ko: str
    en: str
    verify: bool


@dataclass(frozen=True)
class Platform:
    id: str
    name: str
    hosts: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    fallback: bool = False
    route_to: tuple[str, ...] = ()
    report_url: str = ""
    email: str = ""
    phone: str = ""
    channel: str = ""
    language: str = "ko"
    legal_basis: tuple[str, ...] = ()
    verify: bool = True
    notes: str = ""

    @property
    def contactable(self) -> bool:
        return bool(self.report_url or self.email or self.phone)


class PlatformDirectory:
    """Validated platforms and legal bases, with URL matching."""

    def __init__(self, platforms: Mapping[str, Platform], legal: Mapping[str, LegalBasis]) -> None:
        self.platforms = dict(platforms)
        self.legal = dict(legal)
        self.fallback = next(p for p in self.platforms.values() if p.fallback)
        # Longest suffix first, so "cafe.daum.net" could be claimed apart from "daum.net".
        self._suffixes = sorted(
            ((host, p) for p in self.platforms.values() for host in p.hosts), key=lambda hp: -len(hp[0])
        )

    def match(self, url: str) -> Platform:
        """The platform whose host suffix matches the URL's host, else the fallback entry."""
        host = _host_of(url)
        for suffix, platform in self._suffixes:
            if host == suffix or host.endswith("." + suffix):
                return platform
        return self.fallback

    def recipients(self, url: str, sources: Iterable[str] = ()) -> list[Platform]:
        """Who gets a notice about this URL: the host's route, then any search engine that showed it."""
        platform = self.match(url)
        out = [self.platforms[r] for r in (platform.route_to or (platform.id,))]
        seen = set(sources)
        out += [p for p in self.platforms.values() if seen.intersection(p.sources)]
        unique: dict[str, Platform] = {}
        for recipient in out:
            unique.setdefault(recipient.id, recipient)
        return list(unique.values())

    def legal_bases(self, platform: Platform) -> list[LegalBasis]:
        return [self.legal[ref] for ref in platform.legal_basis]


def _host_of(url: str) -> str:
    try:
        host = (urlsplit(url.strip()).hostname or "").lower().rstrip(".")
    except ValueError:
        return ""
    return host


def load_directory(operator_file: Path | None = None) -> PlatformDirectory:
    """The shipped directory, with the operator's file (if it exists) merged over it."""
    raw = _read(SHIPPED_FILE)
    if operator_file is not None and operator_file.exists():
        raw = merge(raw, _read(operator_file), where=str(operator_file))
    return parse_directory(
        raw, where=str(operator_file) if operator_file and operator_file.exists() else "shipped"
    )


def _read(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise PlatformDirectoryError(
            f"platform directory {path}: cannot be read ({exc.__class__.__name__})"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise PlatformDirectoryError(f"platform directory {path}: not valid TOML ({exc})") from None


def merge(
    base: Mapping[str, Any], override: Mapping[str, Any], *, where: str = "operator file"
) -> dict[str, Any]:
    """`override` over `base`, entry by entry and key by key (pure)."""
    unknown = sorted(set(override) - {"platforms", "legal_basis"})
    if unknown:
        raise PlatformDirectoryError(
            f"{where}: unknown table {unknown[0]!r} (expected platforms, legal_basis)"
        )
    out: dict[str, Any] = {
        name: {k: dict(v) for k, v in base.get(name, {}).items()} for name in ("platforms", "legal_basis")
    }
    for table in ("platforms", "legal_basis"):
        entries = override.get(table, {})
        if not isinstance(entries, dict):
            raise PlatformDirectoryError(f"{where}: {table} must be tables such as [{table}.<id>]")
        for entry_id, values in entries.items():
            if not isinstance(values, dict):
                raise PlatformDirectoryError(f"{where}: {table}.{entry_id} must be a table")
            out[table].setdefault(entry_id, {}).update(values)
    return out


def parse_directory(raw: Mapping[str, Any], *, where: str = "shipped") -> PlatformDirectory:
    legal = {k: _legal(k, v, where) for k, v in raw.get("legal_basis", {}).items()}
    platforms = {k: _platform(k, v, where) for k, v in raw.get("platforms", {}).items()}
    fallbacks = [p.id for p in platforms.values() if p.fallback]
    if len(fallbacks) != 1:
        raise PlatformDirectoryError(
            f"{where}: exactly one platform needs fallback = true (found {len(fallbacks)})"
        )
    owners: dict[str, str] = {}
    for platform in platforms.values():
        for ref in platform.legal_basis:
            if ref not in legal:
                raise PlatformDirectoryError(f"{where}: platforms.{platform.id}.legal_basis: unknown {ref!r}")
        for target in platform.route_to or (platform.id,):
            if target not in platforms:
                raise PlatformDirectoryError(f"{where}: platforms.{platform.id}.route_to: unknown {target!r}")
            if not platforms[target].contactable:
                raise PlatformDirectoryError(
                    f"{where}: platforms.{target} receives notices but has no report_url, email or phone"
                )
        for host in platform.hosts:
            if host in owners:
                raise PlatformDirectoryError(
                    f"{where}: host {host!r} is claimed by platforms.{owners[host]} "
                    f"and platforms.{platform.id}"
                )
            owners[host] = platform.id
    return PlatformDirectory(platforms, legal)


def _legal(entry_id: str, values: Any, where: str) -> LegalBasis:
    name = f"legal_basis.{entry_id}"
    if not _ID.fullmatch(entry_id):
        raise PlatformDirectoryError(f"{where}: {name}: ids are lower-case letters, digits and '_'")
    if not isinstance(values, dict):
        raise PlatformDirectoryError(f"{where}: {name} must be a table")
    _no_unknown(values, _LEGAL_KEYS, name, where)
    return LegalBasis(
        id=entry_id,
        ko=_text(values, "ko", name, where, required=True),
        en=_text(values, "en", name, where, required=True),
        verify=_flag(values, "verify", True, name, where),
    )


def _platform(entry_id: str, values: Any, where: str) -> Platform:
    name = f"platforms.{entry_id}"
    if not _ID.fullmatch(entry_id):
        raise PlatformDirectoryError(f"{where}: {name}: ids are lower-case letters, digits and '_'")
    if not isinstance(values, dict):
        raise PlatformDirectoryError(f"{where}: {name} must be a table")
    _no_unknown(values, _PLATFORM_KEYS, name, where)
    hosts = tuple(h.lower().rstrip(".") for h in _words(values, "hosts", name, where))
    for host in hosts:
        if not _HOST.fullmatch(host):
            raise PlatformDirectoryError(
                f"{where}: {name}.hosts: {host!r} is not a host name (no scheme or path)"
            )
    report_url = _text(values, "report_url", name, where)
    if report_url and not report_url.startswith("https://"):
        raise PlatformDirectoryError(f"{where}: {name}.report_url must start with https://")
    email = _text(values, "email", name, where)
    if email and not _EMAIL.fullmatch(email):
        raise PlatformDirectoryError(f"{where}: {name}.email is not an e-mail address")
    channel = _text(values, "channel", name, where)
    if channel and not _CHANNEL.fullmatch(channel):
        raise PlatformDirectoryError(
            f"{where}: {name}.channel must be a short name (letters, digits, . _ + -)"
        )
    language = _text(values, "language", name, where) or "ko"
    if language not in LANGUAGES:
        raise PlatformDirectoryError(f"{where}: {name}.language must be one of {', '.join(LANGUAGES)}")
    route_to = _words(values, "route_to", name, where)
    return Platform(
        id=entry_id,
        name=_text(values, "name", name, where, required=True),
        hosts=hosts,
        sources=_words(values, "sources", name, where),
        fallback=_flag(values, "fallback", False, name, where),
        route_to=route_to,
        report_url=report_url,
        email=email,
        phone=_text(values, "phone", name, where),
        channel=channel,
        language=language,
        legal_basis=_words(values, "legal_basis", name, where),
        verify=_flag(values, "verify", True, name, where),
        notes=_text(values, "notes", name, where),
    )


def _no_unknown(values: Mapping[str, Any], known: set[str], name: str, where: str) -> None:
    unknown = sorted(set(values) - known)
    if unknown:
        raise PlatformDirectoryError(f"{where}: {name}: unknown key {unknown[0]!r}")


def _text(values: Mapping[str, Any], key: str, name: str, where: str, *, required: bool = False) -> str:
    value = values.get(key, "")
    if not isinstance(value, str):
        raise PlatformDirectoryError(f"{where}: {name}.{key} must be a string")
    value = " ".join(value.split())
    if required and not value:
        raise PlatformDirectoryError(f"{where}: {name}.{key} is required")
    return value


def _words(values: Mapping[str, Any], key: str, name: str, where: str) -> tuple[str, ...]:
    value = values.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise PlatformDirectoryError(f"{where}: {name}.{key} must be a list of strings")
    return tuple(v.strip() for v in value)


def _flag(values: Mapping[str, Any], key: str, default: bool, name: str, where: str) -> bool:
    value = values.get(key, default)
    if not isinstance(value, bool):
        raise PlatformDirectoryError(f"{where}: {name}.{key} must be true or false")
    return value
