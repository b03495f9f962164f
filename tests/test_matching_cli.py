"""`jikimi match`: options, output formats and one-line errors, on a tiny app built here."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from jikimi.cli.match import match_command

app = typer.Typer()


@app.callback()
def main() -> None:
    """Test application."""


app.command("match")(match_command)
runner = CliRunner()


def test_json_output_lists_matches() -> None:
    result = runner.invoke(app, ["match", "--term", "김민지", "--json"], input="오늘 김.민.지 합성")
    assert result.exit_code == 0
    [row] = json.loads(result.stdout)
    assert {k: row[k] for k in ("term", "kind", "variant", "start", "end", "text")} == {
        "term": "김민지",
        "kind": "name",
        "variant": "separators",
        "start": 3,
        "end": 8,
        "text": "김.민.지",
    }
    assert row["confidence"] == 0.9


def test_kind_prefixes_context_and_table_output() -> None:
    result = runner.invoke(
        app,
        ["match", "--term", "name:박지훈", "--term", "handle:jihoon_99", "--context", "08년생"],
        input="08년생 ㅂㅈㅎ @jihoon_99",
    )
    assert result.exit_code == 0
    assert "chosung" in result.stdout and "handle" in result.stdout and "jihoon_99" in result.stdout


def test_exclude_option_cancels() -> None:
    result = runner.invoke(
        app, ["match", "--term", "김민지", "--exclude", "기상캐스터", "--json"], input="김민지 기상캐스터"
    )
    assert (result.exit_code, result.stdout.strip()) == (0, "[]")


@pytest.mark.parametrize("extra", [[], ["--json"]])
def test_no_match_prints_nothing_or_empty_array(extra: list[str]) -> None:
    result = runner.invoke(app, ["match", "--term", "김민지", *extra], input="아무 관계 없는 글")
    assert result.exit_code == 0
    assert result.stdout.strip() == ("[]" if extra else "")


@pytest.mark.parametrize(
    ("args", "stdin", "problem"),
    [
        (["match"], "김민지", "--term"),
        (["match", "--term", "김민지"], "", "standard input"),
        (["match", "--term", "김민지"], "  \n ", "standard input"),
        (["match", "--term", "nickname:김민지"], "김민지", "unknown kind"),
        (["match", "--term", "alias:"], "김민지", "empty"),
        (["match", "--term", " "], "김민지", "empty"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args: list[str], stdin: str, problem: str) -> None:
    result = runner.invoke(app, args, input=stdin)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and problem in lines[0]
    assert "김민지" not in result.stderr
    assert result.stdout == ""


def test_help_is_documented() -> None:
    result = runner.invoke(app, ["match", "--help"])
    assert result.exit_code == 0
    for option in ("--term", "--context", "--exclude", "--json"):
        assert option in result.stdout
