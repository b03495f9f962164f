"""The run ledger: each pass and each source's honest outcome, with counts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from storage.database import Store
from storage.errors import NotFoundError
from storage.models import Run, RunSource, utcnow

RUN_STATUSES = ("running", "ok", "partial", "failed", "interrupted")
GOOD_OUTCOMES = ("ok", "empty")
# The child run a cluster shard records into (`storage.shards`): its calls are summed into the pass's own.
SHARD_RUN_KIND = "shard"


@dataclass(frozen=True)
class SourceOutcomeView:
    source: str
    outcome: str
    reason: str | None
    calls: int
    results: int
    new_exposures: int
    unreached_terms: int
    details: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class RunView:
    id: int
    kind: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    report: dict[str, object]
    sources: tuple[SourceOutcomeView, ...]


def start_run(store: Store, kind: str, pid: int | None = None) -> int:
    with store.session() as session:
        run = Run(kind=kind, status="running", pid=pid, report={})
        session.add(run)
        session.flush()
        return run.id


def record_source(
    store: Store,
    run_id: int,
    source: str,
    outcome: str,
    reason: str | None = None,
    *,
    calls: int = 0,
    results: int = 0,
    new_exposures: int = 0,
    unreached_terms: int = 0,
    details: dict[str, object] | None = None,
) -> None:
    """Upsert: a resumed run overwrites its own earlier figure for the source."""
    with store.session() as session:
        row = session.scalar(select(RunSource).where(RunSource.run_id == run_id, RunSource.source == source))
        if row is None:
            row = RunSource(run_id=run_id, source=source)
            session.add(row)
        row.outcome = outcome
        row.reason = reason[:200] if reason else None
        row.calls = calls
        row.results = results
        row.new_exposures = new_exposures
        row.unreached_terms = unreached_terms
        row.details = dict(details or {})


def finish_run(store: Store, run_id: int, status: str, report: dict[str, object] | None = None) -> None:
    if status not in RUN_STATUSES:
        raise ValueError(f"unknown run status {status}")
    with store.session() as session:
        run = session.get(Run, run_id)
        if run is None:
            raise NotFoundError(f"no run {run_id}")
        run.status = status
        run.finished_at = utcnow()
        if report is not None:
            run.report = report


def _view(run: Run) -> RunView:
    return RunView(
        id=run.id,
        kind=run.kind,
        status=run.status,
        started_at=run.started_at,
        finished_at=run.finished_at,
        report=dict(run.report or {}),
        sources=tuple(
            SourceOutcomeView(
                source=s.source,
                outcome=s.outcome,
                reason=s.reason,
                calls=s.calls,
                results=s.results,
                new_exposures=s.new_exposures,
                unreached_terms=s.unreached_terms,
                details=dict(s.details or {}),
            )
            for s in sorted(run.sources, key=lambda s: s.source)
        ),
    )


def get_run(store: Store, run_id: int) -> RunView:
    with store.session() as session:
        run = session.get(Run, run_id)
        if run is None:
            raise NotFoundError(f"no run {run_id}")
        return _view(run)


def recent_runs(store: Store, limit: int = 10, kind: str | None = None) -> list[RunView]:
    with store.session() as session:
        query = select(Run).order_by(Run.id.desc()).limit(limit)
        if kind:
            query = query.where(Run.kind == kind)
        else:
            # A cluster pass's shards record into child runs of their own; the pass itself sums them up.
            query = query.where(Run.kind != SHARD_RUN_KIND)
        return [_view(r) for r in session.scalars(query)]


def last_success(store: Store, source: str) -> datetime | None:
    """When this source last ended ok/empty: the freshness cut-off of its next run."""
    with store.session() as session:
        return session.scalar(
            select(func.max(Run.started_at))
            .join(RunSource, RunSource.run_id == Run.id)
            .where(RunSource.source == source, RunSource.outcome.in_(GOOD_OUTCOMES))
        )


def local_day_start(now: datetime, timezone: str) -> datetime:
    """Daily budgets reset at local midnight in the configured zone (the engines' own day)."""
    local = now.astimezone(ZoneInfo(timezone))
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def budget_day(timezone: str, now: datetime | None = None) -> str:
    """The local day (YYYY-MM-DD) a call is counted against, in the configured zone."""
    return local_day_start(now or utcnow(), timezone).date().isoformat()


def calls_today(store: Store, source: str, timezone: str, now: datetime | None = None) -> int:
    start = local_day_start(now or utcnow(), timezone)
    with store.session() as session:
        total = session.scalar(
            select(func.coalesce(func.sum(RunSource.calls), 0))
            .join(Run, Run.id == RunSource.run_id)
            .where(RunSource.source == source, Run.started_at >= start, Run.kind != SHARD_RUN_KIND)
        )
        return int(total or 0)


def quota_exhausted_today(store: Store, source: str, timezone: str, now: datetime | None = None) -> bool:
    """A daily-quota error stops that source for the rest of the (local) day."""
    start = local_day_start(now or utcnow(), timezone)
    with store.session() as session:
        hit = session.scalar(
            select(RunSource.id)
            .join(Run, Run.id == RunSource.run_id)
            .where(RunSource.source == source, RunSource.outcome == "quota", Run.started_at >= start)
            .limit(1)
        )
        return hit is not None


def starved_terms(store: Store, source: str) -> list[int]:
    """Terms the last run of this source could not reach within its budget: they go first next time."""
    with store.session() as session:
        row = session.scalar(
            select(RunSource).where(RunSource.source == source).order_by(RunSource.id.desc()).limit(1)
        )
        if row is None:
            return []
        value = (row.details or {}).get("unreached_term_ids", [])
        return [int(v) for v in value] if isinstance(value, list) else []


def busy_terms(store: Store, source: str) -> list[int]:
    """Terms whose query the last run of this source ended at `max_pages` while it was still finding
    things: the next plan gives each a query of its own."""
    with store.session() as session:
        row = session.scalar(
            select(RunSource).where(RunSource.source == source).order_by(RunSource.id.desc()).limit(1)
        )
        value = (row.details or {}).get("busy_term_ids", []) if row is not None else []
        return [int(v) for v in value] if isinstance(value, list) else []


def mark_stale_runs_interrupted(
    store: Store, older_than: timedelta = timedelta(0), still_running: Callable[[Run], bool] | None = None
) -> int:
    """Runs left `running` by a killed process are closed as `interrupted` so status tells the truth.

    `still_running` spares a run whose process is alive (a pass started elsewhere at the same time).
    """
    cutoff = utcnow() - older_than
    with store.session() as session:
        rows = session.scalars(select(Run).where(Run.status == "running", Run.started_at <= cutoff)).all()
        rows = [run for run in rows if still_running is None or not still_running(run)]
        for run in rows:
            run.status = "interrupted"
            run.finished_at = utcnow()
        return len(rows)
