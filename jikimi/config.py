"""Every setting jikimi has, read once from one TOML file plus `JIKIMI_...` environment overrides.

This is the only module that reads the environment or the config file. Everything else receives a
frozen `Settings`. A wrong key or value raises `ConfigError` naming the setting.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import platformdirs

ENV_PREFIX = "JIKIMI_"
CONFIG_FILE_NAME = "config.toml"
KEY_FILE_NAME = "jikimi.key"
DATABASE_FILE_NAME = "jikimi.sqlite"


_S = TypeVar("_S", "NetworkSettings", "WebSettings")


class ConfigError(Exception):
    """A setting is missing, unknown or has a wrong value; the message names it."""


@dataclass(frozen=True)
class SourceConfig:
    """One `[sources.<name>]` table, already validated."""

    name: str
    enabled: bool
    base_url: str
    client_id: str = ""
    client_secret: str = ""
    api_key: str = ""
    cx: str = ""
    daily_budget: int = 1000
    max_pages: int = 3
    verticals: tuple[str, ...] = ()  # naver: webkr/blog/cafearticle/news; kakao: web/blog/cafe
    verify_pages: bool = False
    # How the engine joins alternatives ("OR", "|"), "" for "send each alternative alone", None for the
    # engine's own default (crawler.sources.<name>.OR_OPERATOR).
    or_operator: str | None = None

    def secrets(self) -> tuple[str, ...]:
        return tuple(s for s in (self.client_id, self.client_secret, self.api_key, self.cx) if s)


@dataclass(frozen=True)
class NetworkSettings:
    """`[network]`: what the crawlers may reach and how politely."""

    allow_private_addresses: bool = False
    download_delay: float = 1.0
    concurrency_per_domain: int = 2
    download_timeout: float = 20.0
    max_retry_after: float = 120.0
    user_agent: str = "jikimi/0.1 (+victim-support exposure monitor)"
    block_stylesheets: bool = True


@dataclass(frozen=True)
class NotifySettings:
    """`[notify]`: Apprise URLs that get the nightly counts (never a term or URL)."""

    urls: tuple[str, ...] = ()
    # Case labels may be the victim's name: messages say "case #3" unless the operator opts in.
    include_case_labels: bool = False


@dataclass(frozen=True)
class ScrapydNode:
    """One Scrapyd node of `[cluster] scrapyd`: its URL and optional basic-auth credentials."""

    url: str
    username: str = ""
    password: str = ""


@dataclass(frozen=True)
class ClusterSettings:
    """`[cluster]`: crawl stages run as Scrapyd jobs on these nodes, split into `shards` by case."""

    nodes: tuple[ScrapydNode, ...]
    shards: int
    project: str = "jikimi"
    poll_interval: float = 2.0
    # A node that does not answer for this long has its shards re-scheduled elsewhere.
    node_grace: float = 10.0
    max_attempts: int = 3


@dataclass(frozen=True)
class WebSettings:
    """`[web]`: the advocates' console (`jikimi web`)."""

    locale: str = "ko"  # ko | en: the language of the console unless a user picks the other
    idle_timeout_minutes: float = 30.0
    absolute_timeout_hours: int = 12
    # Behind TLS (a reverse proxy terminating HTTPS): Secure cookies, HSTS, redirects to https.
    tls: bool = False
    # How many reverse proxies set X-Forwarded-For/-Proto in front of the console (0: none trusted).
    proxies: int = 0
    max_failed_logins: int = 5
    lock_minutes: int = 15
    login_rate_limit: str = "10 per minute"


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    key_file: Path
    config_file: Path | None
    timezone: str = "Asia/Seoul"
    schedule: str = "0 3 * * *"
    export_dir: Path | None = None
    retention_days: int = 0  # 0 keeps closed cases until purged by hand
    crawl_timeout: float = 3600.0
    chromium_path: str = "/usr/bin/chromium"
    verify_pages: bool = False
    network: NetworkSettings = field(default_factory=NetworkSettings)
    notify: NotifySettings = field(default_factory=NotifySettings)
    web: WebSettings = field(default_factory=WebSettings)
    sources: Mapping[str, SourceConfig] = field(default_factory=dict)
    # None: the embedded default, stages run as local processes.
    cluster: ClusterSettings | None = None
    # Whether some setting came from a JIKIMI_<KEY> environment variable (`jikimi init` then writes no
    # config file of its own: its defaults would override nothing but could turn an engine off).
    from_environment: bool = False

    def enabled_sources(self) -> list[SourceConfig]:
        return [s for s in self.sources.values() if s.enabled]

    def secrets(self) -> tuple[str, ...]:
        """Credentials that the log redactor must never print."""
        out: list[str] = []
        for source in self.sources.values():
            out.extend(source.secrets())
        out.extend(self.notify.urls)
        if self.cluster is not None:
            out.extend(node.password for node in self.cluster.nodes if node.password)
        return tuple(out)


