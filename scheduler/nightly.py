"""One pass: crawl stages as subprocesses with a wall-clock timeout, then export, retention, notify.

`jikimi run` and the nightly schedule both call `run_nightly`, so a manual pass is exactly what the
schedule does, and both take the database's pass lock: one pass at a time. The scheduler never imports
the crawler: stages run as `python -m crawler STAGE`.
"""

from __future__ import annotations

import json
import logging
import math
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import IO

from jikimi.config import Settings
from jikimi.logs import REDACTOR
from scheduler.after_steps import STEPS
from scheduler.cluster import Dispatcher
from scheduler.lock import PassLockedError, acquire_pass_lock
from scheduler.result import EXIT_DEGRADED, EXIT_FAILED, EXIT_OK, GOOD, NightlyResult
from storage.cases import active_terms, redaction_forms, usable_terms
from storage.database import Store
from storage.models import Run
from storage.runs import finish_run, get_run, mark_stale_runs_interrupted, record_source, start_run

logger = logging.getLogger(__name__)

STAGES = ("search", "pages", "recheck")

ProgressCallback = Callable[[dict[str, object]], None]


def _child_env(settings: Settings) -> dict[str, str]:
    env = dict(os.environ)
    env["JIKIMI_DATA_DIR"] = str(settings.data_dir)
    if settings.config_file is not None:
        env["JIKIMI_CONFIG"] = str(settings.config_file)
    env["JIKIMI_KEY_FILE"] = str(settings.key_file)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _pump(stream: IO[str], on_event: ProgressCallback | None) -> None:
    for line in stream:
        if on_event is None:
            continue
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(event, dict):
            on_event(event)


@dataclass(frozen=True)
class StageExit:
    """How a crawl process ended: its return code (negative: killed by that signal), and whether
    it was this runner that killed it for running over its time limit."""

    code: int
    timed_out: bool = False


def describe_failure(stage: str, done: StageExit, time_limit: float) -> tuple[str, str] | None:
    """(the `<stage>-crawl` outcome's reason, the pass's problem line) for a failed crawl, or None."""
    if done.timed_out:
        return f"stopped after {time_limit:.0f} s (its time limit)", f"the {stage} crawl ran out of time"
    if done.code in (EXIT_OK, EXIT_DEGRADED):
        return None
    if done.code == 2:
        return "the crawl could not start (configuration)", f"the {stage} crawl could not start"
    if done.code < 0:
        number = -done.code
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = "unknown signal"
        # Nobody here sent it: a SIGKILL from outside is, in practice, the kernel's OOM killer.
        hint = "; likely out of memory" if number == signal.SIGKILL else ""
        return (
            f"killed by signal {number} ({name}){hint}",
            f"the {stage} crawl was killed by signal {number} ({name}){hint}",
        )
    return f"the crawl process failed (exit {done.code})", f"the {stage} crawl failed"


def run_stage(
    settings: Settings,
    stage: str,
    run_id: int,
    *,
    on_event: ProgressCallback | None = None,
    verbose: bool = False,
    timeout: float | None = None,
) -> StageExit:
    """Run one crawl stage in a subprocess (`python -m crawler`, the alias of `scrapy crawl STAGE`)."""
    cmd = [sys.executable, "-m", "crawler", stage, "--run-id", str(run_id)]
    if verbose:
        cmd.append("--verbose")
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        env=_child_env(settings),
        start_new_session=True,
    )
    assert proc.stdout is not None
    reader = threading.Thread(target=_pump, args=(proc.stdout, on_event), daemon=True)
    reader.start()
    deadline = time.monotonic() + (timeout or settings.crawl_timeout)
    try:
        while proc.poll() is None:
            if time.monotonic() > deadline:
                logger.error("crawl stage %s exceeded its time limit; stopping it", stage)
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                reader.join(5)
                return StageExit(proc.returncode, timed_out=True)
            time.sleep(0.1)
    except KeyboardInterrupt:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        raise
    reader.join(5)
    return StageExit(proc.returncode)


