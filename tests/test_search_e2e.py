"""`jikimi run` end to end against the sandbox: every source, every outcome, dedupe, exit codes."""

from __future__ import annotations

import json

from sandbox.server import SandboxServer
from tests.support.home import JikimiHome, setup_case
from tests.support.search import ENGINES, engine_config, outcomes, run_json


def test_every_engine_ok_then_dedupe_on_second_run(home: JikimiHome, sandbox: SandboxServer) -> None:
    home.write_config(engine_config(sandbox, {name: "ok" for name in ENGINES}))
    case_id = setup_case(home, ("홍길동", "name"), ("gildong_hong", "handle"))
    code, summary = run_json(home)
    assert code == 0, summary
    assert outcomes(summary) == {name: "ok" for name in ENGINES}
    first = json.loads(home.ok("exposures", "list", "--json"))
    assert first, "the sandbox corpus mentions the fictional persona: something must be found"
    assert {src for e in first for src in e["sources"]} == set(ENGINES)
    assert all(e["case_id"] == case_id for e in first)
    assert {e["confidence"] for e in first} <= {"snippet", "engine"}
    urls = [e["url"] for e in first]
    assert len(urls) == len(set(urls))
    code, _ = run_json(home)
    assert code == 0
    # Lists are ordered by score, which more sightings may raise: compare by id.
    second = sorted(json.loads(home.ok("exposures", "list", "--json")), key=lambda e: e["id"])
    first = sorted(first, key=lambda e: e["id"])
    assert [e["id"] for e in second] == [e["id"] for e in first]
    assert [e["first_seen"] for e in second] == [e["first_seen"] for e in first]
    assert any(b["last_seen"] > a["last_seen"] for a, b in zip(first, second, strict=True))


def test_failures_are_named_never_empty(home: JikimiHome, sandbox: SandboxServer) -> None:
    home.write_config(
        engine_config(
            sandbox,
            {
                "naver": "auth",
                "kakao": "quota",
                "brave": "error",
                "searxng": "malformed",
                "duckduckgo": "captcha",
            },
        )
    )
    setup_case(home, ("홍길동", "name"))
    code, summary = run_json(home)
    assert code == 3
    assert outcomes(summary) == {
        "naver": "auth",
        "kakao": "quota",
        "brave": "unreachable",
        "searxng": "error",
        "duckduckgo": "blocked",
    }
    status = json.loads(home.ok("status", "--json"))
    assert status["runs"][0]["sources"]["duckduckgo"]["outcome"] == "blocked"


def test_slow_source_is_unreachable_and_empty_is_empty(home: JikimiHome, sandbox: SandboxServer) -> None:
    home.write_config(engine_config(sandbox, {"brave": "slow", "naver": "empty"}))
    setup_case(home, ("홍길동", "name"))
    code, summary = run_json(home)
    assert code == 3
    assert outcomes(summary) == {"brave": "unreachable", "naver": "empty"}


def test_retry_after_is_honoured_and_recovers(home: JikimiHome, sandbox: SandboxServer) -> None:
    home.write_config(
        engine_config(sandbox, {"naver": "ratelimit", "kakao": "ratelimit-date", "brave": "flaky"})
    )
    setup_case(home, ("홍길동", "name"))
    code, summary = run_json(home)
    assert outcomes(summary) == {"naver": "ok", "kakao": "ok", "brave": "ok"}
    assert code == 0


def test_quota_stops_the_source_for_the_rest_of_the_day(home: JikimiHome, sandbox: SandboxServer) -> None:
    home.write_config(engine_config(sandbox, {"kakao": "quota"}))
    setup_case(home, ("홍길동", "name"))
    run_json(home)
    before = sandbox.hits("/quota/kakao")
    code, summary = run_json(home)
    assert code == 3 and outcomes(summary) == {"kakao": "quota"}
    assert sandbox.hits("/quota/kakao") == before
    # Quota reached earlier today: no term was searched this pass, and the run counts it.
    kakao = summary["sources"]["kakao"]
    assert kakao["unreached_terms"] == 1
    assert kakao["reason"] == "partial: 1 of 1 terms not reached; daily quota reached earlier today"


def test_daily_budget_limits_calls_and_reports_unreached_terms(
    home: JikimiHome, sandbox: SandboxServer
) -> None:
    home.write_config(
        engine_config(sandbox, {"brave": "ok"}).replace("max_pages = 2", "max_pages = 1\ndaily_budget = 2")
    )
    setup_case(
        home,
        ("홍길동", "name"),
        ("gildong_hong", "handle"),
        ("가나다고등학교", "keyword"),
        ("이서연", "name"),
    )
    sandbox.reset()
    code, summary = run_json(home)
    assert sandbox.hits("/ok/brave") <= 2
    status = json.loads(home.ok("status", "--json"))
    assert status["runs"][0]["sources"]["brave"]["calls"] <= 2
    # Terms left for another day are counted and said, in the run, its report and status: never a clean ok.
    brave = summary["sources"]["brave"]
    unreached = brave["unreached_terms"]
    assert 0 < unreached < 4, brave
    assert brave["reason"].startswith(f"partial: {unreached} of 4 terms not reached"), brave
    assert code == 3
    assert status["runs"][0]["sources"]["brave"]["unreached_terms"] == unreached
    assert "unreached" in home.ok("status")
    text = home.cli("run", "--stage", "search")
    assert text.code == 3 and "terms not reached" in text.out


def test_no_source_enabled_says_so(home: JikimiHome) -> None:
    home.write_config("[sources.duckduckgo]\nenabled = false\n[sources.telegram]\nenabled = false\n")
    setup_case(home, ("홍길동", "name"))
    result = home.cli("run", "--stage", "search")
    assert result.code == 0
    assert "no source ran" in result.out


def test_unreachable_engine_is_named(home: JikimiHome) -> None:
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    home.write_config(
        "[network]\nallow_private_addresses = true\ndownload_delay = 0.0\n"
        f'[sources.searxng]\nbase_url = "http://127.0.0.1:{port}"\n'
        "[sources.duckduckgo]\nenabled = false\n[sources.telegram]\nenabled = false\n"
    )
    setup_case(home, ("홍길동", "name"))
    code, summary = run_json(home)
    assert code == 3
    assert outcomes(summary) == {"searxng": "unreachable"}
    assert summary["sources"]["searxng"]["reason"] == "connection refused"


def test_a_wait_longer_than_max_retry_after_skips_the_source_for_this_pass(
    home: JikimiHome, sandbox: SandboxServer
) -> None:
    # The sandbox asks for Retry-After: 1 once per query; this operator honours half a second at most.
    home.write_config(
        engine_config(sandbox, {"naver": "ratelimit"}).replace(
            "max_retry_after = 5.0", "max_retry_after = 0.5"
        )
    )
    setup_case(home, ("홍길동", "name"))
    code, summary = run_json(home)
    assert code == 3
    assert outcomes(summary) == {"naver": "error"}
    status = json.loads(home.ok("status", "--json"))
    reason = status["runs"][0]["sources"]["naver"]["reason"]
    assert "max_retry_after" in reason and "not asked again" in reason
    # Nothing was asked twice: no request came back before the server's second was up.
    requests = [(r[1], r[2]) for r in sandbox.requests]
    assert requests and len(requests) == len(set(requests))
