"""`jikimi keys status` and `jikimi keys rotate` through the real entry point."""

from __future__ import annotations

import json
from typing import Any

import pytest

from jikimi.config import load_settings
from storage import keys_rotation
from storage.database import open_store
from storage.keyring import load_keyring
from storage.runs import start_run
from tests.support.home import JikimiHome

TERM = "키회전용어QK1"


@pytest.fixture
def cli(home: JikimiHome, database_url: str) -> JikimiHome:
    home.write_config(f'database_url = "{database_url}"\n')
    home.ok("init")
    case_id = home.ok("case", "add", "--label", "회전사건", "--consent", "victim").strip()
    home.ok("term", "add", case_id, "-", stdin=TERM + "\n")
    return home


def _key_file(home: JikimiHome) -> dict[str, Any]:  # parsed JSON
    data = json.loads((home.data_dir / "jikimi.key").read_text())
    assert isinstance(data, dict)
    return data


def test_keys_status_shows_fingerprints_never_keys(cli: JikimiHome) -> None:
    out = cli.ok("keys", "status")
    raw = _key_file(cli)
    cases: dict[str, list[str]] = raw["cases"]
    families: list[list[str]] = [raw[f] for f in ("data", "index", "audit")]
    families += cases.values()
    secrets = [k for keys in families for k in keys]
    assert all(s not in out for s in secrets)
    data = json.loads(cli.ok("keys", "status", "--json"))
    assert len(data["data"]) == 1 and len(data["data"][0]) == 16
    assert list(data["cases"]) == ["1"] and data["rotation_pending"] is None
    assert data["data"][0] in out


def test_keys_rotate_then_everything_still_reads(cli: JikimiHome) -> None:
    before = _key_file(cli)
    out = cli.ok("keys", "rotate")
    assert "old keys retired" in out
    after = _key_file(cli)
    for family in ("data", "index", "audit"):
        assert len(after[family]) == 1 and after[family] != before[family]
    assert TERM in cli.ok("term", "list", "1")
    assert "intact" in cli.ok("audit", "verify")
    actions = [r["action"] for r in json.loads(cli.ok("audit", "list", "--json"))]
    assert actions[:3] == ["term.list", "keys.rotate", "keys.rotate"]


def test_resume_with_nothing_pending_is_one_line(cli: JikimiHome) -> None:
    result = cli.cli("keys", "rotate", "--resume")
    assert result.code == 2 and result.err.strip() == "jikimi: error: no key rotation is pending"


def test_pending_rotation_is_shown_and_resumed(cli: JikimiHome) -> None:
    settings = load_settings()
    store = open_store(settings.database_url, load_keyring(settings.key_file))

    def crash(phase: str, batches: int) -> None:
        raise RuntimeError("power cut")

    with pytest.raises(RuntimeError):
        keys_rotation.rotate(store, "advocate", batch_size=1, after_batch=crash)
    store.close()
    assert "key rotation stopped in phase 'reencrypt'" in cli.ok("status")
    assert TERM in cli.ok("term", "list", "1")  # readable during the pending rotation
    assert json.loads(cli.ok("keys", "status", "--json"))["rotation_pending"] == "reencrypt"
    assert "resumed and finished" in cli.ok("keys", "rotate", "--resume")
    assert "key rotation stopped" not in cli.ok("status")
    assert len(_key_file(cli)["data"]) == 1


def test_rotation_refused_while_a_run_is_recorded_running(cli: JikimiHome) -> None:
    settings = load_settings()
    store = open_store(settings.database_url, load_keyring(settings.key_file))
    start_run(store, "search")
    store.close()
    result = cli.cli("keys", "rotate")
    assert result.code == 2 and "still running" in result.err and "\n" not in result.err.strip()
    assert len(_key_file(cli)["data"]) == 1
    assert "old keys retired" in cli.ok("keys", "rotate", "--force")
