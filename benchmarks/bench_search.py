"""Search benchmark: a quiet night for 80 terms on all five engines, calls and CPU against bare Scrapy.

40 fictional cases, each with a name and a handle, searched on Naver, Kakao, Brave, SearXNG and
DuckDuckGo, as configured out of the box (verticals, OR operators, max_pages) but with no budget
truncation and rate limits off. The engines are a lean canned server in its own process
(`lean_engines.py`) that answers every query with one page of ten results naming nobody.

Prints calls per term per source (target <= 1.5), then CPU seconds (user + system) of jikimi's crawl
process and of a bare Scrapy spider that sends exactly the requests jikimi sent (as the server logged
them) and parses each answer (JSON decode, or an HTML selector for DuckDuckGo), both measured in this
run against the same server: the ratio bare/jikimi has a target of >= 0.5. Wall times are printed too.
`--cases` scales the world. `--pipe` shows a deployment whose `jikimi sources check` confirmed that
Naver's and Kakao's APIs read `|` as OR (the lean server's answers name nobody, so the probe cannot
confirm it here: out of the box means without it).
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SURNAMES = "김이박최정강조윤장임한오서신권황안송류홍"
GIVEN = "민서지현우준영수하은도윤채원예린시아주태건동길나라보람솔빛"
ENGINES = ("naver", "kakao", "brave", "searxng", "duckduckgo")
CREDENTIALS = {
    "naver": 'client_id = "bench-id"\nclient_secret = "bench-secret"',
    "kakao": 'api_key = "bench-key"',
    "brave": 'api_key = "bench-key"',
}

BARE_SPIDER = """
import json, sys, scrapy
from parsel import Selector
from scrapy.crawler import CrawlerProcess

SKIP = {"host", "content-length", "connection", "accept-encoding", "user-agent"}

class Bare(scrapy.Spider):
    name = "bare"
    async def start(self):
        base = sys.argv[3]
        with open(sys.argv[1], encoding="utf-8") as log:
            for line in log:
                r = json.loads(line)
                headers = {k: v for k, v in r["headers"].items() if k.lower() not in SKIP}
                body = r["body"].encode("latin-1") if r["body"] else None
                yield scrapy.Request(
                    base + r["path"], method=r["method"], headers=headers, body=body,
                    dont_filter=True, callback=self.parse, meta={"handle_httpstatus_all": True},
                )
    def parse(self, response):
        if response.url.startswith(sys.argv[3] + "/duckduckgo"):
            len(Selector(text=response.text).css("div.result"))
        else:
            json.loads(response.body)

