"""A pass spread over two real Scrapyd nodes on loopback, the local PostgreSQL the one source of truth.

Each test is a real `jikimi run` (a subprocess) whose stages run as Scrapyd jobs of `scrapy crawl`, against
the sandbox web: the same exposures as a single-machine pass, one delivery, a node SIGKILLed mid-pass
whose shards move to the other node, and one daily budget for both nodes together.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest

from jikimi.cluster_demo import WORLD, cli_runner, free_port, register_world, world_config
from jikimi.scrapyd_node import Node, start_node
from sandbox.server import SandboxServer
from storage.database import open_store
from storage.keyring import load_keyring
from storage.shards import LedgerEntry, latest_ledger

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

SHARDS = 2


@dataclass
class World:
    data: Path
    env: dict[str, str]
    jikimi: Callable[..., str]
    node_urls: list[str]

    def exposures(self) -> set[tuple[int, str]]:
        return {
            (int(e["case_id"]), str(e["url"])) for e in json.loads(self.jikimi("exposures", "list", "--json"))
        }

    def ledger(self) -> list[LedgerEntry]:
        store = open_store(self.database_url(), load_keyring(self.data / "jikimi.key"))
        try:
            return latest_ledger(store)[1]
        finally:
            store.close()

    def database_url(self) -> str:
        for line in (self.data / "config.toml").read_text(encoding="utf-8").splitlines():
            if line.startswith("database_url"):
                return line.split("=", 1)[1].strip().strip('"')
        raise AssertionError("no database_url in the test config")


def make_world(tmp: Path, sandbox_url: str, database_url: str, nodes: list[str], **config: int) -> World:
    data = tmp / "data"
    data.mkdir(mode=0o700)
    env = {k: v for k, v in os.environ.items() if not k.startswith("JIKIMI_")}
    env.update(JIKIMI_DATA_DIR=str(data), JIKIMI_CONFIG=str(data / "config.toml"))
    text = world_config(sandbox_url, database_url, nodes, shards=SHARDS, **config)
    text = f'export_dir = "{data / "exports"}"\n' + text
    (data / "config.toml").write_text(text, encoding="utf-8")
    world = World(data=data, env=env, jikimi=cli_runner(env), node_urls=nodes)
    register_world(world.jikimi)
    return world


def run_pass(world: World, *args: str, verbose: bool = False) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "jikimi", *(["--verbose"] if verbose else []), "run", *args],
        env=world.env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


@dataclass(frozen=True)
class Baseline:
    exposures: set[tuple[int, str]]


@pytest.fixture(scope="module")
def baseline(sandbox_server: SandboxServer, tmp_path_factory: pytest.TempPathFactory) -> Baseline:
    """What one machine finds in the sandbox world: the stages as local processes, on SQLite."""
    tmp = tmp_path_factory.mktemp("single")
    world = make_world(tmp, sandbox_server.url, f"sqlite:///{tmp / 'jikimi.sqlite'}", [])
    done = run_pass(world)
    assert done.returncode in (0, 3), done.stderr
    found = world.exposures()
    assert found, "the sandbox world has exposures to find"
    # The test that asked for the baseline starts from fresh counters, whichever fixture ran first.
    sandbox_server.reset()
    return Baseline(found)


@pytest.fixture
def nodes(tmp_path: Path) -> Iterator[Callable[[World], list[Node]]]:
    """Two Scrapyd nodes on the loopback ports the world's config names."""
    started: list[Node] = []

    def start(world: World) -> list[Node]:
        for i, url in enumerate(world.node_urls):
            started.append(start_node(tmp_path / f"node-{i}", int(url.rsplit(":", 1)[1]), world.env))
        return started

    yield start
    for node in started:
        node.stop(signal.SIGKILL)


def _node_urls() -> list[str]:
    return [f"http://127.0.0.1:{free_port()}" for _ in range(2)]


