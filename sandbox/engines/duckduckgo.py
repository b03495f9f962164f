"""DuckDuckGo's keyless HTML endpoint: `POST /html/` with form fields q, b, kl, df (GET works too).

Links are `//duckduckgo.com/l/?uddg=<percent-encoded target>&rut=...` redirects; page 1 starts with
an ad (`result--ad`, which also carries `web-result`, so only an explicit check skips it); the next
page needs the previous page's hidden `vqd`, `s` and `dc` values, and without the right `vqd` the
answer is the challenge page (`form#challenge-form`, HTTP 200), as when the real one blocks a bot.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from html import escape
from urllib.parse import quote, urlsplit

from sandbox.corpus import KST, Hit
from sandbox.engines.base import Engine, EngineCall, int_param
from sandbox.exchange import Response, html_response
from sandbox.query import mark, snippet

PAGE_SIZE = 10
_DF = {"d": 1, "w": 7, "m": 31, "y": 365}


def vqd(query: str) -> str:
    """The per-query token the next-page form carries; stable so tests can reason about it."""
    return "4-" + str(int(hashlib.sha256(query.encode("utf-8")).hexdigest()[:30], 16))


def _page(status: int, title: str) -> Response:
    return html_response(
        status,
        f"<!DOCTYPE html><html><head><title>{title}</title></head><body><h1>{title}</h1></body></html>",
    )


def _redirect(url: str) -> str:
    rut = hashlib.sha256(url.encode("utf-8")).hexdigest()
    return f"//duckduckgo.com/l/?uddg={quote(url, safe='')}&rut={rut}"


def challenge_html(query: str) -> str:
    squares = "\n".join(
        f'<label class="anomaly-modal__image"><img src="/media/ddg/challenge-{i}.jpg" alt="">'
        f'<input type="checkbox" name="image-check_{i}"></label>'
        for i in range(1, 10)
    )
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>DuckDuckGo</title></head>
<body>
<div class="anomaly-modal__mask"><div class="anomaly-modal__modal" data-testid="anomaly-modal">
<form id="challenge-form" method="POST"
  action="//duckduckgo.com/anomaly.js?sv=html&amp;cc=sre&amp;q={quote(query)}">
  <div class="anomaly-modal__title">Unfortunately, bots use DuckDuckGo too.</div>
  <div class="anomaly-modal__description">Please complete the following challenge to confirm this search
    was made by a human.</div>
  <div class="anomaly-modal__instructions">Select all squares containing a duck:</div>
  <div class="anomaly-modal__images">{squares}</div>
  <button class="anomaly-modal__submit" type="submit">Submit</button>
</form>
</div></div>
</body></html>
"""


class DuckDuckGo(Engine):
    name = "duckduckgo"
    scenarios = Engine.scenarios | {"blocked"}

    def vertical(self, subpath: str, method: str) -> str | None:
        return "web" if subpath in ("/html/", "/html") and method in ("GET", "POST", "HEAD") else None

    def auth_error(self) -> Response:
        return _page(401, "401 Unauthorized")

    def rate_limited(self) -> Response:
        return _page(429, "429 Too Many Requests")

    def quota_exhausted(self) -> Response:
        return _page(429, "429 Too Many Requests")

    def server_error(self) -> Response:
        return _page(500, "500 Internal Server Error")

    def not_found(self) -> Response:
        return _page(404, "404 Not Found")

    def captcha(self, call: EngineCall) -> Response:
        return html_response(200, challenge_html(call.request.param("q", "") or ""))

    def special(self, call: EngineCall) -> Response | None:
        if call.scenario == "blocked":
            return html_response(202, challenge_html(call.request.param("q", "") or ""))
        return None

    def search(self, call: EngineCall, vertical: str) -> Response:
        params = call.request.params
        query = params.get("q", "").strip()
        offset = int_param(params.get("s"), 0) or 0
        region, df = params.get("kl", "wt-wt"), params.get("df", "")
        form = _search_form(call.mount, query, region, df)
        if not query:
            return html_response(200, _document("DuckDuckGo", form, ""))
        if offset > 0 and params.get("vqd") != vqd(query):
            return html_response(200, challenge_html(query))
        since = datetime.now(KST) - timedelta(days=_DF[df]) if df in _DF else None
        hits = call.find(query, since=since)
        terms = call.terms(query)
        page = hits[offset : offset + PAGE_SIZE]
        if not page:
            body = '<div class="no-results">No results.</div>'
        else:
            ad = _ad(query) if offset == 0 else ""
            body = ad + "\n".join(_result(hit, terms) for hit in page)
        nav = ""
        if offset > 0:
            nav += _nav_form(call.mount, "Previous", query, max(0, offset - PAGE_SIZE), region, df)
        if offset + PAGE_SIZE < len(hits):
            nav += _nav_form(call.mount, "Next", query, offset + PAGE_SIZE, region, df)
        return html_response(200, _document(f"{escape(query)} at DuckDuckGo", form, body + nav))


