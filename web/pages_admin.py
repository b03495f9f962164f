"""Users and grants (admins). Accounts are created on the command line (`jikimi user add`), where the
TOTP secret is shown once; here an admin grants and revokes cases. Case labels are not shown: an
admin reads a case only when granted it, like everyone else."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import select

from storage.audit import record as audit
from storage.errors import NotFoundError, ValidationError
from storage.models import Case
from storage.users import find_user, grant, grants, list_users, revoke
from web.access import actor, require_admin
from web.context import console

bp = Blueprint("admin", __name__)


@bp.get("/admin/users")
def users() -> ResponseReturnValue:
    require_admin()
    store = console().store
    with store.session() as session:
        case_ids = list(session.scalars(select(Case.id).order_by(Case.id)))
    return render_template("users.html", users=list_users(store), grants=grants(store), case_ids=case_ids)


@bp.post("/admin/grants")
def change_grant() -> ResponseReturnValue:
    require_admin()
    store = console().store
    case = request.form.get("case", "")
    username = request.form.get("username", "")
    revoking = request.form.get("action") == "revoke"
    try:
        if not case.isdigit():
            raise ValidationError("case must be a case id")
        user = find_user(store, username)
        changed = (
            revoke(store, int(case), username) if revoking else grant(store, int(case), username, by=actor())
        )
        if changed:
            audit(
                store,
                actor(),
                "case.revoke" if revoking else "case.grant",
                case_id=int(case),
                obj=("user", user.id),
                details={"via": "web"},
            )
        flash(_("Saved.") if changed else _("Nothing changed."))
    except (ValidationError, NotFoundError) as exc:
        flash(str(exc))
    return redirect(url_for("admin.users"))
