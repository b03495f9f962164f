"""Cluster benchmark: one pass over the sandbox world on ONE Scrapyd node, then on TWO (run by `make bench`).

The world: 18 fictional cases (six for each of the sandbox's personas 홍길동, 성춘향 and 이몽룡, with their
names and handles, the terms the sandbox's engines know), each watching one plain page and one page rendered
with Chromium (fictional pages set on the sandbox), plus the sandbox's Telegram channel. Both passes use the
same world, the same config (4 shards, `max_proc = 2` per node, no download delay) and each a fresh
PostgreSQL database on the local server; only `[cluster] scrapyd` differs (one URL or two). The sandbox is
this process's threaded server; its CPU over each pass is printed to show it is not the bottleneck.

Measured per pass: wall time of `jikimi run` (scheduler start to exit, every stage of every shard), requests
the sandbox served (engines `/ok/...`, pages `/web/...`, Telegram `/telegram/...`; the sandbox cannot tell
which node sent a request, so requests are totals, and each node's share of the work is its shard stages
from the ledger), and CPU seconds per node.

CPU method: a Scrapyd node runs each crawl as a child process and reaps it, so the kernel adds the crawl's
CPU to the scrapyd process's `cutime + cstime` (/proc/<pid>/stat fields 16-17): exact for the crawl
processes, read as (scrapyd's own utime+stime + cutime+cstime) after the pass minus before it, once
`listjobs.json` shows no running job. The browser is not in that sum: the Playwright driver and Chromium
are not reaped through the crawl process (the first run of this benchmark showed the sampled browser CPU
missing from `cutime` to the tenth of a second), so both passes also sample every running job every 0.25 s
(the same overhead in both, so it does not tilt the ratio): the job process's utime+stime+cutime+cstime,
and apart from it the utime+stime of its live descendants (the driver and Chromium); a job's highest sample
counts. A node's CPU = exact crawl CPU + sampled browser CPU of its jobs. By stage: the crawl processes'
exact total is split in the proportions of their samples, and each job's browser CPU is added to its stage.
CPU per search request = search-stage CPU / engine requests; per page fetched = (pages + recheck) CPU /
page requests; browser CPU per rendered page = browser CPU / rendered page requests. These are averages over
a small pass and include each job's start-up (interpreter, imports, terms, matcher), which the per-job
figures show; a night's larger jobs spread that start-up thinner.

The figure to hold is the cost of distribution on one machine: two-node time / one-node time <= 1.1 (both
nodes share this machine's CPUs, so two nodes cannot be faster; they should not be much slower).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from jikimi.cluster_demo import cli_runner, free_port, postgres_database, world_config
from jikimi.scrapyd_node import Node, start_node
from sandbox.server import SandboxServer

TICK = os.sysconf("SC_CLK_TCK")
SHARDS = 4
COPIES = 6  # cases per persona: 18 cases
PERSONAS: tuple[tuple[str, str, str], ...] = (
    ("홍길동", "gildong_hong", "가나다고"),
    ("성춘향", "chunhyang.seong", "라마바여고"),
    ("이몽룡", "mongryong_lee", "사아자대"),
)


def watched_page(i: int, name: str, school: str) -> str:
    return (
        "<!DOCTYPE html><html lang='ko'><head><meta charset='utf-8'>"
        f"<title>가상 게시판 {i}</title></head><body><main><article>"
        f"<h1>게시글 {i}</h1><p>{school} {name} 합성 요청합니다. 갠텔 주세요.</p>"
        "<p>오늘 가상시 날씨는 맑고 낮 최고 기온은 18도입니다. 주말 장터는 오전 10시에 열립니다.</p>"
        "</article></main></body></html>"
    )


def populate(env: dict[str, str], sandbox: SandboxServer, database_url: str) -> dict[str, int]:
    """The world, written through the storage API (a CLI call per row would take minutes here)."""
    from storage.cases import Consent, add_target, add_term, create_case
    from storage.database import open_store
    from storage.keyring import load_keyring
    from storage.urls import platform_of

    cli_runner(env)("init")
    store = open_store(database_url, load_keyring(Path(env["JIKIMI_DATA_DIR"]) / "jikimi.key"))
    counts = {"cases": 0, "terms": 0, "plain_targets": 0, "rendered_targets": 0}
    try:
        for i in range(COPIES * len(PERSONAS)):
            name, handle, school = PERSONAS[i % len(PERSONAS)]
            case_id = create_case(
                store, f"벤치 사례 {i} (fictional)", Consent("fictional bench person", "bench", "2026-12-04")
            )
            add_term(store, case_id, name, "name")
            add_term(store, case_id, handle, "handle")
            for path, render in ((f"/web/watch/{i}", False), (f"/web/watch-rendered/{i}", True)):
                sandbox.set_page(path, watched_page(i, name, school))
                add_target(store, sandbox.url + path, platform_of(sandbox.url + path), case_id, render)
            counts["cases"] += 1
            counts["terms"] += 2
            counts["plain_targets"] += 1
            counts["rendered_targets"] += 1
            if i == 0:
                add_target(store, "https://t.me/s/hongnews", "telegram", case_id)
                counts["plain_targets"] += 1
    finally:
        store.close()
    return counts


def proc_stat(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return raw[raw.rindex(")") + 2 :].split()  # fields from 3 (state) on: the comm may hold spaces


def own_and_reaped_cpu(pid: int) -> float:
    fields = proc_stat(pid)
    if fields is None:
        return 0.0
    # utime, stime, cutime, cstime are fields 14-17, i.e. indexes 11-14 after dropping pid and comm.
    return sum(int(v) for v in fields[11:15]) / TICK


def descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = proc_stat(int(entry.name))
            if fields is not None:
                children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def listjobs(node: str) -> dict[str, Any]:
    # Loopback URL built by this script.
    with urllib.request.urlopen(f"{node}/listjobs.json", timeout=5) as response:  # nosec B310
        data: dict[str, Any] = json.load(response)
    return data


@dataclass
class Sampler:
    """Samples each running Scrapyd job's CPU (itself + reaped children, and live descendants apart)."""

    nodes: list[str]
    jobs: dict[str, dict[str, Any]] = field(default_factory=dict)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        while not self.stop.is_set():
            for node in self.nodes:
                try:
                    running = listjobs(node).get("running", [])
                except OSError:
                    continue
                for job in running:
                    pid = job.get("pid")
                    if not pid:
                        continue
                    own = own_and_reaped_cpu(int(pid))
                    browser = sum(
                        sum(int(v) for v in (proc_stat(d) or ["0"] * 13)[11:13]) / TICK
                        for d in descendants(int(pid))
                    )
                    seen = self.jobs.setdefault(
                        job["id"], {"spider": job["spider"], "node": node, "own": 0.0, "browser": 0.0}
                    )
                    seen["own"] = max(seen["own"], own)
                    seen["browser"] = max(seen["browser"], browser)
            self.stop.wait(0.25)


