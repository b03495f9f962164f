"""Watched pages end to end: `jikimi run --stage pages` against the sandbox, on the plain path.

Each test drives the real entry point: the pass starts `python -m crawler pages` as a subprocess,
which fetches from the sandbox; assertions read the sandbox's counters and the database.
"""

from __future__ import annotations

import pytest

from sandbox.server import SandboxServer
from tests.support.home import PERSONA, JikimiHome, setup_case
from tests.support.pages import (
    add_target,
    counts,
    db_rows,
    exposures,
    page_config,
    run_sources,
    run_stage,
    sources,
    targets,
)

KIB = 1024
# The sandbox writes a body in 64 KiB chunks, and loopback buffers take a few before a client can
# hang up: "stopped at the headers" shows as at most a few chunks of the 20 MiB video.
STOPPED_AT_HEADERS = 4 * 64 * KIB


def forum_page(title: str, body: str) -> str:
    return (
        f"<!DOCTYPE html><html lang='ko'><head><meta charset='utf-8'><title>{title}</title></head>"
        f"<body><nav>홈 · 게시판</nav><article><h1>{title}</h1><p>{body}</p></article>"
        "<footer>가상 커뮤니티</footer></body></html>"
    )


def test_first_visit_matches_pages_and_names_every_outcome(home: JikimiHome, sandbox: SandboxServer) -> None:
    sb = sandbox
    home.write_config(page_config(sb))
    case_id = setup_case(home)
    paths = (
        "/web/forum/1",
        "/web/forum/4",
        "/web/private/secret",
        "/web/gone",
        "/web/blocked",
        "/web/disguised.html",
        "/web/gallery",
    )
    ids = {path: add_target(home, sb.url + path) for path in paths}
    code, summary = run_stage(home, "pages")
    sb.wait_idle()

    # A failing target is never "nothing new": the worst outcome is the source's, and the exit code says so.
    assert code == 3
    assert sources(summary)["pages"] == {
        "outcome": "blocked",
        "reason": f"target {ids['/web/blocked']}: blocked",
        "unreached_terms": 0,  # a page source has no terms left unsearched
    }
    outcomes = {path: targets(home)[ids[path]]["last_outcome"] for path in paths}
    assert outcomes == {
        "/web/forum/1": "ok",
        "/web/forum/4": "ok",
        "/web/private/secret": "robots-disallowed",
        "/web/gone": "http-404",
        "/web/blocked": "blocked",
        "/web/disguised.html": "media-refused",
        "/web/gallery": "ok",
    }
    assert targets(home)[ids["/web/gone"]]["last_error"] == "the page is gone (404)"
    assert targets(home)[ids["/web/forum/1"]]["last_error"] is None

    found = {e["url"]: e for e in exposures(home)}
    assert set(found) == {sb.url + "/web/forum/1", sb.url + "/web/gallery"}
    forum = found[sb.url + "/web/forum/1"]
    assert forum["confidence"] == "page" and forum["sources"] == ["pages"] and forum["case_id"] == case_id
    assert "가나다고 홍길동 합성 요청" in forum["snippet"]  # the page's own words around the match
    assert forum["title"].startswith("가나다고 홍길동 합성 요청 글")
    assert "window.__board" not in forum["snippet"] and "이용약관" not in forum["snippet"]

    # T7 and robots.txt: no media request, the video stopped at its headers, the disallowed section untouched.
    assert sb.hits("/media/") == 0 and sb.bytes_served("/media/") == 0
    assert sb.hits("/web/disguised.html") == 1
    assert sb.bytes_served("/web/disguised.html") <= STOPPED_AT_HEADERS
    assert sb.hits("/web/private/") == 0
    assert sb.hits("/robots.txt") == 1

    # Evidence: each page exposure has a row with the status and the text hash; nothing else stored.
    evidence = db_rows(home, "SELECT purpose, http_status, outcome, length(text_sha256) FROM evidence")
    assert sorted(evidence) == [("page", 200, "term-found", 64)] * 2
    run = run_sources(home, summary["run_ids"][0])
    assert run["pages"]["results"] == 3 and run["pages"]["new"] == 2
    assert run["pages"]["details"]["dropped"] == {
        "robots-disallowed": 1,
        "http-404": 1,
        "blocked": 1,
        "media-refused": 1,
    }


