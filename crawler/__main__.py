"""A crawl process: `python -m crawler STAGE --run-id N`.

The scheduler and `jikimi run` start one of these per stage (Twisted's reactor cannot restart in
one process, and a fresh process frees browser memory). Progress goes to stdout as JSON lines;
logs go to stderr through the redacting formatter. Exit codes: 0 every source ok/empty, 3 some
source degraded (quota, blocked, auth, unreachable, error), 1 the crawl itself failed, 2 bad input.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

from crawler.context import stdout_progress
from crawler.ledger import SourceTally, is_good
from jikimi.config import ConfigError, load_settings
from jikimi.logs import REDACTOR, setup_logging
from storage.cases import active_terms
from storage.database import DatabaseError, open_store
from storage.keyring import KeyringError, load_keyring

logger = logging.getLogger("crawler")

STAGES = ("search", "pages", "recheck")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crawler", description=__doc__)
    parser.add_argument("stage", choices=STAGES)
    parser.add_argument("--run-id", type=int, required=True)
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    setup_logging(logging.INFO if args.verbose else logging.WARNING)
    # Referer is off on purpose (search URLs carry the name); Scrapy warns about it on every start.
    logging.getLogger("scrapy.downloadermiddlewares.redirect").setLevel(logging.ERROR)
    try:
        settings = load_settings()
        REDACTOR.add(settings.secrets())
        keyring = load_keyring(settings.key_file, os.environ.get("JIKIMI_KEYRING"))
        store = open_store(settings.database_url, keyring)
    except (ConfigError, KeyringError, DatabaseError) as exc:
        sys.stderr.write(f"crawler: error: {exc}\n")
        return 2
    # Every registered term is a secret for the log formatter, in this process too.
    REDACTOR.add(t.text for t in active_terms(store))
    progress = stdout_progress()
    try:
        tallies: dict[str, SourceTally]
        if args.stage == "search":
            from crawler.search_stage import run_search_stage

            tallies = run_search_stage(settings, store, args.run_id, progress)
        elif args.stage == "pages":
            from crawler.page_stage import run_page_stage

            tallies = run_page_stage(settings, store, args.run_id, progress)
        else:
            from crawler.recheck_stage import run_recheck_stage

            tallies = run_recheck_stage(settings, store, args.run_id, progress)
    except Exception:
        logger.exception("crawl stage %s failed", args.stage)
        return 1
    finally:
        store.close()
    outcomes = [t.outcome()[0].value for t in tallies.values()]
    return 0 if all(is_good(o) for o in outcomes) else 3


if __name__ == "__main__":
    sys.exit(main())
