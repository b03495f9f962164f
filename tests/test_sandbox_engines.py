"""The fake engines answer in each real service's shape, page like it, and fail like it."""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from sandbox.engines.naver import redirect_token
from sandbox.probe import Fetched, fetch
from sandbox.scenarios import SLOW_SECONDS
from sandbox.server import SandboxServer

PERSONA = "홍길동"
NAVER_KEYS = {"X-Naver-Client-Id": "client-id", "X-Naver-Client-Secret": "client-secret"}
KAKAO_KEYS = {"Authorization": "KakaoAK rest-key"}
BRAVE_KEYS = {"X-Subscription-Token": "token"}
ENGINES = ("naver", "kakao", "brave", "searxng", "duckduckgo", "google")
_MARKS = re.compile(r"</?(b|strong)>")


def search(
    sandbox: SandboxServer, source: str, scenario: str = "ok", query: str = PERSONA, **extra: str
) -> Fetched:
    """One first-page request in the engine's real form, with valid credentials."""
    base = sandbox.base_url(source, scenario)
    if source == "naver":
        return fetch(f"{base}/v1/search/webkr.json?{urlencode({'query': query, **extra})}", NAVER_KEYS)
    if source == "kakao":
        return fetch(f"{base}/v2/search/web?{urlencode({'query': query, **extra})}", KAKAO_KEYS)
    if source == "brave":
        return fetch(f"{base}/res/v1/web/search?{urlencode({'q': query, **extra})}", BRAVE_KEYS)
    if source == "searxng":
        return fetch(f"{base}/search?{urlencode({'q': query, 'format': 'json', **extra})}")
    if source == "duckduckgo":
        return fetch(f"{base}/html/", form={"q": query, "b": "", "kl": "kr-kr", **extra})
    return fetch(f"{base}/customsearch/v1?{urlencode({'key': 'key', 'cx': 'cx', 'q': query, **extra})}")


def ddg_results(html: str) -> list[tuple[str, str, str]]:
    """(classes, href, title) of every result block, ads included."""
    blocks = re.findall(
        r'<div class="(result [^"]*)">\s*<div[^>]*>\s*<h2 class="result__title">'
        r'<a rel="nofollow" class="result__a" '
        r'href="([^"]*)">(.*?)</a>',
        html,
    )
    return [(classes, unescape(href), unescape(title)) for classes, href, title in blocks]


def results(source: str, fetched: Fetched) -> list[tuple[str, str]]:
    """(url, title without marks) of each organic result."""
    if source == "duckduckgo":
        found = []
        for classes, href, title in ddg_results(fetched.text):
            if "result--ad" not in classes:
                target = parse_qs(urlsplit(href).query)["uddg"][0]
                found.append((target, _MARKS.sub("", title)))
        return found
    data = json.loads(fetched.body)
    items = {
        "naver": lambda: [(i["link"], i["title"]) for i in data["items"]],
        "kakao": lambda: [(d["url"], d["title"]) for d in data["documents"]],
        "brave": lambda: [(r["url"], r["title"]) for r in data.get("web", {}).get("results", [])],
        "searxng": lambda: [(r["url"], r["title"]) for r in data["results"]],
        "google": lambda: [(i["link"], i["title"]) for i in data.get("items", [])],
    }[source]()
    return [(url, unescape(_MARKS.sub("", title))) for url, title in items]


# -- every engine, every common scenario ------------------------------------------------------


@pytest.mark.parametrize("source", ENGINES)
def test_ok_returns_persona_results(sandbox: SandboxServer, source: str) -> None:
    fetched = search(sandbox, source)
    assert fetched.status == 200
    found = results(source, fetched)
    assert len(found) >= 5
    assert any(PERSONA in title for _, title in found)


@pytest.mark.parametrize("source", ENGINES)
def test_empty_is_a_valid_answer_without_results(sandbox: SandboxServer, source: str) -> None:
    fetched = search(sandbox, source, "empty")
    assert fetched.status == 200
    assert results(source, fetched) == []
    if source == "duckduckgo":
        assert '<div class="no-results">' in fetched.text