def test_second_visit_costs_304s_and_records_nothing_twice(home: JikimiHome, sandbox: SandboxServer) -> None:
    sb = sandbox
    home.write_config(page_config(sb))
    setup_case(home)
    watched = {f"/web/w{n}": forum_page(f"게시글 {n}", f"평범한 글 {n}번입니다. " * 30) for n in range(6)}
    watched["/web/w0"] = forum_page("합성 요청", f"가나다고 {PERSONA} 합성 요청합니다. " + "내용 " * 100)
    for path, html in watched.items():
        sb.set_page(path, html)
    ids = {path: add_target(home, sb.url + path) for path in watched}
    run_stage(home, "pages")
    before = counts(home)
    assert before["exposures"] == 1
    sb.wait_idle()
    first_bytes = sb.bytes_served("/web/")
    sb.reset()

    code, summary = run_stage(home, "pages")
    sb.wait_idle()
    assert code == 0 and sources(summary)["pages"]["outcome"] == "ok"
    requests = [r for r in sb.requests if r[1].startswith("/web/")]
    assert len(requests) == len(watched)
    assert all(r[3].get("If-None-Match") and r[3].get("If-Modified-Since") for r in requests)
    assert sb.bytes_served("/web/") == 0  # every answer a body-less 304  # type: ignore[attr-defined]
    assert first_bytes > 0
    assert counts(home) == before
    assert {t["last_outcome"] for t in targets(home).values()} == {"unchanged"}

    # One page changes: only it is read again, and the name it now carries is found once.
    sb.set_page("/web/w3", forum_page("게시글 3", f"{PERSONA} 사진 구합니다. " + "내용 " * 50))
    sb.reset()
    run_stage(home, "pages")
    sb.wait_idle()
    assert sb.bytes_served("/web/w3") > 0
    assert sb.bytes_served("/web/") == sb.bytes_served("/web/w3")
    assert counts(home)["exposures"] == 2
    assert targets(home)[ids["/web/w3"]]["last_outcome"] == "ok"
    after = counts(home)
    run_stage(home, "pages")
    assert counts(home) == after


def test_changed_markup_with_the_same_text_is_not_matched_again(
    home: JikimiHome, sandbox: SandboxServer
) -> None:
    sb = sandbox
    home.write_config(page_config(sb))
    setup_case(home)
    sb.set_page("/web/same", forum_page("글", f"{PERSONA} 합성 요청"))
    target = add_target(home, sb.url + "/web/same")
    run_stage(home, "pages")
    before = counts(home)
    # New ETag, new Last-Modified, same readable text: fetched (200), hashed, not matched again.
    sb.set_page("/web/same", forum_page("글", f"{PERSONA} 합성 요청").replace("<nav>", "<nav class='x'>"))
    sb.reset()
    run_stage(home, "pages")
    assert sb.bytes_served("/web/same") > 0
    assert counts(home) == before
    assert targets(home)[target]["last_outcome"] == "unchanged"


def test_a_term_added_later_is_looked_for_in_unchanged_pages(
    home: JikimiHome, sandbox: SandboxServer
) -> None:
    sb = sandbox
    home.write_config(page_config(sb))
    case_id = setup_case(home)
    target = add_target(home, sb.url + "/web/forum/10")
    run_stage(home, "pages")
    assert exposures(home) == []
    home.ok("term", "add", str(case_id), "이몽룡", "--kind", "name")
    sb.reset()
    run_stage(home, "pages")
    request = next(r for r in sb.requests if r[1] == "/web/forum/10")
    assert "If-None-Match" not in request[3]  # read whole again, not asked "changed since?"
    assert [e["url"] for e in exposures(home)] == [sb.url + "/web/forum/10"]
    assert targets(home)[target]["last_outcome"] == "ok"


def test_a_target_of_one_case_is_matched_against_that_case_only(
    home: JikimiHome, sandbox: SandboxServer
) -> None:
    sb = sandbox
    home.write_config(page_config(sb))
    first = setup_case(home)
    second = int(home.ok("case", "add", "--label", "둘째 사례", "--consent", "fictional").strip())
    home.ok("term", "add", str(second), PERSONA, "--kind", "name")
    add_target(home, sb.url + "/web/forum/1", "--case", str(second))
    add_target(home, sb.url + "/web/gallery")
    run_stage(home, "pages")
    by_url: dict[str, set[int]] = {}
    for e in exposures(home):
        by_url.setdefault(str(e["url"]), set()).add(int(e["case_id"]))
    assert by_url == {
        sb.url + "/web/forum/1": {second},
        sb.url + "/web/gallery": {first, second},
    }


@pytest.mark.parametrize(
    ("status", "outcome", "fetched"),
    [
        (503, "robots-unreachable", False),  # RFC 9309: a server error means complete disallow
        (500, "robots-unreachable", False),
        (404, "ok", True),  # "unavailable": no rules, everything allowed
        (403, "ok", True),
        (200, "ok", True),
    ],
)
def test_robots_txt_status_follows_rfc_9309(
    home: JikimiHome, sandbox: SandboxServer, status: int, outcome: str, fetched: bool
) -> None:
    sb = sandbox
    home.write_config(page_config(sb))
    setup_case(home)
    sb.set_robots("User-agent: *\nDisallow: /web/private/\n", status)
    target = add_target(home, sb.url + "/web/forum/1")
    code, summary = run_stage(home, "pages")
    assert targets(home)[target]["last_outcome"] == outcome
    assert (sb.hits("/web/forum/1") == 1) is fetched
    if not fetched:
        assert code == 3 and sources(summary)["pages"]["outcome"] == "unreachable"


