"""`jikimi schedule`: once after downtime, never twice at once, right across clock changes, survives errors.

Scheduling is driven through APScheduler's own `_process_jobs` with a controllable clock (its modules'
`datetime` replaced by one that reads the test's clock) and the synchronous debug executor, on the
real job store in SQLite and PostgreSQL. The stand-in jobs below are real functions that append a
line to a file, referenced by dotted path exactly like the production job.
"""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo

import apscheduler.executors.base
import apscheduler.schedulers.base
import pytest
from apscheduler.events import (
    EVENT_ALL,
    EVENT_JOB_ERROR,
    EVENT_JOB_EXECUTED,
    EVENT_JOB_MISSED,
    JobExecutionEvent,
)
from apscheduler.executors.debug import DebugExecutor
from apscheduler.schedulers.base import BaseScheduler
from sqlalchemy import text

from jikimi.config import Settings, load_settings
from scheduler import health
from scheduler.cron import nightly_trigger
from scheduler.lock import (
    ALREADY_RUNNING,
    AdvisoryLock,
    FileLock,
    SchedulerLockedError,
    acquire_scheduler_lock,
    lock_file_for,
)
from scheduler.service import (
    JOB_REF,
    MISFIRE_GRACE_SECONDS,
    SchedulerService,
    describe_next_run,
    install_job,
    run_once,
    serve,
)
from storage.database import Store, open_store
from storage.keyring import load_keyring
from storage.meta import get_meta, get_meta_prefix
from tests.support.home import ROOT, JikimiHome

JOB_LOG_ENV = "JIKIMI_TEST_JOB_LOG"
STAND_IN = "tests.test_scheduler:stand_in_job"
FAILING = "tests.test_scheduler:failing_job"
CANARY = "홍길동카나리아"


def stand_in_job() -> int:
    """Test job: one line per execution, in the file the test named."""
    with open(os.environ[JOB_LOG_ENV], "a", encoding="utf-8") as fh:
        fh.write("ran\n")
    return 0


def failing_job() -> int:
    with open(os.environ[JOB_LOG_ENV], "a", encoding="utf-8") as fh:
        fh.write("failed\n")
    raise RuntimeError(f"crawl of {CANARY} exploded")


# ---- a controllable clock for APScheduler -------------------------------------------------------


class FakeClock:
    def __init__(self, now: datetime) -> None:
        self.now = now


class ManualScheduler(BaseScheduler):  # type: ignore[misc]  # APScheduler 3 ships no types
    """No thread, no sleeping: the test calls `tick()` where the real loop would wake up."""

    def shutdown(self, wait: bool = True) -> None:
        super().shutdown(wait)

    def wakeup(self) -> None:
        pass

    def tick(self) -> float | None:
        # APScheduler 3 ships no types.
        return self._process_jobs()  # type: ignore[no-any-return]


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock(datetime(2026, 1, 1, tzinfo=UTC))

    class FakeDateTime(datetime):
        @classmethod
        # A plain datetime, not Self as the supertype promises: APScheduler only compares it.
        def now(cls, tz: tzinfo | None = None) -> datetime:  # type: ignore[override]
            return fake.now.astimezone(tz) if tz else fake.now.astimezone(UTC).replace(tzinfo=None)

    # APScheduler reads the time in exactly these two places: due jobs, and the misfire check.
    monkeypatch.setattr(apscheduler.schedulers.base, "datetime", FakeDateTime)
    monkeypatch.setattr(apscheduler.executors.base, "datetime", FakeDateTime)
    return fake


def advance(scheduler: ManualScheduler, clock: FakeClock, until: datetime) -> None:
    """Let time pass the way the scheduler's loop sees it: wake at each due time until `until`."""
    for _ in range(10_000):
        wait = scheduler.tick()
        if wait is None:
            break
        wake = clock.now + timedelta(seconds=wait)
        if wake > until:
            break
        clock.now = max(wake, clock.now + timedelta(milliseconds=1))
    clock.now = until
    scheduler.tick()


@pytest.fixture
def job_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "job.log"
    path.write_text("", encoding="utf-8")
    monkeypatch.setenv(JOB_LOG_ENV, str(path))
    return path


def runs(job_log: Path) -> list[str]:
    return job_log.read_text(encoding="utf-8").split()