def wait_jobs_reaped(nodes: list[str], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(not listjobs(n).get("running") and not listjobs(n).get("pending") for n in nodes):
            return
        time.sleep(0.2)
    raise SystemExit("bench_cluster: a node still has jobs after the pass")


def one_pass(sandbox: SandboxServer, admin: str, node_count: int) -> dict[str, Any]:
    data = Path(tempfile.mkdtemp(prefix=f"jikimi-bench-cluster-{node_count}-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("JIKIMI_")}
    env.update(JIKIMI_DATA_DIR=str(data), JIKIMI_CONFIG=str(data / "config.toml"))
    ports = [free_port() for _ in range(node_count)]
    urls = [f"http://127.0.0.1:{p}" for p in ports]
    with postgres_database(admin) as database_url:
        text = f'export_dir = "{data / "exports"}"\n' + world_config(
            sandbox.url, database_url, urls, shards=SHARDS
        )
        (data / "config.toml").write_text(text, encoding="utf-8")
        world = populate(env, sandbox, database_url)
        nodes: list[Node] = []
        try:
            nodes = [start_node(data / f"node-{i}", p, env) for i, p in enumerate(ports)]
            before = {n.url: own_and_reaped_cpu(n.process.pid) for n in nodes}
            sandbox.reset()
            sampler = Sampler(urls)
            thread = threading.Thread(target=sampler.run, daemon=True)
            thread.start()
            self_before = resource.getrusage(resource.RUSAGE_SELF)
            sched_before = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-m", "jikimi", "run"], env=env, capture_output=True, text=True, check=False
            )
            wall = time.perf_counter() - started
            sched_after = resource.getrusage(resource.RUSAGE_CHILDREN)
            self_after = resource.getrusage(resource.RUSAGE_SELF)
            sampler.stop.set()
            thread.join()
            if done.returncode not in (0, 3):
                raise SystemExit(f"bench_cluster: jikimi run exited {done.returncode}: {done.stderr[-2000:]}")
            wait_jobs_reaped(urls)
            cpu = {n.url: own_and_reaped_cpu(n.process.pid) - before[n.url] for n in nodes}
            status = json.loads(cli_runner(env)("status", "--json"))
            exposures = len(json.loads(cli_runner(env)("exposures", "list", "--json")))
        finally:
            for node in nodes:
                node.stop(signal.SIGTERM)
    stages: dict[str, int] = {}
    for shard in status.get("cluster", {}).get("shards", []):
        stages[str(shard["node"])] = stages.get(str(shard["node"]), 0) + 1
    return {
        "nodes": node_count,
        "wall": wall,
        "exit": done.returncode,
        "crawl_cpu": cpu,
        "browser_cpu": {
            url: sum(j["browser"] for j in sampler.jobs.values() if j["node"] == url) for url in urls
        },
        "stages": stages,
        "scheduler_cpu": (sched_after.ru_utime - sched_before.ru_utime)
        + (sched_after.ru_stime - sched_before.ru_stime),
        "sandbox_cpu": (self_after.ru_utime - self_before.ru_utime)
        + (self_after.ru_stime - self_before.ru_stime),
        "requests": {
            "search": sandbox.hits("/ok/"),
            "pages": sandbox.hits("/web/"),
            "telegram": sandbox.hits("/telegram/"),
            "total": len(sandbox.requests),
        },
        "rendered_requests": sandbox.hits("/web/watch-rendered/"),
        "exposures": exposures,
        "world": world,
        "jobs": sampler.jobs,
    }


def report(result: dict[str, Any]) -> None:
    n = result["nodes"]
    print(f"-- {n} node{'s' if n > 1 else ''}: pass wall {result['wall']:.1f} s (exit {result['exit']})")
    for url, crawl in result["crawl_cpu"].items():
        browser = result["browser_cpu"][url]
        print(
            f"   node {url}: CPU {crawl + browser:.1f} s (crawl processes {crawl:.1f} s exact + browser "
            f"{browser:.1f} s sampled), shard stages run {result['stages'].get(url, 0)}"
        )
    req = result["requests"]
    print(
        f"   sandbox served {req['total']} requests: {req['search']} engine, {req['pages']} page, "
        f"{req['telegram']} Telegram; sandbox+sampler CPU {result['sandbox_cpu']:.1f} s; "
        f"scheduler CPU {result['scheduler_cpu']:.1f} s; exposures {result['exposures']}"
    )


def per_stage(result: dict[str, Any]) -> None:
    jobs = result["jobs"].values()
    sampled = sum(j["own"] for j in jobs)
    if not sampled:
        print("   (no job sampled: no per-stage split)")
        return
    exact = sum(result["crawl_cpu"].values())
    scale = exact / sampled
    by_stage: dict[str, float] = {}
    count: dict[str, int] = {}
    for job in jobs:
        by_stage[job["spider"]] = by_stage.get(job["spider"], 0.0) + job["own"] * scale + job["browser"]
        count[job["spider"]] = count.get(job["spider"], 0) + 1
    browser = sum(j["browser"] for j in jobs)
    req = result["requests"]
    fetched = req["pages"] + req["telegram"]
    search = by_stage.get("search", 0.0)
    pages = by_stage.get("pages", 0.0) + by_stage.get("recheck", 0.0)
    print(
        f"   per stage (crawl processes sampled {sampled:.1f} s of {exact:.1f} s exact; browser "
        f"{browser:.1f} s): "
        + ", ".join(
            f"{k} {v:.1f} s in {count[k]} jobs ({v / count[k]:.1f} s a job)"
            for k, v in sorted(by_stage.items())
        )
    )
    if req["search"]:
        print(f"   CPU per search request: {search / req['search'] * 1000:.0f} ms ({req['search']} requests)")
    if fetched:
        print(f"   CPU per page fetched (pages + recheck): {pages / fetched * 1000:.0f} ms ({fetched} pages)")
    if result["rendered_requests"]:
        print(
            f"   browser CPU per rendered page: {browser / result['rendered_requests'] * 1000:.0f} ms "
            f"({result['rendered_requests']} rendered, Chromium start-up included)"
        )


def main() -> int:
    parser = argparse.ArgumentParser(
        description="One pass over the sandbox world on one Scrapyd node and on two."
    )
    parser.add_argument("--two-first", action="store_true", help="run the two-node pass first (order bias)")
    args = parser.parse_args()
    admin = os.environ.get("JIKIMI_DEMO_PG", "postgresql://postgres@localhost/test")
    with SandboxServer() as sandbox:
        first = one_pass(sandbox, admin, 2 if args.two_first else 1)
        second = one_pass(sandbox, admin, 1 if args.two_first else 2)
    one, two = (second, first) if args.two_first else (first, second)
    world = one["world"]
    print(
        f"world: {world['cases']} fictional cases, {world['terms']} terms, "
        f"{world['plain_targets']} plain and {world['rendered_targets']} rendered watched targets; "
        f"{SHARDS} shards, max_proc 2 per node; {'two' if args.two_first else 'one'}-node pass first"
    )
    report(one)
    per_stage(one)
    report(two)
    if one["exposures"] != two["exposures"] or one["requests"]["total"] != two["requests"]["total"]:
        print("   note: the two passes differ in exposures or requests (see above)")
    ratio = two["wall"] / one["wall"]
    print(f"two-node / one-node pass time: {ratio:.2f} (target <= 1.1): {'ok' if ratio <= 1.1 else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
