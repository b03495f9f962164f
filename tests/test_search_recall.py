"""Recall of the query plan on the sandbox world: the economical plan finds every exposure that an
exhaustive search finds (every phrase and generated spelling alone, on every vertical of every engine,
every page), for a first full pass and for an incremental pass after new pages appear.

The yardstick is deliberately plain: it drives the same source modules and the same matcher over HTTP
without Scrapy, the planner or any paging economy. The plan under test runs as `jikimi run` does.
"""

from __future__ import annotations

import gzip
import json
import urllib.request
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

import pytest

from crawler.context import term_specs
from crawler.decide import judge_page
from crawler.planning import FOREIGN_VARIANTS, UNSEARCHED_VARIANTS
from crawler.sources.base import PageCursor, Query, SourceConfig
from crawler.sources.registry import SOURCES
from matching import Matcher
from sandbox.engines.naver import redirect_token
from sandbox.server import SandboxServer
from storage.cases import TermView
from storage.urls import canonical_url
from tests.support.home import JikimiHome

ENGINES = ("naver", "kakao", "brave", "searxng", "duckduckgo")
CREDENTIALS: dict[str, dict[str, Any]] = {
    "naver": {"client_id": "test-id", "client_secret": "test-secret"},
    "kakao": {"api_key": "test-key"},
    "brave": {"api_key": "test-key"},
}
CASES: tuple[tuple[tuple[str, str], ...], ...] = (
    (("홍길동", "name"), ("길동이", "alias"), ("gildong_hong", "handle"), ("가나다고등학교", "keyword")),
    (
        ("성춘향", "name"),
        ("춘향이", "alias"),
        ("chunhyang.seong", "handle"),
        ("라마바여자고등학교", "keyword"),
    ),
    (("이몽룡", "name"), ("mongryong_lee", "handle"), ("사아자대학교", "keyword")),
)
# Pages that appear between the two passes, each reachable only through one kind of query.
NEW_PAGES = (
    ("https://newboard.example/t/1", "Hong Gildong photos", "someone posted Hong Gildong edits again"),
    ("https://newboard.example/t/2", "계정 제보", "@chunhyang.seong 계정 사진 합성본 유포"),
    ("https://newcafe.example/p/3", "춘향이 방 초대", "춘향이 겹지인방 링크 구함"),
)
Found = set[tuple[int, str]]


def config(sb: SandboxServer, pipe: bool = False) -> str:
    """Every engine on the sandbox; `pipe`: Naver and Kakao join alternatives with `|` (as once the
    deployment's `sources check` confirmed it)."""
    lines = ["[network]", "allow_private_addresses = true", "download_delay = 0.0", ""]
    for name in ENGINES:
        lines += [f"[sources.{name}]", f'base_url = "{sb.base_url(name)}"']
        lines += [f'{key} = "{value}"' for key, value in CREDENTIALS.get(name, {}).items()]
        if pipe and name in ("naver", "kakao"):
            lines.append('or_operator = "|"')
        lines.append("")
    return "\n".join([*lines, "[sources.telegram]", "enabled = false", ""])


def real_url(sb: SandboxServer, url: str) -> str:
    """A Naver redirect token stands for the page it leads to: the same exposure as the direct link."""
    if url.startswith("http://openapi.naver.com/l?"):
        token = url.split("?", 1)[1]
        for doc in sb.state.corpus.documents():
            if redirect_token(doc.url) == token:
                return canonical_url(doc.url)
    return canonical_url(url)


def fetch(
    url: str, method: str, headers: dict[str, str], body: bytes | None
) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:  # nosec B310 - loopback sandbox only
            status, raw, got = answer.status, answer.read(), dict(answer.headers.items())
    except urllib.error.HTTPError as error:
        status, raw, got = error.code, error.read(), dict(error.headers.items())
    if got.get("Content-Encoding") == "gzip":
        raw = gzip.decompress(raw)
    return status, {k.lower(): v for k, v in got.items()}, raw