def make_settings(
    url: str, tmp_path: Path, schedule: str = "0 3 * * *", timezone: str = "Asia/Seoul", **extra: str
) -> Settings:
    env = {
        "JIKIMI_DATA_DIR": str(tmp_path / "data"),
        "JIKIMI_DATABASE_URL": url,
        "JIKIMI_SCHEDULE": schedule,
        "JIKIMI_TIMEZONE": timezone,
        **extra,
    }
    return load_settings(env=env)


class Harness:
    """Start/stop "scheduler processes" against one database, under the fake clock."""

    def __init__(self, settings: Settings, store: Store, job_ref: str = STAND_IN) -> None:
        self.settings = settings
        self.store = store
        self.job_ref = job_ref
        self.events: list[JobExecutionEvent] = []
        self.service: SchedulerService | None = None

    def start(self) -> ManualScheduler:
        scheduler = ManualScheduler()
        self.service = SchedulerService(
            self.settings, self.store, job_ref=self.job_ref, scheduler=scheduler, executor=DebugExecutor()
        )
        scheduler.add_listener(
            lambda e: self.events.append(e) if isinstance(e, JobExecutionEvent) else None, EVENT_ALL
        )
        self.job = self.service.start()
        return scheduler

    def stop(self) -> None:
        assert self.service is not None
        self.service.shutdown()

    def fired(self, code: int = EVENT_JOB_EXECUTED) -> list[datetime]:
        return [e.scheduled_run_time.astimezone(UTC) for e in self.events if e.code == code]


SEOUL = ZoneInfo("Asia/Seoul")


def local(zone: tzinfo, year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=zone)


def seoul(*args: int) -> datetime:
    return local(SEOUL, *args)


# ---- once after downtime ------------------------------------------------------------------------


def test_downtime_across_three_slots_runs_once(
    store: Store, database_url: str, tmp_path: Path, clock: FakeClock, job_log: Path
) -> None:
    settings = make_settings(database_url, tmp_path)
    harness = Harness(settings, store)
    clock.now = seoul(2026, 3, 1, 2, 0)
    harness.start()
    assert harness.job.next_run_time == seoul(2026, 3, 1, 3, 0)
    harness.stop()  # the machine goes down before the first slot

    # Back three slots later (03-01, 03-02 and 03-03 at 03:00 all passed), 6 hours after the last one.
    clock.now = seoul(2026, 3, 3, 9, 0)
    scheduler = harness.start()
    assert harness.job.next_run_time == seoul(2026, 3, 1, 3, 0), "a restart must keep the pending slot"
    scheduler.tick()
    assert runs(job_log) == ["ran"]
    assert harness.fired() == [seoul(2026, 3, 3, 3, 0)]
    assert harness.fired(EVENT_JOB_MISSED) == []
    assert health.next_run_time(store) == seoul(2026, 3, 4, 3, 0)
    assert get_meta(store, health.LAST_FIRE) == "2026-03-02T18:00:00+00:00"
    assert get_meta(store, health.LAST_STATUS) == "ok"

    # And then it is nightly again, once a night.
    advance(scheduler, clock, seoul(2026, 3, 5, 12, 0))
    assert runs(job_log) == ["ran"] * 3
    assert harness.fired()[1:] == [seoul(2026, 3, 4, 3, 0), seoul(2026, 3, 5, 3, 0)]
    harness.stop()


def test_back_too_late_records_the_missed_slot(
    store: Store, database_url: str, tmp_path: Path, clock: FakeClock, job_log: Path
) -> None:
    settings = make_settings(database_url, tmp_path)
    harness = Harness(settings, store)
    clock.now = seoul(2026, 3, 1, 2, 0)
    harness.start()
    harness.stop()
    # Back 13 hours after the last missed slot: more than the grace, so no surprise afternoon run...
    clock.now = seoul(2026, 3, 3, 3, 0) + timedelta(seconds=MISFIRE_GRACE_SECONDS + 3600)
    scheduler = harness.start()
    scheduler.tick()
    assert runs(job_log) == []
    assert harness.fired(EVENT_JOB_MISSED) == [seoul(2026, 3, 3, 3, 0)]
    # ...but never a silent one: status says which slot was skipped and how to catch up.
    status = health.scheduler_status(store, settings.timezone)
    assert status["missed_since_last_run"] is True
    assert status["last_missed"] == "2026-03-03T03:00:00+09:00"
    assert any("was skipped" in n and "--once" in n for n in health.status_notices(status))
    # The next slot runs normally and clears the notice.
    advance(scheduler, clock, seoul(2026, 3, 4, 4, 0))
    assert runs(job_log) == ["ran"]
    status = health.scheduler_status(store, settings.timezone)
    assert status["missed_since_last_run"] is False
    harness.stop()