def _alive(run: Run, settings: Settings) -> bool:
    """A run whose process still exists here, and younger than every stage's time limit, is live."""
    limit = timedelta(seconds=settings.crawl_timeout * len(STAGES) + 600)
    if datetime.now(UTC) - run.started_at > limit or not run.pid:
        return False
    try:
        os.kill(run.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextmanager
def one_pass(
    store: Store, *, wait: bool = False, on_wait: Callable[[], None] | None = None
) -> Iterator[None]:
    """Hold the database's pass lock: `PassLockedError` at once when another pass runs, unless `wait`
    (then `on_wait` is called once and the pass starts when the other one ends)."""
    try:
        lock = acquire_pass_lock(store.engine.url, patience=0.0)
    except PassLockedError:
        if not wait:
            raise
        if on_wait is not None:
            on_wait()
        lock = acquire_pass_lock(store.engine.url, patience=math.inf)
    try:
        yield
    finally:
        lock.release()


def run_pass(
    settings: Settings,
    store: Store,
    *,
    kind: str = "manual",
    stages: Sequence[str] = STAGES,
    on_event: ProgressCallback | None = None,
    verbose: bool = False,
    wait: bool = False,
    on_wait: Callable[[], None] | None = None,
) -> NightlyResult:
    """Crawl stages of one run, one pass at a time (see `one_pass`)."""
    with one_pass(store, wait=wait, on_wait=on_wait):
        result = _crawl(settings, store, kind=kind, stages=stages, on_event=on_event, verbose=verbose)
        _finish(store, result)
    return result


def _crawl(
    settings: Settings,
    store: Store,
    *,
    kind: str,
    stages: Sequence[str],
    on_event: ProgressCallback | None,
    verbose: bool,
) -> NightlyResult:
    """Crawl stages of one run (left `running` until `_finish`); a killed earlier run is closed as
    `interrupted` first (R1)."""
    # Tracebacks of this process (APScheduler logs job errors) go through the redactor: teach it the terms.
    REDACTOR.add(redaction_forms(active_terms(store)))
    stale = mark_stale_runs_interrupted(store, still_running=lambda run: _alive(run, settings))
    if stale:
        logger.warning("%d earlier run(s) did not finish; this pass redoes their work", stale)
    run_id = start_run(store, kind, os.getpid())
    result = NightlyResult(run_ids=[run_id])
    _report_skipped_terms(store, run_id)
    counted = [run_id]
    if settings.cluster is not None:
        # Spread over Scrapyd nodes: each shard's stages run there, in order; this process only follows.
        deadline = time.monotonic() + settings.crawl_timeout * len(stages)
        spread = Dispatcher(settings.cluster, store, run_id, stages, on_event=on_event, verbose=verbose).run(
            deadline
        )
        result.problems.extend(spread.problems)
        counted.extend(spread.child_run_ids)
        stages = ()
    for stage in stages:
        done = run_stage(settings, stage, run_id, on_event=on_event, verbose=verbose)
        failure = describe_failure(stage, done, settings.crawl_timeout)
        if failure is not None:
            reason, problem = failure
            record_source(store, run_id, f"{stage}-crawl", "error", reason)
            result.problems.append(problem)
    run = get_run(store, run_id)
    for src in run.sources:
        result.outcomes[src.source] = src.outcome
        if src.reason:
            result.reasons[src.source] = src.reason
        if src.unreached_terms:
            result.unreached_terms[src.source] = src.unreached_terms
        # new exposures per case are counted from the database, not from the children
    result.new_by_case = _new_by_case(store, counted)
    if result.problems:
        result.exit_code = EXIT_FAILED
    elif any(o not in GOOD for o in result.outcomes.values()) or result.unreached_terms:
        # Terms a source did not reach (budget, quota) are work not done: never a clean exit.
        result.exit_code = EXIT_DEGRADED
    return result


def _finish(store: Store, result: NightlyResult) -> None:
    """Store the run's final status: what the process exits with, after every step has run."""
    status = {EXIT_OK: "ok", EXIT_DEGRADED: "partial", EXIT_FAILED: "failed"}[result.exit_code]
    for run_id in result.run_ids:
        finish_run(store, run_id, status, {"problems": result.problems})


def _report_skipped_terms(store: Store, run_id: int) -> None:
    """Terms the matcher cannot use are skipped by every stage; the run report names them, one row."""
    _usable, skipped = usable_terms(active_terms(store))
    if not skipped:
        return
    count = f"{len(skipped)} term{'s' if len(skipped) != 1 else ''} skipped"
    record_source(
        store,
        run_id,
        "terms",
        "error",
        f"{count}: " + "; ".join(s.describe() for s in skipped),
        details={
            "skipped": [{"term_id": s.term_id, "case_id": s.case_id, "reason": s.reason} for s in skipped]
        },
    )


def _new_by_case(store: Store, run_ids: Sequence[int]) -> dict[int, int]:
    """New exposures per case of the pass (and of its shards' child runs, in a cluster)."""
    from sqlalchemy import func, select

    from storage.models import Exposure

    with store.session() as session:
        rows = session.execute(
            select(Exposure.case_id, func.count())
            .where(Exposure.first_run_id.in_(list(run_ids)))
            .group_by(Exposure.case_id)
        )
        return {int(case_id): int(n) for case_id, n in rows}


def run_nightly(
    settings: Settings,
    store: Store,
    *,
    actor: str = "scheduler",
    kind: str = "nightly",
    stages: Sequence[str] = STAGES,
    on_event: ProgressCallback | None = None,
    verbose: bool = False,
    wait: bool = False,
    on_wait: Callable[[], None] | None = None,
) -> NightlyResult:
    """The whole nightly sequence: search, pages and channels, removal re-checks, export, retention,
    notify; one pass at a time (`one_pass`: `PassLockedError` unless `wait`)."""
    with one_pass(store, wait=wait, on_wait=on_wait):
        result = _crawl(settings, store, kind=kind, stages=stages, on_event=on_event, verbose=verbose)
        _after_steps(settings, store, result, actor)
        # Last: `jikimi status` must say what the process exits with, export and notify included.
        _finish(store, result)
    return result


def _after_steps(settings: Settings, store: Store, result: NightlyResult, actor: str) -> None:
    for step in STEPS:
        try:
            step(settings, store, result, actor)
        except Exception as exc:  # one failing step must not hide the others' results
            logger.exception("nightly step %s failed", getattr(step, "__name__", "step"))
            result.problems.append(f"{getattr(step, '__name__', 'step')} failed ({exc.__class__.__name__})")
            result.exit_code = EXIT_FAILED
