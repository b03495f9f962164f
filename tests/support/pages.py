"""Set-up for the page, Telegram, browser, verification and re-check tests."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sandbox.server import SandboxServer
from storage.database import Store
from tests.support.home import JikimiHome


def page_config(
    sb: SandboxServer, *, allow_private: bool = True, extra: str = "", telegram_pages: int = 5
) -> str:
    """Only the sandbox: private addresses allowed (the sandbox is on loopback) unless told otherwise."""
    return "\n".join(
        [
            "[network]",
            f"allow_private_addresses = {'true' if allow_private else 'false'}",
            "download_delay = 0.0",
            "download_timeout = 5.0",
            "concurrency_per_domain = 4",
            "",
            "[sources.duckduckgo]",
            "enabled = false",
            "",
            "[sources.telegram]",
            f'base_url = "{sb.base_url("telegram")}"',
            f"max_pages = {telegram_pages}",
            "",
            extra,
        ]
    )


def add_target(home: JikimiHome, url: str, *options: str) -> int:
    return int(home.ok("target", "add", url, *options).strip())


# What the CLI prints with --json, parsed: JSON values, typed as such (Any) so tests can index them.


def run_stage(home: JikimiHome, stage: str) -> tuple[int, dict[str, Any]]:
    result = home.cli("run", "--stage", stage, "--json")
    assert result.code in (0, 3), f"exit {result.code}: {result.err[-3000:]}"
    return result.code, json.loads(result.out)


def sources(summary: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    value = summary["sources"]
    assert isinstance(value, dict)
    return value


def exposures(home: JikimiHome) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = json.loads(home.ok("exposures", "list", "--json"))
    return found


def targets(home: JikimiHome) -> dict[int, dict[str, Any]]:
    return {t["id"]: t for t in json.loads(home.ok("target", "list", "--json"))}


def status(home: JikimiHome) -> dict[str, Any]:
    shown: dict[str, Any] = json.loads(home.ok("status", "--json"))
    return shown


def db_rows(home: JikimiHome, sql: str) -> list[tuple[Any, ...]]:
    """Plain columns straight from the SQLite file (ids, statuses, counts: nothing encrypted)."""
    path = Path(home.data_dir) / "jikimi.sqlite"
    with sqlite3.connect(path) as conn:
        return list(conn.execute(sql))


def home_store(home: JikimiHome) -> Store:
    """The home's database, opened the way the CLI opens it (close it when done)."""
    from jikimi.config import load_settings
    from storage.database import open_store
    from storage.keyring import load_keyring

    settings = load_settings()
    return open_store(settings.database_url, load_keyring(settings.key_file))


def run_sources(home: JikimiHome, run_id: int) -> dict[str, dict[str, Any]]:
    """{source: {outcome, reason, calls, results, new, details}} of one run, from the database."""
    import json as _json

    rows = db_rows(
        home,
        "SELECT source, outcome, reason, calls, results, new_exposures, details FROM run_sources "
        f"WHERE run_id = {int(run_id)}",
    )
    return {
        str(r[0]): {
            "outcome": r[1],
            "reason": r[2],
            "calls": r[3],
            "results": r[4],
            "new": r[5],
            "details": _json.loads(str(r[6])) if r[6] else {},
        }
        for r in rows
    }


def counts(home: JikimiHome) -> dict[str, int]:
    """Rows per table that a second, unchanged run must not grow."""
    return {
        table: int(db_rows(home, f"SELECT COUNT(*) FROM {table}")[0][0])
        for table in ("exposures", "sightings", "evidence", "exposure_events")
    }
