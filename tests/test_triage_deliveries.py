"""Deliveries by tier and recipient, reopen and undo, files never overwritten, times with offsets (CLI).

Every test drives the real `jikimi` entry point against a real pass over the sandbox engines.
"""

from __future__ import annotations

import json
import os
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from sandbox.server import SandboxServer
from tests.support.home import JikimiHome
from tests.support.triage import run_case


def listed(home: JikimiHome, *args: str) -> list[dict[str, Any]]:
    return list(json.loads(home.ok("exposures", "list", "--json", *args)))


def jsonl_ids(path: Path) -> list[int]:
    return [json.loads(line)["id"] for line in path.read_text(encoding="utf-8").splitlines()]


def export_json(home: JikimiHome, path: Path, *args: str) -> dict[str, Any]:
    return dict(
        json.loads(home.ok("export", "--format", path.suffix[1:], "--output", str(path), "--json", *args))
    )


# --- item 2: deliveries take what is worth sending ----------------------------------------------------------


def test_new_export_leaves_weak_out_until_asked_or_confirmed(
    home: JikimiHome, sandbox: SandboxServer
) -> None:
    run_case(home, sandbox)
    everything = listed(home)
    worth = [e["id"] for e in everything if e["tier"] in ("strong", "likely")]
    weak = [e["id"] for e in everything if e["tier"] == "weak"]
    assert worth and len(weak) >= 3
    first = home.data_dir / "first.jsonl"
    export_json(home, first, "--new")
    assert jsonl_ids(first) == worth  # highest score first, no weak one

    # An advocate confirms one weak exposure and dismisses another: the confirmed one goes out.
    home.ok("exposure", "mark", str(weak[0]), "confirmed")
    home.ok("exposure", "mark", str(weak[1]), "dismissed")
    second = home.data_dir / "second.jsonl"
    export_json(home, second, "--new")
    assert jsonl_ids(second) == [weak[0]]

    # --tier weak brings the rest in, never the dismissed one.
    third = home.data_dir / "third.jsonl"
    export_json(home, third, "--new", "--tier", "weak")
    assert sorted(jsonl_ids(third)) == sorted(weak[2:])
    bad = home.cli(
        "export", "--format", "csv", "--output", str(home.data_dir / "x.csv"), "--new", "--tier", "meh"
    )
    assert bad.code == 2 and "--tier" in bad.err and not (home.data_dir / "x.csv").exists()


def test_takedown_draft_takes_strong_and_likely_by_default(home: JikimiHome, sandbox: SandboxServer) -> None:
    case_id = run_case(home, sandbox)
    everything = listed(home)
    worth = {e["id"] for e in everything if e["tier"] in ("strong", "likely")}
    weak = [e["id"] for e in everything if e["tier"] == "weak"]
    drafts = json.loads(
        home.ok("takedown", "draft", "--case", str(case_id), "--output", str(home.data_dir / "d1"), "--json")
    )
    assert drafts["exposures"] == len(worth)
    text = "".join(p.read_text(encoding="utf-8") for p in (home.data_dir / "d1").glob("*.txt"))
    by_id = {e["id"]: e for e in everything}
    assert all(by_id[i]["url"] not in text for i in weak)
    assert all(by_id[i]["url"] in text for i in worth)
    with_weak = json.loads(
        home.ok(
            "takedown",
            "draft",
            "--case",
            str(case_id),
            "--output",
            str(home.data_dir / "d2"),
            "--tier",
            "weak",
            "--json",
        )
    )
    assert with_weak["exposures"] == len(worth) + len(weak)


# --- item 3: reversible decisions ---------------------------------------------------------------------------