@pytest.mark.parametrize("source", ENGINES)
@pytest.mark.parametrize("scenario, status", [("auth", 401), ("quota", 429), ("error", 500)])
def test_failing_scenarios_fail_every_time(
    sandbox: SandboxServer, source: str, scenario: str, status: int
) -> None:
    for _ in range(2):
        assert search(sandbox, source, scenario).status == status


@pytest.mark.parametrize("source", ENGINES)
@pytest.mark.parametrize("scenario", ["ratelimit", "ratelimit-date", "ratelimit-bare", "flaky"])
def test_once_only_scenarios_fail_first_then_recover(
    sandbox: SandboxServer, source: str, scenario: str
) -> None:
    first = search(sandbox, source, scenario, query=f"{PERSONA} 가나다고")
    retry_after = first.headers.get("Retry-After")
    if scenario == "flaky":
        assert first.status == 500
    else:
        assert first.status == 429
    if scenario == "ratelimit":
        assert retry_after == "1"
    elif scenario == "ratelimit-date":
        assert retry_after is not None
        ahead = (parsedate_to_datetime(retry_after) - datetime.now(UTC)).total_seconds()
        assert 0 < ahead <= 3
    else:
        assert retry_after is None
    second = search(sandbox, source, scenario, query=f"{PERSONA} 가나다고")
    assert second.status == 200
    assert results(source, second)
    # A different query is a different request: it is limited once too.
    assert search(sandbox, source, scenario, query=f"{PERSONA} 갠텔").status in (429, 500)


@pytest.mark.parametrize("source", ENGINES)
def test_captcha_is_an_http_200_block_page(sandbox: SandboxServer, source: str) -> None:
    fetched = search(sandbox, source, "captcha")
    assert fetched.status == 200
    assert fetched.headers.get_content_type() == "text/html"
    if source == "duckduckgo":
        assert '<form id="challenge-form"' in fetched.text
    else:
        assert "unusual traffic" in fetched.text


@pytest.mark.parametrize("source", ENGINES)
def test_malformed_body_is_cut_short(sandbox: SandboxServer, source: str) -> None:
    fetched = search(sandbox, source, "malformed")
    assert fetched.status == 200
    if source == "duckduckgo":
        assert "</html>" not in fetched.text
    else:
        with pytest.raises(ValueError):
            json.loads(fetched.body)


@pytest.mark.parametrize("source", ENGINES)
def test_slow_answers_after_the_client_gave_up(sandbox: SandboxServer, source: str) -> None:
    assert SLOW_SECONDS >= 10
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        search_with_timeout(sandbox, source)
    assert time.monotonic() - started < 2


def search_with_timeout(sandbox: SandboxServer, source: str) -> None:
    base = sandbox.base_url(source, "slow")
    paths = {
        "naver": ("/v1/search/webkr.json?query=x", NAVER_KEYS),
        "kakao": ("/v2/search/web?query=x", KAKAO_KEYS),
        "brave": ("/res/v1/web/search?q=x", BRAVE_KEYS),
        "searxng": ("/search?q=x&format=json", {}),
        "duckduckgo": ("/html/?q=x", {}),
        "google": ("/customsearch/v1?key=k&cx=c&q=x", {}),
    }
    path, headers = paths[source]
    fetch(base + path, headers, timeout=0.4)


@pytest.mark.parametrize("source", ENGINES)
def test_injection_scenario_carries_payloads_and_the_persona(sandbox: SandboxServer, source: str) -> None:
    found = results(source, search(sandbox, source, "injection"))
    titles = [title for _, title in found]
    assert "<script>alert(1)</script> 홍길동 {{7*7}}" in titles
    assert any(title.startswith("=HYPERLINK(") for title in titles)
    assert any(url.startswith("javascript:") for url, _ in found)


