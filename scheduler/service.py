"""`jikimi schedule`: the nightly run on APScheduler 3.x, once per slot, never twice at the same time.

* The job lives in a persistent `SQLAlchemyJobStore` (table `apscheduler_jobs`) in jikimi's own
  database, under a fixed id, so restarts neither duplicate it nor forget a pending slot.
* `coalesce=True` + `misfire_grace_time=MISFIRE_GRACE_SECONDS`: after downtime across several slots
  the job runs once if the latest missed slot is at most that old; an older one is recorded as missed
  (shown by `jikimi status`) and the next slot runs as usual. `max_instances=1`: a slot that comes
  while the previous run is still going is skipped and recorded.
* One scheduler per database (`scheduler.lock`). The job stores only a dotted reference and no
  arguments: nothing sensitive is pickled into the job table.
* The job's outcome, and any exception, are written to the `meta` table for `jikimi status`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_EXECUTED,
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
    JobExecutionEvent,
    JobSubmissionEvent,
    SchedulerEvent,
)
from apscheduler.executors.base import BaseExecutor
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.job import Job
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_STOPPED, BaseScheduler
from sqlalchemy.exc import SQLAlchemyError

from jikimi.config import Settings
from scheduler.cron import nightly_trigger, trigger_key
from scheduler.health import (
    EXIT_STATUS,
    JOB_ID,
    JOBSTORE_TABLE,
    LAST_ERROR,
    LAST_ERROR_AT,
    LAST_FINISHED,
    LAST_FIRE,
    LAST_MISSED,
    LAST_SKIPPED,
    LAST_STATUS,
    now_iso,
)
from scheduler.lock import SchedulerLock
from storage.database import Store
from storage.meta import set_many

log = logging.getLogger(__name__)

JOB_REF = "scheduler.service:nightly_job"
JOB_NAME = "jikimi nightly run"
# A late run is still worth doing for half a day; after that the next nightly slot is nearer, so a
# restart waits at most 12 hours for a run and no run starts more than 12 hours after its slot.
MISFIRE_GRACE_SECONDS = 12 * 3600
# How often the main thread checks that the scheduler lock is still held (PostgreSQL restarts drop it).
LOCK_CHECK_SECONDS = 60.0


@dataclass(frozen=True)
class _Context:
    settings: Settings
    store: Store


# Set by `SchedulerService.start`: the job function finds the open store here, since the job itself
# is stored as a bare reference (no pickled settings, no secrets in the job table).
_context: _Context | None = None


def nightly_job() -> int:
    """The scheduled job: one nightly pass, then its notification. Returns the pass's exit code."""
    if _context is None:
        raise RuntimeError("nightly_job runs inside `jikimi schedule` only")
    return run_and_notify(_context.settings, _context.store)


def run_and_notify(settings: Settings, store: Store) -> int:
    from scheduler.nightly import run_nightly  # late: the scheduler can start (and be tested) without it
    from scheduler.notify import notify_result

    # A manual pass may be running at the slot: the nightly pass waits for it rather than being lost.
    result = run_nightly(
        settings,
        store,
        actor="scheduler",
        wait=True,
        on_wait=lambda: log.info("another pass is running; the nightly pass starts when it ends"),
    )
    log.info(
        "nightly pass finished: exit %d, runs %s, %d new exposure(s), %d problem(s)",
        result.exit_code,
        result.run_ids,
        sum(result.new_by_case.values()),
        len(result.problems),
    )
    # Idempotent (claimed by run id): a no-op when a nightly step already notified this result.
    notify_result(store, settings, result)
    return result.exit_code