def test_reopen_from_any_status_with_a_reason(home: JikimiHome, sandbox: SandboxServer) -> None:
    run_case(home, sandbox)
    first = listed(home)[0]["id"]
    home.ok("exposure", "mark", str(first), "dismissed")
    missing = home.cli("exposure", "reopen", str(first))
    assert missing.code == 2 and "--note" in missing.err
    out = home.ok("exposure", "reopen", str(first), "--note", "dismissed by mistake")
    assert out.strip() == f"exposure {first}: dismissed -> new"
    for path in (["confirmed"], ["reported"], ["reported", "removed"]):
        for status in path:
            home.ok("exposure", "mark", str(first), status)
        home.ok("exposure", "reopen", str(first), "--note", f"back from {path[-1]}")
    history = json.loads(home.ok("exposure", "history", str(first), "--json"))
    reopened = [e for e in history if e["to"] == "new"]
    assert [e["from"] for e in reopened] == ["dismissed", "confirmed", "reported", "removed"]
    assert reopened[0]["note"] == "dismissed by mistake"
    audit = json.loads(home.ok("audit", "list", "--json"))
    assert sum(1 for r in audit if r["action"] == "exposure.reopen") == 4


def test_a_mistaken_bulk_change_is_undone_as_one_step(home: JikimiHome, sandbox: SandboxServer) -> None:
    case_id = run_case(home, sandbox)
    before = {e["id"]: e["status"] for e in listed(home)}
    assert set(before.values()) == {"new"}
    confirmed = next(iter(before))
    home.ok("exposure", "mark", str(confirmed), "confirmed")
    result = json.loads(
        home.ok("exposure", "mark-case", str(case_id), "--from", "new", "--to", "dismissed", "--json")
    )
    change_set = result["change_set"]
    assert len(result["changed"]) == len(before) - 1 and re.fullmatch(r"[0-9a-f]{12}", change_set)
    # Someone reopens one of them meanwhile: the undo leaves that one alone and says so.
    touched = result["changed"][0]
    home.ok("exposure", "reopen", str(touched), "--note", "not this one")
    home.ok("exposure", "mark", str(touched), "confirmed")
    undone = json.loads(home.ok("exposure", "undo", change_set, "--json"))
    assert undone["change_set"] == change_set and undone["skipped"] == [touched]
    assert sorted(undone["restored"]) == sorted(set(result["changed"]) - {touched})
    after = {e["id"]: e["status"] for e in listed(home)}
    assert after == {**before, confirmed: "confirmed", touched: "confirmed"}
    again = home.cli("exposure", "undo", change_set)
    assert again.code == 2 and "already undone" in again.err
    unknown = home.cli("exposure", "undo", "0123456789ab")
    assert unknown.code == 2 and "no change set" in unknown.err
    history = json.loads(home.ok("exposure", "history", str(undone["restored"][0]), "--json"))
    assert [(e["from"], e["to"]) for e in history] == [("new", "dismissed"), ("dismissed", "new")]
    assert history[1]["change_set"] == f"undo-{change_set}"
    assert any(r["action"] == "exposure.undo" for r in json.loads(home.ok("audit", "list", "--json")))
    # Without an id, `undo` takes this actor's most recent change: here a second bulk change.
    home.ok("exposure", "mark-case", str(case_id), "--from", "new", "--to", "confirmed")
    assert {e["status"] for e in listed(home)} == {"confirmed"}
    out = home.ok("exposure", "undo")
    assert "undone" in out
    assert {e["id"]: e["status"] for e in listed(home)} == after


# --- item 4: deliveries per recipient -----------------------------------------------------------------------


