"""`python -m crawler STAGE [--run-id N]`: the same as `scrapy crawl STAGE [-a run=N]`, plus an exit code.

The scheduler and `jikimi run` start one of these per stage (Twisted's reactor cannot restart in
one process, and a fresh process frees browser memory). It loads the project's Scrapy settings
(`crawler.settings`, what `scrapy.cfg` names) wherever it runs, asks the spider for progress as JSON
lines on stdout, and turns the stage's outcomes into an exit code: 0 every source ok/empty, 3 some
source degraded (quota, blocked, auth, unreachable, error), 1 the crawl itself failed, 2 bad input
(configuration, key, database, run id). Logs go to stderr through the redacting handler.
"""

from __future__ import annotations

import gc

# Before the imports, on purpose: a stage process allocates millions of short-lived
# objects (Twisted's Deferreds, Scrapy's requests, SQLAlchemy's rows) and, at Python's default of a
# young-generation collection every 700 allocations, spent a twentieth of a search stage's CPU walking
# them and the older generations (measured with gc.callbacks: 0.26 s of 6 s; 0.09 s with this). Cyclic
# garbage is still collected, a little later. Only when run (tests import this module too).
if __name__ == "__main__":
    gc.set_threshold(20_000, 20, 20)

import argparse
import logging
import sys
from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings
from twisted.python.failure import Failure

from crawler.stage import StageError, stage_exit_code
from jikimi.config import ConfigError
from jikimi.logs import setup_logging
from storage.database import database_failure
from storage.errors import DatabaseUnusableError

logger = logging.getLogger("crawler")

STAGES = ("search", "pages", "recheck")


def project_settings(*, verbose: bool, stage: str | None = None) -> Settings:
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    if stage is not None:
        # The spider loader imports every module it is pointed at: a search stage need not import the
        # page crawler (and its browser and robots code) only to find its own spider.
        settings.set("SPIDER_MODULES", [f"crawler.spiders.{stage}"], priority="cmdline")
    settings.set("JIKIMI_PROGRESS", True, priority="cmdline")
    settings.set("LOG_LEVEL", "INFO" if verbose else "WARNING", priority="cmdline")
    return settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crawler", description=__doc__)
    parser.add_argument("stage", choices=STAGES)
    parser.add_argument("--run-id", type=int, help="join this run (default: open a run of its own)")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    setup_logging(logging.INFO if args.verbose else logging.WARNING)
    failures: list[Failure] = []
    spider_args: dict[str, Any] = {} if args.run_id is None else {"run": args.run_id}
    try:
        # No root handler: LOG_INSTALL_ROOT_HANDLER is off in crawler.settings (Scrapy 2.19 deprecates
        # the keyword argument that said so here, and warned on every stage).
        process = CrawlerProcess(project_settings(verbose=args.verbose, stage=args.stage))
        crawler = process.create_crawler(args.stage)
        process.crawl(crawler, **spider_args).addErrback(failures.append)
        process.start()
    except ConfigError as exc:
        sys.stderr.write(f"crawler: error: {exc}\n")
        return 2
    if failures:
        if isinstance(failures[0].value, (StageError, ConfigError)):
            sys.stderr.write(f"crawler: error: {failures[0].value}\n")
            return 2
        error = failures[0].value
        failure = database_failure(error) if error is not None else None
        if isinstance(error, DatabaseUnusableError) or failure is not None:
            # A damaged database or a full disk: one line, not a traceback per stage.
            sys.stderr.write(f"crawler: error: {failure or error}\n")
            return 1
        logger.error("crawl stage %s failed", args.stage, exc_info=failures[0].value)
        return 1
    return stage_exit_code(crawler)


if __name__ == "__main__":
    sys.exit(main())