def test_a_changed_schedule_replaces_the_pending_slot(
    store: Store, database_url: str, tmp_path: Path, clock: FakeClock, job_log: Path
) -> None:
    clock.now = seoul(2026, 3, 1, 2, 0)
    harness = Harness(make_settings(database_url, tmp_path), store)
    harness.start()
    harness.stop()
    clock.now = seoul(2026, 3, 3, 9, 0)
    harness = Harness(make_settings(database_url, tmp_path, schedule="30 22 * * *"), store)
    scheduler = harness.start()
    assert harness.job.next_run_time == seoul(2026, 3, 3, 22, 30)
    scheduler.tick()
    assert runs(job_log) == []
    with store.engine.connect() as conn:
        assert conn.scalar(text(f"SELECT count(*) FROM {health.JOBSTORE_TABLE}")) == 1, "one job, never two"
    harness.stop()


def test_real_clock_overdue_job_runs_once(
    store: Store, database_url: str, tmp_path: Path, job_log: Path
) -> None:
    """The same, with the real BackgroundScheduler, threads and clock: a minutely job three slots late."""
    settings = make_settings(database_url, tmp_path, schedule="* * * * *", timezone="UTC")
    first = SchedulerService(settings, store, job_ref=STAND_IN)
    first.scheduler.start(paused=True)
    install_job(first.scheduler, settings, STAND_IN)
    started = datetime.now(UTC)
    three_slots_ago = started.replace(second=0, microsecond=0) - timedelta(minutes=3)
    first.scheduler.modify_job(health.JOB_ID, next_run_time=three_slots_ago)
    first.shutdown()

    events: list[JobExecutionEvent] = []
    second = SchedulerService(settings, store, job_ref=STAND_IN)
    second.scheduler.add_listener(events.append, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED)
    job = second.start()
    assert job.next_run_time == three_slots_ago
    deadline = time.monotonic() + 15
    while not runs(job_log) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(1.0)  # room for a wrong second or third catch-up run to show up
    second.shutdown()
    catch_up = [e for e in events if e.scheduled_run_time <= started]
    assert [e.code for e in catch_up] == [EVENT_JOB_EXECUTED]
    assert catch_up[0].scheduled_run_time >= three_slots_ago + timedelta(minutes=2)
    next_run = health.next_run_time(store)
    assert next_run is not None and next_run > started


# ---- daylight saving time -----------------------------------------------------------------------


def _utc(*args: int) -> datetime:
    return local(UTC, *args)


@pytest.mark.parametrize(
    ("zone", "cron", "start", "end", "expected"),
    [
        # Spring forward: 02:30 does not exist on 31 March; it runs once, at 03:30 summer time.
        (
            "Europe/Berlin",
            "30 2 * * *",
            (2024, 3, 30, 0, 0),
            (2024, 4, 1, 12, 0),
            [_utc(2024, 3, 30, 1, 30), _utc(2024, 3, 31, 1, 30), _utc(2024, 4, 1, 0, 30)],
        ),
        # Fall back: 02:30 happens twice on 27 October; it runs once, at the first.
        (
            "Europe/Berlin",
            "30 2 * * *",
            (2024, 10, 26, 0, 0),
            (2024, 10, 28, 12, 0),
            [_utc(2024, 10, 26, 0, 30), _utc(2024, 10, 27, 0, 30), _utc(2024, 10, 28, 1, 30)],
        ),
        (
            "America/New_York",
            "30 2 * * *",
            (2024, 3, 9, 0, 0),
            (2024, 3, 11, 12, 0),
            [_utc(2024, 3, 9, 7, 30), _utc(2024, 3, 10, 7, 30), _utc(2024, 3, 11, 6, 30)],
        ),
        (
            "America/New_York",
            "30 1 * * *",
            (2024, 11, 2, 0, 0),
            (2024, 11, 4, 12, 0),
            [_utc(2024, 11, 2, 5, 30), _utc(2024, 11, 3, 5, 30), _utc(2024, 11, 4, 6, 30)],
        ),
    ],
    ids=["berlin-spring", "berlin-fall", "new-york-spring", "new-york-fall"],
)
def test_daylight_saving_days_fire_once_at_the_right_instant(
    store: Store,
    database_url: str,
    tmp_path: Path,
    clock: FakeClock,
    job_log: Path,
    zone: str,
    cron: str,
    start: tuple[int, ...],
    end: tuple[int, ...],
    expected: list[datetime],
) -> None:
    tz = ZoneInfo(zone)
    clock.now = local(tz, *start)
    harness = Harness(make_settings(database_url, tmp_path, schedule=cron, timezone=zone), store)
    scheduler = harness.start()
    advance(scheduler, clock, local(tz, *end))
    harness.stop()
    assert harness.fired() == expected
    assert len(runs(job_log)) == 3
    days = [t.astimezone(tz).date() for t in harness.fired()]
    assert len(set(days)) == len(days) == 3, "exactly once per local day"


