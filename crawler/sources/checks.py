"""Configuration problems every source shares; each message names the setting, never its value."""

from __future__ import annotations

from crawler.sources.base import SourceConfig


def missing(cfg: SourceConfig, *settings: str) -> list[str]:
    """`sources.<name>.<setting> is empty` for each required credential that is blank."""
    return [f"sources.{cfg.name}.{s} is empty" for s in settings if not str(getattr(cfg, s, "")).strip()]


def common_problems(cfg: SourceConfig, verticals: tuple[str, ...]) -> list[str]:
    """Base URL, paging and vertical settings."""
    problems: list[str] = []
    if not cfg.base_url.lower().startswith(("http://", "https://")):
        problems.append(f"sources.{cfg.name}.base_url must be an http(s) URL")
    if cfg.max_pages < 1:
        problems.append(f"sources.{cfg.name}.max_pages must be at least 1")
    if cfg.daily_budget < 0:
        problems.append(f"sources.{cfg.name}.daily_budget must not be negative")
    unknown = [v for v in cfg.verticals if v not in verticals]
    if unknown:
        known = ", ".join(v for v in verticals if v) or "none"
        problems.append(f"sources.{cfg.name}.verticals has unknown entries (known: {known})")
    return problems


def active_verticals(cfg: SourceConfig, verticals: tuple[str, ...]) -> tuple[str, ...]:
    """The configured verticals this source knows, in configured order; all of them when none are set."""
    chosen = tuple(v for v in cfg.verticals if v in verticals)
    return chosen or verticals
