"""The cluster's ledger: one row per (pass, shard, stage), and the pass's outcomes gathered from its shards.

Each shard of a pass records its crawl in a child run of its own (kind `shard`), so two shards never
overwrite each other's figures for the same source; when every shard has ended, `aggregate_sources`
writes the pass's own per-source outcomes: the worst outcome of any shard, calls and counts summed.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from storage.database import Store
from storage.models import Run, RunShard, RunSource, utcnow

# Worse outcomes rank higher: the pass shows the worst any shard met, never one shard's "ok" over
# another's error.
_SEVERITY = {"empty": 0, "ok": 1, "quota": 2, "blocked": 3, "auth": 4, "unreachable": 5, "error": 6}


@dataclass(frozen=True)
class LedgerEntry:
    id: int
    run_id: int
    shard: int
    stage: str
    status: str
    node: str | None
    job_id: str | None
    attempts: int
    child_run_id: int
    scheduled_at: datetime | None
    finished_at: datetime | None
    reason: str | None
    history: tuple[str, ...]
    spider_job_id: str | None
    spider_reason: str | None

    @property
    def marked_done(self) -> bool:
        """The spider of the current job closed and said so (an older, lost job's mark does not count)."""
        return self.job_id is not None and self.spider_job_id == self.job_id


def _entry(row: RunShard) -> LedgerEntry:
    return LedgerEntry(
        id=row.id,
        run_id=row.run_id,
        shard=row.shard,
        stage=row.stage,
        status=row.status,
        node=row.node,
        job_id=row.job_id,
        attempts=row.attempts,
        child_run_id=int(row.child_run_id or 0),
        scheduled_at=row.scheduled_at,
        finished_at=row.finished_at,
        reason=row.reason,
        history=tuple(row.history or ()),
        spider_job_id=row.spider_job_id,
        spider_reason=row.spider_reason,
    )


def create_ledger(store: Store, run_id: int, shards: int, stages: Sequence[str]) -> list[LedgerEntry]:
    """Rows for every shard and stage of the pass, each shard with its child run; idempotent."""
    with store.session() as session:
        existing = session.scalars(select(RunShard).where(RunShard.run_id == run_id)).all()
        children = {row.shard: row.child_run_id for row in existing}
        have = {(row.shard, row.stage) for row in existing}
        for shard in range(shards):
            child = children.get(shard)
            if child is None:
                run = Run(
                    kind="shard", status="running", pid=os.getpid(), report={"pass": run_id, "shard": shard}
                )
                session.add(run)
                session.flush()
                child = run.id
                children[shard] = child
            for stage in stages:
                if (shard, stage) not in have:
                    session.add(
                        RunShard(run_id=run_id, shard=shard, stage=stage, child_run_id=child, history=[])
                    )
    return ledger(store, run_id)


def ledger(store: Store, run_id: int) -> list[LedgerEntry]:
    with store.session() as session:
        rows = session.scalars(
            select(RunShard).where(RunShard.run_id == run_id).order_by(RunShard.shard, RunShard.id)
        ).all()
        return [_entry(row) for row in rows]


def mark_ledger(
    store: Store,
    entry_id: int,
    *,
    status: str,
    note: str,
    node: str | None = None,
    job_id: str | None = None,
    attempt: bool = False,
) -> None:
    with store.session() as session:
        row = session.get(RunShard, entry_id)
        if row is None:
            return
        row.status = status
        row.reason = note[:200]
        row.history = [*(row.history or []), f"{utcnow():%H:%M:%S} {note}"[:300]]
        if node is not None:
            row.node = node
        if job_id is not None:
            row.job_id = job_id
        if attempt:
            row.attempts += 1
            row.scheduled_at = utcnow()
            row.finished_at = None
        if status in ("done", "failed"):
            row.finished_at = utcnow()


def mark_spider_closed(store: Store, entry_id: int, job_id: str, reason: str) -> None:
    """Called by the stage's spider as it closes: this job finished the stage (`reason` is Scrapy's)."""
    with store.session() as session:
        row = session.get(RunShard, entry_id)
        # A job the dispatcher already gave up on (its node went silent) may still finish: its mark would
        # hide whether the job that replaced it finished.
        if row is not None and row.job_id == job_id:
            row.spider_job_id = job_id
            row.spider_reason = reason[:64]


def is_current_job(store: Store, entry_id: int, job_id: str) -> bool:
    """Whether this Scrapyd job is still the one the ledger row waits for (not a replaced, lost one)."""
    with store.session() as session:
        row = session.get(RunShard, entry_id)
        return row is not None and row.job_id == job_id


def aggregate_sources(store: Store, run_id: int) -> None:
    """Write the pass's per-source outcomes from its shards' child runs, and close those child runs."""
    with store.session() as session:
        rows = session.scalars(select(RunShard).where(RunShard.run_id == run_id)).all()
        children = sorted({row.child_run_id for row in rows if row.child_run_id})
        failed = {row.child_run_id for row in rows if row.status == "failed"}
        shard_of = {row.child_run_id: row.shard for row in rows}
        merged: dict[str, RunSource] = {}
        for child_id in children:
            child = session.get(Run, child_id)
            if child is None:
                continue
            for src in child.sources:
                into = merged.get(src.source)
                if into is None:
                    into = RunSource(
                        run_id=run_id, source=src.source, outcome=src.outcome, reason=None, details={}
                    )
                    into.calls = into.results = into.new_exposures = into.unreached_terms = 0
                    merged[src.source] = into
                if _SEVERITY.get(src.outcome, 6) > _SEVERITY.get(into.outcome, 6):
                    into.outcome = src.outcome
                if src.reason:
                    said = f"shard {shard_of.get(child_id)}: {src.reason}"
                    into.reason = f"{into.reason}; {said}"[:200] if into.reason else said[:200]
                into.calls += src.calls
                into.results += src.results
                into.new_exposures += src.new_exposures
                into.unreached_terms += src.unreached_terms
                unreached = (src.details or {}).get("unreached_term_ids", [])
                have = into.details.get("unreached_term_ids", [])
                if isinstance(unreached, list) and isinstance(have, list):
                    into.details = {**into.details, "unreached_term_ids": [*have, *unreached]}
            child.status = "failed" if child_id in failed else "ok"
            child.finished_at = utcnow()
        existing = {
            src.source: src
            for src in session.scalars(select(RunSource).where(RunSource.run_id == run_id)).all()
        }
        for name, row in merged.items():
            old = existing.get(name)
            if old is None:
                session.add(row)
            else:
                old.outcome, old.reason, old.calls = row.outcome, row.reason, row.calls
                old.results, old.new_exposures = row.results, row.new_exposures
                old.unreached_terms, old.details = row.unreached_terms, row.details


def child_run_ids(store: Store, run_id: int) -> list[int]:
    with store.session() as session:
        rows = session.scalars(select(RunShard.child_run_id).where(RunShard.run_id == run_id)).all()
        return sorted({int(r) for r in rows if r})


def latest_ledger(store: Store) -> tuple[int | None, list[LedgerEntry]]:
    """The most recent pass that was spread over nodes, and its ledger."""
    with store.session() as session:
        run_id = session.scalar(select(RunShard.run_id).order_by(RunShard.run_id.desc()).limit(1))
    if run_id is None:
        return None, []
    return int(run_id), ledger(store, int(run_id))
