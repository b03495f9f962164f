"""Page benchmark: 2,000 watched sandbox pages, 10,000 active terms (run by `make bench`, not a test).

Prints jikimi's pages per second against a bare Scrapy spider fetching the same pages in the same
run (target: ratio >= 0.85), and the page bytes a second, unchanged pass transfers as a share of
the first (target: <= 10%). Both crawls run in child processes against the same sandbox, with the
same concurrency, delay and timeout; the clock covers the crawl itself (from the spider's opening to
its closing), not interpreter start-up, term loading or the matcher build, which are printed apart.
Rounds alternate the two crawls; the ratio is the median of each round's ratio, since on a shared
machine load drifts between rounds more than between two crawls of one round. The sandbox counts
body bytes: a 304 has none. `--pages/--terms/--rounds` shrink it for a quick look.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SURNAMES = "김이박최정강조윤장임한오서신권황안송류홍"
GIVEN = "민서지현우준영수하은도윤채원예린시아주태건동길나라보람솔빛"
FILLER = (
    "오늘 가상시 날씨는 맑고 낮 최고 기온은 18도입니다. 시내버스 노선이 다음 달부터 바뀌니 확인하세요. "
    "주말 장터는 시장 입구에서 오전 10시에 열립니다. 도서관은 월요일에 쉽니다. 공원 산책로 공사 중입니다. "
)
MATCHING_SHARE = 33  # one page in this many names a registered person

BARE_SPIDER = """
import json, sys, time, scrapy
from scrapy import signals
from scrapy.crawler import CrawlerProcess

CLOCK = {}

def opened():
    CLOCK["opened"] = time.perf_counter()

def closed():
    CLOCK["closed"] = time.perf_counter()

class Bare(scrapy.Spider):
    name = "bare"
    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(opened, signals.spider_opened)
        crawler.signals.connect(closed, signals.spider_closed)
        return spider
    async def start(self):
        for url in json.load(open(sys.argv[1])):
            yield scrapy.Request(url, dont_filter=True, callback=self.parse)
    def parse(self, response):
        return None

process = CrawlerProcess(json.load(open(sys.argv[2])))
process.crawl(Bare)
process.start()
json.dump({"seconds": CLOCK["closed"] - CLOCK["opened"]}, open(sys.argv[3], "w"))
"""


def fictional_name(i: int) -> str:
    return (
        SURNAMES[i % len(SURNAMES)] + GIVEN[(i // 7) % len(GIVEN)] + GIVEN[(i // 131) % len(GIVEN)] + str(i)
    )


def page_html(i: int, terms: int) -> str:
    named = fictional_name((i * 7919) % terms) if i % MATCHING_SHARE == 0 else ""
    body = "".join(f"<p>{FILLER}{n}</p>" for n in range(12))
    mention = f"<p>가나다고 {named} 합성 요청합니다. 갠텔 주세요.</p>" if named else ""
    return (
        "<!DOCTYPE html><html lang='ko'><head><meta charset='utf-8'>"
        f"<title>게시글 {i} - 가상 커뮤니티</title><script>window.__board={{id:{i}}};</script></head>"
        f"<body><nav>홈 · 자유게시판</nav><main><article><h1>게시글 {i}</h1>{mention}{body}</article></main>"
        "<footer>ⓒ 가상 커뮤니티</footer></body></html>"
    )


def config_text() -> str:
    return """[network]
allow_private_addresses = true
download_delay = 0.0
concurrency_per_domain = 16
download_timeout = 20.0