# name -> (default base URL, enabled when its table is absent, credentials it needs)
KNOWN_SOURCES: dict[str, tuple[str, bool, tuple[str, ...]]] = {
    "naver": ("https://openapi.naver.com", False, ("client_id", "client_secret")),
    "kakao": ("https://dapi.kakao.com", False, ("api_key",)),
    "brave": ("https://api.search.brave.com", False, ("api_key",)),
    "searxng": ("http://127.0.0.1:8888", False, ()),
    # Keyless, so a new user gets one working source without any account.
    "duckduckgo": ("https://html.duckduckgo.com", True, ()),
    "google": ("https://www.googleapis.com", False, ("api_key", "cx")),
    # Not a search engine: where watched `https://t.me/s/<channel>` targets are fetched from.
    "telegram": ("https://t.me", True, ()),
}

_TOP_KEYS = {
    "database_url",
    "timezone",
    "schedule",
    "export_dir",
    "retention_days",
    "crawl_timeout",
    "chromium_path",
    "verify_pages",
    "network",
    "notify",
    "web",
    "sources",
    "data_dir",
    "key_file",
    "cluster",
}


def default_data_dir(env: Mapping[str, str]) -> Path:
    if env.get("JIKIMI_DATA_DIR"):
        return Path(env["JIKIMI_DATA_DIR"]).expanduser()
    return Path(platformdirs.user_data_dir("jikimi", appauthor=False))


def load_settings(config_path: str | Path | None = None, env: Mapping[str, str] | None = None) -> Settings:
    """Read the config file (if any) and the environment into validated settings."""
    env = dict(os.environ) if env is None else dict(env)
    data_dir = default_data_dir(env)
    path = Path(config_path or env.get("JIKIMI_CONFIG") or data_dir / CONFIG_FILE_NAME).expanduser()
    explicit = bool(config_path or env.get("JIKIMI_CONFIG"))
    raw: dict[str, Any] = {}
    if path.exists():
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
    elif explicit:
        raise ConfigError(f"config file {path} does not exist")
    from_environment = _apply_env(raw, env)
    settings = _build(raw, data_dir, path if path.exists() else None)
    return replace(settings, from_environment=from_environment) if from_environment else settings


def _apply_env(raw: dict[str, Any], env: Mapping[str, str]) -> bool:
    """`JIKIMI_NETWORK__ALLOW_PRIVATE_ADDRESSES=true` sets `[network] allow_private_addresses`; True when
    some setting came from the environment."""
    reserved = {"JIKIMI_CONFIG", "JIKIMI_DATA_DIR", "JIKIMI_KEY_FILE", "JIKIMI_KEYRING"}
    applied = False
    for name, value in env.items():
        if not name.startswith(ENV_PREFIX) or name in reserved:
            continue
        parts = name[len(ENV_PREFIX) :].lower().split("__")
        if parts[0] not in _TOP_KEYS:
            continue  # other JIKIMI_ variables belong to tools around jikimi, not to the settings
        node = raw
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise ConfigError(f"environment variable {name} does not name a setting")
            node = child
        node[parts[-1]] = _env_value(value)
        applied = True
    if env.get("JIKIMI_KEY_FILE"):
        raw["key_file"] = env["JIKIMI_KEY_FILE"]
    return applied