@pytest.mark.parametrize("source", ["naver", "kakao", "brave", "google"])
@pytest.mark.parametrize("key", [None, "bad-key"])
def test_missing_or_bad_key_is_401(sandbox: SandboxServer, source: str, key: str | None) -> None:
    base = sandbox.base_url(source)
    headers: dict[str, str] = {}
    if source == "naver":
        headers = {"X-Naver-Client-Id": key, "X-Naver-Client-Secret": "s"} if key else {}
        fetched = fetch(f"{base}/v1/search/webkr.json?query=x", headers)
        assert json.loads(fetched.body)["errorCode"] == "024"
    elif source == "kakao":
        fetched = fetch(f"{base}/v2/search/web?query=x", {"Authorization": f"KakaoAK {key}"} if key else {})
        assert json.loads(fetched.body)["errorType"] == "AccessDeniedError"
    elif source == "brave":
        fetched = fetch(f"{base}/res/v1/web/search?q=x", {"X-Subscription-Token": key} if key else {})
        assert json.loads(fetched.body)["error"]["code"] == "SUBSCRIPTION_TOKEN_INVALID"
    else:
        fetched = fetch(
            f"{base}/customsearch/v1?{urlencode({'cx': 'c', 'q': 'x', **({'key': key} if key else {})})}"
        )
        assert json.loads(fetched.body)["error"]["status"] == "UNAUTHENTICATED"
    assert fetched.status == 401


@pytest.mark.parametrize("source", ENGINES)
def test_unknown_path_is_404(sandbox: SandboxServer, source: str) -> None:
    assert fetch(sandbox.base_url(source) + "/nope", NAVER_KEYS).status == 404


def test_engine_only_scenarios_exist_only_on_their_engine(sandbox: SandboxServer) -> None:
    with pytest.raises(ValueError):
        sandbox.base_url("naver", "partial")
    assert fetch(f"{sandbox.url}/partial/naver/v1/search/webkr.json?query=x", NAVER_KEYS).status == 404


# -- Naver ------------------------------------------------------------------------------------


def naver(sandbox: SandboxServer, vertical: str, scenario: str = "ok", /, **params: object) -> Fetched:
    query = urlencode({"query": PERSONA, **params})
    return fetch(f"{sandbox.base_url('naver', scenario)}/v1/search/{vertical}.json?{query}", NAVER_KEYS)


@pytest.mark.parametrize(
    "vertical, keys",
    [
        ("webkr", {"title", "link", "description"}),
        ("blog", {"title", "link", "description", "bloggername", "bloggerlink", "postdate"}),
        ("news", {"title", "originallink", "link", "description", "pubDate"}),
        ("cafearticle", {"title", "link", "description", "cafename", "cafeurl"}),
    ],
)
def test_naver_vertical_shapes(sandbox: SandboxServer, vertical: str, keys: set[str]) -> None:
    data = json.loads(naver(sandbox, vertical).body)
    assert set(data) == {"lastBuildDate", "total", "start", "display", "items"}
    assert data["lastBuildDate"].endswith("+0900")
    assert data["items"]
    for item in data["items"]:
        assert set(item) == keys
        assert "<b>홍길동</b>" in item["title"] + item["description"]
        if vertical == "blog":
            assert re.fullmatch(r"\d{8}", item["postdate"])
        if vertical == "news":
            assert parsedate_to_datetime(item["pubDate"]).utcoffset() == timedelta(hours=9)


def test_naver_pages_cover_every_result_once(sandbox: SandboxServer) -> None:
    first = json.loads(naver(sandbox, "webkr", display=10, start=1).body)
    assert first["total"] > 20
    links: list[str] = []
    for start in range(1, first["total"] + 1, 10):
        page = json.loads(naver(sandbox, "webkr", display=10, start=start).body)
        assert page["start"] == start
        links += [item["link"] for item in page["items"]]
    assert len(links) == len(set(links)) == first["total"]
    past_end = json.loads(naver(sandbox, "webkr", display=10, start=first["total"] + 1).body)
    assert past_end["items"] == [] and past_end["display"] == 0


def test_naver_sort_date_is_newest_first(sandbox: SandboxServer) -> None:
    items = json.loads(naver(sandbox, "news", sort="date", display=100).body)["items"]
    dates = [parsedate_to_datetime(i["pubDate"]) for i in items]
    assert dates == sorted(dates, reverse=True)


def test_naver_entities_and_redirect_tokens(sandbox: SandboxServer) -> None:
    items = json.loads(naver(sandbox, "webkr", display=100).body)["items"]
    titles = " ".join(i["title"] for i in items)
    assert "&quot;<b>홍길동</b>&quot;" in titles and "&amp;" in titles
    tokens = [i["link"] for i in items if i["link"].startswith("http://openapi.naver.com/l?AAAB")]
    assert tokens
    # The token resolves at the engine's own /l, with a redirect to the real target.
    resolved = fetch(sandbox.base_url("naver") + "/l?" + tokens[0].split("?", 1)[1])
    assert resolved.status == 302
    assert redirect_token(resolved.headers["Location"]) == tokens[0].split("?", 1)[1]


