"""Sign-in (password + TOTP for every role), sessions with idle and absolute timeouts, roles.

Flask-Login keeps the user id in the signed session cookie; the id carries the account's session
epoch, so a reset or a disable ends every session opened before it. A viewer's POST is refused here,
on the server, whatever the page shows.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from storage.audit import record as audit
from storage.users import UserView, authenticate, end_sessions, get_user
from web.context import console
from web.i18n import LOCALES
from web.security import limiter

bp = Blueprint("auth", __name__)
login_manager = LoginManager()

# Endpoints a signed-out visitor may reach, and POSTs any signed-in role may make.
PUBLIC = {"auth.login", "static"}
ANY_ROLE_POST = {"auth.login", "auth.logout", "auth.language"}
CHANGE_ROLES = ("admin", "advocate")


@dataclass
class ConsoleUser(UserMixin):  # type: ignore[misc]
    view: UserView

    def get_id(self) -> str:
        return f"{self.view.id}:{self.view.session_epoch}"

    @property
    def username(self) -> str:
        return self.view.username

    @property
    def role(self) -> str:
        return self.view.role

    @property
    def can_change(self) -> bool:
        return self.view.role in CHANGE_ROLES

    @property
    def is_admin(self) -> bool:
        return self.view.role == "admin"


class LoginForm(FlaskForm):  # type: ignore[misc]
    username = StringField("username", validators=[DataRequired(), Length(max=64)])
    password = PasswordField("password", validators=[DataRequired(), Length(max=1024)])
    otp = StringField("otp", validators=[DataRequired(), Length(max=12)])


def _load(user_id: str) -> ConsoleUser | None:
    uid, _sep, epoch = user_id.partition(":")
    if not uid.isdigit() or not epoch.isdigit():
        return None
    view = get_user(console().store, int(uid))
    if view is None or view.disabled or view.session_epoch != int(epoch):
        return None
    return ConsoleUser(view)


def init(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.user_loader(_load)
    login_manager.login_view = "auth.login"
    login_manager.login_message = ""
    login_manager.session_protection = "strong"
    app.before_request(_gate)


def _gate() -> ResponseReturnValue | None:
    """Timeouts first, then sign-in, then the role: every request passes here."""
    if request.endpoint in PUBLIC:
        return None
    web = console().settings.web
    now = time.time()
    if current_user.is_authenticated:
        signed_in = float(session.get("signed_in_at", 0))
        seen = float(session.get("seen_at", 0))
        idle = now - seen > web.idle_timeout_minutes * 60
        too_old = now - signed_in > web.absolute_timeout_hours * 3600
        if idle or too_old:
            logout_user()
            session.clear()
            flash(_("Your session has expired. Please sign in again."))
            return redirect(url_for("auth.login"))
        session["seen_at"] = now
    else:
        denied: ResponseReturnValue = login_manager.unauthorized()
        return denied
    changing = request.method not in ("GET", "HEAD", "OPTIONS") and request.endpoint not in ANY_ROLE_POST
    if changing and not current_user.can_change:
        abort(403)
    return None


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never an open redirect."""
    if not target:
        return url_for("cases.index")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("cases.index")
    return target


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: console().settings.web.login_rate_limit, methods=["POST"])
def login() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("cases.index"))
    form = LoginForm()
    if form.validate_on_submit():
        store = console().store
        web = console().settings.web
        result = authenticate(
            store,
            form.username.data or "",
            form.password.data or "",
            form.otp.data or "",
            max_failures=web.max_failed_logins,
            lock_for=timedelta(minutes=web.lock_minutes),
        )
        if result.user is not None:
            target = _safe_next(request.args.get("next"))
            session.clear()  # a fresh session: nothing from before sign-in carries over
            login_user(ConsoleUser(result.user))
            session["signed_in_at"] = session["seen_at"] = time.time()
            session.permanent = True
            audit(store, result.user.username, "console.sign_in", obj=("user", result.user.id))
            return redirect(target)
        # The attempted name is never recorded: it may be anything typed, a victim's name included.
        audit(store, "console", "console.sign_in_failed", details={"reason": result.reason})
        if result.reason == "locked":
            flash(_("Too many failed attempts: this account is locked for a while."))
        else:
            flash(_("Sign-in failed: check the username, password and one-time code."))
        return render_template("login.html", form=form), 401
    return render_template("login.html", form=form)


@bp.route("/logout", methods=["POST"])  # signed-in only: `_gate` turns everyone else away
def logout() -> ResponseReturnValue:
    audit(console().store, current_user.username, "console.sign_out", obj=("user", current_user.view.id))
    end_sessions(console().store, current_user.view.id)
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))


@bp.route("/language", methods=["POST"])
def language() -> ResponseReturnValue:
    chosen = request.form.get("lang", "")
    if chosen in LOCALES:
        session["lang"] = chosen
    return redirect(_safe_next(request.form.get("next")))
