"""The lock file pins what CI installs, above the minimums the threat model names (T10)."""

from __future__ import annotations

from pathlib import Path

import pytest

from jikimi.supply_chain import exceptions, pins

ROOT = Path(__file__).resolve().parent.parent


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split(".")[:3] if p.isdigit())


@pytest.mark.parametrize(
    ("package", "minimum"),
    [
        ("scrapy", "2.19.0"),
        ("brotli", "1.2.0"),
        ("cryptography", "44.0.1"),
        ("jinja2", "3.1.6"),
        ("apscheduler", "3.11.3"),
        ("twisted", "24.7.0"),
        ("urllib3", "2.5.0"),
    ],
)
def test_locked_versions_are_above_known_advisories(package: str, minimum: str) -> None:
    locked = pins(ROOT / "requirements.lock")
    assert package in locked
    assert _version(locked[package]) >= _version(minimum)


def test_every_lock_line_is_hashed() -> None:
    text = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    blocks = [b for b in text.split("\n") if "==" in b and not b.lstrip().startswith("#")]
    assert blocks and all(b.rstrip().endswith("\\") for b in blocks), "every pin must carry --hash lines"


def test_exceptions_need_a_justification(tmp_path: Path) -> None:
    path = tmp_path / "ex.toml"
    path.write_text(
        '[advisory."GHSA-1"]\nwhy = "not reachable"\n[advisory."GHSA-2"]\nwhy = ""\n', encoding="utf-8"
    )
    assert exceptions(path) == {"GHSA-1": "not reachable"}