def test_naver_results_include_tracking_parameters_fragments_and_sandbox_pages(
    sandbox: SandboxServer,
) -> None:
    items = json.loads(naver(sandbox, "webkr", display=100).body)["items"]
    links = [i["link"] for i in items]
    assert any("utm_source=" in link and "fbclid=" in link and "#" in link for link in links)
    assert f"{sandbox.url}/web/forum/1" in links
    assert f"{sandbox.url}/web/removed" in links


def test_naver_cafearticle_has_no_date(sandbox: SandboxServer) -> None:
    items = json.loads(naver(sandbox, "cafearticle").body)["items"]
    assert all("postdate" not in i and "pubDate" not in i for i in items)


@pytest.mark.parametrize(
    "params, code",
    [
        ({"query": ""}, "SE01"),
        ({"display": 101}, "SE02"),
        ({"start": 1001}, "SE03"),
        ({"sort": "new"}, "SE04"),
    ],
)
def test_naver_rejects_bad_parameters(sandbox: SandboxServer, params: dict[str, object], code: str) -> None:
    fetched = naver(sandbox, "webkr", **params)
    assert fetched.status == 400
    assert json.loads(fetched.body)["errorCode"] == code


@pytest.mark.parametrize("scenario, code", [("ratelimit", "012"), ("quota", "010")])
def test_naver_tells_per_second_from_daily_limits(sandbox: SandboxServer, scenario: str, code: str) -> None:
    fetched = naver(sandbox, "blog", scenario, nonce=scenario)
    assert fetched.status == 429
    assert json.loads(fetched.body)["errorCode"] == code


def test_naver_quota_body_is_the_real_one(sandbox: SandboxServer) -> None:
    assert json.loads(naver(sandbox, "webkr", "quota").body) == {
        "errorMessage": "Query limit exceeded.",
        "errorCode": "010",
    }


# -- Kakao ------------------------------------------------------------------------------------


def kakao(sandbox: SandboxServer, vertical: str, **params: object) -> Any:
    url = f"{sandbox.base_url('kakao')}/v2/search/{vertical}?{urlencode({'query': PERSONA, **params})}"
    fetched = fetch(url, KAKAO_KEYS)
    assert fetched.status == 200
    return json.loads(fetched.body)


@pytest.mark.parametrize(
    "vertical, extra",
    [("web", set()), ("blog", {"blogname", "thumbnail"}), ("cafe", {"cafename", "thumbnail"})],
)
def test_kakao_shapes(sandbox: SandboxServer, vertical: str, extra: set[str]) -> None:
    data = kakao(sandbox, vertical)
    assert set(data["meta"]) == {"total_count", "pageable_count", "is_end"}
    documents = data["documents"]
    assert isinstance(documents, list) and documents
    for document in documents:
        assert set(document) == {"title", "contents", "url", "datetime"} | extra
        assert datetime.fromisoformat(document["datetime"]).utcoffset() == timedelta(hours=9)
        assert document["datetime"].endswith("+09:00")
        if "thumbnail" in document:
            assert document["thumbnail"].startswith(f"{sandbox.url}/media/")


def test_kakao_paging_ends_on_is_end(sandbox: SandboxServer) -> None:
    urls: list[str] = []
    page = 1
    while True:
        data = kakao(sandbox, "web", size=10, page=page)
        urls += [d["url"] for d in data["documents"]]
        if data["meta"]["is_end"]:
            break
        page += 1
    assert page >= 3
    assert len(urls) == len(set(urls)) == data["meta"]["total_count"]


def test_kakao_uses_numeric_entities(sandbox: SandboxServer) -> None:
    data = kakao(sandbox, "web", size=50)
    assert any("&#34;" in d["title"] for d in data["documents"])