def _env_value(value: str) -> Any:
    lowered = value.strip().lower()
    if lowered in {"true", "yes", "on"}:
        return True
    if lowered in {"false", "no", "off"}:
        return False
    if value.strip().startswith("["):
        try:
            return tomllib.loads(f"v = {value}")["v"]
        except tomllib.TOMLDecodeError:
            return value
    return value


def _build(raw: dict[str, Any], data_dir: Path, config_file: Path | None) -> Settings:
    unknown = sorted(set(raw) - _TOP_KEYS)
    if unknown:
        raise ConfigError(f"unknown setting {unknown[0]!r}")
    if "data_dir" in raw:
        data_dir = Path(_str(raw, "data_dir", "")).expanduser()
    timezone = _str(raw, "timezone", "Asia/Seoul")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"timezone: unknown time zone {timezone!r}") from None
    schedule = _str(raw, "schedule", "0 3 * * *")
    if len(schedule.split()) != 5:
        raise ConfigError("schedule: expected a 5-field cron expression such as '0 3 * * *'")
    database_url = _str(raw, "database_url", "") or f"sqlite:///{data_dir / DATABASE_FILE_NAME}"
    if not database_url.startswith(("sqlite", "postgresql")):
        raise ConfigError("database_url: only sqlite:/// and postgresql:// URLs are supported")
    export_dir = raw.get("export_dir")
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        key_file=Path(_str(raw, "key_file", str(data_dir / KEY_FILE_NAME))).expanduser(),
        config_file=config_file,
        timezone=timezone,
        schedule=schedule,
        export_dir=Path(str(export_dir)).expanduser() if export_dir else None,
        retention_days=_int(raw, "retention_days", 0, minimum=0),
        crawl_timeout=_float(raw, "crawl_timeout", 3600.0, minimum=1.0),
        chromium_path=_str(raw, "chromium_path", "/usr/bin/chromium"),
        verify_pages=_bool(raw, "verify_pages", False),
        network=_section(raw, "network", NetworkSettings),
        web=_web(raw),
        notify=_notify(raw),
        sources=_sources(raw),
        cluster=_cluster(raw),
    )


_CLUSTER_KEYS = {"scrapyd", "shards", "project", "poll_interval", "node_grace", "max_attempts"}


def _cluster(raw: dict[str, Any]) -> ClusterSettings | None:
    """`[cluster] scrapyd = ["http://node-a:6800", {url = "...", username = "...", password = "..."}]`."""
    table = raw.get("cluster")
    if table is None:
        return None
    if not isinstance(table, dict):
        raise ConfigError("cluster: expected a table")
    unknown = sorted(set(table) - _CLUSTER_KEYS)
    if unknown:
        raise ConfigError(f"unknown setting cluster.{unknown[0]!r}")
    entries = table.get("scrapyd", [])
    if isinstance(entries, str):
        entries = [entries]
    if not isinstance(entries, list) or not entries:
        raise ConfigError(
            "cluster.scrapyd: expected a list of Scrapyd node URLs such as ['http://node-a:6800']"
        )
    nodes: list[ScrapydNode] = []
    for entry in entries:
        if isinstance(entry, str):
            entry = {"url": entry}
        if not isinstance(entry, dict) or set(entry) - {"url", "username", "password"}:
            raise ConfigError("cluster.scrapyd: each node is a URL or a table with url, username, password")
        url = _str(entry, "url", "", prefix="cluster.scrapyd.").rstrip("/")
        if not url.startswith(("http://", "https://")):
            raise ConfigError(f"cluster.scrapyd: {url!r} is not an http(s) URL")
        nodes.append(
            ScrapydNode(
                url=url,
                username=_str(entry, "username", "", prefix="cluster.scrapyd."),
                password=_str(entry, "password", "", prefix="cluster.scrapyd."),
            )
        )
    if len({n.url for n in nodes}) != len(nodes):
        raise ConfigError("cluster.scrapyd: a node is listed twice")
    shards = _int(table, "shards", 2 * len(nodes), minimum=1, prefix="cluster.")
    project = _str(table, "project", "jikimi", prefix="cluster.")
    if not project.replace("_", "").replace("-", "").isalnum():
        raise ConfigError("cluster.project: letters, digits, '-' and '_' only")
    return ClusterSettings(
        nodes=tuple(nodes),
        shards=shards,
        project=project,
        poll_interval=_float(table, "poll_interval", 2.0, minimum=0.1, prefix="cluster."),
        node_grace=_float(table, "node_grace", 10.0, minimum=0.0, prefix="cluster."),
        max_attempts=_int(table, "max_attempts", 3, minimum=1, prefix="cluster."),
    )


