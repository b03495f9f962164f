"""The triage queue of a case: ranked exposures, one keystroke per decision, undo, all audited.

Decisions go through `storage.lifecycle.mark_case` (the same transitions and audit records as the
CLI), under the signed-in user's name. htmx requests get the queue fragment back; plain form posts a
redirect, so the page works without JavaScript too.
"""

from __future__ import annotations

from collections import defaultdict

from flask import Blueprint, abort, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import select

from storage.audit import record as audit
from storage.errors import NotFoundError, ValidationError
from storage.lifecycle import StatusChange, mark_case, new_change_set
from storage.lifecycle import undo as undo_change_set
from storage.models import Case, Exposure
from web.access import actor, require_case
from web.context import console
from web.highlight import Segment, segments
from web.queries import QUEUE_STATUSES, TIERS, queue
from web.terms import masker_for

bp = Blueprint("triage", __name__)

ACTIONS = {"confirm": "confirmed", "dismiss": "dismissed", "reopen": "new"}
REOPEN_NOTE = "reopened in the console"
MAX_IDS = 500


def _view_args() -> tuple[str, int, bool, str | None]:
    status = request.values.get("status", "new")
    if status not in QUEUE_STATUSES:
        status = "new"
    page = request.values.get("page", "1")
    tier = request.values.get("tier")
    return (
        status,
        int(page) if page.isdigit() else 1,
        request.values.get("show") == "names",
        tier if tier in TIERS else None,
    )


def _render(case_id: int, messages: list[str], *, fragment: bool) -> ResponseReturnValue:
    status, page, reveal, tier = _view_args()
    store = console().store
    with store.session() as db:
        if db.get(Case, case_id) is None:
            abort(404)
        result = queue(db, store.crypto, case_id, status, page, tier)
        masker = masker_for(db, store.crypto, case_id)
    marked: dict[int, tuple[list[Segment], list[Segment]]] = {
        item.id: (
            segments(item.title, masker.spans(item.title or "", case_id), reveal=reveal),
            segments(item.snippet, masker.spans(item.snippet or "", case_id), reveal=reveal),
        )
        for item in result.items
    }
    audit(
        store,
        actor(),
        "exposures.reveal" if reveal else "exposures.list",
        case_id=case_id,
        details={"count": len(result.items), "page": result.page, "via": "web"},
    )
    undo = session.get("undo")
    return render_template(
        "_queue.html" if fragment else "triage.html",
        case_id=case_id,
        queue=result,
        marked=marked,
        status=status,
        statuses=list(QUEUE_STATUSES),
        tier=tier,
        tiers=TIERS,
        reveal=reveal,
        messages=messages,
        can_undo=bool(undo and undo.get("case") == case_id),
    )


def _htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


@bp.get("/cases/<int:case_id>/triage")
def show(case_id: int) -> ResponseReturnValue:
    require_case(case_id)
    return _render(case_id, [], fragment=_htmx())


def _ids_of_case(case_id: int) -> dict[int, str]:
    """{id: status} of the posted ids; any id outside the case is a 404, like a page of another case."""
    raw = request.form.getlist("ids")
    ids = sorted({int(x) for x in raw if x.isdigit()})[:MAX_IDS]
    if not ids:
        return {}
    with console().store.session() as db:
        rows = db.execute(select(Exposure.id, Exposure.case_id, Exposure.status).where(Exposure.id.in_(ids)))
        found = {int(i): (int(c), str(s)) for i, c, s in rows}
    if len(found) != len(ids) or any(c != case_id for c, _s in found.values()):
        abort(404)
    return {i: s for i, (_c, s) in found.items()}


def _apply(
    case_id: int, to_status: str, groups: dict[str, list[int]], change_set: str
) -> tuple[int, list[str]]:
    """One decision on many exposures: one change set, so `undo` reverses it as one step."""
    changed, errors = 0, []
    for from_status, ids in sorted(groups.items()):
        try:
            changed += len(
                mark_case(
                    console().store,
                    case_id,
                    from_status,
                    StatusChange(
                        to_status,
                        actor=actor(),
                        note=REOPEN_NOTE if to_status == "new" else None,
                        channel="console",
                        change_set=change_set,
                    ),
                    ids=ids,
                )
            )
        except (ValidationError, NotFoundError) as exc:
            errors.append(str(exc))
    return changed, errors


@bp.post("/cases/<int:case_id>/triage/decide")
def decide(case_id: int) -> ResponseReturnValue:
    require_case(case_id)
    to_status = ACTIONS.get(request.form.get("action", ""))
    if to_status is None:
        abort(400)
    by_status: dict[str, list[int]] = defaultdict(list)
    for exposure_id, status in _ids_of_case(case_id).items():
        if status != to_status:
            by_status[status].append(exposure_id)
    change_set = new_change_set()
    count, errors = _apply(case_id, to_status, by_status, change_set)
    if count:
        session["undo"] = {"case": case_id, "change_set": change_set}
    messages = [_("%(count)d changed.", count=count)] + errors
    if _htmx():
        return _render(case_id, messages, fragment=True)
    return redirect(url_for("triage.show", case_id=case_id, status=_view_args()[0]))


@bp.post("/cases/<int:case_id>/triage/undo")
def undo(case_id: int) -> ResponseReturnValue:
    """Reverse the last decision (one or many exposures) made in this session, as one step."""
    require_case(case_id)
    last = session.get("undo")
    messages: list[str] = []
    if not last or last.get("case") != case_id or not last.get("change_set"):
        messages.append(_("Nothing to undo."))
    else:
        session.pop("undo", None)
        try:
            result = undo_change_set(console().store, str(last["change_set"]), actor=actor())
            messages.append(_("Undone: %(count)d.", count=len(result.restored)))
            if result.skipped:
                messages.append(
                    _(
                        "Changed again since, left as they are: %(ids)s",
                        ids=", ".join(f"#{i}" for i in result.skipped),
                    )
                )
        except (ValidationError, NotFoundError) as exc:
            messages.append(str(exc))
    if _htmx():
        return _render(case_id, messages, fragment=True)
    return redirect(url_for("triage.show", case_id=case_id))
