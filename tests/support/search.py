"""Set-up for the search-stage tests: a config pointing engines at sandbox scenarios, and a pass's summary."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sandbox.server import SandboxServer
from tests.support.home import JikimiHome

ENGINES = ("naver", "kakao", "brave", "searxng", "duckduckgo")


def engine_config(sb: SandboxServer, scenarios: Mapping[str, str], extra: str = "") -> str:
    """A config pointing each engine at a sandbox scenario; only the engines named are enabled."""
    lines = [
        "[network]",
        "allow_private_addresses = true",
        "download_delay = 0.0",
        "download_timeout = 3.0",
        "max_retry_after = 5.0",
        "",
    ]
    creds = {
        "naver": 'client_id = "test-id"\nclient_secret = "test-secret"\nverticals = ["webkr", "blog"]',
        "kakao": 'api_key = "test-key"\nverticals = ["web"]',
        "brave": 'api_key = "test-key"',
        "searxng": "",
        "duckduckgo": "",
    }
    for name in ENGINES:
        lines.append(f"[sources.{name}]")
        if name in scenarios:
            lines.append(f'base_url = "{sb.base_url(name, scenario=scenarios[name])}"')
            lines.append("max_pages = 2")
            if creds[name]:
                lines.append(creds[name])
        else:
            lines.append("enabled = false")
        lines.append("")
    lines += ["[sources.telegram]", "enabled = false", "", extra]
    return "\n".join(lines)


def run_json(home: JikimiHome, *extra: str) -> tuple[int, dict[str, Any]]:
    result = home.cli("run", "--stage", "search", "--json", *extra)
    assert result.code in (0, 1, 3), result.err
    return result.code, json.loads(result.out)


def outcomes(summary: Mapping[str, Any]) -> dict[str, str]:
    sources = summary["sources"]
    assert isinstance(sources, dict)
    return {name: value["outcome"] for name, value in sources.items()}
