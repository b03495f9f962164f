"""Which search sources exist, by their `[sources.<name>]` name; the spider and the planner look here."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Protocol

from crawler.sources import brave, duckduckgo, google, kakao, naver, searxng
from crawler.sources.base import HttpRequest, PageCursor, ParsedPage, Query, SourceConfig


class SearchSource(Protocol):
    """What every source module provides (each module is one of these)."""

    NAME: str
    DEFAULT_BASE_URL: str
    VERTICALS: tuple[str, ...]
    OR_OPERATOR: str  # how the engine joins alternatives by default ("OR", "|"), "" when it cannot
    KOREAN_ONLY: bool  # a Korean index: Latin spellings of a Korean name are not searched there
    KIND_VERTICALS: Mapping[str, tuple[str, ...]]  # term kind -> the only verticals worth searching for it

    def check_config(self, cfg: SourceConfig) -> list[str]: ...

    def build_request(self, cfg: SourceConfig, query: Query, cursor: PageCursor) -> HttpRequest: ...

    def parse_response(
        self,
        cfg: SourceConfig,
        query: Query,
        cursor: PageCursor,
        status: int,
        headers: Mapping[str, str],
        body: bytes,
    ) -> ParsedPage: ...


SOURCES: Mapping[str, SearchSource] = MappingProxyType(
    {module.NAME: module for module in (naver, kakao, brave, searxng, duckduckgo, google)}
)


def source(name: str) -> SearchSource | None:
    """The module for a configured source, or None for names that are not search engines (e.g. telegram)."""
    return SOURCES.get(name)