@pytest.mark.parametrize("params", [{"page": 51}, {"size": 51}, {"sort": "best"}, {"query": ""}])
def test_kakao_rejects_bad_parameters(sandbox: SandboxServer, params: dict[str, object]) -> None:
    url = f"{sandbox.base_url('kakao')}/v2/search/web?{urlencode({'query': PERSONA, **params})}"
    fetched = fetch(url, KAKAO_KEYS)
    assert fetched.status == 400
    assert "errorType" in json.loads(fetched.body)


def test_kakao_throttle_shape(sandbox: SandboxServer) -> None:
    fetched = search(sandbox, "kakao", "quota")
    assert json.loads(fetched.body) == {
        "errorType": "RequestThrottled",
        "message": "API limit has been exceeded.",
    }


# -- Brave ------------------------------------------------------------------------------------


def brave(sandbox: SandboxServer, scenario: str = "ok", /, **params: object) -> Fetched:
    url = f"{sandbox.base_url('brave', scenario)}/res/v1/web/search?{urlencode({'q': PERSONA, **params})}"
    return fetch(url, BRAVE_KEYS)


def test_brave_shape_marks_and_dates(sandbox: SandboxServer) -> None:
    data = json.loads(brave(sandbox).body)
    assert data["type"] == "search" and data["query"]["original"] == PERSONA
    web = data["web"]["results"]
    assert len(web) == 20
    for result in web:
        assert {"title", "url", "description", "profile", "meta_url", "language"} <= set(result)
        assert result["meta_url"]["hostname"]
    assert any("<strong>홍길동</strong>" in r["title"] for r in web)
    dated = [r for r in web if "page_age" in r]
    assert dated and all(datetime.fromisoformat(r["page_age"]) for r in dated)


def test_brave_offset_counts_pages(sandbox: SandboxServer) -> None:
    first = json.loads(brave(sandbox, count=10, offset=0).body)
    second = json.loads(brave(sandbox, count=10, offset=1).body)
    third = json.loads(brave(sandbox, count=10, offset=2).body)
    assert first["query"]["more_results_available"] and second["query"]["more_results_available"]
    assert not third["query"]["more_results_available"]
    urls = [r["url"] for page in (first, second, third) for r in page["web"]["results"]]
    assert len(urls) == len(set(urls))


def test_brave_text_decorations_and_freshness(sandbox: SandboxServer) -> None:
    plain = json.loads(brave(sandbox, text_decorations="false").body)["web"]["results"]
    assert not any("<strong>" in r["title"] + r["description"] for r in plain)
    recent = json.loads(brave(sandbox, freshness="pd").body)["web"]["results"]
    everything = json.loads(brave(sandbox).body)["web"]["results"]
    assert 0 < len(recent) < len(everything)
    for result in recent:
        age = datetime.now() - datetime.fromisoformat(result["page_age"])
        assert age < timedelta(days=1, hours=10)  # page_age is Korean time without an offset


def test_brave_empty_answer_has_no_web_key(sandbox: SandboxServer) -> None:
    data = json.loads(brave(sandbox, "empty").body)
    assert "web" not in data and data["query"]["more_results_available"] is False


@pytest.mark.parametrize("params", [{"count": 21}, {"offset": 10}, {"freshness": "lastweek"}, {"q": ""}])
def test_brave_rejects_bad_parameters(sandbox: SandboxServer, params: dict[str, object]) -> None:
    fetched = brave(sandbox, **params)
    assert fetched.status == 422
    assert json.loads(fetched.body)["error"]["code"] == "VALIDATION"


def test_brave_quota_differs_from_rate_limit(sandbox: SandboxServer) -> None:
    quota = brave(sandbox, "quota")
    limited = brave(sandbox, "ratelimit", nonce="brave-shapes")
    assert quota.status == limited.status == 429
    assert quota.headers["X-RateLimit-Remaining"].endswith(", 0")
    assert not limited.headers["X-RateLimit-Remaining"].endswith(", 0")
    meta = json.loads(quota.body)["error"]["meta"]
    assert meta["quota_current"] >= meta["quota_limit"] > 0


# -- SearXNG ----------------------------------------------------------------------------------


def searxng(sandbox: SandboxServer, scenario: str = "ok", **params: object) -> Fetched:
    query = urlencode({"q": PERSONA, "format": "json", **params})
    return fetch(f"{sandbox.base_url('searxng', scenario)}/search?{query}")


