"""What every search source module promises, checked the same way for each one."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from crawler.sources import brave, duckduckgo, google, kakao, naver, registry, searxng
from crawler.sources.base import Outcome, PageCursor, ParsedPage, Query, SourceConfig, SourceError
from crawler.sources.retry_after import RATE_LIMITED
from jikimi.config import KNOWN_SOURCES

FIXTURES = Path(__file__).parent / "fixtures" / "sources"
MODULES: tuple[ModuleType, ...] = (naver, kakao, brave, searxng, duckduckgo, google)
JSON_MODULES = tuple(m for m in MODULES if m is not duckduckgo)
CANARY = "홍길동캐너리"
SECRETS = {"client_id": "ID-SECRET-1", "client_secret": "SECRET-2", "api_key": "KEY-SECRET-3", "cx": "CX-4"}
# The happy-path fixture of each source: any source must parse it.
PAGE1 = {
    "naver": "naver_webkr_page1.json",
    "kakao": "kakao_web_page1.json",
    "brave": "brave_web_page1.json",
    "searxng": "searxng_page1.json",
    "duckduckgo": "ddg_page1.html",
    "google": "google_page1.json",
}
PATHS = {
    "naver": "/v1/search/webkr.json?",
    "kakao": "/v2/search/web?",
    "brave": "/res/v1/web/search?",
    "searxng": "/search?",
    "duckduckgo": "/html/",
    "google": "/customsearch/v1?",
}


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def config(module: ModuleType, base_url: str | None = None, **overrides: Any) -> SourceConfig:
    """The module's config with every secret set; `overrides` replace fields (a typo fails in `replace`)."""
    base = SourceConfig(
        name=module.NAME,
        enabled=True,
        base_url=base_url or module.DEFAULT_BASE_URL,
        client_id=SECRETS["client_id"],
        client_secret=SECRETS["client_secret"],
        api_key=SECRETS["api_key"],
        cx=SECRETS["cx"],
        max_pages=3,
    )
    return replace(base, **overrides)


def query(module: ModuleType, text: str = CANARY, **kw: Any) -> Query:
    return Query(text=text, case_id=1, term_id=7, vertical=module.VERTICALS[0], **kw)


def parse(module: ModuleType, status: int, body: bytes, headers: dict[str, str] | None = None) -> ParsedPage:
    page: ParsedPage = module.parse_response(
        config(module), query(module), PageCursor(1), status, headers or {}, body
    )
    return page


def parse_error(
    module: ModuleType, status: int, body: bytes, headers: dict[str, str] | None = None
) -> SourceError:
    with pytest.raises(SourceError) as caught:
        parse(module, status, body, headers)
    return caught.value


def test_registry_lists_every_source_under_its_name() -> None:
    assert dict(registry.SOURCES) == {m.NAME: m for m in MODULES}
    assert registry.source("telegram") is None  # configured, but not a search engine


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.NAME)
def test_module_exposes_the_source_api(module: ModuleType) -> None:
    for attribute in (
        "NAME",
        "DEFAULT_BASE_URL",
        "VERTICALS",
        "OR_OPERATOR",
        "KOREAN_ONLY",
        "KIND_VERTICALS",
    ):
        assert hasattr(module, attribute)
    for function in ("check_config", "build_request", "parse_response"):
        assert callable(getattr(module, function))
    assert module.OR_OPERATOR in ("", "OR", "|") and isinstance(module.KOREAN_ONLY, bool)
    assert all(set(v) <= set(module.VERTICALS) for v in module.KIND_VERTICALS.values())
    assert module.VERTICALS and all(isinstance(v, str) for v in module.VERTICALS)
    # The settings module declares the same default, so a config without base_url reaches the real engine.
    assert KNOWN_SOURCES[module.NAME][0] == module.DEFAULT_BASE_URL


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.NAME)
def test_request_goes_to_the_configured_base_with_the_real_path(module: ModuleType) -> None:
    request = module.build_request(config(module, "http://127.0.0.1:8123/"), query(module), PageCursor(1))
    assert request.url.startswith("http://127.0.0.1:8123" + PATHS[module.NAME])
    assert "//" not in request.url.removeprefix("http://")


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.NAME)
def test_credentials_travel_only_in_headers(module: ModuleType) -> None:
    request = module.build_request(config(module), query(module), PageCursor(1))
    sent = request.url + (request.body or b"").decode()
    for name, secret in SECRETS.items():
        if name == "cx":
            continue  # Google's engine id is a URL parameter by design; the log redactor hides it
        assert secret not in sent


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.NAME)
def test_check_config_accepts_a_complete_config(module: ModuleType) -> None:
    assert module.check_config(config(module)) == []


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.NAME)
def test_check_config_names_settings_never_values(module: ModuleType) -> None:
    bad = config(
        module, "ftp://KEY-SECRET-3@example.com", client_id="", api_key="", cx="", verticals=("nope",)
    )
    problems = module.check_config(bad)
    assert f"sources.{module.NAME}.base_url must be an http(s) URL" in problems
    assert any(p.startswith(f"sources.{module.NAME}.verticals") for p in problems)
    assert not any(secret in p for p in problems for secret in SECRETS.values())


