"""Watched Telegram channels end to end: t.me/s/<channel> previews served by the sandbox.

`[sources.telegram] base_url` points at the sandbox; exposures still carry the real
https://t.me/<channel>/<id> permalinks.
"""

from __future__ import annotations

from sandbox.server import SandboxServer
from tests.support.home import PERSONA, JikimiHome, setup_case
from tests.support.pages import (
    add_target,
    counts,
    db_rows,
    exposures,
    page_config,
    run_stage,
    sources,
    targets,
)

CHANNEL = "https://t.me/s/hongnews"


def channel_requests(sb: SandboxServer) -> list[str]:
    return [query for _method, path, query, _headers in sb.requests if path == "/telegram/s/hongnews"]


def message_ids(home: JikimiHome) -> set[int]:
    return {int(str(e["url"]).rsplit("/", 1)[1]) for e in exposures(home) if "t.me/" in str(e["url"])}


def test_first_visit_reads_at_most_max_pages_with_real_permalinks(
    home: JikimiHome, sandbox: SandboxServer
) -> None:
    sb = sandbox
    home.write_config(page_config(sb, telegram_pages=2))
    setup_case(home)
    target = add_target(home, CHANNEL)
    code, summary = run_stage(home, "pages")
    assert code == 0 and sources(summary)["telegram"]["outcome"] == "ok"
    assert channel_requests(sb) == ["", "before=38"]  # two pages of about 20, no third
    found = exposures(home)
    assert found and all(str(e["url"]).startswith("https://t.me/hongnews/") for e in found)
    assert all(e["sources"] == ["telegram"] and e["confidence"] == "page" for e in found)
    assert min(message_ids(home)) >= 18  # nothing older than the second page
    assert 55 in message_ids(home)
    # Each message keeps its own date; media blocks were never fetched.
    dates = db_rows(home, "SELECT published_at FROM exposures")
    assert all(d[0] is not None for d in dates)
    assert sb.hits("/media/") == 0
    assert db_rows(home, f"SELECT last_message_id FROM targets WHERE id = {target}") == [(58,)]
    assert targets(home)[target]["last_outcome"] == "ok"


def test_only_a_messages_own_text_counts(home: JikimiHome, sandbox: SandboxServer) -> None:
    sb = sandbox
    home.write_config(page_config(sb, telegram_pages=5))
    setup_case(home)
    add_target(home, CHANNEL)
    run_stage(home, "pages")
    assert channel_requests(sb) == ["", "before=38", "before=18"]
    ids = message_ids(home)
    assert 21 in ids  # "가나다고 홍길동 합성 요청 받음"
    assert 18 not in ids  # the name is only in the quoted (deleted) message it replies to
    assert 52 not in ids  # the name is only in the link preview card
    snippet = next(e["snippet"] for e in exposures(home) if str(e["url"]).endswith("/21"))
    assert PERSONA in str(snippet)
    assert sb.hits("/media/") == 0


def test_next_visit_stops_at_the_last_message_seen(home: JikimiHome, sandbox: SandboxServer) -> None:
    sb = sandbox
    home.write_config(page_config(sb, telegram_pages=5))
    setup_case(home)
    target = add_target(home, CHANNEL)
    run_stage(home, "pages")
    before = counts(home)
    sb.reset()

    # Nothing new: one page, nothing recorded twice.
    code, summary = run_stage(home, "pages")
    assert code == 0 and sources(summary)["telegram"]["outcome"] == "ok"
    assert channel_requests(sb) == [""]
    assert counts(home) == before
    assert targets(home)[target]["last_outcome"] == "unchanged"

    # One new post naming the persona: still one page, one new exposure.
    new_id = sb.post_message("hongnews", f"가나다고 {PERSONA} 영상 요청합니다")
    sb.reset()
    run_stage(home, "pages")
    assert channel_requests(sb) == [""]
    assert new_id in message_ids(home)
    assert counts(home)["exposures"] == before["exposures"] + 1

    # Thirty new posts: pages back exactly until the last one seen, and no further.
    wanted = 0
    for n in range(30):
        text = f"{PERSONA} 합성 요청 {n}" if n == 3 else f"동네 소식 {n}번"
        posted = sb.post_message("hongnews", text)
        wanted = posted if n == 3 else wanted
    sb.reset()
    run_stage(home, "pages")
    pages = channel_requests(sb)
    assert len(pages) == 2 and pages[0] == "" and pages[1].startswith("before=")
    assert wanted in message_ids(home)
    assert db_rows(home, f"SELECT last_message_id FROM targets WHERE id = {target}") == [(new_id + 30,)]


def test_a_channel_without_public_preview_is_an_error_not_nothing_new(
    home: JikimiHome, sandbox: SandboxServer
) -> None:
    sb = sandbox
    home.write_config(page_config(sb))
    setup_case(home)
    target = add_target(home, "https://t.me/s/nopreview")
    code, summary = run_stage(home, "pages")
    assert code == 3
    assert sources(summary)["telegram"] == {
        "outcome": "error",
        "reason": f"target {target}: no-public-preview",
        "unreached_terms": 0,  # a page source has no terms left unsearched
    }
    assert targets(home)[target]["last_outcome"] == "no-public-preview"
    assert targets(home)[target]["last_error"] == "the channel has no public preview"


def test_a_disabled_telegram_source_says_so(home: JikimiHome, sandbox: SandboxServer) -> None:
    sb = sandbox
    home.write_config(page_config(sb).replace("[sources.telegram]", "[sources.telegram]\nenabled = false"))
    setup_case(home)
    target = add_target(home, CHANNEL)
    code, summary = run_stage(home, "pages")
    assert code == 3
    assert sources(summary)["telegram"]["outcome"] == "error"
    assert targets(home)[target]["last_outcome"] == "source-disabled"
    assert sb.requests == []
