"""Search benchmark: 1,000 cases with 10,000 terms against the sandbox engines (rate limits off).

Prints wall time, API calls per term per source, peak memory of the crawl process, and the ratio
of jikimi's request throughput to a bare Scrapy spider sending the same requests and discarding
the responses, both measured in this run against the same sandbox. Targets: ratio >= 0.8, peak
memory <= 500 MB. `--cases/--terms-per-case` shrink it for a quick look.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SURNAMES = "김이박최정강조윤장임한오서신권황안송류홍"
GIVEN = "민서지현우준영수하은도윤채원예린시아주태건동길나라보람솔빛"
ENGINES = ("brave", "searxng")

BARE_SPIDER = """
import json, sys, scrapy
from scrapy.crawler import CrawlerProcess

class Bare(scrapy.Spider):
    name = "bare"
    async def start(self):
        for r in json.load(open(sys.argv[1])):
            yield scrapy.Request(r["url"], method=r["method"], headers=r["headers"], body=r["body"],
                                 dont_filter=True, callback=self.parse, meta={"handle_httpstatus_all": True})
    def parse(self, response):
        return None

settings = json.load(open(sys.argv[2]))
process = CrawlerProcess(settings)
process.crawl(Bare)
process.start()
"""


def fictional_name(i: int) -> str:
    return (
        SURNAMES[i % len(SURNAMES)] + GIVEN[(i // 7) % len(GIVEN)] + GIVEN[(i // 131) % len(GIVEN)] + str(i)
    )


def config_text(sandbox_url: str, data: Path) -> str:
    lines = [
        "[network]",
        "allow_private_addresses = true",
        "download_delay = 0.0",
        "concurrency_per_domain = 16",
        "",
    ]
    for name in ENGINES:
        lines += [
            f"[sources.{name}]",
            f'base_url = "{sandbox_url}/ok/{name}"',
            "max_pages = 1",
            "daily_budget = 1000000",
        ]
        if name == "brave":
            lines.append('api_key = "bench-key"')
        lines.append("")
    lines += ["[sources.duckduckgo]", "enabled = false", "[sources.telegram]", "enabled = false"]
    return "\n".join(lines)


def populate(cases: int, per_case: int) -> None:
    from jikimi.config import load_settings
    from storage.cases import Consent, add_term, create_case
    from storage.database import open_store
    from storage.keyring import create_keyring_file

    settings = load_settings()
    store = open_store(settings.database_url, create_keyring_file(settings.key_file), initialise=True)
    n = 0
    for c in range(cases):
        case_id = create_case(store, f"bench case {c}", Consent("fictional", "bench", "2026-11-23"))
        for _ in range(per_case):
            add_term(store, case_id, fictional_name(n), "name")
            n += 1
    store.close()


def planned_requests(run_id: int) -> list[dict[str, object]]:
    """The exact requests jikimi's planner makes, for the bare spider to replay."""
    from crawler.context import CrawlContext, ProgressReporter
    from crawler.planning import PlanTerm, plan_run
    from crawler.sources.base import PageCursor
    from crawler.sources.registry import SOURCES
    from jikimi.config import load_settings
    from storage.cases import active_terms
    from storage.database import open_store
    from storage.keyring import load_keyring

    settings = load_settings()
    store = open_store(settings.database_url, load_keyring(settings.key_file))
    terms = active_terms(store)
    ctx = CrawlContext.build(settings, store, run_id, terms, ProgressReporter(None))
    plan_terms = [PlanTerm(case_id=t.case_id, term_id=t.id, text=t.text, kind=t.kind) for t in terms]
    sources = [s for s in settings.enabled_sources() if s.name in SOURCES]
    plans = plan_run(plan_terms, sources, {}, {}, {})
    out = []
    for plan in plans:
        cfg = settings.sources[plan.source]
        for query in plan.queries:
            req = SOURCES[plan.source].build_request(cfg, query, PageCursor(page=1))
            out.append(
                {
                    "url": req.url,
                    "method": req.method,
                    "headers": dict(req.headers),
                    "body": req.body.decode() if req.body else None,
                }
            )
    del ctx
    store.close()
    return out


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, int]:
    """Wall seconds and the child's peak RSS in MB (ru_maxrss of the waited-for child)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    subprocess.run(cmd, env=env, check=False, stdout=subprocess.DEVNULL)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return elapsed, max(after, before) // 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--terms-per-case", type=int, default=10)
    args = parser.parse_args()
    from sandbox.server import SandboxServer

    data = Path(tempfile.mkdtemp(prefix="jikimi-bench-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("JIKIMI_")}
    env.update(JIKIMI_DATA_DIR=str(data), JIKIMI_CONFIG=str(data / "config.toml"), PYTHONPATH=str(ROOT))
    os.environ.update(env)
    with SandboxServer() as sandbox:
        (data / "config.toml").write_text(config_text(sandbox.url, data), encoding="utf-8")
        t0 = time.perf_counter()
        populate(args.cases, args.terms_per_case)
        terms_total = args.cases * args.terms_per_case
        print(f"setup: {args.cases} cases, {terms_total} terms in {time.perf_counter() - t0:.1f} s")
        from jikimi.config import load_settings
        from storage.database import open_store
        from storage.keyring import load_keyring
        from storage.runs import get_run, start_run

        settings = load_settings()
        store = open_store(settings.database_url, load_keyring(settings.key_file))
        run_id = start_run(store, "bench")
        requests = planned_requests(run_id)
        (data / "requests.json").write_text(json.dumps(requests), encoding="utf-8")
        from crawler.settings import scrapy_settings

        ours = scrapy_settings(settings, obey_robots=False)
        # Bare: Scrapy's defaults, with the same concurrency, delay and timeout as jikimi's crawl.
        bare_settings = {
            k: ours[k]
            for k in (
                "CONCURRENT_REQUESTS",
                "CONCURRENT_REQUESTS_PER_DOMAIN",
                "DOWNLOAD_DELAY",
                "DOWNLOAD_TIMEOUT",
                "TWISTED_REACTOR",
            )
        }
        bare_settings.update(LOG_LEVEL="WARNING", ROBOTSTXT_OBEY=False, TELNETCONSOLE_ENABLED=False)
        (data / "bare-settings.json").write_text(json.dumps(bare_settings, default=str), encoding="utf-8")
        (data / "bare.py").write_text(BARE_SPIDER, encoding="utf-8")

        sandbox.reset()
        bare_s, bare_mb = timed(
            [
                sys.executable,
                str(data / "bare.py"),
                str(data / "requests.json"),
                str(data / "bare-settings.json"),
            ],
            env,
        )
        bare_hits = sum(sandbox.hits(f"/ok/{e}") for e in ENGINES)
        sandbox.reset()
        jikimi_s, jikimi_mb = timed([sys.executable, "-m", "crawler", "search", "--run-id", str(run_id)], env)
        run = get_run(store, run_id)
        jikimi_hits = sum(sandbox.hits(f"/ok/{e}") for e in ENGINES)
        store.close()
    terms = args.cases * args.terms_per_case
    print(f"requests: jikimi {jikimi_hits}, bare scrapy {bare_hits} (planned {len(requests)})")
    for src in run.sources:
        print(
            f"  {src.source}: outcome {src.outcome}, calls {src.calls}, "
            f"{src.calls / terms:.2f} calls per term"
        )
    jikimi_rps = jikimi_hits / jikimi_s
    bare_rps = bare_hits / bare_s
    print(
        f"wall time: jikimi {jikimi_s:.1f} s (start-up, matcher build and storage included), "
        f"bare {bare_s:.1f} s"
    )
    print(f"throughput: jikimi {jikimi_rps:.0f} req/s, bare scrapy {bare_rps:.0f} req/s")
    print(f"ratio jikimi/bare: {jikimi_rps / bare_rps:.2f} (target >= 0.8)")
    print(f"peak memory: jikimi crawl {jikimi_mb} MB (target <= 500 MB), bare {bare_mb} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