[sources.duckduckgo]
enabled = false
[sources.telegram]
enabled = false"""


def populate(sandbox: Any, pages: int, terms: int) -> list[str]:
    from jikimi.config import load_settings
    from storage.cases import Consent, add_target, add_term, create_case
    from storage.database import open_store
    from storage.keyring import create_keyring_file

    settings = load_settings()
    store = open_store(settings.database_url, create_keyring_file(settings.key_file), initialise=True)
    per_case = 100
    for n in range(terms):
        if n % per_case == 0:
            case_id = create_case(
                store, f"bench case {n // per_case}", Consent("fictional", "bench", "2026-11-23")
            )
        add_term(store, case_id, fictional_name(n), "name")
    urls = []
    for i in range(pages):
        path = f"/web/bench/{i}"
        sandbox.set_page(path, page_html(i, terms))
        urls.append(sandbox.url + path)
        add_target(store, urls[-1], "web")
    store.close()
    return urls


def child_jikimi(run_id: int, out: str) -> None:
    """The pages stage as `python -m crawler pages` (and `scrapy crawl pages`) runs it, timed."""
    from scrapy import signals
    from scrapy.crawler import CrawlerProcess

    from crawler.__main__ import project_settings
    from crawler.spiders.pages import PageSpider
    from jikimi.logs import setup_logging

    setup_logging("WARNING")
    clock: dict[str, float] = {}

    def opened() -> None:
        clock["opened"] = time.perf_counter()

    def closed() -> None:
        clock["seconds"] = clock.get("seconds", 0.0) + time.perf_counter() - clock["opened"]

    started = time.perf_counter()
    process = CrawlerProcess(project_settings(verbose=False))
    crawler = process.create_crawler(PageSpider)
    crawler.signals.connect(opened, signals.spider_opened)
    crawler.signals.connect(closed, signals.spider_closed)
    process.crawl(crawler, run=run_id)
    process.start()
    crawled = time.perf_counter()
    spider = crawler.spider
    assert isinstance(spider, PageSpider)
    ctx = spider.context
    prepared = clock["opened"]
    tally = ctx.tally("pages")
    result = {
        "seconds": clock["seconds"],
        "setup_seconds": prepared - started,
        "process_seconds": crawled - prepared,
        "terms": len(ctx.terms),
        "results": tally.results,
        "new": tally.new_exposures,
        "failures": {k.value: v for k, v in tally.failures.items()},
    }
    Path(out).write_text(json.dumps(result), encoding="utf-8")


def forget_visits(store: Any) -> None:
    """Clear every target's validators and hash, so the next pass reads all pages as if new."""
    from sqlalchemy import update

    from storage.models import Target

    with store.session() as session:
        session.execute(
            update(Target).values(etag=None, last_modified=None, text_sha256=None, last_checked_at=None)
        )


