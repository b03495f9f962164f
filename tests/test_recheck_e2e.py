"""Removal re-checks end to end: `jikimi recheck` against the sandbox (issue 6.5).

Exposures are stored straight into the home's database (as earlier runs would have left them) and
marked `reported`; the re-check fetches each through the real crawl subprocess.
"""

from __future__ import annotations

import json
from typing import Any

from sandbox.server import SandboxServer
from tests.support.home import PERSONA, JikimiHome, setup_case
from tests.support.pages import add_target, db_rows, exposures, home_store, page_config, run_stage


def page(body: str) -> str:
    return (
        "<!DOCTYPE html><html lang='ko'><head><meta charset='utf-8'><title>게시글</title></head>"
        f"<body><article><h1>게시글</h1><p>{body}</p></article></body></html>"
    )


def stored_exposure(
    home: JikimiHome, case_id: int, url: str, confidence: str = "page", status: str = "reported"
) -> int:
    from storage.exposures import Observation, record_observation
    from storage.lifecycle import StatusChange, mark
    from storage.models import utcnow
    from storage.urls import canonical_url, domain_of, platform_of

    store = home_store(home)
    try:
        canonical = canonical_url(url)
        with store.session() as session:
            exposure_id, _ = record_observation(
                session,
                store.crypto,
                Observation(
                    case_id=case_id,
                    url=url,
                    canonical_url=canonical,
                    domain=domain_of(canonical),
                    platform=platform_of(canonical),
                    title="게시글",
                    snippet=f"{PERSONA} ...",
                    confidence=confidence,
                    source="searxng",
                    seen_at=utcnow(),
                ),
            )
        if status != "new":
            mark(store, exposure_id, StatusChange("reported", actor="advocate", channel="email"))
        return exposure_id
    finally:
        store.close()


def recheck(home: JikimiHome) -> tuple[int, dict[str, Any]]:  # parsed JSON
    result = home.cli("recheck", "--json")
    assert result.code in (0, 3), result.err[-3000:]
    return result.code, json.loads(result.out)


def statuses(home: JikimiHome) -> dict[int, str]:
    return {int(e["id"]): str(e["status"]) for e in exposures(home)}


def evidence(home: JikimiHome, exposure_id: int) -> list[tuple[object, ...]]:
    return db_rows(
        home,
        "SELECT http_status, outcome FROM evidence "
        f"WHERE purpose = 'recheck' AND exposure_id = {exposure_id} ORDER BY id",
    )


def test_recheck_marks_what_is_gone_and_nothing_else(home: JikimiHome, sandbox: SandboxServer) -> None:
    sb = sandbox
    home.write_config(page_config(sb))
    case_id = setup_case(home)
    sb.set_page("/web/edited", page(f"가나다고 {PERSONA} 합성 요청합니다"))
    ids = {
        "gone": stored_exposure(home, case_id, sb.url + "/web/gone", "snippet"),
        "notice": stored_exposure(home, case_id, sb.url + "/web/removed", "snippet"),
        "edited": stored_exposure(home, case_id, sb.url + "/web/edited"),
        "live": stored_exposure(home, case_id, sb.url + "/web/forum/1"),
        "block_page": stored_exposure(home, case_id, sb.url + "/web/blocked", "snippet"),
        "rate_limited": stored_exposure(home, case_id, sb.url + "/hostile/storm"),
        "robots": stored_exposure(home, case_id, sb.url + "/web/private/secret"),
        "engine_only": stored_exposure(home, case_id, sb.url + "/web/forum/4", "engine"),
        "closed_port": stored_exposure(home, case_id, "http://127.0.0.1:9/board/1"),
        "tg_deleted": stored_exposure(home, case_id, "https://t.me/hongnews/17", "snippet"),
        "tg_live": stored_exposure(home, case_id, "https://t.me/hongnews/21"),
        "tg_no_channel": stored_exposure(home, case_id, "https://t.me/nopreview/5"),
    }
    # The page is edited to drop the name after it was reported.
    sb.set_page("/web/edited", page("운영자에 의해 내용이 수정되었습니다."))

    code, summary = recheck(home)
    sb.wait_idle()
    now = statuses(home)
    assert {name: now[i] for name, i in ids.items()} == {
        "gone": "removed",
        "notice": "removed",
        "edited": "removed",
        "live": "reported",
        "block_page": "reported",  # a challenge page is not a removal
        "rate_limited": "reported",
        "robots": "reported",
        "engine_only": "reported",  # the term was never seen in text: its absence proves nothing
        "closed_port": "reported",
        "tg_deleted": "removed",
        "tg_live": "reported",
        "tg_no_channel": "removed",
    }
    outcomes = {name: evidence(home, i)[-1][1] for name, i in ids.items()}
    assert outcomes == {
        "gone": "removed:http-404",
        "notice": "removed:notice",
        "edited": "removed:term-gone",
        "live": "live",
        "block_page": "inconclusive:blocked",
        "rate_limited": "inconclusive:blocked",
        "robots": "inconclusive:robots-disallowed",
        "engine_only": "inconclusive:term-never-seen",
        "closed_port": "inconclusive:robots-unreachable",  # not even robots.txt answered
        "tg_deleted": "removed:message-missing",
        "tg_live": "live",
        "tg_no_channel": "removed:no-public-preview",
    }
    assert evidence(home, ids["gone"]) == [(404, "removed:http-404")]
    # A failure to look is reported as what it was, and the pass is not "ok".
    assert code == 3
    assert summary["outcome"] == "blocked"
    assert summary["verdicts"] == {
        "removed": 5,
        "reappeared": 0,
        "live": 2,
        "still-removed": 0,
        "inconclusive": 5,
    }
    # Removals carry an event by the re-check, like an advocate's.
    events = db_rows(
        home,
        "SELECT actor, channel, to_status FROM exposure_events "
        f"WHERE exposure_id = {ids['gone']} ORDER BY id",
    )
    assert events[-1] == ("recheck", "recheck", "removed")
    assert sb.hits("/web/private/") == 0 and sb.hits("/media/") == 0


