"""How a planned query is written for an engine: exact phrases in quotes, alternatives joined by OR or |."""

from __future__ import annotations

from collections.abc import Sequence

from crawler.sources.base import Query

OR = "OR"  # Brave, Google, DuckDuckGo and SearXNG's web engines
PIPE = "|"  # Naver's and Daum's search pages


def phrase(text: str) -> str:
    """`"text"`: a double quote inside would end the phrase early, so it becomes a space."""
    inner = " ".join(text.replace('"', " ").split())
    return f'"{inner}"' if inner else ""


def any_of(texts: Sequence[str], operator: str = OR) -> str:
    """`"a" OR "b"` (or `"a" | "b"`); a single alternative is just its phrase."""
    return f" {operator} ".join(p for p in (phrase(t) for t in texts) if p)


def search_text(query: Query, quotes: bool = True) -> str:
    """The `q` an engine receives: the phrase quoted when the query is exact and the engine honours quotes.

    A joined query (`"a" OR "b"`, written by the planner in the engine's own syntax) and a non-exact
    query are sent as written.
    """
    if query.exact and quotes and not query.joined:
        return phrase(query.text)
    return " ".join(query.text.split())