def exhaustive(sb: SandboxServer, terms: list[TermView]) -> tuple[Found, int]:
    """Every phrase and searchable spelling alone, every vertical, every page: (exposures, calls)."""
    matcher = Matcher.build(term_specs(terms))
    found: Found = set()
    calls = 0
    for view, spec in zip(terms, term_specs(terms), strict=True):
        texts = [
            text
            for kind, text in matcher.search_variants(spec)
            if kind not in UNSEARCHED_VARIANTS or kind in FOREIGN_VARIANTS
        ]
        for name in ENGINES:
            module = SOURCES[name]
            cfg = SourceConfig(
                name=name,
                enabled=True,
                base_url=sb.base_url(name),
                max_pages=50,
                **CREDENTIALS.get(name, {}),
            )
            for vertical in module.VERTICALS:
                for text in texts:
                    query = Query(text, view.case_id, view.id, exact=True, vertical=vertical)
                    cursor: PageCursor | None = PageCursor(1)
                    while cursor is not None:
                        built = module.build_request(cfg, query, cursor)
                        headers = {**built.headers, "Accept-Encoding": "gzip"}
                        status, got, body = fetch(built.url, built.method, headers, built.body)
                        calls += 1
                        page = module.parse_response(cfg, query, cursor, status, got, body)
                        for result, decision in zip(
                            page.results, judge_page(matcher, view, query, page.results), strict=True
                        ):
                            if decision is not None:
                                found.add((view.case_id, real_url(sb, result.url)))
                        cursor = page.next_page
    return found, calls


def planned(home: JikimiHome, sb: SandboxServer) -> tuple[Found, int]:
    """What `jikimi run --stage search` has found so far, and the calls of its last run."""
    result = home.cli("run", "--stage", "search", "--json")
    assert result.code == 0, result.out + result.err
    status = json.loads(home.ok("status", "--json"))
    calls = sum(int(source["calls"]) for source in status["runs"][0]["sources"].values())
    exposures = json.loads(home.ok("exposures", "list", "--json"))
    return {(int(e["case_id"]), real_url(sb, e["url"])) for e in exposures}, calls


def active_terms_of(home: JikimiHome) -> list[TermView]:
    from jikimi.config import load_settings
    from storage.cases import active_terms
    from storage.database import open_store
    from storage.keyring import load_keyring

    settings = load_settings()
    store = open_store(settings.database_url, load_keyring(settings.key_file))
    try:
        return active_terms(store)
    finally:
        store.close()


@pytest.mark.parametrize("pipe", [False, True], ids=["out-of-the-box", "pipe-confirmed"])
def test_the_plan_finds_every_exposure_an_exhaustive_search_finds(
    home: JikimiHome, sandbox: SandboxServer, pipe: bool
) -> None:
    sandbox.reset_content()
    home.write_config(config(sandbox, pipe))
    home.ok("init")
    for number, terms in enumerate(CASES):
        case_id = home.ok("case", "add", "--label", f"사례 {number}", "--consent", "fictional, test").strip()
        for text, kind in terms:
            home.ok("term", "add", case_id, text, "--kind", kind)
    views = active_terms_of(home)

    reference, reference_calls = exhaustive(sandbox, views)
    found, calls = planned(home, sandbox)
    assert reference, "the sandbox corpus names the personas: the yardstick must find something"
    assert reference <= found, f"missed by the plan: {sorted(reference - found)}"
    assert calls * 2 < reference_calls, (calls, reference_calls)

    # New pages between passes: the incremental pass (freshness windows, date order, one page) finds them.
    for url, title, body in NEW_PAGES:
        sandbox.add_document(url, title, body, published=datetime.now(UTC), kind="any")
    try:
        reference, _ = exhaustive(sandbox, views)
        found, quiet_calls = planned(home, sandbox)
    finally:
        sandbox.reset_content()
    assert {url for _, url in reference} >= {canonical_url(url) for url, _, _ in NEW_PAGES}
    assert reference <= found, f"missed by the incremental plan: {sorted(reference - found)}"
    assert quiet_calls <= calls


def test_pages_beyond_the_plan_stop_at_the_budget_and_say_so(
    home: JikimiHome, sandbox: SandboxServer
) -> None:
    """The plan reserves a query's first page only; a busy answer pages on only while budget lasts."""
    sandbox.reset_content()
    for i in range(25):  # more matching pages than one Brave answer holds (20)
        sandbox.add_document(
            f"https://busy.example/{i}",
            f"홍길동 합성 요청 {i}",
            "홍길동 사진 유포",
            published=datetime.now(UTC),
        )
    brave = f'[sources.brave]\nbase_url = "{sandbox.base_url("brave")}"\napi_key = "k"\n'
    home.write_config(
        "[network]\nallow_private_addresses = true\ndownload_delay = 0.0\n"
        f"{brave}max_pages = 3\ndaily_budget = 2\n"
        "[sources.duckduckgo]\nenabled = false\n[sources.telegram]\nenabled = false\n"
    )
    home.ok("init")
    case_id = home.ok("case", "add", "--label", "바쁜 밤", "--consent", "fictional, test").strip()
    home.ok("term", "add", case_id, "홍길동", "--kind", "name")
    # Another case: one case's names would share one query, reached or unreached together.
    other = home.ok("case", "add", "--label", "다른 사례", "--consent", "fictional, test").strip()
    home.ok("term", "add", other, "이서연", "--kind", "name")
    sandbox.reset()
    try:
        result = home.cli("run", "--stage", "search", "--json")
    finally:
        sandbox.reset_content()
    summary = json.loads(result.out)
    assert sandbox.hits("/ok/brave") == 2
    assert summary["sources"]["brave"]["unreached_terms"] == 1, summary