process = CrawlerProcess(json.load(open(sys.argv[2])))
process.crawl(Bare)
process.start()
"""


def fictional_name(i: int) -> str:
    return SURNAMES[i % len(SURNAMES)] + GIVEN[(i // 7) % len(GIVEN)] + GIVEN[(i // 131) % len(GIVEN)]


def config_text(base: str, pipe: bool = False) -> str:
    lines = [
        "[network]",
        "allow_private_addresses = true",
        "download_delay = 0.0",
        "concurrency_per_domain = 16",
        "",
    ]
    for name in ENGINES:
        lines += [f"[sources.{name}]", f'base_url = "{base}/{name}"', "daily_budget = 1000000000"]
        if name in CREDENTIALS:
            lines.append(CREDENTIALS[name])
        if pipe and name in ("naver", "kakao"):
            lines.append('or_operator = "|"')
        lines.append("")
    lines += ["[sources.telegram]", "enabled = false"]
    return "\n".join(lines)


def populate(cases: int) -> int:
    from jikimi.config import load_settings
    from storage.cases import Consent, add_term, create_case
    from storage.database import open_store
    from storage.keyring import create_keyring_file

    settings = load_settings()
    store = open_store(settings.database_url, create_keyring_file(settings.key_file), initialise=True)
    for c in range(cases):
        case_id = create_case(store, f"bench case {c}", Consent("fictional", "bench", "2026-11-23"))
        add_term(store, case_id, fictional_name(c) + "a"[: c // 400], "name")
        add_term(store, case_id, f"quiet_handle_{c}", "handle")
    store.close()
    return cases * 2


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def cpu_of(cmd: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    """(CPU seconds user+system, wall seconds, exit code) of one child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(cmd, env=env, check=False, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall, done.returncode


def engine_of(path: str) -> str:
    return path.split("/", 2)[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=40, help="cases, each with a name and a handle")
    parser.add_argument(
        "--pipe",
        action="store_true",
        help="Naver and Kakao join alternatives with `|`, as where `jikimi sources check` confirmed it "
        "(not out of the box: the lean server's answers cannot confirm it)",
    )
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="jikimi-bench-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("JIKIMI_")}
    env.update(JIKIMI_DATA_DIR=str(data), JIKIMI_CONFIG=str(data / "config.toml"), PYTHONPATH=str(ROOT))
    os.environ.update(env)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    (data / "config.toml").write_text(config_text(base, args.pipe), encoding="utf-8")
    terms = populate(args.cases)
    # Bytecode for jikimi's own modules, as an installed jikimi has it (and as a second run has, unless
    # PYTHONDONTWRITEBYTECODE is set, as it is in some shells): without it the crawl compiled its ~80
    # source files on every run, about 0.3 s of CPU that bare Scrapy (one file of its own) never paid.
    for package in ("crawler", "storage", "jikimi", "matching"):
        compileall.compile_dir(ROOT / package, quiet=1)

    from jikimi.config import load_settings
    from storage.database import open_store
    from storage.keyring import load_keyring
    from storage.runs import get_run, start_run

    settings = load_settings()
    store = open_store(settings.database_url, load_keyring(settings.key_file))
    run_id = start_run(store, "bench")
    jikimi_log, bare_log = data / "jikimi-requests.jsonl", data / "bare-requests.jsonl"
    server_cmd = [sys.executable, str(Path(__file__).with_name("lean_engines.py")), str(port)]

    from crawler.settings import scrapy_settings

    ours = scrapy_settings(settings, obey_robots=False)
    bare_settings = {
        k: ours[k]
        for k in (
            "CONCURRENT_REQUESTS",
            "CONCURRENT_REQUESTS_PER_DOMAIN",
            "DOWNLOAD_DELAY",
            "DOWNLOAD_TIMEOUT",
        )
        if k in ours
    }
    bare_settings.update(LOG_LEVEL="WARNING", ROBOTSTXT_OBEY=False, TELNETCONSOLE_ENABLED=False)
    (data / "bare-settings.json").write_text(json.dumps(bare_settings, default=str), encoding="utf-8")
    (data / "bare.py").write_text(BARE_SPIDER, encoding="utf-8")

    def with_server(log: Path, cmd: list[str]) -> tuple[float, float, int]:
        server = subprocess.Popen([*server_cmd, str(log)], stdout=subprocess.PIPE, text=True)
        try:
            assert server.stdout is not None and server.stdout.readline().strip() == "ready"
            return cpu_of(cmd, env)
        finally:
            server.terminate()
            server.wait()

    profile = ["-m", "cProfile", "-o", os.environ["BENCH_PROFILE"]] if os.environ.get("BENCH_PROFILE") else []
    jikimi_cpu, jikimi_wall, code = with_server(
        jikimi_log, [sys.executable, *profile, "-m", "crawler", "search", "--run-id", str(run_id)]
    )
    if code != 0:
        print(f"jikimi crawl exited {code}")
    sent = [json.loads(line) for line in jikimi_log.read_text(encoding="utf-8").splitlines()]
    bare_cmd = [
        sys.executable,
        str(data / "bare.py"),
        str(jikimi_log),
        str(data / "bare-settings.json"),
        base,
    ]
    bare_cpu, bare_wall, _ = with_server(bare_log, bare_cmd)
    replayed = len(bare_log.read_text(encoding="utf-8").splitlines())
    run = get_run(store, run_id)
    store.close()

    per_engine = Counter(engine_of(r["path"]) for r in sent)
    print(f"world: {args.cases} cases, {terms} terms (a name and a handle each), {len(ENGINES)} engines")
    if args.pipe:
        print("Naver and Kakao join alternatives with `|` (--pipe: a deployment whose check confirmed it)")
    print(f"requests: jikimi sent {len(sent)}, bare scrapy replayed {replayed}")
    for src in run.sources:
        calls = per_engine.get(src.source, 0)
        print(f"  {src.source}: outcome {src.outcome}, calls {calls}, {calls / terms:.2f} calls per term")
    per_term_source = len(sent) / terms / len(ENGINES)
    print(f"calls per term per source: {per_term_source:.2f} (target <= 1.5)")
    print(f"CPU: jikimi crawl {jikimi_cpu:.2f} s, bare scrapy {bare_cpu:.2f} s (start-up included in both)")
    print(f"CPU ratio bare/jikimi: {bare_cpu / jikimi_cpu:.2f} (target >= 0.5)")
    print(f"wall: jikimi {jikimi_wall:.1f} s, bare {bare_wall:.1f} s")
    shutil.rmtree(data, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
