"""Takedown, report, runs and audit pages.

Runs and the audit trail hold no names (ids, counts and outcomes only); takedown and report pages are
per case, so they need the grant like every other page of a case.
"""

from __future__ import annotations

import subprocess  # nosec B404 - starts `jikimi run` (a fixed argument list, no shell)
import sys
from datetime import UTC, datetime

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from scheduler.cluster import cluster_status
from storage.audit import list_records, verify
from storage.audit import record as audit
from storage.errors import NotFoundError, ValidationError
from storage.lifecycle import StatusChange, mark_case
from storage.runs import recent_runs
from storage.stats import build_report
from takedown.drafts import DEFAULT_STATUSES, select_items
from takedown.notices import Notice, plan_notices, render_text
from takedown.platforms import OPERATOR_FILE_NAME, PlatformDirectoryError, load_directory
from takedown.report import REPORT_STYLE_SRC, render_html
from web.access import actor, require_admin, require_case
from web.context import console
from web.security import talisman

bp = Blueprint("ops", __name__)

# The report is a standalone document with its own inline styles and SVG charts, and no script.
REPORT_CSP = {
    "default-src": "'none'",
    "style-src": REPORT_STYLE_SRC,
    "frame-ancestors": "'none'",
}


def _notices(case_id: int) -> list[Notice]:
    settings = console().settings
    try:
        directory = load_directory(settings.data_dir / OPERATOR_FILE_NAME)
    except PlatformDirectoryError as exc:
        abort(500, str(exc))
    return plan_notices(select_items(console().store, list(DEFAULT_STATUSES), case_id), directory)


@bp.get("/cases/<int:case_id>/takedown")
def takedown(case_id: int) -> ResponseReturnValue:
    require_case(case_id)
    notices = _notices(case_id)
    audit(
        console().store,
        actor(),
        "takedown.show",
        case_id=case_id,
        details={"notices": len(notices), "via": "web"},
    )
    return render_template("takedown.html", case_id=case_id, notices=notices)


def _notice(case_id: int, number: int) -> Notice:
    notices = _notices(case_id)
    if not 1 <= number <= len(notices):
        abort(404)
    return notices[number - 1]


@bp.get("/cases/<int:case_id>/takedown/<int:number>.txt")
def draft(case_id: int, number: int) -> ResponseReturnValue:
    require_case(case_id)
    notice = _notice(case_id, number)
    settings = console().settings
    now = datetime.now(UTC)
    text = render_text(notice, timezone=settings.timezone, generated_at=now)
    audit(
        console().store,
        actor(),
        "takedown.draft",
        case_id=case_id,
        details={"exposures": len(notice.items), "notices": 1, "via": "web"},
    )
    name = f"{now:%Y%m%d}-case{case_id}-{number:02d}-{notice.recipient.id}.txt"
    return Response(
        text,
        mimetype="text/plain",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.post("/cases/<int:case_id>/takedown/<int:number>/reported")
def reported(case_id: int, number: int) -> ResponseReturnValue:
    """Mark every exposure of one notice reported, once the advocate has sent it."""
    require_case(case_id)
    notice = _notice(case_id, number)
    by_status: dict[str, list[int]] = {}
    for item in notice.items:
        by_status.setdefault(item.status, []).append(item.exposure_id)
    changed = 0
    for status, ids in sorted(by_status.items()):
        try:
            changed += len(
                mark_case(
                    console().store,
                    case_id,
                    status,
                    StatusChange(
                        "reported",
                        actor=actor(),
                        channel=notice.recipient.channel or None,
                        recipient=notice.recipient.email or None,
                    ),
                    ids=ids,
                )
            )
        except (ValidationError, NotFoundError) as exc:
            flash(str(exc))
    flash(_("%(count)d marked as reported.", count=changed))
    return redirect(url_for("ops.takedown", case_id=case_id))


@bp.get("/cases/<int:case_id>/report")
@talisman(content_security_policy=REPORT_CSP)  # type: ignore[untyped-decorator]
def report(case_id: int) -> ResponseReturnValue:
    require_case(case_id)
    settings = console().settings
    built = build_report(console().store, timezone=settings.timezone, now=datetime.now(UTC), case_id=case_id)
    audit(console().store, actor(), "report.show", case_id=case_id, details={"via": "web"})
    return Response(render_html(built), mimetype="text/html")


@bp.get("/runs")
def runs() -> ResponseReturnValue:
    found = recent_runs(console().store, limit=20)
    running = any(r.status == "running" for r in found)
    template = "_runs.html" if request.headers.get("HX-Request") == "true" else "runs.html"
    # Scrapyd nodes and the shards of the latest spread pass (ids, node URLs and times only).
    settings = console().settings
    cluster = cluster_status(console().store, settings.cluster) if settings.cluster else None
    return render_template(template, runs=found, running=running, cluster=cluster)


@bp.post("/runs")
def start_run() -> ResponseReturnValue:
    """Admins start a pass: `jikimi run` in its own process, which takes the single-pass lock itself."""
    require_admin()
    settings = console().settings
    command = [sys.executable, "-m", "jikimi"]
    if settings.config_file is not None:
        command += ["--config", str(settings.config_file)]
    command.append("run")
    subprocess.Popen(  # nosec B603 - fixed arguments, no shell, no user input
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    audit(console().store, actor(), "run.start", details={"via": "web"})
    flash(_("A pass was started."))
    return redirect(url_for("ops.runs"))


@bp.get("/audit")
def audit_page() -> ResponseReturnValue:
    require_admin()
    store = console().store
    case = request.args.get("case", "")
    who = request.args.get("actor", "").strip()
    action = request.args.get("action", "").strip()
    records = list_records(
        store, case_id=int(case) if case.isdigit() else None, limit=None if (who or action) else 200
    )
    if who:
        records = [r for r in records if r.actor == who]
    if action:
        records = [r for r in records if r.action.startswith(action)]
    result = verify(store)
    return render_template(
        "audit.html", records=records[:200], result=result, case=case, actor=who, action=action
    )