def test_searxng_shape(sandbox: SandboxServer) -> None:
    data = json.loads(searxng(sandbox).body)
    assert {
        "query",
        "results",
        "answers",
        "corrections",
        "infoboxes",
        "suggestions",
        "unresponsive_engines",
    } <= set(data)
    assert data["unresponsive_engines"] == []
    assert data["results"]
    for result in data["results"]:
        assert {"url", "title", "content", "engine", "engines", "publishedDate", "score", "category"} <= set(
            result
        )
        assert "<" not in result["title"]  # plain text, no hit markup
        if result["publishedDate"] is not None:
            datetime.fromisoformat(result["publishedDate"])
    assert any(
        r["publishedDate"] is None
        for r in json.loads(searxng(sandbox, pageno=2).body)["results"] + data["results"]
    )


def test_searxng_pages(sandbox: SandboxServer) -> None:
    pages = [json.loads(searxng(sandbox, pageno=n).body)["results"] for n in (1, 2, 3, 4)]
    assert len(pages[0]) == len(pages[1]) == 10 and pages[2] and pages[3] == []
    urls = [r["url"] for page in pages for r in page]
    assert len(urls) == len(set(urls))


def test_searxng_partial_lists_unresponsive_engines(sandbox: SandboxServer) -> None:
    partial = json.loads(searxng(sandbox, "partial").body)
    assert partial["results"]
    assert ["google", "CAPTCHA"] in partial["unresponsive_engines"]
    assert all(isinstance(pair, list) and len(pair) == 2 for pair in partial["unresponsive_engines"])


def test_searxng_errors(sandbox: SandboxServer) -> None:
    empty = searxng(sandbox, q="")
    assert empty.status == 400 and json.loads(empty.body) == {"error": "No query"}
    assert searxng(sandbox, time_range="decade").status == 400
    assert searxng(sandbox, "nojson").status == 403
    html = fetch(f"{sandbox.base_url('searxng', 'nojson')}/search?{urlencode({'q': PERSONA})}")
    assert html.status == 200 and "<article" in html.text


def test_searxng_limiter_wants_browser_headers(sandbox: SandboxServer) -> None:
    url = f"{sandbox.base_url('searxng', 'limiter')}/search?{urlencode({'q': PERSONA, 'format': 'json'})}"
    assert fetch(url, {"Accept": "application/json"}).status == 429
    browser = {"Accept": "application/json, text/html;q=0.8", "Accept-Language": "ko-KR,ko;q=0.9"}
    assert fetch(url, browser).status == 200


def test_searxng_time_range(sandbox: SandboxServer) -> None:
    day = json.loads(searxng(sandbox, time_range="day").body)["results"]
    assert day and all(r["publishedDate"] is not None for r in day)
    assert len(day) < len(json.loads(searxng(sandbox, time_range="year").body)["results"]) + 10


# -- DuckDuckGo -------------------------------------------------------------------------------


def ddg(sandbox: SandboxServer, scenario: str = "ok", **form: str) -> Fetched:
    return fetch(
        f"{sandbox.base_url('duckduckgo', scenario)}/html/",
        form={"q": PERSONA, "b": "", "kl": "kr-kr", **form},
    )


def next_form(html: str) -> dict[str, str]:
    form = html.split('value="Next" />', 1)[1].split("</form>", 1)[0]
    return {
        k: unescape(v) for k, v in re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)" />', form)
    }


def test_ddg_result_markup_ad_and_redirect_links(sandbox: SandboxServer) -> None:
    fetched = ddg(sandbox)
    blocks = ddg_results(fetched.text)
    ads = [b for b in blocks if "result--ad" in b[0]]
    organic = [b for b in blocks if "result--ad" not in b[0]]
    assert len(ads) == 1 and "web-result" in ads[0][0]
    assert len(organic) == 10
    for classes, href, _ in organic:
        assert "web-result" in classes.split()
        assert href.startswith("//duckduckgo.com/l/?uddg=") and "&rut=" in href
    assert '<a class="result__snippet"' in fetched.text and "<b>홍길동</b>" in fetched.text


