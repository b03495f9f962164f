"""What every request handler reaches through `console()`: the store, the settings, the signed-in user."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from flask import current_app

from jikimi.config import Settings
from storage.database import Store


@dataclass
class Console:
    store: Store
    settings: Settings


def console() -> Console:
    return cast(Console, current_app.extensions["jikimi"])
