"""Authorization of every object on the server: a case the signed-in user was not granted does not exist.

Admins included (no silent super-user): the answer is 404 for pages, exposures and htmx endpoints
alike, so ids of other cases cannot even be probed.
"""

from __future__ import annotations

from flask import abort
from flask_login import current_user
from sqlalchemy import select

from storage.models import Exposure
from storage.users import granted_case_ids, is_granted
from web.context import console


def require_case(case_id: int) -> None:
    with console().store.session() as session:
        if not is_granted(session, current_user.view.id, case_id):
            abort(404)


def require_exposure(exposure_id: int) -> int:
    """The exposure's case id, if the user was granted that case; 404 otherwise."""
    with console().store.session() as session:
        case_id = session.scalar(select(Exposure.case_id).where(Exposure.id == exposure_id))
        if case_id is None or not is_granted(session, current_user.view.id, case_id):
            abort(404)
        return int(case_id)


def my_case_ids() -> set[int]:
    return granted_case_ids(console().store, current_user.view.id)


def require_admin() -> None:
    if not current_user.is_admin:
        abort(403)


def actor() -> str:
    """The audit trail's name for the signed-in user."""
    return str(current_user.username)
