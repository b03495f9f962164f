"""Per-source tallies of one crawl and the honest outcome they add up to.

A source that answered some queries and then hit its quota ends `quota`, not `ok`: the worst
thing that happened is what an advocate must see. Only a source that never failed can end `ok`
(results seen) or `empty` (every query answered, nothing found).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from crawler.sources.base import OUTCOME_SEVERITY, Outcome


@dataclass
class SourceTally:
    source: str
    planned_queries: int = 0
    calls: int = 0
    results: int = 0
    matched: int = 0
    new_exposures: int = 0
    queries_done: int = 0
    retries: int = 0
    unreached_term_ids: list[int] = field(default_factory=list)
    # Terms whose query was still paying when max_pages ended it: the next plan gives each its own query.
    busy_term_ids: list[int] = field(default_factory=list)
    planned_terms: int = 0  # terms this source had to search this pass (reached or not)
    failures: dict[Outcome, str] = field(default_factory=dict)  # first reason per failure outcome
    partial_reasons: list[str] = field(default_factory=list)
    stopped: bool = False  # quota/auth, or a wait over max_retry_after: no more requests this run
    dropped: dict[str, int] = field(default_factory=dict)  # named reasons results or pages were dropped

    def fail(self, outcome: Outcome, reason: str) -> None:
        self.failures.setdefault(outcome, reason)
        if outcome in (Outcome.QUOTA, Outcome.AUTH):
            self.stopped = True

    def drop(self, reason: str) -> None:
        self.dropped[reason] = self.dropped.get(reason, 0) + 1

    def not_reached(self, term_id: int) -> None:
        """A term this source did not search (whole) this pass: budget, quota, or a stop."""
        if term_id not in self.unreached_term_ids:
            self.unreached_term_ids.append(term_id)

    def cut_short(self, term_ids: tuple[int, ...]) -> None:
        """A query of these terms was still finding things when `max_pages` ended it."""
        for term_id in term_ids:
            if term_id not in self.busy_term_ids:
                self.busy_term_ids.append(term_id)

    def unreached_note(self) -> str | None:
        """ "partial: 9,700 of 10,000 terms not reached": said in the reason whatever the outcome."""
        if not self.unreached_term_ids:
            return None
        total = max(self.planned_terms, len(self.unreached_term_ids))
        return f"partial: {len(self.unreached_term_ids):,} of {total:,} terms not reached"

    def outcome(self) -> tuple[Outcome, str | None]:
        outcome, reason = self._outcome()
        note = self.unreached_note()
        if note is None:
            return outcome, reason
        return outcome, f"{note}; {reason}" if reason else note

    def _outcome(self) -> tuple[Outcome, str | None]:
        for candidate in OUTCOME_SEVERITY:
            if candidate in self.failures:
                return candidate, self.failures[candidate]
        if self.planned_queries and self.queries_done < self.planned_queries and not self.unreached_term_ids:
            return Outcome.ERROR, "some queries did not finish"
        if self.results:
            reason = "; ".join(self.partial_reasons) if self.partial_reasons else None
            return Outcome.OK, reason
        return Outcome.EMPTY, ("; ".join(self.partial_reasons) if self.partial_reasons else None)

    def details(self) -> dict[str, object]:
        return {
            "planned_queries": self.planned_queries,
            "queries_done": self.queries_done,
            "matched": self.matched,
            "retries": self.retries,
            "unreached_term_ids": list(self.unreached_term_ids),
            "busy_term_ids": list(self.busy_term_ids),
            "planned_terms": self.planned_terms,
            "failures": {k.value: v for k, v in self.failures.items()},
            "partial": list(self.partial_reasons),
            "dropped": dict(self.dropped),
        }


def is_good(outcome: str) -> bool:
    return outcome in (Outcome.OK.value, Outcome.EMPTY.value)