@pytest.mark.parametrize(
    ("module", "required"),
    [
        (naver, ["client_id", "client_secret"]),
        (kakao, ["api_key"]),
        (brave, ["api_key"]),
        (google, ["api_key", "cx"]),
        (searxng, []),
        (duckduckgo, []),
    ],
    ids=lambda v: v.NAME if isinstance(v, ModuleType) else "",
)
def test_check_config_reports_each_missing_credential(module: ModuleType, required: list[str]) -> None:
    empty = config(module, client_id="", client_secret="", api_key="", cx="")
    assert module.check_config(empty) == [f"sources.{module.NAME}.{name} is empty" for name in required]


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.NAME)
def test_happy_page_parses_with_ranks_from_one(module: ModuleType) -> None:
    page = parse(module, 200, fixture(PAGE1[module.NAME]))
    assert page.results
    ranks = [r.rank for r in page.results]
    assert ranks == list(range(1, len(ranks) + 1))
    for result in page.results:
        assert result.source == module.NAME and result.query == CANARY
        assert result.url.startswith(("http://", "https://"))
        text = result.title + result.snippet
        assert not any(mark in text for mark in ("<b>", "</b>", "<strong>", "&amp;", "&quot;", "&lt;", "  "))
        assert result.published is None or result.published.tzinfo is not None


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.NAME)
@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_are_unreachable(module: ModuleType, status: int) -> None:
    error = parse_error(module, status, b"<html><body>Bad gateway</body></html>")
    assert (error.outcome, error.reason) == (Outcome.UNREACHABLE, f"http {status}")


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.NAME)
@pytest.mark.parametrize(
    ("retry_after", "seconds"),
    [
        ({"Retry-After": "7"}, 7.0),
        ({"Date": "Mon, 06 May 2024 00:00:00 GMT", "Retry-After": "Mon, 06 May 2024 00:00:30 GMT"}, 30.0),
        ({}, None),
    ],
    ids=["seconds", "http-date", "absent"],
)
def test_plain_429_is_a_retryable_rate_limit(
    module: ModuleType, retry_after: dict[str, str], seconds: float | None
) -> None:
    error = parse_error(module, 429, b"", retry_after)
    assert (error.outcome, error.reason, error.retry_after) == (Outcome.ERROR, RATE_LIMITED, seconds)


@pytest.mark.parametrize("module", JSON_MODULES, ids=lambda m: m.NAME)
def test_html_instead_of_json_is_blocked_never_empty(module: ModuleType) -> None:
    body = fixture("html_block_page.html")
    assert (
        parse_error(module, 200, body, {"Content-Type": "text/html; charset=utf-8"}).outcome
        is Outcome.BLOCKED
    )
    assert parse_error(module, 200, body, {"Content-Type": "application/json"}).outcome is Outcome.BLOCKED


@pytest.mark.parametrize("module", JSON_MODULES, ids=lambda m: m.NAME)
@pytest.mark.parametrize("name", ["truncated.json", "json_array.json"])
def test_malformed_json_is_an_error(module: ModuleType, name: str) -> None:
    error = parse_error(module, 200, fixture(name), {"Content-Type": "application/json"})
    assert (error.outcome, error.reason) == (Outcome.ERROR, "malformed response")


@pytest.mark.parametrize("module", JSON_MODULES, ids=lambda m: m.NAME)
def test_an_unexpected_json_shape_is_an_error_not_empty(module: ModuleType) -> None:
    error = parse_error(module, 200, b'{"unexpected": true}', {"Content-Type": "application/json"})
    assert (error.outcome, error.reason) == (Outcome.ERROR, "malformed response")


ERROR_BODIES = [
    (naver, 400, "naver_error_bad_query.json"),
    (naver, 401, "naver_error_auth.json"),
    (naver, 429, "naver_error_quota.json"),
    (naver, 500, "naver_error_server.json"),
    (kakao, 400, "kakao_error_bad_query.json"),
    (kakao, 401, "kakao_error_auth.json"),
    (kakao, 429, "kakao_error_quota.json"),
    (brave, 422, "brave_error_validation.json"),
    (brave, 422, "brave_error_token.json"),
    (brave, 429, "brave_error_quota.json"),
    (searxng, 400, "searxng_error_no_query.json"),
    (searxng, 200, "searxng_all_failed.json"),
    (google, 400, "google_error_key.json"),
    (google, 429, "google_error_quota.json"),
    (duckduckgo, 200, "ddg_challenge.html"),
]


@pytest.mark.parametrize(("module", "status", "name"), ERROR_BODIES, ids=lambda v: getattr(v, "NAME", str(v)))
def test_errors_never_carry_the_term_or_a_secret(module: ModuleType, status: int, name: str) -> None:
    # Error bodies echo the query (naver SE01, brave validation, the DDG challenge URL): none of it may
    # reach the exception, which the spider records and may log.
    body = fixture(name).replace("홍길동".encode(), CANARY.encode())
    error = parse_error(module, status, body)
    text = f"{error} {error.reason} {error.args!r}"
    assert CANARY not in text and "홍길동" not in text
    assert not any(secret in text for secret in SECRETS.values())


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.NAME)
def test_last_allowed_page_never_asks_for_more(module: ModuleType) -> None:
    cfg = config(module, max_pages=1)
    page = module.parse_response(cfg, query(module), PageCursor(1), 200, {}, fixture(PAGE1[module.NAME]))
    assert page.results and page.next_page is None


@pytest.mark.parametrize("module", (brave, searxng, duckduckgo, google), ids=lambda m: m.NAME)
def test_freshness_parameter_follows_since(module: ModuleType) -> None:
    recent = datetime.now(UTC) - timedelta(hours=20)
    with_since = module.build_request(config(module), query(module, since=recent), PageCursor(1))
    without = module.build_request(config(module), query(module), PageCursor(1))
    sent = with_since.url + (with_since.body or b"").decode()
    expected = {
        "brave": "freshness=pd",
        "searxng": "time_range=day",
        "duckduckgo": "df=d",
        "google": "dateRestrict=d1",
    }
    assert expected[module.NAME] in sent
    plain = without.url + (without.body or b"").decode()
    assert "freshness=" not in plain and "time_range=" not in plain and "dateRestrict" not in plain
    assert "df=&" in plain if module is duckduckgo else "df=" not in plain  # DuckDuckGo: "any time"
