"""`jikimi exposure ...` through the real entry point: marks, bulk marks, show and history."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from jikimi.config import load_settings
from storage.database import open_store
from storage.exposures import Observation, record_observation
from storage.keyring import load_keyring
from tests.support.home import JikimiHome

SEEN = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)


def _setup(home: JikimiHome, urls: list[str]) -> tuple[int, list[int]]:
    home.ok("init")
    case_id = int(home.ok("case", "add", "--label", "사례", "--consent", "victim, form").strip())
    settings = load_settings()
    store = open_store(settings.database_url, load_keyring(settings.key_file))
    ids = []
    try:
        for url in urls:
            obs = Observation(
                case_id=case_id,
                url=url,
                canonical_url=url,
                domain="d.example",
                platform="x",
                title="[bold]title[/bold]",
                snippet="s",
                confidence="snippet",
                source="naver",
                seen_at=SEEN,
            )
            with store.session() as s:
                ids.append(record_observation(s, store.crypto, obs)[0])
    finally:
        store.close()
    return case_id, ids


def test_mark_show_and_history(home: JikimiHome) -> None:
    _, [exposure_id] = _setup(home, ["https://x.com/a/status/1"])
    out = home.ok(
        "exposure",
        "mark",
        str(exposure_id),
        "reported",
        "--channel",
        "x-report-form",
        "--for",
        "X safety team",
        "--at",
        "2026-11-21T09:00",
        "--note",
        "-",
        stdin="접수번호 123\n",
    )
    assert out.strip() == f"exposure {exposure_id}: new -> reported"
    removed = json.loads(
        home.ok(
            "exposure",
            "mark",
            str(exposure_id),
            "removed",
            "--at",
            "2026-11-22T10:00+09:00",
            "--verified-at",
            "2026-11-22T03:00",
            "--json",
        )
    )
    assert removed["from"] == "reported" and removed["verified_at"] == "2026-11-21T18:00:00+00:00"
    events = json.loads(home.ok("exposure", "history", str(exposure_id), "--json"))
    assert [(e["from"], e["to"]) for e in events] == [("new", "reported"), ("reported", "removed")]
    first = events[0]
    # A time without a zone is read in the configured zone (Asia/Seoul): 09:00 KST is 00:00 UTC.
    assert first["at"] == "2026-11-21T00:00:00+00:00"
    assert (first["channel"], first["recipient"], first["note"]) == (
        "x-report-form",
        "X safety team",
        "접수번호 123",
    )
    assert first["actor"]
    shown = json.loads(home.ok("exposure", "show", str(exposure_id), "--json"))
    assert shown["status"] == "removed" and len(shown["history"]) == 2 and shown["reuploads"] == []
    text = home.ok("exposure", "show", str(exposure_id))
    assert "[bold]title[/bold]" in text and "x-report" in text and "seen gone" in text and "…" not in text
    assert "09:00 KST" in home.ok("exposure", "history", str(exposure_id))  # the table may wrap the date
    actions = [r["action"] for r in json.loads(home.ok("audit", "list", "--json"))]
    assert (
        actions.count("exposure.mark") == 2 and "exposure.show" in actions and "exposure.history" in actions
    )


def test_refused_transition_is_one_line_and_changes_nothing(home: JikimiHome) -> None:
    _, [exposure_id] = _setup(home, ["https://x.com/a/status/1"])
    result = home.cli("exposure", "mark", str(exposure_id), "removed")
    assert result.code == 2 and result.err.count("\n") == 1
    assert "'new'" in result.err and "'removed'" in result.err
    assert json.loads(home.ok("exposure", "history", str(exposure_id), "--json")) == []
    bad_time = home.cli("exposure", "mark", str(exposure_id), "confirmed", "--at", "yesterday")
    assert bad_time.code == 2 and "--at" in bad_time.err
    missing = home.cli("exposure", "mark", "999", "confirmed")
    assert missing.code == 2 and "no exposure with id 999" in missing.err
    assert "no status changes yet" in home.ok("exposure", "history", str(exposure_id))


def test_mark_case_in_bulk(home: JikimiHome) -> None:
    case_id, ids = _setup(
        home, ["https://x.com/a/status/1", "https://x.com/a/status/2", "https://x.com/a/status/3"]
    )
    home.ok("exposure", "mark", str(ids[2]), "dismissed")
    out = home.ok("exposure", "mark-case", str(case_id), "--from", "new", "--to", "confirmed")
    assert out.splitlines()[0] == f"2 exposure(s) of case {case_id}: new -> confirmed"
    changed = json.loads(
        home.ok(
            "exposure",
            "mark-case",
            str(case_id),
            "--from",
            "confirmed",
            "--to",
            "reported",
            "--channel",
            "email:abuse@x.example",
            "--id",
            str(ids[0]),
            "--json",
        )
    )
    assert changed["changed"] == [ids[0]] and changed["change_set"]
    [_, reported] = json.loads(home.ok("exposure", "history", str(ids[0]), "--json"))
    assert (reported["channel"], reported["recipient"]) == ("email", "abuse@x.example")
    listed = {e["id"]: e["status"] for e in json.loads(home.ok("exposures", "list", "--json"))}
    assert listed == {ids[0]: "reported", ids[1]: "confirmed", ids[2]: "dismissed"}
    refused = home.cli("exposure", "mark-case", str(case_id), "--from", "dismissed", "--to", "confirmed")
    assert refused.code == 2 and "'dismissed'" in refused.err