def test_new_is_per_recipient_and_batches_can_be_written_again(
    home: JikimiHome, sandbox: SandboxServer
) -> None:
    run_case(home, sandbox)
    worth = [e["id"] for e in listed(home) if e["tier"] in ("strong", "likely")]
    html = home.data_dir / "team.html"
    team = export_json(home, html, "--new", "--for", "takedown-team")
    assert team["count"] == len(worth) and team["recipient"] == "takedown-team"
    # The HTML did not use up the batch for anyone else: the CSV for the police gets the same ones.
    police = home.data_dir / "police.jsonl"
    assert export_json(home, police, "--new", "--for", "police")["count"] == len(worth)
    assert jsonl_ids(police) == worth
    again = export_json(home, home.data_dir / "team-again.jsonl", "--new", "--for", "takedown-team")
    assert again["count"] == 0
    # The default recipient is its own.
    assert export_json(home, home.data_dir / "default.jsonl", "--new")["count"] == len(worth)

    batches = json.loads(home.ok("export", "batches", "--json"))
    assert [(b["batch"], b["recipient"], b["count"]) for b in batches] == [
        (4, "default", len(worth)),
        (3, "takedown-team", 0),
        (2, "police", len(worth)),
        (1, "takedown-team", len(worth)),
    ]
    only_team = json.loads(home.ok("export", "batches", "--for", "takedown-team", "--json"))
    assert [b["batch"] for b in only_team] == [3, 1]
    text = home.ok("export", "batches")
    assert "takedown-team" in text and "police" in text

    # Batch 1 (HTML) written again as JSON Lines: the same exposures, nothing newly delivered.
    copy = home.data_dir / "batch1.jsonl"
    rewritten = export_json(home, copy, "--batch", "1")
    assert sorted(jsonl_ids(copy)) == sorted(worth) and rewritten["recipient"] == "takedown-team"
    assert json.loads(home.ok("export", "batches", "--json"))[0]["rewrite_of"] == 1
    assert export_json(home, home.data_dir / "police-2.jsonl", "--new", "--for", "police")["count"] == 0

    for args, message in (
        (["--batch", "99"], "no export batch with id 99"),
        (["--batch", "1", "--new"], "--batch"),
        (["--new", "--for", "홍길동"], "--for"),
    ):
        target = home.data_dir / "bad.jsonl"
        result = home.cli("export", "--format", "jsonl", "--output", str(target), *args)
        assert result.code == 2 and message in result.err and not target.exists(), result.err


def test_one_name_for_the_recipient_on_the_command_line(home: JikimiHome, sandbox: SandboxServer) -> None:
    case_id = run_case(home, sandbox)
    first = listed(home)[0]["id"]
    home.ok("exposure", "mark", str(first), "reported", "--channel", "email", "--for", "abuse@forum.example")
    second = listed(home, "--status", "new")[0]["id"]
    home.ok(
        "exposure",
        "mark-case",
        str(case_id),
        "--from",
        "new",
        "--to",
        "reported",
        "--id",
        str(second),
        "--for",
        "abuse@cafe.example",
    )
    recipients = [
        json.loads(home.ok("exposure", "history", str(i), "--json"))[-1]["recipient"] for i in (first, second)
    ]
    assert recipients == ["abuse@forum.example", "abuse@cafe.example"]


# --- issue 10 item 3: export files are never overwritten ----------------------------------------------------


def test_output_onto_an_existing_file_refuses_unless_forced(home: JikimiHome, sandbox: SandboxServer) -> None:
    run_case(home, sandbox)
    target = home.data_dir / "feed.csv"
    target.write_text("what the team was sent yesterday", encoding="utf-8")
    refused = home.cli("export", "--format", "csv", "--output", str(target), "--new")
    assert refused.code == 2 and "already exists" in refused.err and "--force" in refused.err
    assert target.read_text(encoding="utf-8") == "what the team was sent yesterday"
    assert json.loads(home.ok("export", "batches", "--json")) == []  # nothing recorded as delivered
    forced = home.ok("export", "--format", "csv", "--output", str(target), "--new", "--force")
    assert "wrote" in forced and target.read_text(encoding="utf-8-sig").startswith("id,")
    assert [p.name for p in home.data_dir.iterdir() if p.name.endswith(".tmp")] == []


