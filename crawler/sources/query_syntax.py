"""How a planned query is written for an engine: exact phrases in quotes, alternatives joined by OR."""

from __future__ import annotations

from collections.abc import Sequence

from crawler.sources.base import Query

# Every engine we combine alternatives on (Brave, Google) spells it this way.
OR = " OR "


def phrase(text: str) -> str:
    """`"text"`: a double quote inside would end the phrase early, so it becomes a space."""
    inner = " ".join(text.replace('"', " ").split())
    return f'"{inner}"' if inner else ""


def any_of(texts: Sequence[str]) -> str:
    """`"a" OR "b"`; a single alternative is just its phrase."""
    return OR.join(p for p in (phrase(t) for t in texts) if p)


def search_text(query: Query, quotes: bool = True) -> str:
    """The `q` an engine receives: the phrase quoted when the query is exact and the engine honours quotes.

    A non-exact query is sent as written: the planner uses that for ready-made `"a" OR "b"` expressions.
    """
    if query.exact and quotes:
        return phrase(query.text)
    return " ".join(query.text.split())
