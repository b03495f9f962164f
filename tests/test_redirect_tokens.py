"""Naver's redirect tokens (`http://openapi.naver.com/l?...`) become the exposure's real URL.

Naver (the sandbox's, in its `ok` scenario) gives a post as a token, SearXNG gives the same post directly.
The pages stage reads where the token leads from its answer's headers alone, records that URL on the
exposure (the token kept as `resolve` evidence), and merges the two exposures into one. Drafts and
rechecks then use the real URL. Real CLI, real SQLite, the sandbox on loopback.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sandbox.engines.naver import redirect_token
from sandbox.server import SandboxServer
from tests.support.home import JikimiHome, setup_case
from tests.support.pages import db_rows, exposures
from tests.support.search import engine_config

PERSONA = "홍길동"
PATH = "/web/naver-post-7"
TOKEN = "http://openapi.naver.com/l?"


def _publish(sb: SandboxServer) -> str:
    url = sb.url + PATH
    body = f"{PERSONA} 사진 유포 가나다고"
    sb.set_page(PATH, f"<html><head><title>게시글</title></head><body><p>{body}</p></body></html>")
    sb.add_document(url=url, title=f"{PERSONA} 게시글", body=body, naver_redirect=True)
    return url


def _run(home: JikimiHome, *stages: str) -> dict[str, Any]:
    args = [arg for stage in stages for arg in ("--stage", stage)]
    result = home.cli("run", *args, "--json")
    assert result.code in (0, 3), result.err[-2000:]
    summary: dict[str, Any] = json.loads(result.out)
    return summary


def _by_url(home: JikimiHome) -> dict[str, dict[str, Any]]:
    return {str(e["url"]): e for e in exposures(home)}


def test_token_resolved_merged_and_used_by_drafts_and_rechecks(
    home: JikimiHome, sandbox: SandboxServer, tmp_path: Path
) -> None:
    url = _publish(sandbox)
    home.write_config(engine_config(sandbox, {"naver": "ok", "searxng": "ok"}))
    setup_case(home, (PERSONA, "name"))
    _run(home, "search")
    before = _by_url(home)
    tokens = [u for u in before if u.startswith(TOKEN)]
    assert url in before and tokens, "the post is found twice: as a token (Naver) and directly (SearXNG)"
    real = {TOKEN + redirect_token(d.url): d.url for d in sandbox.state.corpus.documents()}
    mine = before[TOKEN + redirect_token(url)]["id"]
    merged = {before[u]["id"] for u in tokens if real[u] in before}
    kept = {before[u]["id"]: real[u] for u in tokens if real[u] not in before}
    direct_id = before[url]["id"]

    sandbox.reset()
    summary = _run(home, "pages")
    after = _by_url(home)
    assert not [u for u in after if u.startswith(TOKEN)], "every token has its real URL"
    assert after[url]["id"] == direct_id and set(after[url]["sources"]) >= {"naver", "searxng"}
    ids = {str(e["url"]): e["id"] for e in after.values()}
    assert mine in merged and not merged & set(ids.values()), (
        "a token of a post found directly merged into it"
    )
    assert {ids[u]: u for u in kept.values()} == kept, "other tokens keep their exposure, at the real URL"
    assert len(after) == len(before) - len(merged)
    sources = summary["sources"]
    assert isinstance(sources, dict) and sources["redirects"]["outcome"] == "ok"
    # Only the tokens were asked, never the page itself (verification is off): headers only.
    asked = [r for r in sandbox.requests if not r[1].startswith("/ok/naver/l")]
    assert asked == [] and sandbox.hits("/ok/naver/l") == len(tokens)
    # The token stays as evidence on the exposure it led to.
    resolved = db_rows(
        home,
        f"SELECT outcome, http_status FROM evidence WHERE purpose = 'resolve' AND exposure_id = {direct_id}",
    )
    assert ("redirect", 302) in resolved
    assert db_rows(home, "SELECT COUNT(*) FROM evidence WHERE purpose = 'resolve' AND url_ct IS NULL") == [
        (0,)
    ]
    shown = json.loads(home.ok("exposure", "show", str(direct_id), "--json"))
    assert shown["url"] == url and shown["found_as"] == [TOKEN + redirect_token(url)]
    # The token is stored encrypted, like every URL.
    stored = db_rows(home, f"SELECT COUNT(*) FROM evidence WHERE url_ct LIKE '%{redirect_token(url)}%'")
    assert stored == [(0,)]

    # A second pass has nothing left to resolve.
    sandbox.reset()
    again = _run(home, "pages")
    assert "redirects" not in again["sources"]
    assert sandbox.hits("/ok/naver/l") == 0

    # Drafts carry the real URL; a recheck reads it.
    home.ok("exposure", "mark", str(direct_id), "confirmed")
    out = tmp_path / "drafts"
    home.ok("takedown", "draft", "--case", "1", "--output", str(out))
    drafts = "".join(p.read_text(encoding="utf-8") for p in out.glob("*.txt"))
    assert url in drafts and "openapi.naver.com/l" not in drafts
    home.ok("exposure", "mark", str(direct_id), "reported", "--channel", "kcsc")
    sandbox.reset()
    home.cli("recheck", "--json")
    assert sandbox.hits(PATH) >= 1 and sandbox.hits("/ok/naver/l") == 0


def test_verification_follows_the_token_to_the_page(home: JikimiHome, sandbox: SandboxServer) -> None:
    url = _publish(sandbox)
    config = engine_config(sandbox, {"naver": "ok"}).replace("[network]", "verify_pages = true\n\n[network]")
    home.write_config(config)
    setup_case(home, (PERSONA, "name"))
    summary = _run(home, "search", "pages")
    found = _by_url(home)
    assert url in found and found[url]["confidence"] == "page", "verified at the real URL"
    assert not [u for u in found if u.startswith(TOKEN)]
    sources = summary["sources"]
    assert isinstance(sources, dict) and sources["redirects"]["outcome"] == "ok"
    assert sandbox.hits(PATH) == 1


def test_a_reported_token_is_rechecked_at_its_real_url(home: JikimiHome, sandbox: SandboxServer) -> None:
    url = _publish(sandbox)
    home.write_config(engine_config(sandbox, {"naver": "ok"}))
    setup_case(home, (PERSONA, "name"))
    _run(home, "search")
    token_id = _by_url(home)[TOKEN + redirect_token(url)]["id"]
    home.ok("exposure", "mark", str(token_id), "reported", "--channel", "kcsc")  # reported as a token
    sandbox.reset()
    result = home.cli("recheck", "--json")
    assert result.code == 0, result.err
    assert json.loads(result.out)["verdicts"]["live"] == 1
    assert _by_url(home)[url]["id"] == token_id
    assert sandbox.hits(PATH) == 1 and sandbox.hits("/ok/naver/l") == 1