class JobRecorder:
    """Writes what happened to the job into `meta`; never raises (a broken database is logged)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def executed(self, scheduled: datetime, retval: object) -> None:
        status = EXIT_STATUS.get(retval, "ok") if isinstance(retval, int) else "ok"
        self._write({LAST_FIRE: _iso(scheduled), LAST_FINISHED: now_iso(), LAST_STATUS: status})

    def failed(self, scheduled: datetime, exc: BaseException | None) -> None:
        # Only the class name: an exception's text could carry a term or a URL, and meta is plaintext.
        name = type(exc).__name__ if exc is not None else "unknown error"
        stamp = now_iso()
        self._write(
            {
                LAST_FIRE: _iso(scheduled),
                LAST_FINISHED: stamp,
                LAST_STATUS: "error",
                LAST_ERROR: name,
                LAST_ERROR_AT: stamp,
            }
        )

    def missed(self, scheduled: datetime) -> None:
        self._write({LAST_MISSED: _iso(scheduled)})

    def skipped(self, scheduled: datetime) -> None:
        self._write({LAST_SKIPPED: _iso(scheduled)})

    def _write(self, values: dict[str, str]) -> None:
        try:
            set_many(self.store, values)
        except SQLAlchemyError as exc:
            log.error("could not record the scheduler's state (%s)", type(exc).__name__)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


class NightlyScheduler(BackgroundScheduler):  # type: ignore[misc]  # APScheduler 3 is untyped
    """APScheduler's background scheduler, minus one last pass over due jobs after `shutdown()`.

    In 3.11 `shutdown()` wakes the scheduler thread, which then processes due jobs once more: a slot
    due at that moment is "submitted" to the already stopped executor, fails, and its next fire time
    is advanced anyway, so that night's run is lost (the race behind agronholm/apscheduler#285/#985).
    """

    def _process_jobs(self) -> float | None:
        if self.state == STATE_STOPPED:
            return None
        return super()._process_jobs()  # type: ignore[no-any-return]


class SchedulerService:
    """The configured scheduler with its one job; `scheduler`/`executor` are swappable for tests."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        *,
        job_ref: str = JOB_REF,
        scheduler: BaseScheduler | None = None,
        executor: BaseExecutor | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.job_ref = job_ref
        self.recorder = JobRecorder(store)
        self.scheduler = scheduler if scheduler is not None else NightlyScheduler()
        self.scheduler.configure(
            jobstores={"default": SQLAlchemyJobStore(engine=store.engine, tablename=JOBSTORE_TABLE)},
            executors={"default": executor if executor is not None else ThreadPoolExecutor(1)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": MISFIRE_GRACE_SECONDS},
            timezone=ZoneInfo(settings.timezone),
        )
        self.scheduler.add_listener(
            self._on_event, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED | EVENT_JOB_MAX_INSTANCES
        )

    def start(self) -> Job:
        """Start, install (or keep) the nightly job, and return it; runs an overdue slot right away."""
        global _context
        _context = _Context(self.settings, self.store)
        # Paused first: the job is installed before anything is processed, so an overdue slot is
        # judged against the schedule we keep, not against a half-configured store.
        self.scheduler.start(paused=True)
        job = install_job(self.scheduler, self.settings, self.job_ref)
        self.scheduler.resume()
        return job

    def shutdown(self, wait: bool = True) -> None:
        global _context
        if self.scheduler.running:
            self.scheduler.shutdown(wait=wait)
        _context = None

    def _on_event(self, event: SchedulerEvent) -> None:
        if isinstance(event, JobExecutionEvent):
            if event.code == EVENT_JOB_EXECUTED:
                self.recorder.executed(event.scheduled_run_time, event.retval)
            elif event.code == EVENT_JOB_ERROR:
                # APScheduler already logged the traceback through our redacting formatter.
                log.error(
                    "the nightly job raised %s; the scheduler carries on", type(event.exception).__name__
                )
                self.recorder.failed(event.scheduled_run_time, event.exception)
            elif event.code == EVENT_JOB_MISSED:
                log.warning(
                    "the nightly run due at %s was missed (more than %d s late)",
                    _iso(event.scheduled_run_time),
                    MISFIRE_GRACE_SECONDS,
                )
                self.recorder.missed(event.scheduled_run_time)
        elif isinstance(event, JobSubmissionEvent) and event.code == EVENT_JOB_MAX_INSTANCES:
            log.warning("a nightly slot came while the previous run was still going; skipped")
            self.recorder.skipped(event.scheduled_run_times[-1])


def install_job(scheduler: BaseScheduler, settings: Settings, job_ref: str = JOB_REF) -> Job:
    """Add the nightly job under its fixed id; keep a stored pending fire time if the schedule is unchanged.

    `add_job(replace_existing=True)` alone would recompute the next fire time from "now" on every start
    and silently drop a slot missed while the scheduler was down (agronholm/apscheduler#696).
    """
    trigger = nightly_trigger(settings.schedule, settings.timezone)
    options: dict[str, object] = {
        "id": JOB_ID,
        "name": JOB_NAME,
        "replace_existing": True,
        "coalesce": True,
        "max_instances": 1,
        "misfire_grace_time": MISFIRE_GRACE_SECONDS,
    }
    try:
        existing = scheduler.get_job(JOB_ID)
    except (LookupError, ImportError, ValueError, TypeError, AttributeError) as exc:
        # A row this version cannot read (e.g. a renamed function): replace it with a fresh schedule.
        log.warning("the stored nightly job could not be read (%s); scheduling it afresh", type(exc).__name__)
        existing = None
    if existing is not None and existing.next_run_time is not None:
        if trigger_key(existing.trigger) == trigger_key(trigger):
            options["next_run_time"] = existing.next_run_time
        else:
            log.info("the schedule changed; the next run is computed from the new one")
    return scheduler.add_job(job_ref, trigger, **options)


def describe_next_run(job: Job, timezone: str, now: datetime | None = None) -> str:
    """One line for the operator: when the job runs next, in the configured zone."""
    if job.next_run_time is None:
        return "the nightly job is paused"
    local = job.next_run_time.astimezone(ZoneInfo(timezone))
    when = f"{local:%Y-%m-%d %H:%M %Z} ({timezone})"
    if job.next_run_time <= (now or datetime.now(UTC)):
        return f"the run due at {when} is overdue: it runs now"
    return f"next run: {when}"


def serve(
    settings: Settings,
    store: Store,
    lock: SchedulerLock,
    stop: threading.Event,
    *,
    say: Callable[[str], None] = print,
    job_ref: str = JOB_REF,
    lock_check_seconds: float = LOCK_CHECK_SECONDS,
) -> int:
    """Run until `stop` is set (SIGTERM/SIGINT in the CLI); 0 after a clean stop, 1 if the lock was lost.

    The scheduler runs in its own thread and the main thread only waits, so a signal handler never
    has to call into APScheduler; shutdown waits for a running pass to finish.
    """
    service = SchedulerService(settings, store, job_ref=job_ref)
    job = service.start()
    say(
        f"scheduler started (schedule '{settings.schedule}', {settings.timezone}); "
        + describe_next_run(job, settings.timezone)
    )
    code = 0
    try:
        while not stop.wait(lock_check_seconds):
            if not lock.still_held():
                log.error(
                    "the scheduler lock was lost (database restarted?); stopping so a supervisor restarts us"
                )
                code = 1
                break
    finally:
        say("scheduler stopping (waiting for a running pass to finish)")
        service.shutdown(wait=True)
    return code


def run_once(settings: Settings, store: Store, job: Callable[[Settings, Store], int] = run_and_notify) -> int:
    """`jikimi schedule --once`: one pass now, recorded like a scheduled one; returns its exit code."""
    recorder = JobRecorder(store)
    started = datetime.now(UTC)
    try:
        code = job(settings, store)
    except Exception as exc:
        log.exception("the nightly pass raised %s", type(exc).__name__)
        recorder.failed(started, exc)
        return 1
    recorder.executed(started, code)
    return code
