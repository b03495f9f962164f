"""`jikimi schedule`: the nightly pass on the configured schedule until stopped (or once, for cron)."""

from __future__ import annotations

import logging
import signal
import threading
from typing import TYPE_CHECKING, Annotated

import typer
from sqlalchemy.engine import URL

from jikimi.cli.app_state import CliError, state
from jikimi.logs import setup_logging

if TYPE_CHECKING:
    from scheduler.lock import SchedulerLock

# How often a standing-by scheduler tries the lock again (the PostgreSQL lock frees when its holder's
# connection ends, so takeover follows a crash within this many seconds).
STANDBY_RETRY_SECONDS = 2.0


def schedule_command(
    once: Annotated[
        bool,
        typer.Option(
            "--once", help="Run the nightly pass now, record and notify it, then exit with its code."
        ),
    ] = False,
    standby: Annotated[
        bool,
        typer.Option(
            "--standby",
            help="If another scheduler holds this database, wait and take over when it stops "
            "(the default with [cluster]).",
        ),
    ] = False,
) -> int:
    """Run the nightly pass on `schedule` in `timezone` until SIGTERM/Ctrl-C (one scheduler per database)."""
    from scheduler.service import run_once, serve

    settings = state.settings()
    store = state.store()
    if not state.verbose:
        # A daemon's log is its only voice: progress at INFO, still through the redacting formatter.
        setup_logging(logging.INFO)
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        # With a cluster, schedulers on several machines are the usual set-up: one is elected by the
        # database lock, the others wait to take over rather than exit.
        waits = (standby or settings.cluster is not None) and not once
        lock = _elect(store.engine.url, stop, waits)
        if lock is None:
            return 0  # stopped while standing by
        try:
            if once:
                return run_once(settings, store)
            return serve(
                settings, store, lock, stop, say=lambda line: state.console.print(line, markup=False)
            )
        finally:
            lock.release()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _elect(url: URL, stop: threading.Event, waits: bool) -> SchedulerLock | None:
    """This database's scheduler lock; standing by for it when `waits`, else one line and exit 2."""
    from scheduler.lock import SchedulerLockedError, acquire_scheduler_lock

    said = False
    while True:
        try:
            return acquire_scheduler_lock(url)
        except SchedulerLockedError as exc:
            if not waits:
                raise CliError(str(exc)) from None
        except ValueError as exc:
            raise CliError(str(exc)) from None
        if not said:
            state.console.print(
                "another scheduler holds this database; standing by to take over when it stops", markup=False
            )
            said = True
        if stop.wait(STANDBY_RETRY_SECONDS):
            return None