def test_ddg_paging_needs_the_forms_vqd(sandbox: SandboxServer) -> None:
    first = ddg(sandbox)
    form = next_form(first.text)
    assert {"q", "s", "dc", "vqd"} <= set(form) and form["s"] == "10"
    second = fetch(f"{sandbox.base_url('duckduckgo')}/html/", form=form)
    assert second.status == 200 and ddg_results(second.text)
    assert "result--ad" not in second.text
    assert not set(results("duckduckgo", first)) & set(results("duckduckgo", second))
    without = fetch(f"{sandbox.base_url('duckduckgo')}/html/", form={**form, "vqd": "4-0"})
    assert '<form id="challenge-form"' in without.text and not ddg_results(without.text)


def test_ddg_no_results_and_blocked(sandbox: SandboxServer) -> None:
    none = ddg(sandbox, q="없는검색어zzz")
    assert '<div class="no-results">' in none.text and not ddg_results(none.text)
    blocked = ddg(sandbox, "blocked")
    assert blocked.status == 202 and '<form id="challenge-form"' in blocked.text


# -- Google (legacy) --------------------------------------------------------------------------


def test_google_shape_paging_and_empty(sandbox: SandboxServer) -> None:
    base = sandbox.base_url("google")
    data = json.loads(
        fetch(f"{base}/customsearch/v1?{urlencode({'key': 'k', 'cx': 'c', 'q': PERSONA})}").body
    )
    assert len(data["items"]) == 10 and data["queries"]["nextPage"][0]["startIndex"] == 11
    assert {"title", "link", "snippet", "htmlTitle", "htmlSnippet", "displayLink"} <= set(data["items"][0])
    empty = json.loads(search(sandbox, "google", "empty").body)
    assert "items" not in empty and "nextPage" not in empty["queries"]
    assert fetch(f"{base}/customsearch/v1?{urlencode({'key': 'k', 'q': PERSONA})}").status == 400
    assert (
        fetch(f"{base}/customsearch/v1?{urlencode({'key': 'k', 'cx': 'c', 'q': 'x', 'start': 100})}").status
        == 400
    )


# -- search semantics and the corpus controls -------------------------------------------------


@pytest.mark.parametrize("source", ENGINES)
def test_alternatives_exclusions_and_spacing(sandbox: SandboxServer, source: str) -> None:
    chun = {u for u, _ in results(source, search(sandbox, source, query="성춘향"))}
    mong = {u for u, _ in results(source, search(sandbox, source, query="이몽룡"))}
    both = {u for u, _ in results(source, search(sandbox, source, query='"성춘향" OR "이몽룡"'))}
    piped = {u for u, _ in results(source, search(sandbox, source, query="성춘향 | 이몽룡"))}
    assert chun and mong and both == piped == chun | mong
    without = {u for u, _ in results(source, search(sandbox, source, query="성춘향 -춘향전"))}
    assert without and without < chun
    # Engines search literally: the spaced-out spelling is not found by the plain name.
    spaced = {u for u, _ in results(source, search(sandbox, source, query="가나다고 합성"))}
    assert "https://cafe.example/secret/77" in spaced
    assert "https://cafe.example/secret/77" not in {u for u, _ in results(source, search(sandbox, source))}


@pytest.mark.parametrize("source", ENGINES)
def test_added_documents_appear_everywhere_until_removed(sandbox: SandboxServer, source: str) -> None:
    url = f"https://cafe.example/added/{source}?utm_source=x"
    sandbox.add_document(
        url=url, title="추가된 글 시험용단어", body="시험용단어 홍길동", published="2026-01-02T03:04:05"
    )
    try:
        assert url in {u for u, _ in results(source, search(sandbox, source, query="시험용단어"))}
    finally:
        assert sandbox.remove_document(url)
    assert results(source, search(sandbox, source, query="시험용단어")) == []


def test_added_documents_reach_every_naver_vertical(sandbox: SandboxServer) -> None:
    sandbox.add_document(
        url="https://news.example.com/added", title="버티컬시험", body="버티컬시험 본문", published=None
    )
    try:
        for vertical in ("webkr", "blog", "news", "cafearticle"):
            data = json.loads(naver(sandbox, vertical, query="버티컬시험").body)
            assert data["total"] == 1
    finally:
        sandbox.remove_document("https://news.example.com/added")