def test_a_removed_exposure_that_comes_back_reappears(home: JikimiHome, sandbox: SandboxServer) -> None:
    sb = sandbox
    home.write_config(page_config(sb))
    case_id = setup_case(home)
    sb.set_page("/web/back", page(f"가나다고 {PERSONA} 사진 모음"))
    exposure = stored_exposure(home, case_id, sb.url + "/web/back")
    code, _ = recheck(home)
    assert code == 0 and statuses(home)[exposure] == "reported"

    sb.set_page("/web/back", page("삭제된 게시물입니다."))
    recheck(home)
    assert statuses(home)[exposure] == "removed"
    recheck(home)
    assert statuses(home)[exposure] == "removed"  # still gone: nothing changes

    sb.set_page("/web/back", page(f"다시 올림: 가나다고 {PERSONA} 사진 모음"))
    code, summary = recheck(home)
    assert code == 0 and statuses(home)[exposure] == "reappeared"
    assert summary["verdicts"]["reappeared"] == 1
    assert [row[1] for row in evidence(home, exposure)] == [
        "live",
        "removed:notice",
        "still-removed:notice",
        "reappeared",
    ]


def test_a_reupload_at_a_new_url_is_linked_to_the_removed_exposure(
    home: JikimiHome, sandbox: SandboxServer
) -> None:
    sb = sandbox
    home.write_config(page_config(sb))
    setup_case(home)
    text = (
        f"가나다고 2학년 {PERSONA} 합성 사진 공유방 링크 요청합니다. 갠텔 주시면 사진 보내드립니다. "
        "인스타 계정도 같이 올립니다. 조회수 {views}"
    )
    sb.set_page("/web/first", page(text.format(views=37)))
    add_target(home, sb.url + "/web/first")
    run_stage(home, "pages")
    [original] = exposures(home)
    home.ok("exposure", "mark", str(original["id"]), "reported", "--channel", "email")
    sb.set_page("/web/first", page("이 게시물은 삭제되었습니다. 삭제된 게시물입니다."))
    recheck(home)
    assert statuses(home)[int(original["id"])] == "removed"

    # The same post appears elsewhere, with another view count.
    sb.set_page("/web/copy", page(text.format(views=1532)))
    add_target(home, sb.url + "/web/copy")
    run_stage(home, "pages")
    copy = next(e for e in exposures(home) if str(e["url"]).endswith("/web/copy"))
    assert copy["status"] == "reappeared"
    linked = db_rows(home, f"SELECT reupload_of_id FROM exposures WHERE id = {int(copy['id'])}")
    assert linked == [(original["id"],)]


def test_nothing_to_recheck_is_empty(home: JikimiHome, sandbox: SandboxServer) -> None:
    sb = sandbox
    home.write_config(page_config(sb))
    setup_case(home)
    code, summary = recheck(home)
    assert code == 0 and summary["outcome"] == "empty"
    assert sb.requests == []


def test_a_term_never_seen_in_text_is_inconclusive_but_not_a_failure(
    home: JikimiHome, sandbox: SandboxServer
) -> None:
    home.write_config(page_config(sandbox))
    case_id = setup_case(home)
    # Only a search engine ever claimed the term was here; the live page does not show it.
    engine_only = stored_exposure(home, case_id, sandbox.url + "/web/forum/4", "engine")

    code, summary = recheck(home)

    assert evidence(home, engine_only)[-1][1] == "inconclusive:term-never-seen"
    assert statuses(home)[engine_only] == "reported"
    verdicts = summary["verdicts"]
    assert isinstance(verdicts, dict) and verdicts["inconclusive"] == 1
    # The page was read: the source did its job, and a nightly pass is not degraded by it.
    assert summary["outcome"] == "ok"
    assert code == 0