def test_robots_txt_applies_to_every_request_waiting_for_it(home: JikimiHome, sandbox: SandboxServer) -> None:
    """Scrapy 2.19 lets all but the first request that waits for a host's robots.txt through."""
    sb = sandbox
    home.write_config(page_config(sb))
    setup_case(home)
    for n in range(8):
        sb.set_page(f"/web/private/p{n}", forum_page("비공개", f"{PERSONA} {n}"))
        add_target(home, f"{sb.url}/web/private/p{n}")
    run_stage(home, "pages")
    assert sb.hits("/web/private/") == 0
    assert {t["last_outcome"] for t in targets(home).values()} == {"robots-disallowed"}
    assert exposures(home) == []


def test_no_targets_is_empty_and_no_request_is_made(home: JikimiHome, sandbox: SandboxServer) -> None:
    sb = sandbox
    home.write_config(page_config(sb))
    setup_case(home)
    code, summary = run_stage(home, "pages")
    assert code == 0
    assert sources(summary)["pages"]["outcome"] == "empty"
    assert sb.requests == []


def test_hostile_pages_are_dropped_with_named_reasons_or_read_safely(
    home: JikimiHome, sandbox: SandboxServer
) -> None:
    """Threat T8: bombs, a 50 MB page, a slow drip and a 429 storm end with a reason; odd encodings still
    read."""
    sb = sandbox
    home.write_config(page_config(sb).replace("download_timeout = 5.0", "download_timeout = 2.0"))
    setup_case(home)
    expected = {
        # The bombs expand to zeros: not text, stopped at their first decoded bytes.
        "gzip-bomb": "not-text",
        "brotli-bomb": "not-text",
        "deflate-bomb": "not-text",
        "huge": "too-large",
        "slow": "unreachable",
        "storm": "blocked",
        "nested": "ok",
        "bad-utf8": "ok",
        "lying-charset": "ok",
        "lying-charset-latin1": "ok",
        "lying-charset-utf8-as-latin1": "ok",
        "injection": "ok",
    }
    ids = {name: add_target(home, f"{sb.url}/hostile/{name}") for name in expected}
    code, summary = run_stage(home, "pages")
    sb.wait_idle(10)
    assert {name: targets(home)[ids[name]]["last_outcome"] for name in expected} == expected
    assert code == 3 and sources(summary)["pages"]["outcome"] == "blocked"
    assert sb.bytes_served("/hostile/huge") < 16 * 1024 * KIB
    run = run_sources(home, summary["run_ids"][0])
    assert run["pages"]["details"]["dropped"] == {
        "not-text": 3,
        "too-large": 1,
        "unreachable": 1,
        "blocked": 1,
    }
    # Text behind broken or lying encodings is still read: the name is found on each of those pages.
    found = {str(e["url"]).rsplit("/", 1)[1] for e in exposures(home)}
    assert {"nested", "bad-utf8", "lying-charset", "lying-charset-utf8-as-latin1", "injection"} <= found


def test_media_disguised_as_text_behind_a_prefix_is_stopped_at_its_first_bytes(
    home: JikimiHome, sandbox: SandboxServer
) -> None:
    """T7: 3 MB of video (or an image) served as text/html or text/plain behind whitespace, a BOM,
    junk or a gzip coding, its metadata naming the victim: stopped early, named, nothing stored."""
    sb = sandbox
    home.write_config(page_config(sb))
    setup_case(home)
    names = ("disguised-mp4-whitespace", "disguised-mp4-bom", "disguised-png-junk", "disguised-mp4-gzip")
    ids = {name: add_target(home, f"{sb.url}/hostile/{name}") for name in names}
    code, summary = run_stage(home, "pages")
    sb.wait_idle(10)
    assert {name: targets(home)[ids[name]]["last_outcome"] for name in names} == dict.fromkeys(
        names, "media-refused"
    )
    for name in names:
        # The server streams 64 KiB chunks: stopped after the first, plus what loopback buffers took.
        assert sb.bytes_served(f"/hostile/{name}") <= STOPPED_AT_HEADERS, name
    assert exposures(home) == []
    assert db_rows(home, "SELECT count(*) FROM evidence") == [(0,)]
    run = run_sources(home, summary["run_ids"][0])
    assert run["pages"]["details"]["dropped"] == {"media-refused": len(names)}
    assert code != 0