def test_two_nightly_exports_in_the_same_second_each_keep_their_file(
    home: JikimiHome, sandbox: SandboxServer
) -> None:
    """The nightly name has one-second resolution: the second file gets a sibling name, never the first's."""
    from jikimi.config import load_settings
    from storage.database import open_store
    from storage.exports import DELIVERY_TIERS
    from storage.keyring import load_keyring
    from takedown.exporting import export_exposures, nightly_export_path

    run_case(home, sandbox)
    settings = load_settings()
    store = open_store(settings.database_url, load_keyring(settings.key_file))
    out = home.data_dir / "exports"
    out.mkdir()
    now = datetime.now().astimezone()
    name = nightly_export_path(out, now, "jsonl")
    try:
        first = export_exposures(
            store,
            fmt="jsonl",
            output=name,
            only_new=True,
            actor="pass-1",
            unique=True,
            now=now,
            tiers=DELIVERY_TIERS,
        )
        home.ok("exposure", "mark", str(listed(home, "--tier", "weak")[0]["id"]), "confirmed")
        second = export_exposures(
            store,
            fmt="jsonl",
            output=name,
            only_new=True,
            actor="pass-2",
            unique=True,
            now=now,
            tiers=DELIVERY_TIERS,
        )
    finally:
        store.close()
    assert first.path == name and second.path == name.with_name(name.stem + "-2.jsonl")
    assert first.count > 0 and second.count == 1
    assert len(jsonl_ids(first.path)) == first.count and len(jsonl_ids(second.path)) == 1
    batches = json.loads(home.ok("export", "batches", "--json"))
    assert [b["path"] for b in batches] == [str(second.path), str(first.path)]


def test_a_file_appearing_meanwhile_is_never_replaced_and_nothing_is_recorded(
    home: JikimiHome, sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another writer takes the name between the check and the link: refused, no delivery recorded."""
    from takedown import exporting

    run_case(home, sandbox)
    target = home.data_dir / "race.jsonl"
    original = exporting.RENDERERS["jsonl"]

    def racing(rows: Any, out: Any, meta: Any) -> None:
        target.write_text("the other pass's file", encoding="utf-8")
        original(rows, out, meta)

    monkeypatch.setitem(exporting.RENDERERS, "jsonl", racing)
    result = home.cli("export", "--format", "jsonl", "--output", str(target), "--new")
    assert result.code == 2 and "already exists" in result.err
    assert target.read_text(encoding="utf-8") == "the other pass's file"
    assert json.loads(home.ok("export", "batches", "--json")) == []
    assert not [p for p in home.data_dir.iterdir() if p.name.endswith(".tmp")]
    assert os.stat(target).st_nlink == 1


# --- item 9: times in the configured zone with the offset ---------------------------------------------------


def test_times_show_the_configured_zone_and_offset(home: JikimiHome, sandbox: SandboxServer) -> None:
    run_case(home, sandbox)  # the configuration sets no zone: the default, Asia/Seoul
    table = home.ok("exposures", "list")
    assert "+09:00" in table
    top = listed(home)[0]
    shown = home.ok("exposure", "show", str(top["id"]))
    assert re.search(r"first seen: \d{4}-\d\d-\d\d \d\d:\d\d KST \+09:00", shown)
    path = home.data_dir / "times.jsonl"
    export_json(home, path)
    record = json.loads(path.read_text(encoding="utf-8").splitlines()[0])
    assert record["first_seen"].endswith("+09:00")
    assert datetime.fromisoformat(record["first_seen"]) == datetime.fromisoformat(top["first_seen"]).replace(
        microsecond=0
    )
    html = home.data_dir / "times.html"
    export_json(home, html)
    assert "+09:00 (Asia/Seoul)" in html.read_text(encoding="utf-8")
    home.write_config(
        home.config.read_text(encoding="utf-8").replace("[network]", 'timezone = "UTC"\n[network]', 1)
    )
    assert "+00:00" in home.ok("exposures", "list")
    assert "+00:00" in home.ok("export", "batches")
