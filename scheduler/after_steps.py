"""What the nightly sequence does after the crawls: export new exposures, retention, notifications.

Each step takes (settings, store, result, actor) and records its own outcome on the result; the
steps are listed in order here so the sequence reads in one place.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from jikimi.config import Settings
from scheduler.result import NightlyResult
from storage.database import Store

logger = logging.getLogger(__name__)


def export_new(settings: Settings, store: Store, result: NightlyResult, actor: str) -> None:
    """The morning file for takedown teams: the strong and likely exposures not delivered before.

    Never replaces a file: a second pass finishing in the same second writes `...-2.csv` beside it.
    """
    if settings.export_dir is None:
        return
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from storage.exports import DELIVERY_TIERS
    from takedown.exporting import export_exposures, nightly_export_path

    settings.export_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = nightly_export_path(settings.export_dir, datetime.now(ZoneInfo(settings.timezone)), "csv")
    done = export_exposures(
        store,
        fmt="csv",
        output=path,
        only_new=True,
        case_id=None,
        include_terms=False,
        actor=actor,
        unique=True,
        tiers=DELIVERY_TIERS,
        timezone=settings.timezone,
    )
    result.export_path = str(done.path)
    result.exported = done.count


def retention(settings: Settings, store: Store, result: NightlyResult, actor: str) -> None:
    """Closed cases past `retention_days` are purged for good (announced in `jikimi status` before)."""
    if settings.retention_days <= 0:
        return
    from storage.retention import purge_due

    purge_due(store, settings.retention_days, actor=actor)


def notify(settings: Settings, store: Store, result: NightlyResult, actor: str) -> None:
    from scheduler.notify import notify_step

    notify_step(settings, store, result, actor)


STEPS: list[Callable[[Settings, Store, NightlyResult, str], None]] = [export_new, retention, notify]