def _section(raw: dict[str, Any], name: str, cls: type[_S]) -> _S:
    table = raw.get(name, {})
    if not isinstance(table, dict):
        raise ConfigError(f"{name}: expected a table")
    known = {f.name: f for f in fields(cls)}
    values: dict[str, Any] = {}
    defaults = cls()
    for key, value in table.items():
        if key not in known:
            raise ConfigError(f"unknown setting {name}.{key!r}")
        default = getattr(defaults, key)
        values[key] = _coerce(f"{name}.{key}", value, default)
    if values.get("concurrency_per_domain", 1) < 1:
        raise ConfigError(f"{name}.concurrency_per_domain: must be at least 1")
    return cls(**values)


def _web(raw: dict[str, Any]) -> WebSettings:
    web = _section(raw, "web", WebSettings)
    if web.locale not in ("ko", "en"):
        raise ConfigError("web.locale: expected 'ko' or 'en'")
    for name in ("absolute_timeout_hours", "max_failed_logins", "lock_minutes"):
        if getattr(web, name) < 1:
            raise ConfigError(f"web.{name}: must be at least 1")
    if web.idle_timeout_minutes <= 0:
        raise ConfigError("web.idle_timeout_minutes: must be more than 0")
    if web.proxies < 0:
        raise ConfigError("web.proxies: must not be negative")
    return web


def _notify(raw: dict[str, Any]) -> NotifySettings:
    table = raw.get("notify", {})
    if not isinstance(table, dict):
        raise ConfigError("notify: expected a table")
    unknown = sorted(set(table) - {"urls", "include_case_labels"})
    if unknown:
        raise ConfigError(f"unknown setting notify.{unknown[0]!r}")
    include_labels = _bool(table, "include_case_labels", False, prefix="notify.")
    urls = table.get("urls", [])
    if isinstance(urls, str):
        urls = [urls]
    if not isinstance(urls, list) or not all(isinstance(u, str) and u for u in urls):
        raise ConfigError("notify.urls: expected a list of Apprise URLs")
    return NotifySettings(urls=tuple(urls), include_case_labels=include_labels)


_SOURCE_KEYS = {
    "enabled",
    "base_url",
    "client_id",
    "client_secret",
    "api_key",
    "cx",
    "daily_budget",
    "max_pages",
    "verticals",
    "verify_pages",
    "or_operator",
}
OR_OPERATORS = ("", "OR", "|")


def _or_operator(table: dict[str, Any], name: str) -> str | None:
    if "or_operator" not in table:
        return None
    value = _str(table, "or_operator", "", prefix=f"sources.{name}.")
    if value not in OR_OPERATORS:
        raise ConfigError(f'sources.{name}.or_operator: must be "OR", "|" or "" (send alternatives alone)')
    return value


