"""Korean first, English too (Flask-Babel catalogs in web/translations); dates in the configured zone."""

from __future__ import annotations

from datetime import datetime

from flask import Flask, session
from flask_babel import Babel, format_datetime, get_locale

from jikimi.config import Settings

LOCALES = ("ko", "en")
# Year to minute with the zone offset: a time without its offset was a complaint of the triage issue.
DATE_FORMAT = "yyyy-MM-dd HH:mm xxx"


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
    return "–" if moment is None else format_datetime(moment, DATE_FORMAT)


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
