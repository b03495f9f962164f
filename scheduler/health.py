"""What `jikimi status` shows about the scheduler and notifications.

No APScheduler import here, so `jikimi status` stays fast.

Everything comes from the `meta` table (written by `scheduler.service` and `scheduler.notify`), the job
store's row for the nightly job, and a probe of the scheduler lock.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import column, inspect, select, table
from sqlalchemy.exc import SQLAlchemyError

from scheduler.lock import scheduler_running
from storage.database import Store
from storage.meta import get_meta_prefix

JOB_ID = "jikimi-nightly"
JOBSTORE_TABLE = "apscheduler_jobs"

# meta keys (plaintext: times, outcome words and exception class names only)
LAST_FIRE = "scheduler.last_fire"  # the slot the last run belonged to (UTC, ISO 8601)
LAST_FINISHED = "scheduler.last_finished"
LAST_STATUS = "scheduler.last_status"  # ok | degraded | failed | error
LAST_ERROR = "scheduler.last_error"  # exception class of the last job that raised
LAST_ERROR_AT = "scheduler.last_error_at"
LAST_MISSED = "scheduler.last_missed"  # a slot skipped because the scheduler came back too late
LAST_SKIPPED = "scheduler.last_skipped"  # a slot skipped because the previous run was still going
NOTIFY_LAST_SENT = "notify.last_sent"
NOTIFY_LAST_ERROR = "notify.last_error"
NOTIFY_LAST_ERROR_AT = "notify.last_error_at"
NOTIFY_RUN_PREFIX = "notify.run."  # notify.run.<run id> = "claimed <time>" | "sent <time>" | "failed <time>"

EXIT_STATUS = {0: "ok", 3: "degraded", 1: "failed"}

_JOBS = table(JOBSTORE_TABLE, column("id"), column("next_run_time"))


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def next_run_time(store: Store) -> datetime | None:
    """The nightly job's pending fire time from the job store (None if never scheduled)."""
    try:
        if not inspect(store.engine).has_table(JOBSTORE_TABLE):
            return None
        with store.engine.connect() as conn:
            value = conn.scalar(select(_JOBS.c.next_run_time).where(_JOBS.c.id == JOB_ID))
    except SQLAlchemyError:
        return None
    return datetime.fromtimestamp(float(value), UTC) if value is not None else None


def scheduler_status(store: Store, timezone: str = "UTC") -> dict[str, Any]:
    """Scheduler and notification health for `jikimi status` (JSON-ready; times in `timezone`)."""
    zone = ZoneInfo(timezone)
    meta = get_meta_prefix(store, "scheduler.")
    notify_meta = get_meta_prefix(store, "notify.")
    upcoming = next_run_time(store)
    try:
        running: bool | None = scheduler_running(store.engine.url)
    except (OSError, ValueError, SQLAlchemyError):
        running = None
    unconfirmed = sorted(
        int(k[len(NOTIFY_RUN_PREFIX) :])
        for k, v in notify_meta.items()
        if k.startswith(NOTIFY_RUN_PREFIX)
        and v.startswith("claimed")
        and k[len(NOTIFY_RUN_PREFIX) :].isdigit()
    )
    return {
        "running": running,
        "next_run": upcoming.astimezone(zone).isoformat() if upcoming else None,
        "overdue": bool(upcoming and upcoming < datetime.now(UTC)),
        "last_fire": _local(meta.get(LAST_FIRE), zone),
        "last_finished": _local(meta.get(LAST_FINISHED), zone),
        "last_status": meta.get(LAST_STATUS),
        "last_error": meta.get(LAST_ERROR),
        "last_error_at": _local(meta.get(LAST_ERROR_AT), zone),
        "last_missed": _local(meta.get(LAST_MISSED), zone),
        "missed_since_last_run": _later(meta.get(LAST_MISSED), meta.get(LAST_FIRE)),
        "last_skipped": _local(meta.get(LAST_SKIPPED), zone),
        "notify": {
            "last_sent": _local(notify_meta.get(NOTIFY_LAST_SENT), zone),
            "last_error": notify_meta.get(NOTIFY_LAST_ERROR),
            "last_error_at": _local(notify_meta.get(NOTIFY_LAST_ERROR_AT), zone),
            "failing": _later(
                notify_meta.get(NOTIFY_LAST_ERROR_AT), notify_meta.get(NOTIFY_LAST_SENT), ties=True
            ),
            "unconfirmed_runs": unconfirmed,
        },
    }


def status_notices(status: dict[str, Any]) -> list[str]:
    """One line per thing an operator should act on."""
    notices: list[str] = []
    if status["last_status"] == "error":
        notices.append(
            f"the last scheduled run ({status['last_fire']}) raised {status['last_error']}: "
            "see the scheduler log"
        )
    if status["missed_since_last_run"]:
        notices.append(
            f"the run due at {status['last_missed']} was skipped (the scheduler came back too late): "
            "`jikimi schedule --once` runs it now"
        )
    if status["running"] is False and status["overdue"]:
        notices.append(
            f"the scheduler is not running and the run due at {status['next_run']} has not happened: "
            "start `jikimi schedule` (or its systemd unit)"
        )
    notify = status["notify"]
    if notify["failing"]:
        notices.append(f"the last notification failed: {notify['last_error']}")
    if notify["unconfirmed_runs"]:
        runs = ", ".join(str(r) for r in notify["unconfirmed_runs"])
        notices.append(
            f"notification of run(s) {runs} was started but never confirmed (crash while sending?)"
        )
    return notices


def _parse(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _later(first: str | None, second: str | None, *, ties: bool = False) -> bool:
    """Whether `first` happened and is after `second` (or `second` never happened)."""
    a, b = _parse(first), _parse(second)
    if a is None:
        return False
    if b is None:
        return True
    return a >= b if ties else a > b


def _local(value: str | None, zone: ZoneInfo) -> str | None:
    parsed = _parse(value)
    return parsed.astimezone(zone).isoformat() if parsed else value


def summary_line(status: dict[str, Any]) -> str:
    """`scheduler: running; next run ...; last run ok (...)` for the text form of `jikimi status`."""
    running = {True: "running", False: "not running", None: "state unknown"}[status["running"]]
    parts = [f"scheduler: {running}"]
    parts.append(f"next run {status['next_run']}" if status["next_run"] else "never scheduled")
    if status["last_status"]:
        parts.append(f"last run {status['last_status']} ({status['last_fire']})")
    notify = status["notify"]
    if notify.get("configured"):
        parts.append(
            "last notification "
            + ("FAILED" if notify["failing"] else f"sent {notify['last_sent'] or 'never'}")
        )
    return "; ".join(parts)
