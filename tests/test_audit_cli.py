"""Every read of decrypted data and every change through the CLI lands in the audit trail, without a term."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from storage.database import make_engine
from tests.support.home import JikimiHome

CANARY = "감사캐너리QZ8"
LABEL = "라벨캐너리WX3"


@pytest.fixture
def cli(home: JikimiHome, database_url: str) -> JikimiHome:
    home.write_config(f'database_url = "{database_url}"\n')
    home.ok("init")
    return home


def _actions(home: JikimiHome) -> list[tuple[str, int | None, str | None]]:
    rows = json.loads(home.ok("audit", "list", "--limit", "0", "--json"))
    return [(r["action"], r["case_id"], r["object"]) for r in reversed(rows)]


def test_cli_reads_and_changes_are_audited(cli: JikimiHome, database_url: str) -> None:
    case_id = int(cli.ok("case", "add", "--label", LABEL, "--consent", "victim, signed form"))
    term_id = int(cli.ok("term", "add", str(case_id), "-", stdin=CANARY + "\n"))
    cli.ok("term", "list", str(case_id))
    cli.ok("case", "show", str(case_id))
    cli.ok("case", "list")
    target_id = int(cli.ok("target", "add", "https://t.me/s/somechannel", "--case", str(case_id)))
    cli.ok("target", "list")
    cli.ok("target", "remove", str(target_id))
    cli.ok("exposures", "list", "--case", str(case_id))
    cli.ok("status")
    cli.ok("term", "remove", str(term_id))
    cli.ok("case", "close", str(case_id))
    assert _actions(cli) == [
        ("case.add", case_id, None),
        ("term.add", case_id, f"term {term_id}"),
        ("term.list", case_id, None),
        ("case.show", case_id, None),
        ("case.list", None, None),
        ("target.add", case_id, f"target {target_id}"),
        ("target.list", None, None),
        ("target.remove", None, f"target {target_id}"),
        ("exposures.list", case_id, None),
        ("status", None, None),
        ("term.remove", case_id, f"term {term_id}"),
        ("case.close", case_id, None),
    ]
    out = cli.ok("audit", "list")
    assert CANARY not in out and LABEL not in out
    engine = make_engine(database_url)
    with engine.connect() as conn:
        raw = " ".join(str(v) for row in conn.execute(sa.text("SELECT * FROM audit_log")) for v in row)
    engine.dispose()
    assert CANARY not in raw and LABEL not in raw and "t.me" not in raw
    assert "intact: 12 records" in cli.ok("audit", "verify")


def test_audit_verify_exits_1_on_a_broken_chain(cli: JikimiHome, database_url: str) -> None:
    case_id = cli.ok("case", "add", "--label", "x", "--consent", "victim")
    for _ in range(3):
        cli.ok("case", "show", case_id.strip())
    engine = make_engine(database_url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE audit_log SET actor = 'nobody' WHERE id = 2"))
    engine.dispose()
    result = cli.cli("audit", "verify")
    assert result.code == 1
    assert "BROKEN at record 2" in result.out
    data = json.loads(cli.cli("audit", "verify", "--json").out)
    assert data["ok"] is False and data["first_broken_id"] == 2


def test_audit_list_filters_by_case(cli: JikimiHome) -> None:
    a = cli.ok("case", "add", "--label", "a", "--consent", "victim").strip()
    b = cli.ok("case", "add", "--label", "b", "--consent", "victim").strip()
    cli.ok("case", "show", a)
    rows = json.loads(cli.ok("audit", "list", "--case", a, "--json"))
    assert [r["action"] for r in rows] == ["case.show", "case.add"]
    assert all(r["case_id"] == int(a) for r in rows)
    assert b not in [str(r["case_id"]) for r in rows]
