"""The stages are plain Scrapy spiders: `scrapy crawl STAGE` from the checkout runs a recorded pass.

No jikimi code starts these crawls: the `scrapy` command reads `scrapy.cfg`, the project settings
and the spider arguments, and jikimi's configuration comes from `JIKIMI_CONFIG` alone (as under
Scrapyd). What the spider recorded is read back through `jikimi status` and `jikimi exposures`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from sandbox.server import SandboxServer
from tests.support.home import JikimiHome

ROOT = Path(__file__).resolve().parent.parent
SCRAPY = str(Path(sys.executable).with_name("scrapy"))


def searxng_only(sb: SandboxServer) -> str:
    return "\n".join(
        [
            "[network]",
            "allow_private_addresses = true",
            "download_delay = 0.0",
            "download_timeout = 3.0",
            "[sources.searxng]",
            f'base_url = "{sb.base_url("searxng", scenario="ok")}"',
            "max_pages = 1",
            *(f"[sources.{name}]\nenabled = false" for name in ("naver", "kakao", "brave", "duckduckgo")),
            "[sources.telegram]",
            "enabled = false",
        ]
    )


def scrapy(home: JikimiHome, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JIKIMI_", "SCRAPY_"))}
    env["JIKIMI_CONFIG"] = str(home.config)
    env["JIKIMI_DATA_DIR"] = str(home.data_dir)
    return subprocess.run(
        [SCRAPY, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False
    )


def runs(home: JikimiHome) -> list[dict[str, Any]]:  # parsed JSON
    status = json.loads(home.ok("status", "--json"))
    found = status["runs"]
    assert isinstance(found, list)
    return found


def test_scrapy_lists_the_three_stages() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCRAPY_")}
    out = subprocess.run(
        [SCRAPY, "list"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.split() == ["pages", "recheck", "search"]


def test_scrapy_crawl_search_opens_and_closes_its_own_run(home: JikimiHome, sandbox: SandboxServer) -> None:
    home.write_config(searxng_only(sandbox))
    home.ok("init")
    case_id = home.ok("case", "add", "--label", "시험 사례", "--consent", "fictional, test").strip()
    home.ok("term", "add", case_id, "홍길동")
    assert runs(home) == []

    done = scrapy(home, "crawl", "search")

    assert done.returncode == 0, done.stderr
    assert "홍길동" not in done.stderr + done.stdout
    (run,) = runs(home)
    assert run["kind"] == "crawl"
    assert run["status"] == "ok"
    assert run["finished_at"] is not None
    sources = run["sources"]
    assert isinstance(sources, dict)
    assert sources["searxng"]["outcome"] == "ok"
    assert sources["searxng"]["new"] > 0
    exposures = json.loads(home.ok("exposures", "list", "--json"))
    assert len(exposures) == sources["searxng"]["new"]


def test_scrapy_crawl_search_joins_the_run_it_is_given(home: JikimiHome, sandbox: SandboxServer) -> None:
    home.write_config(searxng_only(sandbox))
    home.ok("init")
    case_id = home.ok("case", "add", "--label", "시험 사례", "--consent", "fictional, test").strip()
    home.ok("term", "add", case_id, "홍길동")
    # A pass whose search stage found nothing to do (no source enabled) leaves a run to join.
    home.ok("run", "--stage", "pages")
    (before,) = runs(home)

    done = scrapy(home, "crawl", "search", "-a", f"run={before['id']}")

    assert done.returncode == 0, done.stderr
    (after,) = runs(home)
    assert after["id"] == before["id"]
    assert after["status"] == before["status"]  # the pass owns its status; the stage only adds sources
    sources = after["sources"]
    assert isinstance(sources, dict)
    assert sources["searxng"]["outcome"] == "ok"
    assert set(sources) - {"searxng"} == set(before["sources"])


def test_scrapy_crawl_refuses_a_run_that_does_not_exist(home: JikimiHome, sandbox: SandboxServer) -> None:
    home.write_config(searxng_only(sandbox))
    home.ok("init")

    done = scrapy(home, "crawl", "search", "-a", "run=999")

    assert "no run 999" in done.stderr
    assert runs(home) == []


def test_python_m_crawler_is_the_same_crawl_with_an_exit_code(
    home: JikimiHome, sandbox: SandboxServer
) -> None:
    home.write_config(searxng_only(sandbox))
    home.ok("init")
    env = {k: v for k, v in os.environ.items() if not k.startswith("JIKIMI_")}
    env["JIKIMI_CONFIG"] = str(home.config)
    env["JIKIMI_DATA_DIR"] = str(home.data_dir)

    bad = subprocess.run(
        [sys.executable, "-m", "crawler", "search", "--run-id", "999"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert bad.returncode == 2
    assert bad.stderr.strip().splitlines()[-1] == "crawler: error: no run 999"


def test_python_m_crawler_loads_each_stage_spider_from_its_own_module_only() -> None:
    from scrapy.spiderloader import SpiderLoader

    from crawler.__main__ import STAGES, project_settings

    for stage in STAGES:
        loader = SpiderLoader.from_settings(project_settings(verbose=False, stage=stage))
        assert loader.list() == [stage]
        assert loader.load(stage).name == stage


# Names read from the process environment, not Scrapy settings (the key file's JSON, for the keyring).
ENVIRONMENT_NAMES = {"JIKIMI_KEYRING"}


def test_every_jikimi_setting_the_crawler_names_is_declared_in_crawler_settings() -> None:
    import ast

    import crawler.settings

    named: dict[str, str] = {}
    for path in sorted((ROOT / "crawler").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and node.value.startswith("JIKIMI_")
                and node.value.replace("_", "").isalnum()
            ):
                named.setdefault(node.value, str(path.relative_to(ROOT)))
    assert "JIKIMI_ALLOW_PRIVATE_ADDRESSES" in named  # the scan sees the gate's own setting
    undeclared = {
        name: where
        for name, where in named.items()
        if name not in ENVIRONMENT_NAMES and not hasattr(crawler.settings, name)
    }
    assert not undeclared, f"JIKIMI_* settings not declared in crawler/settings.py: {undeclared}"
