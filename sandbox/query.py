"""How the fake engines read a query, decide a match and mark the hits.

Deliberately simple and literal, so tests can predict every result: a document matches when each
whitespace-separated token of the query occurs in its title or body (case-insensitive). A quoted
phrase is one token that must occur as written (runs of spaces count as one), as on the real engines;
`a OR b` and `a | b` make alternatives of neighbouring tokens or phrases (`"a b" OR "c d"`; OR binds
tighter than the implicit AND, as on the real engines); `-word` excludes; `site:host` keeps one host
(or URL prefix). Nothing is normalised beyond case: `홍 길 동` does not match `홍길동`, just as the
engines miss it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

_OR_WORDS = frozenset({"OR", "|"})


@dataclass(frozen=True)
class Query:
    groups: tuple[tuple[str, ...], ...]  # every group needs one of its alternatives (lower-cased)
    excluded: tuple[str, ...] = ()
    sites: tuple[str, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not self.groups and not self.sites

    @property
    def terms(self) -> tuple[str, ...]:
        return tuple(alt for group in self.groups for alt in group)

    def score(self, title: str, body: str, url: str) -> int:
        """0 when the document does not match; otherwise more for more (and title) occurrences."""
        title_l, body_l = " ".join(title.lower().split()), " ".join(body.lower().split())
        haystack = f"{title_l}\n{body_l}"
        if self.is_empty or any(word in haystack for word in self.excluded):
            return 0
        if self.sites and not any(_on_site(url, site) for site in self.sites):
            return 0
        score = 1
        for group in self.groups:
            found = [alt for alt in group if alt in haystack]
            if not found:
                return 0
            score += sum(3 * title_l.count(alt) + body_l.count(alt) for alt in found)
        return score


def parse_query(text: str, pipe_is_or: bool = True) -> Query:
    """The query as the engines read it; `pipe_is_or=False` reads `|` as an API that does not know it
    would: a separator to skip, so the phrases on both sides are all required."""
    tokens: list[tuple[str, bool]] = []  # (token, quoted): a quoted "OR" or "-x" is a plain phrase
    # Odd pieces of a split on quotes are inside a phrase; an unclosed quote runs to the end.
    for inside, piece in enumerate(text.split('"')):
        if inside % 2:
            phrase = " ".join(piece.split())
            if phrase:
                tokens.append((phrase, True))
            continue
        for raw in piece.split():
            # `a|b` written without spaces is still two alternatives.
            parts = re.split(r"(\|)", raw)
            tokens.extend((p, False) for p in parts if p)
    groups: list[list[str]] = []
    excluded: list[str] = []
    sites: list[str] = []
    joining = False
    for token, quoted in tokens:
        if not quoted and token == "|" and not pipe_is_or:
            continue
        if not quoted and token in _OR_WORDS:
            joining = bool(groups)
            continue
        lowered = token.lower()
        if not quoted and lowered.startswith("site:") and len(token) > 5:
            sites.append(lowered[5:])
        elif not quoted and token.startswith("-") and len(token) > 1:
            excluded.append(lowered[1:])
        elif joining:
            groups[-1].append(lowered)
        else:
            groups.append([lowered])
        joining = False
    return Query(tuple(tuple(g) for g in groups), tuple(excluded), tuple(sites))


def _on_site(url: str, site: str) -> bool:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    site_host, _, site_path = site.partition("/")
    if host != site_host and not host.endswith("." + site_host):
        return False
    return not site_path or parts.path.lstrip("/").startswith(site_path)


def mark(text: str, terms: tuple[str, ...], escape: Callable[[str], str], open_: str, close: str) -> str:
    """Escape `text` for the engine's markup and wrap each occurrence of a term in open_/close."""
    if not terms or not open_:
        return escape(text)
    pattern = re.compile(
        "|".join(re.escape(t) for t in sorted(set(terms), key=len, reverse=True)), re.IGNORECASE
    )
    out: list[str] = []
    last = 0
    for found in pattern.finditer(text):
        out.append(escape(text[last : found.start()]))
        out.append(open_ + escape(found.group(0)) + close)
        last = found.end()
    out.append(escape(text[last:]))
    return "".join(out)


def snippet(body: str, terms: tuple[str, ...], width: int = 160) -> str:
    """A window of the body around the first hit, like an engine's description."""
    if len(body) <= width:
        return body
    lowered = body.lower()
    positions = [i for i in (lowered.find(t) for t in terms) if i >= 0]
    start = max(0, min(positions) - width // 4) if positions else 0
    start = min(start, len(body) - width)
    return body[start : start + width].strip()
