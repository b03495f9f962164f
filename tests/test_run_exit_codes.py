"""`jikimi run` exit codes: 1 when jikimi itself failed (here: a crawl stage killed for time)."""

from __future__ import annotations

import json

from sandbox.server import SandboxServer
from tests.support.home import JikimiHome, setup_case
from tests.support.search import engine_config


def test_a_crawl_over_its_time_limit_is_killed_and_the_run_fails(
    home: JikimiHome, sandbox: SandboxServer
) -> None:
    config = engine_config(sandbox, {"brave": "slow"}).replace(
        "download_timeout = 3.0", "download_timeout = 30.0"
    )
    home.write_config("crawl_timeout = 1.0\n" + config)
    setup_case(home, ("홍길동", "name"))
    result = home.cli("run", "--stage", "search", "--json")
    assert result.code == 1, result.err
    summary = json.loads(result.out)
    assert summary["exit_code"] == 1
    assert any("ran out of time" in p for p in summary["problems"])
    assert summary["sources"]["search-crawl"]["outcome"] == "error"
    status = json.loads(home.ok("status", "--json"))
    assert status["runs"][0]["status"] == "failed"
