"""First run: `jikimi init` writes a commented config with every engine off, `jikimi sources check` asks each
engine that is on, `jikimi sandbox --config` prints a configuration the sandbox accepts as it is, and a set-up
that searches less than an advocate expects says so. Real CLI, real SQLite, the sandbox on loopback."""

from __future__ import annotations

import json
import socket
import stat
from pathlib import Path

import pytest

from jikimi.config import load_settings
from jikimi.config_template import INITIAL_CONFIG, sandbox_config
from jikimi.first_run import SEARCH_ENGINES
from sandbox.server import SandboxServer
from tests.support.home import JikimiHome

ENGINES = ("naver", "kakao", "brave", "searxng", "duckduckgo")


@pytest.fixture
def fresh(home: JikimiHome) -> JikimiHome:
    """A data directory with no config file at all, as on a new machine."""
    home.config.unlink()
    home.monkeypatch.delenv("JIKIMI_CONFIG")
    return home


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_the_templates_load_and_turn_every_engine_off(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(INITIAL_CONFIG, encoding="utf-8")
    settings = load_settings(path, env={})
    assert [s.name for s in settings.enabled_sources()] == ["telegram"]
    assert set(SEARCH_ENGINES) <= set(settings.sources)
    path.write_text(sandbox_config("http://127.0.0.1:8800"), encoding="utf-8")
    sandboxed = load_settings(path, env={})
    assert {s.name for s in sandboxed.enabled_sources()} == {*ENGINES, "telegram"}
    assert sandboxed.network.allow_private_addresses


def test_init_writes_a_commented_config_once(fresh: JikimiHome) -> None:
    out = fresh.ok("init")
    config = fresh.data_dir / "config.toml"
    assert f"config file written: {config}" in out
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert config.read_text(encoding="utf-8") == INITIAL_CONFIG
    # Every engine off: the status says nothing is searched, and how to fix it.
    status = json.loads(fresh.ok("status", "--json"))
    assert status["sources"]["naver"] == "disabled" and status["sources"]["duckduckgo"] == "disabled"
    assert any("no search engine is turned on" in n for n in status["notices"])
    config.write_text(INITIAL_CONFIG + "\n# mine\n", encoding="utf-8")
    again = fresh.ok("init")
    assert "config file written" not in again
    assert config.read_text(encoding="utf-8").endswith("# mine\n")


def test_init_of_an_existing_or_environment_set_up_writes_no_config(fresh: JikimiHome) -> None:
    fresh.ok("init")
    config = fresh.data_dir / "config.toml"
    config.unlink()
    # An existing set-up (its key file is there) migrates without a config file appearing under it.
    again = fresh.ok("init")
    assert not config.exists() and "notice: no config file yet" in again
    other = fresh.data_dir.parent / "other"
    fresh.monkeypatch.setenv("JIKIMI_DATA_DIR", str(other))
    fresh.monkeypatch.setenv("JIKIMI_SOURCES__KAKAO__API_KEY", "from-the-environment")
    fresh.ok("init")
    assert not (other / "config.toml").exists(), "settings from the environment: no file to override them"


def test_no_config_file_is_said_not_silently_duckduckgo(fresh: JikimiHome) -> None:
    fresh.ok("init")
    (fresh.data_dir / "config.toml").unlink()
    status = json.loads(fresh.ok("status", "--json"))
    assert any(n.startswith("no config file yet") and "jikimi init" in n for n in status["notices"])


def test_an_engine_turned_on_without_its_key_is_an_error_naming_it(home: JikimiHome) -> None:
    home.write_config("[sources.kakao]\nenabled = true\n")
    for args in (("run",), ("sources", "check"), ("status",)):
        result = home.cli(*args)
        assert result.code == 2
        assert result.err.strip().splitlines() == [
            (
                "jikimi: error: sources.kakao.api_key is missing: kakao is turned on but has no api_key; "
                "add it under [sources.kakao] in the config file, or set enabled = false there"
            )
        ]


def test_sandbox_config_works_as_printed(home: JikimiHome, sandbox: SandboxServer) -> None:
    port = sandbox.url.rsplit(":", 1)[1]
    printed = home.ok("sandbox", "--config", "--port", port)
    assert "sandbox-id" in printed
    home.write_config(printed)
    home.ok("init")
    sandbox.reset()
    result = home.cli("sources", "check", "--json")
    assert result.code == 0, result.out + result.err
    checked = json.loads(result.out)["sources"]
    # The sandbox has no page with the neutral test word: every engine answers, with nothing.
    assert {name: checked[name]["outcome"] for name in ENGINES} == dict.fromkeys(ENGINES, "empty")
    assert checked["google"]["outcome"] == "off" and checked["telegram"]["outcome"] == "skipped"
    # One call per engine for the neutral test word; Naver and Kakao one more, for the `|` probe.
    for name in ENGINES:
        assert sandbox.hits(f"/ok/{name}/") == (2 if name in ("naver", "kakao") else 1), name
    text = home.cli("sources", "check")
    assert text.code == 0 and "answered, with no results" in text.out
    # ... and a pass against it finds the fictional case's exposures.
    case_id = home.ok("case", "add", "--label", "시험", "--consent", "fictional").strip()
    home.ok("term", "add", case_id, "홍길동")
    run = home.cli("run", "--stage", "search", "--json")
    assert run.code == 0, run.err
    summary = json.loads(run.out)
    assert summary["notices"] == [] and sum(int(v["new"]) for v in summary["new_by_case"].values()) > 0


def test_sources_check_names_each_failure_and_its_fix(home: JikimiHome, sandbox: SandboxServer) -> None:
    base = sandbox.url
    home.write_config(
        "\n".join(
            [
                "[network]",
                "allow_private_addresses = true",
                "download_timeout = 5.0",
                "[sources.naver]",
                f'base_url = "{base}/auth/naver"',
                'client_id = "x"',
                'client_secret = "y"',
                "[sources.kakao]",
                f'base_url = "{base}/quota/kakao"',
                'api_key = "k"',
                "[sources.brave]",
                f'base_url = "http://127.0.0.1:{_closed_port()}"',
                'api_key = "k"',
                "[sources.duckduckgo]",
                f'base_url = "{base}/captcha/duckduckgo"',
                "[sources.searxng]",
                f'base_url = "{base}/empty/searxng"',
                "[sources.google]",
                "enabled = false",
                'api_key = "k"',
                'cx = "c"',
            ]
        )
    )
    result = home.cli("sources", "check", "--json")
    assert result.code == 3
    checked = json.loads(result.out)["sources"]
    outcomes = {name: value["outcome"] for name, value in checked.items()}
    assert outcomes == {
        "naver": "auth",
        "kakao": "quota",
        "brave": "unreachable",
        "searxng": "empty",
        "duckduckgo": "blocked",
        "google": "off",
        "telegram": "skipped",
    }
    assert "check client_id and client_secret under [sources.naver]" in checked["naver"]["detail"]
    assert "resets tomorrow" in checked["kakao"]["detail"]
    assert "check base_url" in checked["brave"]["detail"]
    assert "set enabled = true under [sources.google]" in checked["google"]["detail"]


def test_only_duckduckgo_is_said(home: JikimiHome, sandbox: SandboxServer) -> None:
    lines = ["[network]", "allow_private_addresses = true", "download_delay = 0.0"]
    lines += ["[sources.duckduckgo]", f'base_url = "{sandbox.base_url("duckduckgo")}"']
    lines += ["[sources.telegram]", "enabled = false"]
    home.write_config("\n".join(lines) + "\n")
    home.ok("init")
    case_id = home.ok("case", "add", "--label", "시험", "--consent", "fictional").strip()
    home.ok("term", "add", case_id, "홍길동")
    run = home.cli("run", "--stage", "search", "--json")
    assert run.code == 0, run.err
    [notice] = json.loads(run.out)["notices"]
    assert notice.startswith("only DuckDuckGo is searched") and "sources check" in notice
    text = home.cli("run", "--stage", "search")
    assert "notice: only DuckDuckGo is searched" in text.out


def test_loopback_refusal_names_the_setting(home: JikimiHome) -> None:
    home.ok("init")
    result = home.cli("target", "add", "http://127.0.0.1:8800/web/forum/1")
    assert result.code == 2 and len(result.err.strip().splitlines()) == 1
    assert "[network] allow_private_addresses = true" in result.err
