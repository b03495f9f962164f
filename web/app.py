"""The Flask application factory: configuration, extensions, blueprints."""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from jikimi.config import Settings
from storage.crypto import Crypto
from storage.database import Store
from web import (
    auth,
    i18n,
    pages_admin,
    pages_cases,
    pages_deliveries,
    pages_exposure,
    pages_ops,
    pages_triage,
    security,
)
from web.context import Console

MAX_BODY = 2 * 1024 * 1024  # pasted text to test a term on is the largest thing ever posted


def session_key(crypto: Crypto) -> bytes:
    """Flask's signing key, derived from the index key: stable across workers and restarts, never stored,
    and new after a key rotation (which ends every session)."""
    return hmac.new(crypto.keyring.index[0], b"jikimi/web-session/v1", hashlib.sha256).digest()


def create_app(store: Store, settings: Settings) -> Flask:
    app = Flask(__name__)
    web = settings.web
    app.config.update(
        SECRET_KEY=session_key(store.crypto),
        SESSION_COOKIE_NAME="jikimi_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_SECURE=web.tls,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=web.absolute_timeout_hours),
        MAX_CONTENT_LENGTH=MAX_BODY,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session, which has its own timeouts
        # Flask-WTF's strict mode checks the Referer over HTTPS, and our pages send none (no-referrer):
        # every POST would fail. The token plus SameSite=Strict cookies carry the protection.
        WTF_CSRF_SSL_STRICT=False,
        RATELIMIT_STORAGE_URI="memory://",
        RATELIMIT_HEADERS_ENABLED=True,
    )
    app.extensions["jikimi"] = Console(store=store, settings=settings)
    if web.proxies:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=web.proxies, x_proto=web.proxies, x_host=web.proxies
        )
    security.init(app, web)
    i18n.init(app, settings)
    auth.init(app)
    for blueprint in (
        auth.bp,
        pages_cases.bp,
        pages_triage.bp,
        pages_exposure.bp,
        pages_deliveries.bp,
        pages_ops.bp,
        pages_admin.bp,
    ):
        app.register_blueprint(blueprint)
    return app
