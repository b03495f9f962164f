"""What a crawl process shares between its spider and pipelines: store, matcher, run id, tallies."""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import IO

from crawler.ledger import SourceTally
from crawler.shard import Shard
from jikimi.config import Settings
from matching import Matcher, TermSpec
from storage.cases import TermView, usable_terms
from storage.database import Store


class ProgressReporter:
    """JSON lines on a stream for the parent process (`jikimi run`) to draw progress bars from.

    Lines carry source names and counts only: never a term, query or URL.
    """

    def __init__(self, stream: IO[str] | None) -> None:
        self._stream = stream
        self._lock = threading.Lock()

    def emit(self, event: str, **fields: object) -> None:
        if self._stream is None:
            return
        with self._lock:
            self._stream.write(json.dumps({"event": event, **fields}) + "\n")
            self._stream.flush()


def term_specs(terms: Iterable[TermView]) -> list[TermSpec]:
    """Each registered term becomes one matcher spec; the case's other terms act as context."""
    return [
        TermSpec(
            case_id=t.case_id,
            term_id=t.id,
            text=t.text,
            kind=t.kind,
            context=t.context,
            exclude=t.exclude,
        )
        for t in terms
    ]


@dataclass
class CrawlContext:
    settings: Settings
    store: Store
    run_id: int
    terms: dict[int, TermView]
    matcher: Matcher
    progress: ProgressReporter = field(default_factory=lambda: ProgressReporter(None))
    tallies: dict[str, SourceTally] = field(default_factory=dict)
    new_by_case: dict[int, int] = field(default_factory=dict)
    # One shard of a pass spread over Scrapyd nodes (`crawler.shard`); None: every case.
    shard: Shard | None = None

    def in_shard(self, case_id: int | None) -> bool:
        return self.shard is None or self.shard.includes(case_id)

    @classmethod
    def build(
        cls,
        settings: Settings,
        store: Store,
        run_id: int,
        terms: list[TermView],
        progress: ProgressReporter,
        shard: Shard | None = None,
    ) -> CrawlContext:
        # A term the matcher cannot compile costs that term only; the pass reports it (run_pass).
        terms, _skipped = usable_terms(terms)
        matcher = Matcher.build(term_specs(terms))
        return cls(
            settings=settings,
            store=store,
            run_id=run_id,
            terms={t.id: t for t in terms},
            matcher=matcher,
            progress=progress,
            shard=shard,
        )

    def tally(self, source: str) -> SourceTally:
        if source not in self.tallies:
            self.tallies[source] = SourceTally(source)
        return self.tallies[source]

    def count_new(self, source: str, case_id: int) -> None:
        self.tally(source).new_exposures += 1
        self.new_by_case[case_id] = self.new_by_case.get(case_id, 0) + 1


def stdout_progress() -> ProgressReporter:
    return ProgressReporter(sys.stdout)
