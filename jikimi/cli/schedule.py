"""`jikimi schedule`: the nightly pass on the configured schedule until stopped (or once, for cron)."""

from __future__ import annotations

import logging
import signal
import threading
from typing import Annotated

import typer

from jikimi.cli.app_state import CliError, state
from jikimi.logs import setup_logging


def schedule_command(
    once: Annotated[
        bool,
        typer.Option(
            "--once", help="Run the nightly pass now, record and notify it, then exit with its code."
        ),
    ] = False,
) -> int:
    """Run the nightly pass on `schedule` in `timezone` until SIGTERM/Ctrl-C (one scheduler per database)."""
    from scheduler.lock import SchedulerLockedError, acquire_scheduler_lock
    from scheduler.service import run_once, serve

    settings = state.settings()
    store = state.store()
    if not state.verbose:
        # A daemon's log is its only voice: progress at INFO, still through the redacting formatter.
        setup_logging(logging.INFO)
    try:
        lock = acquire_scheduler_lock(store.engine.url)
    except SchedulerLockedError as exc:
        raise CliError(str(exc)) from None
    except ValueError as exc:
        raise CliError(str(exc)) from None
    try:
        if once:
            return run_once(settings, store)
        stop = threading.Event()
        previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            return serve(
                settings, store, lock, stop, say=lambda line: state.console.print(line, markup=False)
            )
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
    finally:
        lock.release()
