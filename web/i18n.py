"""Korean first, English too (Flask-Babel catalogs in web/translations); dates in the configured zone."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask, current_app, g, session
from flask_babel import Babel, get_locale

from jikimi.config import Settings

LOCALES = ("ko", "en")


def _locale(default: str) -> str:
    chosen = session.get("lang")
    return chosen if chosen in LOCALES else default


def init(app: Flask, settings: Settings) -> None:
    app.config["BABEL_DEFAULT_LOCALE"] = settings.web.locale
    app.config["BABEL_DEFAULT_TIMEZONE"] = settings.timezone
    Babel(app, locale_selector=lambda: _locale(settings.web.locale))
    app.jinja_env.filters["when"] = when
    app.jinja_env.globals["get_locale"] = get_locale


def when(moment: datetime | None) -> str:
    """Year to minute in the configured zone, with the offset (numeric: the same in every language).

    The standard library formats it: a queue page shows hundreds, and Babel's formatter is far slower."""
    if moment is None:
        return "–"
    local = moment.astimezone(_zone())
    offset = local.isoformat()[-6:]
    return f"{local:%Y-%m-%d %H:%M} {offset}"


def _zone() -> ZoneInfo:
    zone: ZoneInfo | None = g.get("jikimi_zone")
    if zone is None:
        zone = g.jikimi_zone = ZoneInfo(str(current_app.config["BABEL_DEFAULT_TIMEZONE"]))
    return zone


def _mark(word: str) -> str:
    """Marks a word for extraction (`pybabel extract -k _mark`); templates translate it at render time."""
    return word


# Words the templates translate from data (roles, statuses, kinds, outcomes), listed for the catalogs.
DATA_WORDS = (
    _mark("admin"),
    _mark("advocate"),
    _mark("viewer"),
    _mark("open"),
    _mark("closed"),
    _mark("name"),
    _mark("alias"),
    _mark("handle"),
    _mark("keyword"),
    _mark("engine"),
    _mark("snippet"),
    _mark("page"),
    _mark("running"),
    _mark("partial"),
    _mark("failed"),
    _mark("interrupted"),
    _mark("–"),
)