@pytest.mark.parametrize(
    ("zone", "cron", "start", "count", "strictly_hourly"),
    [
        # Through the repeated hour, where 3.11.0 could stop moving (agronholm/apscheduler#1021).
        ("Europe/Helsinki", "30 * * * *", (2017, 10, 29, 1, 0), 8, True),
        # Frequent jobs run through the repeated hour, like classic cron: it is real time.
        ("Europe/Berlin", "0 * * * *", (2024, 10, 27, 0, 30), 6, True),
    ],
)
def test_frequent_schedules_keep_moving_through_clock_changes(
    zone: str, cron: str, start: tuple[int, ...], count: int, strictly_hourly: bool
) -> None:
    trigger = nightly_trigger(cron, zone)
    now = local(ZoneInfo(zone), *start)
    previous = None
    fires = []
    for _ in range(count):
        nxt = trigger.get_next_fire_time(previous, now)
        assert nxt is not None
        fires.append(nxt.astimezone(UTC))
        previous = now = nxt
    gaps = {b - a for a, b in itertools.pairwise(fires)}
    assert gaps == {timedelta(hours=1)}


def test_a_trigger_that_stops_moving_is_pushed_forward() -> None:
    """If the cron trigger underneath hands back the same instant (agronholm/apscheduler#1021), ours moves
    on."""
    from apscheduler.triggers.cron import CronTrigger

    from scheduler.cron import WallClockCronTrigger

    start = datetime(2017, 10, 29, 3, 30, tzinfo=ZoneInfo("Europe/Helsinki"), fold=1)

    class Stuck(CronTrigger):  # type: ignore[misc]  # APScheduler 3 ships no types
        """Answers `start` three times, whatever it is asked, like the bug; then the real answer."""

        stuck_calls = 0

        def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> datetime | None:
            if previous_fire_time is not None and Stuck.stuck_calls < 3:
                Stuck.stuck_calls += 1
                return start
            answer: datetime | None = super().get_next_fire_time(previous_fire_time, now)
            return answer

    class Guarded(WallClockCronTrigger, Stuck):
        __slots__ = ()

    trigger = Guarded.from_crontab("30 * * * *", timezone="Europe/Helsinki")
    nxt = trigger.get_next_fire_time(start, start)
    assert Stuck.stuck_calls == 3
    assert nxt is not None and nxt.astimezone(UTC) == start.astimezone(UTC) + timedelta(hours=1)


# ---- errors, status and --once -----------------------------------------------------------------


def test_a_failing_job_is_recorded_and_the_scheduler_carries_on(
    store: Store, database_url: str, tmp_path: Path, clock: FakeClock, job_log: Path
) -> None:
    settings = make_settings(database_url, tmp_path)
    clock.now = seoul(2026, 3, 1, 2, 0)
    harness = Harness(settings, store, job_ref=FAILING)
    scheduler = harness.start()
    advance(scheduler, clock, seoul(2026, 3, 3, 4, 0))
    assert runs(job_log) == ["failed"] * 3, "each night runs again after the previous one raised"
    assert harness.fired(EVENT_JOB_ERROR) == [seoul(2026, 3, d, 3, 0) for d in (1, 2, 3)]
    harness.stop()
    values = get_meta_prefix(store, "scheduler.")
    assert values[health.LAST_STATUS] == "error"
    assert values[health.LAST_ERROR] == "RuntimeError"
    assert not any(CANARY in v for v in values.values()), "exception text (may hold a term) is not stored"
    status = health.scheduler_status(store, settings.timezone)
    assert any("raised RuntimeError" in n for n in health.status_notices(status))


