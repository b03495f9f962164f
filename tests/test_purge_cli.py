"""`jikimi case purge`: confirmation, one-line errors, and a canary gone from every file of the data dir."""

from __future__ import annotations

import json

import pytest

from tests.support.home import JikimiHome, files_under

CANARY = "씨엘아이캐너리QY5"


@pytest.fixture
def cli(home: JikimiHome) -> JikimiHome:
    home.ok("init")
    return home


def _case(home: JikimiHome, label: str, term: str) -> int:
    case_id = int(home.ok("case", "add", "--label", label, "--consent", "victim, signed form"))
    home.ok("term", "add", str(case_id), "-", stdin=term + "\n")
    return case_id


def test_purge_asks_for_the_case_id(cli: JikimiHome) -> None:
    case_id = _case(cli, "라벨", CANARY)
    wrong = cli.cli("case", "purge", str(case_id), stdin="no\n")
    assert wrong.code == 2 and "cancelled" in wrong.err
    assert "Type the case id" in wrong.err and CANARY not in wrong.err and "라벨" not in wrong.err
    assert len(json.loads(cli.ok("case", "list", "--json"))) == 1
    out = cli.ok("case", "purge", str(case_id), stdin=f"{case_id}\n")
    assert f"case {case_id} purged" in out and "key destroyed" in out
    assert json.loads(cli.ok("case", "list", "--json")) == []


def test_purge_yes_json_and_unknown_case(cli: JikimiHome) -> None:
    case_id = _case(cli, "라벨", CANARY)
    data = json.loads(cli.ok("case", "purge", str(case_id), "--yes", "--json"))
    assert data["case_id"] == case_id and data["key_removed"] is True and data["deleted"]["terms"] == 1
    missing = cli.cli("case", "purge", str(case_id), "--yes")
    assert missing.code == 2 and f"no case with id {case_id}" in missing.err
    assert "intact" in cli.ok("audit", "verify")


def test_canary_gone_from_every_file_after_purge(cli: JikimiHome) -> None:
    case_id = _case(cli, "캐너리사건", CANARY)
    other = _case(cli, "다른사건", "다른이름")
    cli.ok("case", "show", str(case_id))
    cli.ok("case", "purge", str(case_id), "--yes")
    raw = b"".join(p.read_bytes() for p in files_under([cli.data_dir]))
    assert CANARY.encode() not in raw and "캐너리사건".encode() not in raw
    assert "다른이름" in cli.ok("term", "list", str(other))
    key = json.loads((cli.data_dir / "jikimi.key").read_text())
    assert len(key["cases"]) == 1
