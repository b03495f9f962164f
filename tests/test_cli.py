"""The command line: help everywhere, JSON output, and bad input as one line, exit 2, nothing written."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
import typer

from jikimi.cli import app
from tests.support.home import JikimiHome


def _commands(group: Any, prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    out: list[tuple[tuple[str, ...], Any]] = []
    for name, cmd in sorted(group.commands.items()):
        path = (*prefix, name)
        out.append((path, cmd))
        if hasattr(cmd, "commands"):
            out.extend(_commands(cmd, path))
    return out


ALL_COMMANDS = _commands(typer.main.get_command(app))


def test_command_set_is_complete() -> None:
    names = {" ".join(p) for p, _ in ALL_COMMANDS}
    for expected in (
        "init",
        "status",
        "run",
        "match",
        "case add",
        "case list",
        "case show",
        "case close",
        "term add",
        "term list",
        "term remove",
        "target add",
        "target list",
        "target remove",
        "exposures list",
        "sandbox",
    ):
        assert expected in names


@pytest.mark.parametrize("path", [p for p, _ in ALL_COMMANDS], ids=lambda p: " ".join(p))
def test_every_command_and_option_has_help(path: tuple[str, ...]) -> None:
    cmd = dict(ALL_COMMANDS)[path]
    assert (cmd.help or "").strip(), f"{' '.join(path)} has no help text"
    # A command may have no option at all, so no loop that could pass by running zero times.
    silent = [p.opts[0] for p in cmd.params if p.param_type_name == "option" and not (p.help or "").strip()]
    assert not silent, f"{' '.join(path)} {silent} have no help text"


def test_help_runs(home: JikimiHome) -> None:
    result = home.cli("--help")
    assert result.code == 0 and "case" in result.out


def _init(home: JikimiHome) -> None:
    out = home.ok("init")
    assert "database ready" in out


def _db_digest(home: JikimiHome) -> str:
    h = hashlib.sha256()
    for path in sorted(home.data_dir.glob("jikimi.sqlite*")):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def test_case_term_target_round_trip(home: JikimiHome) -> None:
    _init(home)
    case_id = int(
        home.ok("case", "add", "--label", "사례 1", "--consent", "victim, 2026-11-20, form").strip()
    )
    term_id = int(home.ok("term", "add", str(case_id), "홍길동", "--context", "가나다고").strip())
    handle = json.loads(home.ok("term", "add", str(case_id), "gildong_hong", "--kind", "handle", "--json"))
    assert handle["id"] != term_id
    shown = json.loads(home.ok("case", "show", str(case_id), "--json"))
    assert shown["label"] == "사례 1" and [t["term"] for t in shown["terms"]] == ["홍길동", "gildong_hong"]
    assert shown["consent"]["statement"] == "victim, 2026-11-20, form"
    listed = json.loads(home.ok("case", "list", "--json"))
    assert [c["id"] for c in listed] == [case_id]
    target = int(home.ok("target", "add", "https://forum.example/board/1", "--case", str(case_id)).strip())
    assert json.loads(home.ok("target", "list", "--json"))[0]["id"] == target
    home.ok("term", "remove", str(term_id))
    assert [t["term"] for t in json.loads(home.ok("term", "list", str(case_id), "--json"))] == [
        "gildong_hong"
    ]
    home.ok("case", "close", str(case_id))
    assert json.loads(home.ok("case", "list", "--status", "closed", "--json"))[0]["status"] == "closed"
    status = json.loads(home.ok("status", "--json"))
    assert status["cases"] == {"open": 0, "closed": 1}


def test_term_from_stdin(home: JikimiHome) -> None:
    _init(home)
    case_id = home.ok("case", "add", "--label", "c", "--consent", "x").strip()
    home.ok("term", "add", case_id, "-", stdin="비밀이름\n")
    assert json.loads(home.ok("term", "list", case_id, "--json"))[0]["term"] == "비밀이름"


def test_case_label_from_stdin(home: JikimiHome) -> None:
    _init(home)
    case_id = home.ok("case", "add", "--label", "-", "--consent", "x", stdin="홍길동 사건\n").strip()
    assert json.loads(home.ok("case", "show", case_id, "--json"))["label"] == "홍길동 사건"
    for stdin in ("", "\n  \n", "홍길동 사건\n성춘향 사건\n"):
        result = home.cli("case", "add", "--label", "-", "--consent", "x", stdin=stdin)
        assert result.code == 2 and "one label" in result.err, result
    assert len(json.loads(home.ok("case", "list", "--json"))) == 1  # the refusals wrote nothing


BAD_INPUTS = [
    (("term", "add", "999", "홍길동"), "no case with id 999"),
    (("term", "add", "1", "   "), "term must not be empty"),
    (("term", "add", "1", "홍길동", "--kind", "nickname"), "nickname"),
    (("target", "add", "not a url"), "not a usable URL"),
    (("target", "add", "ftp://files.example/x"), "not a usable URL"),
    (("target", "add", "http://127.0.0.1/admin"), "refused"),
    (("target", "add", "http://169.254.169.254/latest/meta-data"), "refused"),
    (("target", "add", "https://forum.example/x", "--case", "42"), "no case with id 42"),
    (("case", "add", "--label", "", "--consent", "x"), "label must not be empty"),
    (("case", "add", "--label", "x", "--consent", "  "), "consent must not be empty"),
    (("case", "show", "77"), "no case with id 77"),
    (("case", "show", "abc"), "case_id"),
    (("case", "list", "--status", "weird"), "weird"),
    (("exposures", "list", "--case", "5"), "no case with id 5"),
    (("term", "remove", "123"), "no term with id 123"),
    (("target", "remove", "9"), "no target with id 9"),
    (("case", "add", "--label", "x"), "consent"),
    (("nosuchcommand",), "nosuchcommand"),
]


@pytest.mark.parametrize(
    ("args", "needle"), BAD_INPUTS, ids=lambda v: " ".join(v) if isinstance(v, tuple) else ""
)
def test_bad_input_is_one_line_exit_2_and_writes_nothing(
    home: JikimiHome, args: tuple[str, ...], needle: str
) -> None:
    _init(home)
    home.ok("case", "add", "--label", "c", "--consent", "x")
    before = _db_digest(home)
    result = home.cli(*args)
    assert result.code == 2, result
    lines = [line for line in result.err.splitlines() if line.strip()]
    assert len(lines) == 1, result.err
    assert needle.lower() in lines[0].lower()
    assert "Traceback" not in result.err
    assert _db_digest(home) == before


def test_broken_config_is_named(home: JikimiHome) -> None:
    home.write_config("[network]\nallow_private_addreses = true\n")
    result = home.cli("init")
    assert result.code == 2 and "allow_private_addreses" in result.err
    home.write_config("[sources.naver]\nenabled = true\n")
    result = home.cli("init")
    assert result.code == 2 and "sources.naver.client_id" in result.err
    home.write_config("timezone = 'Mars/Olympus'\n")
    result = home.cli("status")
    assert result.code == 2 and "timezone" in result.err


def test_missing_key_fails_closed(home: JikimiHome) -> None:
    _init(home)
    (home.data_dir / "jikimi.key").unlink()
    result = home.cli("case", "list")
    assert result.code == 2 and "key file" in result.err


def test_wrong_key_fails_closed(home: JikimiHome, tmp_path: Path) -> None:
    _init(home)
    from storage.keyring import create_keyring_file

    other = create_keyring_file(tmp_path / "other.key")
    home.monkeypatch.setenv("JIKIMI_KEY_FILE", str(other.path))
    result = home.cli("case", "list")
    assert result.code == 2 and "does not belong" in result.err


def test_uninitialised_database_is_explained(home: JikimiHome) -> None:
    from storage.keyring import create_keyring_file

    create_keyring_file(home.data_dir / "jikimi.key")
    result = home.cli("status")
    assert result.code == 2 and "jikimi init" in result.err
