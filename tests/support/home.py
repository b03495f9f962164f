"""A fresh jikimi data directory driven through the real `jikimi` entry point, and what tests do with it."""

from __future__ import annotations

import io
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
PERSONA = "홍길동"


@dataclass
class CliResult:
    code: int
    out: str
    err: str


@dataclass
class JikimiHome:
    """A fresh data directory with a config file, driven through the real `jikimi` entry point."""

    data_dir: Path
    config: Path
    monkeypatch: pytest.MonkeyPatch
    capsys: pytest.CaptureFixture[str]

    def write_config(self, text: str) -> None:
        self.config.write_text(text, encoding="utf-8")

    def cli(self, *args: str, stdin: str = "") -> CliResult:
        from jikimi.cli import main

        self.capsys.readouterr()
        self.monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        code = main(list(args))
        captured = self.capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    def ok(self, *args: str, stdin: str = "") -> str:
        result = self.cli(*args, stdin=stdin)
        assert result.code == 0, f"{args}: exit {result.code}: {result.err}"
        return result.out


def setup_case(home: JikimiHome, *terms: tuple[str, str]) -> int:
    """`jikimi init`, one fictional case, and its terms (the persona's name when none are given)."""
    home.ok("init")
    case_id = int(home.ok("case", "add", "--label", "시험 사례", "--consent", "fictional, test").strip())
    for text, kind in terms or ((PERSONA, "name"),):
        home.ok("term", "add", str(case_id), text, "--kind", kind)
    return case_id


def files_under(paths: Sequence[Path]) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        if p.is_file():
            out.append(p)
        elif p.is_dir():
            out.extend(f for f in p.rglob("*") if f.is_file())
    return out