def test_run_once_records_like_a_scheduled_run(store: Store, database_url: str, tmp_path: Path) -> None:
    settings = make_settings(database_url, tmp_path)
    assert run_once(settings, store, job=lambda s, st: 3) == 3
    assert get_meta(store, health.LAST_STATUS) == "degraded"

    def boom(s: Settings, st: Store) -> int:
        raise OSError(f"cannot reach {CANARY}")

    assert run_once(settings, store, job=boom) == 1
    assert get_meta(store, health.LAST_STATUS) == "error"
    assert get_meta(store, health.LAST_ERROR) == "OSError"


def test_the_job_table_holds_no_secret(
    store: Store, database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    settings = make_settings(
        database_url,
        tmp_path,
        JIKIMI_SOURCES__BRAVE__API_KEY="brave-canary-key",
        JIKIMI_NOTIFY__URLS='["json://user:notify-canary@127.0.0.1:9/x"]',
    )
    clock.now = seoul(2026, 3, 1, 2, 0)
    harness = Harness(settings, store, job_ref=JOB_REF)
    harness.start()
    harness.stop()
    with store.engine.connect() as conn:
        blob = bytes(conn.scalar(text(f"SELECT job_state FROM {health.JOBSTORE_TABLE}")))
    assert b"scheduler.service:nightly_job" in blob
    for secret in (b"brave-canary-key", b"notify-canary"):
        assert secret not in blob


def test_describe_next_run_uses_the_configured_zone(
    store: Store, database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    clock.now = seoul(2026, 3, 1, 2, 0)
    harness = Harness(make_settings(database_url, tmp_path), store)
    harness.start()
    line = describe_next_run(harness.job, "Asia/Seoul", now=clock.now)
    harness.stop()
    assert line == "next run: 2026-03-01 03:00 KST (Asia/Seoul)"
    assert "overdue" in describe_next_run(harness.job, "Asia/Seoul", now=seoul(2026, 3, 2))


# ---- one scheduler per database ----------------------------------------------------------------


def test_file_lock_is_exclusive_and_released(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'jikimi.sqlite'}"
    first = acquire_scheduler_lock(url, patience=0)
    assert isinstance(first, FileLock) and first.path == lock_file_for(url)
    assert first.path.name == "jikimi.sqlite.scheduler.lock"
    assert (first.path.stat().st_mode & 0o777) == 0o600
    with pytest.raises(SchedulerLockedError, match=ALREADY_RUNNING):
        acquire_scheduler_lock(url, patience=0.1)
    first.release()
    acquire_scheduler_lock(url, patience=0).release()


def test_advisory_lock_is_exclusive_and_notices_loss(pg_url: str) -> None:
    first = acquire_scheduler_lock(pg_url, patience=0)
    assert isinstance(first, AdvisoryLock) and first.still_held()
    with pytest.raises(SchedulerLockedError):
        acquire_scheduler_lock(pg_url, patience=0.1)
    # The database restarts (here: our lock's backend is terminated): the lock is gone and we know it.
    import sqlalchemy as sa

    admin = sa.create_engine(
        pg_url.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(
            sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND database = "
                "(SELECT oid FROM pg_database WHERE datname = current_database())"
            )
        )
    admin.dispose()
    deadline = time.monotonic() + 5
    while first.still_held() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not first.still_held()
    first.release()
    acquire_scheduler_lock(pg_url, patience=1).release()


def test_serve_stops_with_exit_1_when_the_lock_is_lost(
    store: Store, database_url: str, tmp_path: Path
) -> None:
    class LostLock:
        def still_held(self) -> bool:
            return False

        def release(self) -> None:
            pass

    said: list[str] = []
    code = serve(
        make_settings(database_url, tmp_path),
        store,
        LostLock(),
        threading.Event(),
        say=said.append,
        job_ref=STAND_IN,
        lock_check_seconds=0.05,
    )
    assert code == 1
    assert said[0].startswith("scheduler started (schedule '0 3 * * *', Asia/Seoul); next run: ")
    assert said[-1].startswith("scheduler stopping")


@pytest.fixture
def process_home(
    request: pytest.FixtureRequest, tmp_path: Path, home: JikimiHome
) -> Iterator[dict[str, str]]:
    """An initialised data directory (SQLite or PostgreSQL) and the environment for `jikimi` subprocesses."""
    if request.param == "postgres":
        home.write_config(f'database_url = "{request.getfixturevalue("pg_url")}"\n')
    home.ok("init")
    env = {k: v for k, v in os.environ.items() if not k.startswith("JIKIMI_")}
    env.update(
        JIKIMI_DATA_DIR=str(home.data_dir),
        JIKIMI_CONFIG=str(home.config),
        PYTHONPATH=str(ROOT),
        PYTHONUNBUFFERED="1",
    )
    yield env


def _jikimi(*args: str) -> list[str]:
    return [sys.executable, "-m", "jikimi", *args]


@pytest.mark.parametrize("process_home", ["sqlite", "postgres"], indirect=True)
def test_second_scheduler_process_exits_2(process_home: dict[str, str], home: JikimiHome) -> None:
    first = subprocess.Popen(
        _jikimi("schedule"), env=process_home, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert first.stdout is not None
        line = first.stdout.readline()  # blocks until the scheduler has its lock and its job
        assert line.startswith("scheduler started") and "next run: " in line and "KST" in line, line

        second, once = (
            subprocess.Popen(
                _jikimi(*args), env=process_home, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
            )
            for args in (("schedule",), ("schedule", "--once"))
        )
        out, err = second.communicate(timeout=60)
        assert second.returncode == 2
        assert err.strip().splitlines() == [f"jikimi: error: {ALREADY_RUNNING}"]
        assert out == ""
        out, err = once.communicate(timeout=60)
        assert once.returncode == 2 and ALREADY_RUNNING in err

        status = home.ok("status", "--json")
        assert '"running": true' in status

        first.send_signal(signal.SIGTERM)
        out, err = first.communicate(timeout=30)
        assert first.returncode == 0, err
        assert "scheduler stopping" in out
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    # Gone for good: the next one starts (and shows up as not running once it has stopped).
    third = subprocess.Popen(
        _jikimi("schedule"), env=process_home, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert third.stdout is not None and third.stdout.readline().startswith("scheduler started")
        third.send_signal(signal.SIGINT)
        assert third.wait(timeout=30) == 0
    finally:
        if third.poll() is None:
            third.kill()
            third.wait()
    assert '"running": false' in home.ok("status", "--json")


def test_status_shows_scheduler_problems(home: JikimiHome) -> None:
    home.ok("init")
    from scheduler.service import JobRecorder

    settings = load_settings()
    store = open_store(settings.database_url, load_keyring(settings.key_file))
    try:
        JobRecorder(store).failed(datetime(2026, 3, 1, 3, 0, tzinfo=SEOUL), RuntimeError("x"))
    finally:
        store.close()
    out = home.ok("status")
    assert "notice: the last scheduled run (2026-03-01T03:00:00+09:00) raised RuntimeError" in out


def test_once_runs_the_real_pass_records_and_notifies_once(home: JikimiHome) -> None:
    """`jikimi schedule --once` end to end: the real nightly pass (sources off), its record, one message."""
    import json
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    posted: list[dict[str, object]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            posted.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        home.write_config(
            "[sources.duckduckgo]\nenabled = false\n[sources.telegram]\nenabled = false\n"
            f'[notify]\nurls = ["json://127.0.0.1:{server.server_address[1]}/"]\n'
        )
        home.ok("init")
        result = home.cli("schedule", "--once")
    finally:
        server.shutdown()
        server.server_close()
    assert result.code in (0, 1, 3), result.err
    status = json.loads(home.ok("status", "--json"))
    assert status["scheduler"]["last_status"] == health.EXIT_STATUS[result.code]
    assert status["scheduler"]["notify"]["last_sent"] is not None
    assert len(posted) == 1, "notified exactly once for the pass"
    state = health.EXIT_STATUS[result.code]
    assert str(posted[0]["message"]).startswith(f"Nightly run: {state} (run {status['runs'][0]['id']})")
