"""Headers, CSRF and throttling, all from the libraries made for them (Talisman, Flask-WTF, Flask-Limiter).

- CSP: scripts, styles, images and connections from this origin only; no inline script or style, no
  third-party origin, no framing. The console never loads a remote image, font or script.
- `Referrer-Policy: no-referrer`; `Cache-Control: no-store` on every response but static files.
- CSRF on every POST (form field or the `X-CSRFToken` header htmx sends).
- Sign-in throttled per client address (Flask-Limiter); accounts lock after repeated failures
  (storage.users).
"""

from __future__ import annotations

from flask import Flask, Response, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_talisman import Talisman
from flask_wtf.csrf import CSRFProtect

from jikimi.config import WebSettings

CSP = {
    "default-src": "'none'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self'",
    "font-src": "'self'",
    "connect-src": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
    "base-uri": "'none'",
    "object-src": "'none'",
}

csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
talisman = Talisman()


def init(app: Flask, web: WebSettings) -> None:
    talisman.init_app(
        app,
        force_https=web.tls,
        strict_transport_security=web.tls,
        content_security_policy=CSP,
        frame_options="DENY",
        referrer_policy="no-referrer",
        session_cookie_secure=web.tls,
        session_cookie_http_only=True,
        session_cookie_samesite="Strict",
        permissions_policy={"camera": "()", "microphone": "()", "geolocation": "()", "browsing-topics": "()"},
    )
    csrf.init_app(app)
    limiter.init_app(app)
    app.after_request(_no_store)


def _no_store(response: Response) -> Response:
    """Names must not survive in a shared PC's browser cache; static files hold none."""
    if not request.path.startswith("/static/"):
        response.headers["Cache-Control"] = "no-store"
        response.headers["Pragma"] = "no-cache"
    return response
