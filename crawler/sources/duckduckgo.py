"""DuckDuckGo's keyless HTML endpoint: no account needed, but it blocks readily, and says so only in HTML."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

from parsel import Selector

from crawler.sources import checks, freshness, responses
from crawler.sources.base import (
    HttpRequest,
    Outcome,
    PageCursor,
    ParsedPage,
    Query,
    SearchResult,
    SourceConfig,
    SourceError,
)
from crawler.sources.markup import clean_text, is_web_url
from crawler.sources.query_syntax import search_text
from crawler.sources.timestamps import parse_iso

NAME = "duckduckgo"
DEFAULT_BASE_URL = "https://html.duckduckgo.com"
VERTICALS: tuple[str, ...] = ("",)
OR_OPERATOR = "OR"  # one of DuckDuckGo's documented search operators
KOREAN_ONLY = False
KIND_VERTICALS: Mapping[str, tuple[str, ...]] = {}

REGION = "kr-kr"
# Hidden fields of the previous page's "Next" form that page 2+ must send back, or DuckDuckGo blocks.
FORM_STATE = ("s", "nextParams", "v", "o", "dc", "api", "vqd")
RANKED = "ranked"  # our own cursor key (never sent): how many results earlier pages held
_DF = {freshness.DAY: "d", freshness.WEEK: "w", freshness.MONTH: "m", freshness.YEAR: "y"}
_REDIRECT_HOSTS = frozenset({"", "duckduckgo.com", "html.duckduckgo.com", "lite.duckduckgo.com"})


def check_config(cfg: SourceConfig) -> list[str]:
    return checks.common_problems(cfg, VERTICALS)


def build_request(cfg: SourceConfig, query: Query, cursor: PageCursor) -> HttpRequest:
    window = freshness.window(query.since)
    # `kp=-2` turns safe search off: it would hide exactly the pages an advocate needs to find.
    form = [
        ("q", search_text(query)),
        ("b", ""),
        ("kl", REGION),
        ("df", _DF[window] if window else ""),
        ("kp", "-2"),
    ]
    if cursor.page > 1:
        if not cursor.state.get("vqd"):
            raise ValueError("duckduckgo page 2+ needs the vqd token from the previous page's form")
        form.extend((key, cursor.state[key]) for key in FORM_STATE if key in cursor.state)
    base = cfg.base_url.rstrip("/")
    return HttpRequest(
        url=f"{base}/html/",
        method="POST",
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "text/html,application/xhtml+xml",
            "Referer": f"{base}/",
        },
        body=urlencode(form).encode("ascii"),
    )


def parse_response(
    cfg: SourceConfig,
    query: Query,
    cursor: PageCursor,
    status: int,
    headers: Mapping[str, str],
    body: bytes,
) -> ParsedPage:
    if status != 200:
        raise _error(status, headers)
    page = _selector(body)
    if page.css("form#challenge-form, .anomaly-modal, #anomaly-modal"):
        raise SourceError(Outcome.BLOCKED, "challenge page")
    # A cut-off page parses fine but silently loses results and the "Next" form.
    if b"</html>" not in body[-4096:].lower():
        raise SourceError(Outcome.ERROR, responses.MALFORMED)
    ranked = _ranked(cursor)
    results: list[SearchResult] = []
    blocks = page.css("div.result")  # selected once: the "nothing here" check below reuses it
    for block in blocks:
        if "result--ad" in (block.attrib.get("class") or "").split():
            continue
        result = _result(block, query, ranked + len(results) + 1)
        if result is not None:
            results.append(result)
    # A page with neither results nor the "no results" notice is a layout we do not know, perhaps a
    # new kind of block page: never let it pass as "nothing found".
    if not results and not blocks and not page.css(".no-results"):
        raise SourceError(Outcome.ERROR, responses.MALFORMED)
    return ParsedPage(tuple(results), _next_page(cfg, query, cursor, page, ranked + len(results), results))


def _selector(body: bytes) -> Selector:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        text = body.decode("utf-8", errors="replace")
    if "<" not in text:
        raise SourceError(Outcome.ERROR, responses.MALFORMED)
    return Selector(text=text)


def _ranked(cursor: PageCursor) -> int:
    try:
        return max(int(cursor.state.get(RANKED, "0")), 0)
    except ValueError:
        return 0


def _result(block: Selector, query: Query, rank: int) -> SearchResult | None:
    link = block.css("a.result__a")
    if not link:
        return None
    url = decode_link(link.attrib.get("href", ""))
    if url is None:
        return None
    return SearchResult(
        url=url,
        title=clean_text(link[0].xpath("string()").get()),
        snippet=clean_text(block.css(".result__snippet").xpath("string()").get()),
        published=_published(block),
        source=NAME,
        query=query.text,
        rank=rank,
    )


def _published(block: Selector) -> datetime | None:
    """The date DuckDuckGo prints beside some URLs (`<span>&nbsp; &nbsp;2024-05-05T00:00:00.0000000</span>`).

    It carries no offset; read as UTC [guess].
    """
    for text in block.xpath(
        './/*[contains(@class, "result__extras__url")]/span[not(@class)]//text()'
        ' | .//*[contains(@class, "result__timestamp")]//text()'
    ).getall():
        parsed = parse_iso(text.strip())
        if parsed is not None:
            return parsed
    return None


def decode_link(href: str) -> str | None:
    """The target of a result link: `//duckduckgo.com/l/?uddg=<target>&rut=...` (also with a scheme or
    relative) is unwrapped; DuckDuckGo's own pages (ad clicks `y.js`) and non-web links give None."""
    href = href.strip()
    parts = urlsplit(urljoin("https://duckduckgo.com/", href))
    if parts.hostname in _REDIRECT_HOSTS and parts.path.rstrip("/") == "/l":
        target = parse_qs(parts.query).get("uddg", [""])[0].strip()
        return target if is_web_url(target) else None
    if parts.hostname in _REDIRECT_HOSTS or not is_web_url(href):
        return None
    return href


