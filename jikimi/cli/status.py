"""`jikimi status`: cases, exposures, sources and how the last runs ended."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from jikimi.cli.app_state import actor, emit_json, state
from jikimi.cli.init import describe_db
from storage.audit import record as audit
from storage.cases import list_cases, list_targets
from storage.exposures import count_by_case
from storage.purge import finish_pending
from storage.runs import recent_runs
from storage.times import local_text
from takedown.exporting import finish_pending_exports


def status_command(
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
) -> None:
    """Show cases, exposures by status, the sources and how each ended its last runs."""
    settings = state.settings()
    store = state.store()
    # An interrupted purge (rows gone, key still in the key file) is finished here, not left forever.
    purges_finished = finish_pending(store) if store.crypto.keyring.path is not None else 0
    # So is an export killed after its delivery was recorded but before its file had its name.
    exports_finished = finish_pending_exports(store, timezone=settings.timezone)
    cases = list_cases(store)
    counts = count_by_case(store)
    runs = recent_runs(store, limit=5)
    targets = list_targets(store)
    # Typed parts first: the text form prints from these, the JSON form from `data`.
    case_counts = {status: sum(c.status == status for c in cases) for status in ("open", "closed")}
    exposure_totals = _totals(counts)
    sources = {s.name: ("enabled" if s.enabled else "disabled") for s in settings.sources.values()}
    data: dict[str, object] = {
        "database": describe_db(settings.database_url),
        "cases": case_counts,
        "exposures": exposure_totals,
        "targets": len(targets),
        "sources": sources,
        "runs": [
            {
                "id": r.id,
                "kind": r.kind,
                "status": r.status,
                "started_at": r.started_at.isoformat(),
                "finished_at": r.finished_at.isoformat() if r.finished_at else None,
                "sources": {
                    s.source: {
                        "outcome": s.outcome,
                        "reason": s.reason,
                        "calls": s.calls,
                        "results": s.results,
                        "new": s.new_exposures,
                        "unreached_terms": s.unreached_terms,
                    }
                    for s in r.sources
                },
                "problems": r.report.get("problems", []),
            }
            for r in runs
        ],
    }
    from jikimi.status_extras import extra_status  # late: optional sections added by later features

    extras = extra_status(store, settings)
    if purges_finished:
        extras.setdefault("notices", []).append(
            f"finished {purges_finished} interrupted case purge(s): their keys are destroyed"
        )
    if exports_finished:
        extras.setdefault("notices", []).append(
            f"finished {len(exports_finished)} interrupted export(s): their files are in place"
        )
    data.update(extras)
    audit(store, actor(), "status")
    if json_output:
        emit_json(data)
        return
    console = state.console
    console.print(f"database: {data['database']}")
    console.print(
        f"cases: {case_counts['open']} open, {case_counts['closed']} closed; targets: {len(targets)}"
    )
    console.print("exposures: " + (", ".join(f"{k} {v}" for k, v in exposure_totals.items()) or "none yet"))
    console.print("sources: " + ", ".join(f"{k} ({v})" for k, v in sources.items()))
    if not runs:
        console.print("no run yet: `jikimi run` runs a pass now")
    for run in runs:
        started = local_text(run.started_at, state.settings().timezone)
        table = Table(title=f"run {run.id} ({run.kind}) {run.status}, started {started}")
        for col in ("source", "outcome", "reason", "calls", "results", "new", "unreached"):
            table.add_column(col)
        for s in run.sources:
            table.add_row(
                s.source,
                s.outcome,
                s.reason or "",
                str(s.calls),
                str(s.results),
                str(s.new_exposures),
                f"{s.unreached_terms:,}",
            )
        console.print(table)
    if "cluster" in extras:
        _print_cluster(console, extras["cluster"])
    if "scheduler" in extras:
        from scheduler.health import summary_line

        console.print(summary_line(extras["scheduler"]))
    for line in extras.get("notices", []):
        console.print(f"notice: {line}")


def _print_cluster(console: Console, cluster: dict[str, Any]) -> None:
    for node in cluster["nodes"]:
        if node["reachable"]:
            console.print(
                f"node {node['node']}: reachable, {node['running']} running, {node['pending']} pending"
            )
        else:
            console.print(f"node {node['node']}: not answering")
    if not cluster["shards"]:
        return
    table = Table(title=f"run {cluster['run']}: shards")
    for col in ("shard", "stage", "status", "node", "tries", "finished"):
        table.add_column(col)
    notes: list[str] = []
    for shard in cluster["shards"]:
        node = (shard["node"] or "").removeprefix("http://").removeprefix("https://")
        table.add_row(
            str(shard["shard"]),
            shard["stage"],
            shard["status"],
            node,
            str(shard["attempts"]),
            (shard["finished_at"] or "")[11:19],
        )
        if shard["attempts"] > 1 or shard["status"] == "failed":
            # What moved a shard, in the ledger's words (ids and node URLs only).
            notes.extend(f"shard {shard['shard']} {shard['stage']}: {h[9:]}" for h in shard["history"])
    console.print(table)
    for note in notes:
        console.print(note)


def _totals(counts: dict[int, dict[str, int]]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for per_case in counts.values():
        for status, n in per_case.items():
            totals[status] = totals.get(status, 0) + n
    return totals
