"""Cases: the list (mine only), one case (consent, terms, targets), adding, removing and testing terms.

Terms travel in POST bodies only, never in a URL; every read of names is audited under the user.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import select

from matching import Matcher, TermSpec, TermSpecError
from storage.audit import record as audit
from storage.cases import TERM_KINDS, add_term, case_view, remove_term, target_view, terms_in_session
from storage.errors import NotFoundError, ValidationError
from storage.models import Case, Target, Term
from storage.runs import recent_runs
from web.access import actor, my_case_ids, require_case
from web.context import console
from web.highlight import segments
from web.queries import counts

bp = Blueprint("cases", __name__)
MAX_TEST_TEXT = 100_000


@bp.get("/")
def index() -> ResponseReturnValue:
    store = console().store
    ids = sorted(my_case_ids())
    with store.session() as session:
        cases = [case_view(store.crypto, c) for c in session.scalars(select(Case).where(Case.id.in_(ids)))]
        per_case = counts(session, ids)
    runs = recent_runs(store, limit=1)
    audit(store, actor(), "case.list", details={"count": len(cases), "via": "web"})
    return render_template(
        "cases.html",
        cases=sorted(cases, key=lambda c: c.id),
        counts=per_case,
        last_run=runs[0] if runs else None,
    )


def _case_page(case_id: int, *, test: dict[str, object] | None = None) -> ResponseReturnValue:
    require_case(case_id)
    store = console().store
    with store.session() as session:
        row = session.get(Case, case_id)
        if row is None:
            abort(404)
        case = case_view(store.crypto, row)
        terms = terms_in_session(session, store.crypto, [case_id])
        targets = [
            target_view(store.crypto, t, row.key_id)
            for t in session.scalars(select(Target).where(Target.case_id == case_id).order_by(Target.id))
        ]
        per_case = counts(session, [case_id])[case_id]
    audit(store, actor(), "case.show", case_id=case_id, details={"terms": len(terms), "via": "web"})
    return render_template(
        "case.html", case=case, terms=terms, targets=targets, counts=per_case, kinds=TERM_KINDS, test=test
    )


@bp.get("/cases/<int:case_id>")
def show(case_id: int) -> ResponseReturnValue:
    return _case_page(case_id)


def _words(field: str) -> list[str]:
    raw = request.form.get(field, "")
    return [w.strip() for w in raw.replace("\n", ",").split(",") if w.strip()]


@bp.post("/cases/<int:case_id>/terms")
def term_add(case_id: int) -> ResponseReturnValue:
    require_case(case_id)
    store = console().store
    try:
        term_id = add_term(
            store,
            case_id,
            request.form.get("term", ""),
            request.form.get("kind", "name"),
            _words("context"),
            _words("exclude"),
        )
    except ValidationError as exc:
        flash(str(exc))
        return redirect(url_for("cases.show", case_id=case_id))
    audit(store, actor(), "term.add", case_id=case_id, obj=("term", term_id), details={"via": "web"})
    flash(_("Watch term added."))
    return redirect(url_for("cases.show", case_id=case_id))


@bp.post("/cases/<int:case_id>/terms/<int:term_id>/remove")
def term_remove(case_id: int, term_id: int) -> ResponseReturnValue:
    require_case(case_id)
    store = console().store
    with store.session() as session:
        owner = session.scalar(select(Term.case_id).where(Term.id == term_id))
    if owner != case_id:
        abort(404)
    try:
        remove_term(store, term_id)
    except NotFoundError:
        abort(404)
    audit(store, actor(), "term.remove", case_id=case_id, obj=("term", term_id), details={"via": "web"})
    flash(_("Watch term removed."))
    return redirect(url_for("cases.show", case_id=case_id))


@bp.post("/cases/<int:case_id>/terms/test")
def term_test(case_id: int) -> ResponseReturnValue:
    """Try a term on pasted text before adding it: what the matcher would find, nothing stored."""
    require_case(case_id)
    term = " ".join(request.form.get("term", "").split())
    text = request.form.get("text", "")[:MAX_TEST_TEXT]
    kind = request.form.get("kind", "name")
    result: dict[str, object] = {"term": term, "kind": kind, "error": None, "segments": [], "count": 0}
    try:
        spec = TermSpec(case_id=case_id, term_id=0, text=term, kind=kind, context=tuple(_words("context")))
        matches = Matcher.build([spec]).scan(text)
        result["count"] = len(matches)
        result["segments"] = segments(text, [(m.start, m.end) for m in matches], reveal=True)
    except (TermSpecError, ValueError) as exc:
        result["error"] = str(exc)
    audit(console().store, actor(), "term.test", case_id=case_id, details={"matches": result["count"]})
    return _case_page(case_id, test=result)
