"""Threat T6 on the page path: registration refuses private addresses, and a crawl never reaches one.

The sandbox plays a public site (trusted only because it is a configured source base URL, as a
self-hosted service would be); a second server plays the internal service a hostile redirect aims
at. With `allow_private_addresses = false`, its hit counter must stay at zero.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sandbox.server import SandboxServer
from tests.support.home import JikimiHome, setup_case
from tests.support.pages import add_target, page_config, run_stage, sources, targets

# threat-model.md, T6: every spelling of a private, loopback, link-local or special address.
REFUSED_TARGETS = [
    "http://127.0.0.1/board/1",
    "http://127.1/board/1",
    "http://2130706433/board/1",
    "http://0x7f000001/board/1",
    "http://017700000001/board/1",
    "http://[::1]/board/1",
    "http://[::ffff:127.0.0.1]/board/1",
    "http://169.254.169.254/latest/meta-data/",
    "http://100.64.0.1/board/1",
    "http://0.0.0.0/board/1",
    "http://224.0.0.1/board/1",
    "http://127.0.0.1:6666\\@1.1.1.1/board/1",
    "file:///etc/passwd",
    "http://localhost/board/1",
    "http://10.0.0.1/admin",
    "ftp://example.org/file",
]


@pytest.fixture
def sink() -> Iterator[SandboxServer]:
    """Stands for an internal service at a private address: any hit is a failure."""
    with SandboxServer() as sb:
        yield sb


@pytest.mark.parametrize("url", REFUSED_TARGETS)
def test_target_add_refuses_private_and_odd_addresses(home: JikimiHome, url: str) -> None:
    home.ok("init")
    result = home.cli("target", "add", url)
    assert result.code == 2, (url, result)
    assert result.err.startswith("jikimi: error: ")
    assert result.err.count("\n") == 1
    assert "refused" in result.err or "not a usable URL" in result.err
    assert targets(home) == {}


def test_a_redirect_to_a_private_address_never_reaches_it(
    home: JikimiHome, sandbox: SandboxServer, sink: SandboxServer
) -> None:
    sb = sandbox
    # Registered while private addresses are allowed (the sandbox itself lives on loopback) ...
    home.write_config(page_config(sb, allow_private=True))
    setup_case(home)
    redirect = f"{sb.url}/web/redirect-to?u="
    ids = {
        "to_sink": add_target(home, f"{redirect}{sink.url}/admin"),
        "to_sink_307": add_target(home, f"{redirect}{sink.url}/admin&status=307"),
        "to_metadata": add_target(home, f"{redirect}http://169.254.169.254/latest/meta-data/"),
        "to_media": add_target(home, f"{redirect}{sb.url}/media/photos/1.jpg"),
        "sink_direct": add_target(home, f"{sink.url}/direct"),
        "trusted": add_target(home, f"{sb.url}/web/forum/1"),
    }
    # ... then crawled with the production rule: only the configured source origin is trusted.
    home.write_config(page_config(sb, allow_private=False))
    code, summary = run_stage(home, "pages")
    sink.wait_idle()

    assert sink.requests == []
    assert sb.hits("/media/") == 0
    outcomes = {name: targets(home)[target_id]["last_outcome"] for name, target_id in ids.items()}
    assert outcomes == {
        "to_sink": "unsafe-address",
        "to_sink_307": "unsafe-address",
        "to_metadata": "unsafe-address",
        "to_media": "media-refused",
        "sink_direct": "unsafe-address",
        "trusted": "ok",
    }
    assert code == 3 and sources(summary)["pages"]["outcome"] == "error"
    assert sb.hits("/web/redirect-to") == 4


def test_allowing_private_addresses_reaches_the_sink_so_the_test_above_is_not_vacuous(
    home: JikimiHome, sandbox: SandboxServer, sink: SandboxServer
) -> None:
    sb = sandbox
    home.write_config(page_config(sb, allow_private=True))
    setup_case(home)
    target = add_target(home, f"{sb.url}/web/redirect-to?u={sink.url}/web/forum/1")
    run_stage(home, "pages")
    assert sink.hits("/web/forum/1") == 1
    assert targets(home)[target]["last_outcome"] == "ok"
