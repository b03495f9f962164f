"""A takedown manifest's own follow-up commands all succeed when an advocate runs them in order.

One exposure often goes to several recipients (the platform, then KCSC and D4U): the first notice's
command moves it to `reported`, the next ones record another report of an exposure already reported.
The commands are read from manifest.json and run through the real `jikimi` entry point.
"""

from __future__ import annotations

import json
import shlex
from datetime import UTC, datetime
from pathlib import Path

from jikimi.config import load_settings
from storage.database import open_store
from storage.exposures import Observation, record_observation
from storage.keyring import load_keyring
from tests.support.home import JikimiHome

TERM = "캐너리홍길동QX7"
SEEN = datetime(2026, 11, 23, 18, 12, tzinfo=UTC)
URLS = (
    "https://blog.naver.com/someone/1",
    "https://blog.naver.com/someone/2",
    "https://t.me/somechannel/15",
    "https://unknown.example/p/1",
    "https://other.example/q/2",
)


def _seed(home: JikimiHome) -> tuple[int, list[int]]:
    home.ok("init")
    case_id = int(home.ok("case", "add", "--label", "사례", "--consent", "victim, form").strip())
    home.ok("term", "add", str(case_id), TERM)
    settings = load_settings()
    store = open_store(settings.database_url, load_keyring(settings.key_file))
    ids = []
    try:
        for url in URLS:
            observation = Observation(
                case_id=case_id,
                url=url,
                canonical_url=url,
                domain=url.split("/")[2],
                platform="web",
                title=None,
                snippet=None,
                confidence="snippet",
                source="searxng",
                seen_at=SEEN,
            )
            with store.session() as session:
                ids.append(record_observation(session, store.crypto, observation)[0])
    finally:
        store.close()
    return case_id, ids


def _commands(manifest: Path) -> list[list[str]]:
    data = json.loads(manifest.read_text(encoding="utf-8"))
    out = []
    for draft in data["drafts"]:
        for line in draft["after_sending"]:
            words = shlex.split(line)
            assert words[:3] == ["jikimi", "exposure", "mark-case"]
            out.append(words[1:])
    return out


def test_every_manifest_command_succeeds_in_order(home: JikimiHome, tmp_path: Path) -> None:
    case_id, ids = _seed(home)
    for exposure_id in ids[:4]:
        home.ok("exposure", "mark", str(exposure_id), "confirmed")
    # Already reported once by e-mail: drafted again below, to KCSC and D4U.
    home.ok("exposure", "mark", str(ids[4]), "reported", "--channel", "email")
    out = tmp_path / "drafts"
    home.ok(
        "takedown",
        "draft",
        "--case",
        str(case_id),
        "--output",
        str(out),
        "--status",
        "confirmed",
        "--status",
        "reported",
    )
    commands = _commands(out / "manifest.json")
    recipients = [d["recipient"] for d in json.loads((out / "manifest.json").read_text("utf-8"))["drafts"]]
    assert recipients == ["naver", "telegram", "kcsc", "d4u"]
    assert commands
    for words in commands:
        result = home.cli(*words)
        assert result.code == 0, (words, result.err)

    shown = {e["id"]: e["status"] for e in json.loads(home.ok("exposures", "list", "--json"))}
    assert shown == {exposure_id: "reported" for exposure_id in ids}
    # Every notice left its report in the history: one event per recipient an exposure went to.
    data = json.loads((out / "manifest.json").read_text("utf-8"))
    for exposure_id in ids:
        sent_to = sum(exposure_id in d["exposure_ids"] for d in data["drafts"])
        history = json.loads(home.ok("exposure", "history", str(exposure_id), "--json"))
        reports = [e for e in history if e["to"] == "reported"]
        assert len(reports) == sent_to + (1 if exposure_id == ids[4] else 0)
