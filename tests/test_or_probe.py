"""The `|` probe of `jikimi sources check`: Naver's and Daum's APIs are not documented to read `|` as OR, so
the check asks once per deployment, keeps the answer, and the query plan joins alternatives there only when
it was confirmed. The sandbox engines answer both ways (`ok` reads `|` as OR, `no-pipe` does not)."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl

import pytest

from crawler.source_check import OR_PROBE_WORDS, or_answer_works
from crawler.sources.base import SearchResult
from sandbox.server import SandboxServer
from tests.support.home import JikimiHome, setup_case

KOREAN = ("naver", "kakao")


def config(sb: SandboxServer, scenario: str, extra: str = "") -> str:
    return "\n".join(
        [
            "[network]",
            "allow_private_addresses = true",
            "download_delay = 0.0",
            "[sources.naver]",
            f'base_url = "{sb.base_url("naver", scenario)}"',
            'client_id = "test-id"',
            'client_secret = "test-secret"',
            'verticals = ["webkr"]',
            extra,
            "[sources.kakao]",
            f'base_url = "{sb.base_url("kakao", scenario)}"',
            'api_key = "test-key"',
            'verticals = ["web"]',
            extra,
            "[sources.duckduckgo]",
            "enabled = false",
            "[sources.telegram]",
            "enabled = false",
            "",
        ]
    )


def sent(sb: SandboxServer, source: str) -> list[str]:
    """The query text of every request to one engine since the last reset."""
    return [
        dict(parse_qsl(qs))["query"] for _m, path, qs, _h in sb.requests if path.split("/")[2:3] == [source]
    ]


def check(home: JikimiHome) -> dict[str, dict[str, str]]:
    result = home.cli("sources", "check", "--json")
    assert result.code == 0, result.out + result.err
    return dict(json.loads(result.out)["sources"])


@pytest.mark.parametrize(("scenario", "joined"), [("ok", True), ("no-pipe", False)])
def test_the_check_asks_once_and_the_plan_joins_only_where_confirmed(
    home: JikimiHome, sandbox: SandboxServer, scenario: str, joined: bool
) -> None:
    home.write_config(config(sandbox, scenario))
    home.ok("init")
    setup_case(home, ("홍길동", "name"), ("gildong_hong", "handle"))
    sandbox.reset()
    checked = check(home)
    for source in KOREAN:
        # One call for the neutral test word, one for the two probe words joined by `|`.
        assert sent(sandbox, source) == ["날씨", '"일교차" | "김치찌개"'], source
        assert ("`|` joins alternatives here" in checked[source]["detail"]) is joined
        assert ("`|` is not read as OR" in checked[source]["detail"]) is not joined
    sandbox.reset()
    home.cli("run", "--stage", "search", "--json")
    for source in KOREAN:
        queries = sent(sandbox, source)
        assert any(" | " in q for q in queries) is joined, queries
        if joined:
            assert queries[0] == '"홍길동" | "gildong_hong"'
        else:
            assert {'"홍길동"', '"gildong_hong"'} <= set(queries)


def test_the_setting_wins_and_is_not_probed(home: JikimiHome, sandbox: SandboxServer) -> None:
    home.write_config(config(sandbox, "ok", extra='or_operator = ""'))
    home.ok("init")
    sandbox.reset()
    checked = check(home)
    for source in KOREAN:
        assert sent(sandbox, source) == ["날씨"]
        assert "`|`" not in checked[source]["detail"]


def test_a_later_check_that_finds_no_or_undoes_an_earlier_one(
    home: JikimiHome, sandbox: SandboxServer
) -> None:
    home.write_config(config(sandbox, "ok"))
    home.ok("init")
    setup_case(home, ("홍길동", "name"), ("gildong_hong", "handle"))
    check(home)
    home.write_config(config(sandbox, "no-pipe"))
    check(home)
    sandbox.reset()
    home.cli("run", "--stage", "search", "--json")
    assert not any(" | " in q for q in sent(sandbox, "naver"))


def _result(title: str) -> SearchResult:
    return SearchResult("https://x.example/", title, "", None, "naver", "q", 1)


def test_an_answer_proves_or_only_with_each_word_alone() -> None:
    first, second = OR_PROBE_WORDS
    assert or_answer_works([_result(first), _result(f"{second} 끓이기")])
    assert not or_answer_works([_result(f"{first} {second}")])  # both required: `|` was skipped
    assert not or_answer_works([_result(first)])
    assert not or_answer_works([])
