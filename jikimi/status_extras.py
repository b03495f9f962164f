"""Sections of `jikimi status` contributed by later features (retention, notifications, scheduler)."""

from __future__ import annotations

from typing import Any

from jikimi.config import Settings
from storage.database import Store


def extra_status(store: Store, settings: Settings) -> dict[str, Any]:
    notices: list[str] = []
    # --- retention and key rotation (storage.retention, storage.keys_rotation) ---
    from storage.keys_rotation import rotation_notice
    from storage.retention import notices as retention_notices

    notices.extend(retention_notices(store, settings.retention_days, settings.timezone))
    pending_rotation = rotation_notice(store)
    if pending_rotation:
        notices.append(pending_rotation)
    # --- end retention and key rotation ---
    from jikimi.first_run import search_notice

    engines = search_notice(settings)
    if engines:
        notices.append(engines)
    out: dict[str, Any] = {"notices": notices}

    # scheduler and notifications (scheduler/health.py: no APScheduler import, so status stays fast)
    from scheduler.health import scheduler_status, status_notices

    schedule = scheduler_status(store, settings.timezone)
    schedule["schedule"] = settings.schedule
    schedule["timezone"] = settings.timezone
    schedule["notify"]["configured"] = len(settings.notify.urls)
    out["scheduler"] = schedule
    notices.extend(status_notices(schedule))

    if settings.cluster is not None:
        from scheduler.cluster import cluster_status

        out["cluster"] = cluster_status(store, settings.cluster)
        down = [n["node"] for n in out["cluster"]["nodes"] if not n["reachable"]]
        if down:
            notices.append(f"scrapyd node(s) not answering: {', '.join(down)}; their shards run elsewhere")
    return out