def _brave_queries(sb: SandboxServer, *terms: str) -> list[tuple[tuple[str, ...], bool]]:
    """Per Brave request since the last reset: which of `terms` its query carries, and whether it sent a
    freshness window."""
    out = []
    for _method, path, query_string, _headers in sb.requests:
        if path.startswith("/ok/brave"):
            params = dict(parse_qsl(query_string))
            out.append((tuple(t for t in terms if f'"{t}"' in params["q"]), "freshness" in params))
    return sorted(out)


def test_a_joined_query_cut_short_is_split_at_once(home: JikimiHome, sandbox: SandboxServer) -> None:
    """Quiet, a case's name and handle share one query; when that query is still naming someone at
    `max_pages`, the handle may have been crowded out, so each term's own query runs in the same pass,
    and the next pass keeps the busy name on its own."""
    sandbox.reset_content()
    brave = f'[sources.brave]\nbase_url = "{sandbox.base_url("brave")}"\napi_key = "k"\nmax_pages = 1\n'
    home.write_config(
        "[network]\nallow_private_addresses = true\ndownload_delay = 0.0\n"
        f"{brave}[sources.duckduckgo]\nenabled = false\n[sources.telegram]\nenabled = false\n"
    )
    home.ok("init")
    case_id = home.ok("case", "add", "--label", "조용한 밤", "--consent", "fictional, test").strip()
    home.ok("term", "add", case_id, "박보람", "--kind", "name")
    home.ok("term", "add", case_id, "boram_quiet", "--kind", "handle")
    both = ("박보람", "boram_quiet")
    try:
        sandbox.reset()
        home.cli("run", "--stage", "search", "--json")  # first night, quiet: one query for both
        assert _brave_queries(sandbox, *both) == [(both, False)]
        for i in range(25):  # more pages naming her than one Brave answer holds (20)
            sandbox.add_document(
                f"https://busy.example/{i}", f"박보람 사진 {i}", "박보람 합성", published=datetime.now(UTC)
            )
        sandbox.add_document(
            "https://rare.example/1", "계정 제보", "boram_quiet 계정 사진", published=datetime.now(UTC)
        )
        sandbox.reset()
        result = home.cli("run", "--stage", "search", "--json")
        # max_pages = 1 ended the joined query while it still paid: each term alone, in the same pass.
        assert _brave_queries(sandbox, *both) == [(("boram_quiet",), True), (("박보람",), True), (both, True)]
        assert json.loads(result.out)["sources"]["brave"]["unreached_terms"] == 0
        exposures = json.loads(home.ok("exposures", "list", "--json"))
        assert "https://rare.example/1" in {e["url"] for e in exposures}
        sandbox.reset()
        home.cli("run", "--stage", "search", "--json")  # the name's own query is busy: it stays alone
        assert _brave_queries(sandbox, *both) == [(("boram_quiet",), True), (("박보람",), True)]
    finally:
        sandbox.reset_content()


def test_a_joined_query_cut_by_the_budget_leaves_every_term_it_carries_unreached(
    home: JikimiHome, sandbox: SandboxServer
) -> None:
    sandbox.reset_content()
    brave = f'[sources.brave]\nbase_url = "{sandbox.base_url("brave")}"\napi_key = "k"\n'
    home.write_config(
        "[network]\nallow_private_addresses = true\ndownload_delay = 0.0\n"
        f"{brave}max_pages = 2\ndaily_budget = 1\n"
        "[sources.duckduckgo]\nenabled = false\n[sources.telegram]\nenabled = false\n"
    )
    home.ok("init")
    case_id = home.ok("case", "add", "--label", "바쁜 밤", "--consent", "fictional, test").strip()
    home.ok("term", "add", case_id, "박보람", "--kind", "name")
    home.ok("term", "add", case_id, "boram_quiet", "--kind", "handle")
    for i in range(25):
        sandbox.add_document(
            f"https://busy.example/{i}", f"박보람 사진 {i}", "박보람 합성", published=datetime.now(UTC)
        )
    sandbox.reset()
    try:
        result = home.cli("run", "--stage", "search", "--json")
    finally:
        sandbox.reset_content()
    assert sandbox.hits("/ok/brave") == 1
    assert json.loads(result.out)["sources"]["brave"]["unreached_terms"] == 2