def test_a_pass_across_two_nodes_finds_what_one_machine_finds_once_with_one_delivery(
    sandbox: SandboxServer,
    baseline: Baseline,
    pg_url: str,
    tmp_path: Path,
    nodes: Callable[[World], list[Node]],
) -> None:
    urls = _node_urls()
    world = make_world(tmp_path, sandbox.url, pg_url, urls)
    started = nodes(world)

    done = run_pass(
        world, verbose=True
    )  # the nodes' job logs get INFO lines too: more to leak, if anything did
    assert done.returncode in (0, 3), done.stderr

    listed = json.loads(world.jikimi("exposures", "list", "--json"))
    assert len(listed) == len({(e["case_id"], e["url"]) for e in listed})  # no exposure twice
    assert world.exposures() == baseline.exposures
    entries = world.ledger()
    assert len(entries) == SHARDS * 3 and all(e.status == "done" for e in entries)
    assert {e.node for e in entries} == {n.url for n in started}  # both nodes did part of the pass
    assert [e.stage for e in entries if e.shard == 0] == ["search", "pages", "recheck"]
    exports = list((world.data / "exports").iterdir())
    assert len(exports) == 1  # the deliveries happen once, after every shard ended
    status = json.loads(world.jikimi("status", "--json"))
    assert [n["reachable"] for n in status["cluster"]["nodes"]] == [True, True]
    assert {s["status"] for s in status["cluster"]["shards"]} == {"done"}
    assert_no_watch_term_in(tmp_path / "node-0", tmp_path / "node-1")


def assert_no_watch_term_in(*workdirs: Path) -> None:
    """Nothing a node writes (Scrapyd's job logs, its own log, its job database) names a case or a term.

    The nodes log what the stages log, and the stages' lines pass the same redaction as on one machine;
    a node's disk is a copy of the watch list's exposure too.
    """
    secrets = {label for label, _terms in WORLD}
    for _label, terms in WORLD:
        for text, _kind in terms:
            secrets |= {text, text.replace(" ", ""), quote(text), quote(text.replace(" ", ""))}
    files = [f for d in workdirs for f in d.rglob("*") if f.is_file()]
    job_logs = [f for f in files if f.suffix == ".log"]
    assert job_logs and all(f.stat().st_mode & 0o077 == 0 for f in job_logs), job_logs
    assert any(f.stat().st_size for f in job_logs), "the job logs are empty: nothing was checked"
    for found in files:
        content = found.read_bytes().decode("utf-8", "replace")
        leaked = sorted(s for s in secrets if s and s in content)
        assert not leaked, f"{found} holds {len(leaked)} watch term(s) or label(s)"


def test_a_node_killed_mid_pass_has_its_shards_rerun_on_the_other(
    sandbox: SandboxServer,
    baseline: Baseline,
    pg_url: str,
    tmp_path: Path,
    nodes: Callable[[World], list[Node]],
) -> None:
    urls = _node_urls()
    world = make_world(tmp_path, sandbox.url, pg_url, urls)
    started = nodes(world)
    victim = started[0]

    proc = subprocess.Popen(
        [sys.executable, "-m", "jikimi", "run"], env=world.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            entries = world.ledger()
            if any(e.node == victim.url and e.status in ("scheduled", "running") for e in entries):
                break
            time.sleep(0.2)
        else:
            raise AssertionError("the victim node never got a job")
        victim.stop(signal.SIGKILL)  # the node and the crawl it was running, mid-stage
        _out, err = proc.communicate(timeout=900)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode in (0, 3), err.decode()

    assert world.exposures() == baseline.exposures
    entries = world.ledger()
    assert all(e.status == "done" for e in entries)
    moved = [e for e in entries if e.attempts > 1]
    assert moved, "a shard of the killed node was run again"
    assert all(e.node == started[1].url for e in moved)
    assert any("stopped answering" in line for e in moved for line in e.history)
    status = json.loads(world.jikimi("status", "--json"))
    assert [n["reachable"] for n in status["cluster"]["nodes"]] == [False, True]
    assert any("not answering" in note for note in status["notices"])


def test_two_nodes_together_spend_one_daily_budget(
    sandbox: SandboxServer, pg_url: str, tmp_path: Path, nodes: Callable[[World], list[Node]]
) -> None:
    # One page on each of Naver's two verticals: a term costs 2 calls, and the budget is one term's worth.
    # Each shard plans with the whole budget (both plan at once), so only the shared counter keeps the
    # two nodes together at 2 calls.
    budget = 2
    urls = _node_urls()
    world = make_world(tmp_path, sandbox.url, pg_url, urls, naver_budget=budget, naver_max_pages=1)
    assert len(nodes(world)) == 2
    before = sandbox.hits("/ok/naver")

    done = run_pass(world, "--stage", "search")

    assert done.returncode == 3, done.stderr  # terms not reached: never a clean exit
    spent = sandbox.hits("/ok/naver") - before
    assert 0 < spent <= budget
    status = json.loads(world.jikimi("status", "--json"))
    naver = status["runs"][0]["sources"]["naver"]
    assert naver["calls"] == spent, json.dumps(status["runs"], ensure_ascii=False)
    assert naver["unreached_terms"] > 0
    ledger = world.ledger()
    assert {e.status for e in ledger} == {"done"} and len(ledger) == SHARDS
