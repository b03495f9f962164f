"""A case run through a search pass against the sandbox, for the triage tests."""

from __future__ import annotations

from sandbox.server import SandboxServer
from tests.support.home import JikimiHome


def triage_config(sb: SandboxServer) -> str:
    return "\n".join(
        [
            "[network]",
            "allow_private_addresses = true",
            "download_delay = 0.0",
            "download_timeout = 3.0",
            "[sources.naver]",
            f'base_url = "{sb.base_url("naver", scenario="ok")}"',
            'client_id = "test-id"',
            'client_secret = "test-secret"',
            'verticals = ["webkr", "blog"]',
            "[sources.kakao]",
            f'base_url = "{sb.base_url("kakao", scenario="ok")}"',
            'api_key = "test-key"',
            'verticals = ["web"]',
            "[sources.brave]",
            "enabled = false",
            "[sources.searxng]",
            "enabled = false",
            "[sources.duckduckgo]",
            "enabled = false",
            "[sources.telegram]",
            "enabled = false",
        ]
    )


def run_case(home: JikimiHome, sb: SandboxServer) -> int:
    """A case with a name (with its school as context) and a handle, after one search pass."""
    home.write_config(triage_config(sb))
    home.ok("init")
    case_id = int(home.ok("case", "add", "--label", "시험 사례", "--consent", "fictional, test").strip())
    home.ok("term", "add", str(case_id), "홍길동", "--kind", "name", "--context", "가나다고")
    home.ok("term", "add", str(case_id), "gildong_hong", "--kind", "handle")
    result = home.cli("run", "--stage", "search")
    assert result.code in (0, 3), result.err
    return case_id
