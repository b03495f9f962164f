"""Deliveries of a case: a new export for a recipient (only what that recipient has not had yet), and the
batches delivered before.

The file is written by `takedown.exporting.export_exposures` (the CLI's own path: masked names, audited,
recorded as a delivery) into a private temporary directory and sent to the browser, never kept on the server.
"""

from __future__ import annotations

import inspect
import re
import tempfile
from pathlib import Path

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import select

from storage.cases import NotFoundError, ValidationError
from storage.exports import EXPORT_FORMATS
from storage.models import Export
from takedown.exporting import export_exposures
from web.access import actor, require_case
from web.context import console

bp = Blueprint("deliveries", __name__)
RECIPIENT = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
MIMETYPES = {"csv": "text/csv", "jsonl": "application/x-ndjson", "html": "text/html"}
# Until deliveries per recipient exist in the export code, every delivery goes to the one recipient.
PER_RECIPIENT = "recipient" in inspect.signature(export_exposures).parameters


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
        per_recipient=PER_RECIPIENT,
    )


@bp.post("/cases/<int:case_id>/deliveries")
def deliver(case_id: int) -> ResponseReturnValue:
    require_case(case_id)
    fmt = request.form.get("format", "csv")
    recipient = request.form.get("recipient", "default").strip() or "default"
    if fmt not in EXPORT_FORMATS or not RECIPIENT.fullmatch(recipient):
        flash(_("Choose a format, and a recipient name of lower-case letters, digits, '.', '_' or '-'."))
        return redirect(url_for("deliveries.index", case_id=case_id))
    extra: dict[str, object] = {"recipient": recipient} if PER_RECIPIENT else {}
    with tempfile.TemporaryDirectory(prefix="jikimi-web-") as tmp:
        target = Path(tmp) / f"case{case_id}-delivery.{fmt}"
        try:
            result = export_exposures(
                console().store,
                fmt=fmt,
                output=target,
                only_new=True,
                case_id=case_id,
                actor=actor(),
                **extra,  # type: ignore[arg-type]
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