def _next_page(
    cfg: SourceConfig,
    query: Query,
    cursor: PageCursor,
    page: Selector,
    ranked: int,
    results: list[SearchResult],
) -> PageCursor | None:
    if not results or cursor.page >= cfg.max_pages:
        return None
    if freshness.passed_since(results, query.since, sorted_by_date=False):
        return None
    state = _next_form(page, cursor)
    if state is None:
        return None
    state[RANKED] = str(ranked)
    return PageCursor(cursor.page + 1, state)


def _next_form(page: Selector, cursor: PageCursor) -> dict[str, str] | None:
    """The hidden fields of the "Next" form: the one whose offset `s` lies beyond this page's.

    Chosen by offset rather than by the button's label, which changes with the interface language.
    """
    current = _int(cursor.state.get("s", "0"))
    best: dict[str, str] | None = None
    for form in page.css("form"):
        fields: dict[str, str] = {}
        for field in form.css("input[name]"):  # one pass over the inputs; the first of a name counts
            name = field.attrib.get("name", "")
            if name in FORM_STATE and name not in fields:
                fields[name] = field.attrib.get("value", "")
        offset = _int(fields.get("s", ""))
        if offset is None or not fields.get("vqd") or offset <= (current or 0):
            continue
        if best is None or offset > (_int(best["s"]) or 0):
            best = fields
    return best


def _int(value: str) -> int | None:
    try:
        return int(value)
    except ValueError:
        return None


def _error(status: int, headers: Mapping[str, str]) -> SourceError:
    # Without a key there is nothing to reject: 202 and 403 are how DuckDuckGo blocks.
    if status in (202, 403):
        return SourceError(Outcome.BLOCKED, f"blocked (http {status})")
    if status == 429:
        return responses.rate_limited(headers)
    if status >= 500:
        return responses.server_error(status)
    return responses.unexpected_status(status)
