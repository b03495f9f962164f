"""What every stage spider (search, pages, recheck) shares: jikimi's store, its run, its honest close.

A stage spider opens a `Stage` in `from_crawler`: jikimi's configuration and key, the database, and
the run it records into. `-a run=N` joins pass N (what `jikimi run` and the scheduler do); without
it the stage opens a run of its own and closes it when the spider closes, so a plain
`scrapy crawl search` is a whole, recorded pass of that stage. When the spider closes, each source's
outcome is stored on the run and put in the crawl's stats (`jikimi/outcome/<source>`), which the
`python -m crawler` alias turns into its exit code.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

from scrapy.crawler import Crawler

from crawler.context import ProgressReporter, stdout_progress
from crawler.ledger import SourceTally, is_good
from crawler.shard import Shard, ShardArgumentError, shard_argument
from jikimi.config import ConfigError, Settings, load_settings
from jikimi.logs import REDACTOR, setup_logging
from storage.cases import TermView, active_terms, redaction_forms
from storage.database import Store, open_store
from storage.errors import DatabaseError, DatabaseUnusableError, KeyringError, NotFoundError
from storage.keyring import load_keyring
from storage.runs import finish_run, get_run, record_source, start_run
from storage.shards import is_current_job, mark_spider_closed

logger = logging.getLogger(__name__)

# The kind of a run a stage opened for itself (`scrapy crawl` without `-a run=N`).
OWN_RUN_KIND = "crawl"
OUTCOME_STAT = "jikimi/outcome/"
CLOSED_STAT = "jikimi/stage_closed"

# Scrapy components whose warnings repeat, with the request URL, what the target's outcome already
# says (too large, gave up retrying): a watched page's path may hold a victim's name, percent-encoded
# where the log redactor cannot see it. Errors still show.
URL_WARNING_LOGGERS = (
    "scrapy.core.downloader.handlers.http11",
    "scrapy.downloadermiddlewares.httpcompression",
    "scrapy.downloadermiddlewares.retry",
    # Referer is off on purpose (search URLs carry the name); Scrapy warns about it on every start.
    "scrapy.downloadermiddlewares.redirect",
)


class StageError(Exception):
    """A stage cannot start: its configuration, key, database or `run` argument is unusable."""


def quiet_scrapy_loggers() -> None:
    """Scrapy's logging set-up puts its own loggers at DEBUG, and jikimi's redacting handler has no
    level of its own: "Crawled <url>" and "Scraped from" (with the item, page text and all) would
    reach stderr. Scrapy's loggers get the root logger's level instead (INFO when asked for)."""
    level = max(logging.getLogger().getEffectiveLevel(), logging.INFO)
    for name in ("scrapy", "scrapy-playwright", "twisted"):
        logging.getLogger(name).setLevel(max(level, logging.getLogger(name).level))
    for name in URL_WARNING_LOGGERS:
        logging.getLogger(name).setLevel(logging.ERROR)


def run_argument(value: object) -> int | None:
    """The `run` spider argument: a run id (string from `-a run=N`, or int), or None for a run of its own."""
    if value is None or value == "":
        return None
    try:
        run_id = int(str(value))
    except ValueError:
        raise StageError(f"run must be a run id, not {value!r}") from None
    if run_id <= 0:
        raise StageError(f"run must be a positive run id, not {run_id}")
    return run_id


@dataclass
class Stage:
    """One stage's hold on jikimi: configuration, store, the run it records into, its progress stream."""

    name: str
    settings: Settings
    store: Store
    run_id: int
    own_run: bool
    progress: ProgressReporter
    # Set when the dispatcher of a cluster started this crawl as a Scrapyd job (`scheduler.cluster`).
    shard: Shard | None = None
    ledger_id: int | None = None
    job_id: str | None = None

    @classmethod
    def open(
        cls,
        crawler: Crawler,
        name: str,
        run: object = None,
        *,
        shard: object = None,
        ledger: object = None,
        job: object = None,
    ) -> Stage:
        """Read jikimi's configuration and key, open the store, join run `run` or open one.

        `shard` (`K/N`), `ledger` (its `run_shards` row) and `job` (Scrapyd's `_job`) come from the
        cluster's dispatcher: the crawl covers one shard's cases and marks its ledger row when it closes.
        """
        setup_logging(
            crawler.settings.get("LOG_LEVEL") or logging.WARNING, path=crawler.settings.get("LOG_FILE")
        )
        quiet_scrapy_loggers()
        wanted = run_argument(run)
        try:
            part = shard_argument(shard)
        except ShardArgumentError as exc:
            raise StageError(str(exc)) from None
        ledger_id = run_argument(ledger)
        try:
            settings = load_settings()
            REDACTOR.add(settings.secrets())
            keyring = load_keyring(settings.key_file, os.environ.get("JIKIMI_KEYRING"))
            store = open_store(settings.database_url, keyring)
        except DatabaseUnusableError:
            raise  # a damaged database or a full disk: exit 1, not the configuration's 2
        except (ConfigError, KeyringError, DatabaseError) as exc:
            raise StageError(str(exc)) from None
        # Every registered term is a secret for the log formatter, in this process too.
        REDACTOR.add(redaction_forms(active_terms(store)))
        if wanted is None:
            run_id, own = start_run(store, OWN_RUN_KIND, os.getpid()), True
        else:
            try:
                get_run(store, wanted)
            except NotFoundError:
                store.close()
                raise StageError(f"no run {wanted}") from None
            run_id, own = wanted, False
        progress = (
            stdout_progress() if crawler.settings.getbool("JIKIMI_PROGRESS") else ProgressReporter(None)
        )
        return cls(
            name,
            settings,
            store,
            run_id,
            own,
            progress,
            shard=part,
            ledger_id=ledger_id,
            job_id=str(job) if job else None,
        )

    def terms(self, *, every_case: bool = False) -> list[TermView]:
        """The active terms this crawl covers: its shard's cases' (or every case's)."""
        terms = active_terms(self.store)
        if self.shard is None or every_case:
            return terms
        return [t for t in terms if self.shard.includes(t.case_id)]

    def superseded(self) -> bool:
        """A shard job the dispatcher replaced (its node went silent) keeps its hands off the figures."""
        if self.ledger_id is None:
            return False
        if is_current_job(self.store, self.ledger_id, self.job_id or ""):
            return False
        logger.warning("this shard job was replaced by another; its outcomes are not recorded")
        return True

    def finished(self, reason: str) -> None:
        """Every outcome is stored: tell the dispatcher, which trusts this mark over Scrapyd's job list."""
        if self.ledger_id is not None:
            mark_spider_closed(self.store, self.ledger_id, self.job_id or "", reason)

    def record(
        self,
        crawler: Crawler,
        tally: SourceTally,
        *,
        unreached_terms: int = 0,
        details: dict[str, object] | None = None,
    ) -> None:
        """Store one source's outcome on the run, in the stats, and on the progress stream."""
        if self.superseded():
            return
        outcome, reason = tally.outcome()
        record_source(
            self.store,
            self.run_id,
            tally.source,
            outcome.value,
            reason,
            calls=tally.calls,
            results=tally.results,
            new_exposures=tally.new_exposures,
            unreached_terms=unreached_terms,
            details={**tally.details(), **(details or {})},
        )
        if crawler.stats is not None:
            crawler.stats.set_value(OUTCOME_STAT + tally.source, outcome.value)
        self.progress.emit("source_done", source=tally.source, outcome=outcome.value, new=tally.new_exposures)

    def close(self, crawler: Crawler, tallies: dict[str, SourceTally]) -> None:
        """Close a run the stage opened itself (its status from the outcomes), and the store."""
        try:
            if self.own_run:
                outcomes = [t.outcome()[0].value for t in tallies.values()]
                status = "ok" if all(is_good(o) for o in outcomes) else "partial"
                finish_run(self.store, self.run_id, status, {"problems": []})
            if crawler.stats is not None:
                crawler.stats.set_value(CLOSED_STAT, True)
        finally:
            self.store.close()


def stage_exit_code(crawler: Crawler) -> int:
    """0 when every source ended ok/empty, 3 when some did not, 1 when the stage never closed."""
    stats = crawler.stats.get_stats() if crawler.stats is not None else {}
    if not stats.get(CLOSED_STAT):
        return 1
    outcomes = [v for k, v in stats.items() if k.startswith(OUTCOME_STAT)]
    return 0 if all(is_good(str(o)) for o in outcomes) else 3