def run_child(args: list[str], env: dict[str, str]) -> dict[str, Any]:
    """Run a child; its JSON result, plus the CPU seconds it used in all (start-up included)."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        out = handle.name
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, *args, out], env=env, check=True, stdout=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    result: dict[str, Any] = json.loads(Path(out).read_text(encoding="utf-8"))
    result["cpu"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    Path(out).unlink()
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--terms", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child-jikimi", nargs=2, metavar=("RUN_ID", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_jikimi:
        child_jikimi(int(args.child_jikimi[0]), args.child_jikimi[1])
        return 0

    from sandbox.server import SandboxServer

    data = Path(tempfile.mkdtemp(prefix="jikimi-bench-pages-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("JIKIMI_")}
    env.update(JIKIMI_DATA_DIR=str(data), JIKIMI_CONFIG=str(data / "config.toml"), PYTHONPATH=str(ROOT))
    os.environ.update(env)
    (data / "config.toml").write_text(config_text(), encoding="utf-8")
    with SandboxServer() as sandbox:
        t0 = time.perf_counter()
        urls = populate(sandbox, args.pages, args.terms)
        print(f"setup: {args.pages} pages, {args.terms} terms in {time.perf_counter() - t0:.1f} s")

        from crawler.settings import scrapy_settings
        from jikimi.config import load_settings
        from storage.database import open_store
        from storage.keyring import load_keyring
        from storage.runs import start_run

        settings = load_settings()
        ours = scrapy_settings(settings, obey_robots=True)
        bare_settings = {
            key: ours[key]
            for key in (
                "CONCURRENT_REQUESTS",
                "CONCURRENT_REQUESTS_PER_DOMAIN",
                "DOWNLOAD_DELAY",
                "DOWNLOAD_TIMEOUT",
                "TWISTED_REACTOR",
                "USER_AGENT",
            )
        }
        bare_settings.update({"LOG_LEVEL": "WARNING", "TELNETCONSOLE_ENABLED": False})
        (data / "urls.json").write_text(json.dumps(urls), encoding="utf-8")
        (data / "bare.json").write_text(json.dumps(bare_settings), encoding="utf-8")
        (data / "bare.py").write_text(BARE_SPIDER, encoding="utf-8")
        store = open_store(settings.database_url, load_keyring(settings.key_file))

        bares: list[float] = []
        bare_cpu: list[float] = []
        firsts: list[dict[str, Any]] = []
        for _ in range(args.rounds):
            # Interleaved rounds on a shared, busy machine: compare medians, not one lucky run.
            sandbox.reset()
            bare_run = run_child(
                [str(data / "bare.py"), str(data / "urls.json"), str(data / "bare.json")], env
            )
            bares.append(bare_run["seconds"])
            bare_cpu.append(bare_run["cpu"])
            sandbox.wait_idle()
            bare_bytes = sandbox.bytes_served("/web/bench/")
            forget_visits(store)
            sandbox.reset()
            firsts.append(run_child([__file__, "--child-jikimi", str(start_run(store, "bench"))], env))
            sandbox.wait_idle()
            first_bytes = sandbox.bytes_served("/web/bench/")
            first_hits = sandbox.hits("/web/bench/")

        sandbox.reset()
        second = run_child([__file__, "--child-jikimi", str(start_run(store, "bench"))], env)
        sandbox.wait_idle()
        second_bytes = sandbox.bytes_served("/web/bench/")
        second_hits = sandbox.hits("/web/bench/")
        store.close()

    bare = {"seconds": statistics.median(bares)}
    first = sorted(firsts, key=lambda r: float(r["seconds"]))[len(firsts) // 2]
    ours_seconds = ", ".join(f"{float(r['seconds']):.2f}" for r in firsts)
    print(f"rounds      : bare {', '.join(f'{b:.2f}' for b in bares)} s; jikimi {ours_seconds} s")
    ours_cpu = ", ".join(f"{float(r['cpu']):.1f}" for r in firsts)
    bare_cpu_text = ", ".join(f"{c:.1f}" for c in bare_cpu)
    print(f"child CPU   : bare {bare_cpu_text} s; jikimi {ours_cpu} s (start-up included)")
    bare_rate = args.pages / bare["seconds"]
    ours_rate = args.pages / first["seconds"]
    # Each round's two crawls ran back to back; their ratio cancels most of a shared machine's drift.
    paired = [b / float(r["seconds"]) for b, r in zip(bares, firsts, strict=True)]
    ratio = statistics.median(paired)
    share = second_bytes / first_bytes if first_bytes else 0.0
    print(f"bare Scrapy : {bare['seconds']:.2f} s, {bare_rate:.0f} pages/s, {bare_bytes / 1e6:.1f} MB")
    print(
        f"jikimi      : {first['seconds']:.2f} s, {ours_rate:.0f} pages/s, {first_bytes / 1e6:.1f} MB, "
        f"{first_hits} requests, {firsts[0]['new']} new exposures in round 1 "
        f"(setup {first['setup_seconds']:.1f} s for {first['terms']} terms, not timed)"
    )
    print(
        f"second pass : {second['seconds']:.2f} s, {second_hits} requests, {second_bytes} body bytes, "
        f"{second['new']} new exposures"
    )
    paired_text = ", ".join(f"{p:.2f}" for p in paired)
    print(f"per-round ratios: {paired_text}; ratio of the medians {ours_rate / bare_rate:.2f}")
    print(
        f"throughput ratio jikimi/bare (median of rounds): {ratio:.2f} (target >= 0.85) "
        f"{'OK' if ratio >= 0.85 else 'BELOW TARGET'}"
    )
    print(
        f"second pass bytes / first: {share:.1%} (target <= 10%) {'OK' if share <= 0.10 else 'ABOVE TARGET'}"
    )
    if first["failures"] or second["failures"]:
        print(f"failures: {first['failures']} / {second['failures']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
