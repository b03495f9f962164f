"""One exposure: evidence, history, re-uploads; its URL as text, opened only through a warning page.

The console never fetches an exposure URL and never links to one from a list: the only link is on
the warning page, with `rel="noreferrer noopener"`, and only for http(s) URLs (never `javascript:`).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, render_template, request
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from storage.audit import record as audit
from storage.exposures import get_exposure
from storage.lifecycle import history, reuploads_of
from storage.models import Evidence
from web.access import actor, require_exposure
from web.context import console
from web.highlight import segments
from web.terms import masker_for

bp = Blueprint("exposure", __name__)


def openable(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


@bp.get("/exposures/<int:exposure_id>")
def show(exposure_id: int) -> ResponseReturnValue:
    case_id = require_exposure(exposure_id)
    store = console().store
    reveal = request.args.get("show") == "names"
    view = get_exposure(store, exposure_id)
    with store.session() as db:
        evidence = list(
            db.scalars(
                select(Evidence).where(Evidence.exposure_id == exposure_id).order_by(Evidence.fetched_at)
            )
        )
        masker = masker_for(db, store.crypto, case_id)
    title = segments(view.title, masker.spans(view.title or "", case_id), reveal=reveal)
    snippet = segments(view.snippet, masker.spans(view.snippet or "", case_id), reveal=reveal)
    audit(
        store,
        actor(),
        "exposure.reveal" if reveal else "exposure.show",
        case_id=case_id,
        obj=("exposure", exposure_id),
        details={"via": "web"},
    )
    return render_template(
        "exposure.html",
        exposure=view,
        title=title,
        snippet=snippet,
        reveal=reveal,
        evidence=evidence,
        events=history(store, exposure_id),
        reuploads=reuploads_of(store, exposure_id),
        openable=openable(view.url),
    )


@bp.get("/exposures/<int:exposure_id>/open")
def warn(exposure_id: int) -> ResponseReturnValue:
    case_id = require_exposure(exposure_id)
    store = console().store
    view = get_exposure(store, exposure_id)
    if not openable(view.url):
        abort(404)
    audit(
        store,
        actor(),
        "exposure.open",
        case_id=case_id,
        obj=("exposure", exposure_id),
        details={"via": "web"},
    )
    return render_template("open.html", exposure=view)
