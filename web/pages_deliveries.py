"""Deliveries of a case: a new export for a recipient (only what that recipient has not had yet), and the
batches delivered before.

The file is written by `takedown.exporting.export_exposures` (the CLI's own path: masked names, audited,
recorded as a delivery) into a private temporary directory and sent to the browser, never kept on the server.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import select

from storage.errors import NotFoundError, ValidationError
from storage.exports import EXPORT_FORMATS
from storage.models import Export
from takedown.exporting import export_exposures
from web.access import actor, require_case
from web.context import console

bp = Blueprint("deliveries", __name__)
RECIPIENT = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
MIMETYPES = {"csv": "text/csv", "jsonl": "application/x-ndjson", "html": "text/html"}


@bp.get("/cases/<int:case_id>/deliveries")
def index(case_id: int) -> ResponseReturnValue:
    require_case(case_id)
    with console().store.session() as session:
        batches = list(
            session.scalars(
                select(Export).where(Export.case_id == case_id).order_by(Export.id.desc()).limit(100)
            )
        )
    return render_template(
        "deliveries.html",
        case_id=case_id,
        batches=batches,
        formats=EXPORT_FORMATS,
    )


@bp.post("/cases/<int:case_id>/deliveries")
def deliver(case_id: int) -> ResponseReturnValue:
    require_case(case_id)
    fmt = request.form.get("format", "csv")
    recipient = request.form.get("recipient", "default").strip() or "default"
    if fmt not in EXPORT_FORMATS or not RECIPIENT.fullmatch(recipient):
        flash(_("Choose a format, and a recipient name of lower-case letters, digits, '.', '_' or '-'."))
        return redirect(url_for("deliveries.index", case_id=case_id))
    return _download(case_id, fmt, recipient=recipient)


@bp.post("/cases/<int:case_id>/deliveries/<int:batch>")
def again(case_id: int, batch: int) -> ResponseReturnValue:
    """Write an earlier batch again, in any format (recorded as a copy; it delivers nothing new)."""
    require_case(case_id)
    with console().store.session() as session:
        found = session.get(Export, batch)
        if found is None or found.case_id != case_id:
            abort(404)
        recipient = found.recipient
    fmt = request.form.get("format", "csv")
    if fmt not in EXPORT_FORMATS:
        abort(400)
    return _download(case_id, fmt, recipient=recipient, batch=batch)


def _download(case_id: int, fmt: str, *, recipient: str, batch: int | None = None) -> ResponseReturnValue:
    with tempfile.TemporaryDirectory(prefix="jikimi-web-") as tmp:
        target = Path(tmp) / f"case{case_id}-delivery.{fmt}"
        try:
            result = export_exposures(
                console().store,
                fmt=fmt,
                output=target,
                only_new=batch is None,
                case_id=case_id,
                actor=actor(),
                recipient=recipient,
                batch=batch,
                timezone=console().settings.timezone,
            )
        except (ValidationError, NotFoundError) as exc:
            flash(str(exc))
            return redirect(url_for("deliveries.index", case_id=case_id))
        body = target.read_bytes() if target.exists() else b""
    name = f"jikimi-case{case_id}-{recipient}-{result.export_id}.{fmt}"
    return Response(
        body,
        mimetype=MIMETYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
