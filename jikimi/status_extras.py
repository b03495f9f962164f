"""Sections of `jikimi status` contributed by later features (retention, notifications, scheduler)."""

from __future__ import annotations

from typing import Any

from jikimi.config import Settings
from storage.database import Store


def extra_status(store: Store, settings: Settings) -> dict[str, Any]:
    notices: list[str] = []
    return {"notices": notices}