def _sources(raw: dict[str, Any]) -> dict[str, SourceConfig]:
    tables = raw.get("sources", {})
    if not isinstance(tables, dict):
        raise ConfigError("sources: expected tables such as [sources.naver]")
    for name in tables:
        if name not in KNOWN_SOURCES:
            raise ConfigError(f"sources.{name}: unknown source (known: {', '.join(sorted(KNOWN_SOURCES))})")
    out: dict[str, SourceConfig] = {}
    for name, (default_url, default_enabled, needs) in KNOWN_SOURCES.items():
        table = tables.get(name)
        if table is None:
            table = {}
        elif not isinstance(table, dict):
            raise ConfigError(f"sources.{name}: expected a table")
        unknown = sorted(set(table) - _SOURCE_KEYS)
        if unknown:
            raise ConfigError(f"unknown setting sources.{name}.{unknown[0]!r}")
        enabled = _bool(table, "enabled", default_enabled or name in tables, prefix=f"sources.{name}.")
        base_url = _str(table, "base_url", default_url, prefix=f"sources.{name}.").rstrip("/")
        if not base_url.startswith(("http://", "https://")):
            raise ConfigError(f"sources.{name}.base_url: must be an http(s) URL")
        source = SourceConfig(
            name=name,
            enabled=enabled,
            base_url=base_url,
            client_id=_str(table, "client_id", "", prefix=f"sources.{name}."),
            client_secret=_str(table, "client_secret", "", prefix=f"sources.{name}."),
            api_key=_str(table, "api_key", "", prefix=f"sources.{name}."),
            cx=_str(table, "cx", "", prefix=f"sources.{name}."),
            daily_budget=_int(table, "daily_budget", 1000, minimum=0, prefix=f"sources.{name}."),
            max_pages=_int(table, "max_pages", 3, minimum=1, prefix=f"sources.{name}."),
            verticals=tuple(_str_list(table, "verticals", prefix=f"sources.{name}.")),
            verify_pages=_bool(table, "verify_pages", False, prefix=f"sources.{name}."),
            or_operator=_or_operator(table, name),
        )
        if enabled:
            for cred in needs:
                if not getattr(source, cred):
                    # Never silently off: an engine someone turned on without its key is an error.
                    raise ConfigError(
                        f"sources.{name}.{cred} is missing: {name} is turned on but has no {cred}; "
                        f"add it under [sources.{name}] in the config file, or set enabled = false there"
                    )
        out[name] = source
    return out


def _coerce(name: str, value: Any, default: Any) -> Any:
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ConfigError(f"{name}: expected true or false")
        return value
    if isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise ConfigError(f"{name}: expected a whole number")
        try:
            return int(value)
        except ValueError:
            raise ConfigError(f"{name}: expected a whole number") from None
    if isinstance(default, float):
        if isinstance(value, bool):
            raise ConfigError(f"{name}: expected a number")
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{name}: expected a number") from None
        if number < 0:
            raise ConfigError(f"{name}: must not be negative")
        return number
    if not isinstance(value, str):
        raise ConfigError(f"{name}: expected a string")
    return value


def _str(table: Mapping[str, Any], key: str, default: str, prefix: str = "") -> str:
    value = table.get(key, default)
    if not isinstance(value, str):
        raise ConfigError(f"{prefix}{key}: expected a string")
    return value.strip()


def _bool(table: Mapping[str, Any], key: str, default: bool, prefix: str = "") -> bool:
    value = table.get(key, default)
    if not isinstance(value, bool):
        raise ConfigError(f"{prefix}{key}: expected true or false")
    return value


def _int(table: Mapping[str, Any], key: str, default: int, minimum: int, prefix: str = "") -> int:
    value = _coerce(f"{prefix}{key}", table.get(key, default), default)
    if value < minimum:
        raise ConfigError(f"{prefix}{key}: must be at least {minimum}")
    return int(value)


def _float(table: Mapping[str, Any], key: str, default: float, minimum: float, prefix: str = "") -> float:
    value = _coerce(f"{prefix}{key}", table.get(key, default), default)
    if value < minimum:
        raise ConfigError(f"{prefix}{key}: must be at least {minimum}")
    return float(value)


def _str_list(table: Mapping[str, Any], key: str, prefix: str = "") -> list[str]:
    value = table.get(key, [])
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",") if v.strip()]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{prefix}{key}: expected a list of strings")
    return list(value)
