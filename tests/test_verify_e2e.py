"""Search-hit verification end to end: a search stage, then the pages stage fetches the new hits.

The sandbox's SearXNG returns results pointing at sandbox pages (a post with the name, one edited
since, a removed one, a 404, a challenge page, a robots.txt-disallowed one, a video disguised as
HTML, a script-only page). Verification must confirm only what the page itself shows.
"""

from __future__ import annotations

import json

import pytest

from sandbox.server import SandboxServer
from tests.support.home import PERSONA, JikimiHome, setup_case
from tests.support.pages import db_rows, exposures, page_config

KIB = 1024


@pytest.fixture
def local_sandbox(sandbox: SandboxServer) -> SandboxServer:
    """The sandbox with only results on itself: the crawl subprocess must not look up real hosts."""
    for document in sandbox.state.corpus.documents():
        if not document.url.startswith(sandbox.url):
            sandbox.remove_document(document.url)
    return sandbox


def search_config(sb: SandboxServer, verify: str) -> str:
    return page_config(
        sb,
        extra="\n".join(
            [
                "[sources.searxng]",
                f'base_url = "{sb.base_url("searxng")}"',
                "max_pages = 1",
                verify,
            ]
        ),
    )


def run_pass(home: JikimiHome, *stages: str) -> tuple[int, dict[str, object]]:
    args = [arg for stage in stages for arg in ("--stage", stage)]
    result = home.cli("run", *args, "--json")
    assert result.code in (0, 3), result.err[-3000:]
    return result.code, json.loads(result.out)


def evidence_by_path(home: JikimiHome, sb: SandboxServer) -> dict[str, tuple[object, ...]]:
    urls = {int(e["id"]): str(e["url"])[len(sb.url) :] for e in exposures(home)}
    rows = db_rows(
        home, "SELECT exposure_id, http_status, outcome, text_sha256 FROM evidence WHERE purpose = 'verify'"
    )
    return {urls[int(r[0])]: r[1:] for r in rows}


@pytest.mark.browser  # the script-only page is confirmed through Chromium
def test_new_search_hits_are_confirmed_on_their_pages(home: JikimiHome, local_sandbox: SandboxServer) -> None:
    sb = local_sandbox
    home.write_config(search_config(sb, "verify_pages = true"))
    setup_case(home)
    code, summary = run_pass(home, "search", "pages")
    sb.wait_idle()
    found = {str(e["url"])[len(sb.url) :]: e for e in exposures(home)}
    assert {"/web/forum/1", "/web/forum/2", "/web/gone", "/web/blocked"} <= set(found)

    evidence = evidence_by_path(home, sb)
    # The post still shows the name: confirmed, with the page's own snippet and a text hash.
    assert found["/web/forum/1"]["confidence"] == "page"
    assert "verify" in found["/web/forum/1"]["sources"]
    assert evidence["/web/forum/1"][:2] == (200, "confirmed") and len(str(evidence["/web/forum/1"][2])) == 64
    # Edited since it was indexed: the engine's snippet says the name, the page no longer does.
    assert found["/web/forum/2"]["confidence"] != "page"
    assert evidence["/web/forum/2"][:2] == (200, "term-absent")
    # Failures are named, never taken for "not there".
    assert evidence["/web/gone"][:2] == (404, "http-404")
    assert evidence["/web/blocked"][:2] == (200, "blocked")
    assert found["/web/blocked"]["confidence"] != "page"
    assert {path: row[1] for path, row in evidence.items()} == {
        "/web/forum/1": "confirmed",
        "/web/forum/2": "term-absent",
        "/web/removed": "removal-notice",
        "/web/gone": "http-404",
        "/web/blocked": "blocked",
        "/web/private/secret": "robots-disallowed",
        "/web/disguised.html": "media-refused",
        "/web/script-only": "confirmed",  # rendered by the browser: the plain page has no name
    }
    assert evidence["/web/private/secret"] == (None, "robots-disallowed", None)
    assert sb.hits("/media/") == 0 and sb.hits("/web/private/") == 0
    assert sb.bytes_served("/web/disguised.html") <= 4 * 64 * KIB
    sources = summary["sources"]
    assert isinstance(sources, dict)
    assert sources["verify"]["outcome"] == "blocked"  # the worst thing that happened, said
    assert code == 3

    # A second pass verifies only what is new in it: nothing here.
    sb.reset()
    run_pass(home, "search", "pages")
    assert [r for r in sb.requests if r[1].startswith("/web/")] == []


def test_without_verify_pages_no_page_is_fetched(home: JikimiHome, local_sandbox: SandboxServer) -> None:
    sb = local_sandbox
    home.write_config(search_config(sb, ""))
    setup_case(home)
    _code, summary = run_pass(home, "search", "pages")
    assert exposures(home)
    assert all(e["confidence"] != "page" for e in exposures(home))
    assert [r for r in sb.requests if r[1].startswith("/web/")] == []
    sources = summary["sources"]
    assert isinstance(sources, dict) and "verify" not in sources
    assert db_rows(home, "SELECT COUNT(*) FROM evidence") == [(0,)]


@pytest.mark.browser  # every hit is verified, the script-only page through Chromium
def test_the_global_switch_verifies_every_source(home: JikimiHome, local_sandbox: SandboxServer) -> None:
    sb = local_sandbox
    home.write_config(search_config(sb, "").replace("[network]", "verify_pages = true\n\n[network]"))
    setup_case(home)
    run_pass(home, "search", "pages")
    assert any(e["confidence"] == "page" and PERSONA in str(e["snippet"]) for e in exposures(home))
    assert sb.hits("/web/forum/1") == 1