def _document(title: str, form: str, results: str) -> str:
    return f"""<!DOCTYPE html>
<html lang="en-US"><head><meta charset="UTF-8"><title>{title}</title></head>
<body class="body--html">
<div class="header_wrapper">{form}</div>
<div id="links_wrapper"><div class="serp__results"><div id="links" class="results">
{results}
</div></div></div>
</body></html>
"""


def _search_form(mount: str, query: str, region: str, df: str) -> str:
    return (
        f'<form id="search_form" name="x" action="{mount}/html/" method="post">'
        f'<input type="text" name="q" value="{escape(query)}" autocomplete="off">'
        f'<input type="hidden" name="b" value=""><input type="hidden" name="kl" value="{escape(region)}">'
        f'<input type="hidden" name="df" value="{escape(df)}"><input type="submit" value="S"></form>'
    )


def _nav_form(mount: str, label: str, query: str, offset: int, region: str, df: str) -> str:
    fields = {
        "q": query,
        "s": str(offset),
        "nextParams": "",
        "v": "l",
        "o": "json",
        "dc": str(offset + 1),
        "api": "d.js",
        "vqd": vqd(query),
        "kl": region,
        "df": df,
    }
    inputs = "".join(f'<input type="hidden" name="{k}" value="{escape(v)}" />' for k, v in fields.items())
    return (
        f'<div class="nav-link"><form action="{mount}/html/" method="post">'
        f'<input type="submit" class="btn btn--alt" value="{label}" />{inputs}</form></div>\n'
    )


def _ad(query: str) -> str:
    target = "https://shop.example/ad-landing?utm_source=ddg"
    link = (
        "https://duckduckgo.com/y.js?ad_domain=shop.example&amp;ad_provider=bingv7aa"
        f"&amp;u3={quote(target, safe='')}"
    )
    q = escape(query)
    return f"""<div class="result results_links results_links_deep web-result result--ad result--ad--small">
  <div class="links_main links_deep result__body">
    <h2 class="result__title"><a rel="nofollow" class="result__a" href="{link}">{q} 최저가 - 가상쇼핑</a>
    <a class="badge--ad" href="{link}">Ad</a></h2>
    <a class="result__snippet" href="{link}">{q} 관련 상품을 지금 만나보세요. 무료 배송.</a>
    <div class="clear"></div>
  </div>
</div>
"""


def _result(hit: Hit, terms: tuple[str, ...]) -> str:
    doc = hit.document
    link = escape(_redirect(doc.url))
    shown = doc.url.split("://", 1)[-1]
    host = urlsplit(doc.url).hostname or "none"
    date = (
        f"<span>&nbsp; &nbsp;{doc.published.astimezone(KST).strftime('%Y-%m-%dT%H:%M:%S')}.0000000</span>"
        if doc.published
        else ""
    )
    title = mark(doc.title, (), escape, "", "")
    text = mark(snippet(doc.body, terms), terms, escape, "<b>", "</b>")
    return f"""<div class="result results_links results_links_deep web-result ">
  <div class="links_main links_deep result__body">
    <h2 class="result__title"><a rel="nofollow" class="result__a" href="{link}">{title}</a></h2>
    <div class="result__extras"><div class="result__extras__url">
      <span class="result__icon"><a rel="nofollow" href="{link}"><img class="result__icon__img"
        width="16" height="16" alt="" src="/media/ddg/icons/{escape(host)}.ico" name="i15" /></a></span>
      <a class="result__url" href="{link}">{escape(shown)}</a>
      {date}
    </div></div>
    <a class="result__snippet" href="{link}">{text}</a>
    <div class="clear"></div>
  </div>
</div>
"""
