"""`jikimi run`: one pass now, exactly the nightly code path, with progress and a closing summary."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn
from rich.table import Table

from jikimi.cli.app_state import CliError, actor, emit_json, state
from jikimi.config import Settings
from jikimi.first_run import search_notice
from scheduler.lock import PassLockedError
from scheduler.nightly import STAGES, run_nightly
from scheduler.result import NightlyResult
from storage.cases import list_cases
from storage.database import Store
from storage.runs import recent_runs

WaitOpt = Annotated[
    bool,
    typer.Option("--wait", help="If another pass is running, wait for it to end, then run (default: stop)."),
]


def pass_locked(store: Store) -> CliError:
    """The one line a second pass prints: what is running, and the two ways on."""
    running = next((r for r in recent_runs(store, limit=5) if r.status == "running"), None)
    which = f" (run {running.id}, {running.kind})" if running else ""
    return CliError(
        f"another pass is already running on this database{which}: let it finish, "
        "or add --wait to start this one when it ends"
    )


def waiting_notice() -> None:
    state.console.print("another pass is running: waiting for it to end (Ctrl-C stops waiting)")


class Stage(StrEnum):
    search = "search"
    pages = "pages"
    recheck = "recheck"


class _Bars:
    """Draws one bar per source from the crawl's JSON progress lines."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.tasks: dict[str, TaskID] = {}

    def __call__(self, event: dict[str, object]) -> None:
        source = str(event.get("source", "?"))
        kind = event.get("event")
        if kind == "plan":
            total = int(str(event.get("total", 0)))
            self.tasks[source] = self.progress.add_task(source, total=max(total, 1))
        elif kind == "progress" and source in self.tasks:
            self.progress.update(self.tasks[source], completed=int(str(event.get("done", 0))))
        elif kind == "source_done" and source in self.tasks:
            task = self.tasks[source]
            task_total = self.progress.tasks[task].total or 1
            self.progress.update(task, completed=task_total, description=f"{source} ({event.get('outcome')})")


def run_command(
    stage: Annotated[
        list[Stage] | None, typer.Option("--stage", help="Only these stages (default: all). Repeats.")
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    wait: WaitOpt = False,
) -> None:
    """Run one pass now (search engines, watched pages and channels, removal checks, export, notify).

    One pass at a time per database: while another pass (manual or scheduled) runs, this one stops with
    exit code 2, or with --wait starts when the other ends. Exit code 0 when every source ended ok or
    empty, 3 when the pass completed but some source was over quota, blocked, refused our key,
    unreachable or failed, 1 when jikimi itself failed.
    """
    settings = state.settings()
    store = state.store()
    stages = [s.value for s in stage] if stage else list(STAGES)
    try:
        result = _run(settings, store, stages, json_output, wait)
    except PassLockedError:
        raise pass_locked(store) from None
    # Case ids only: a label is the advocate's words, often the person's name, and this output is a log.
    case_ids = [c.id for c in list_cases(store)]
    notice = search_notice(settings) if "search" in stages else None
    if json_output:
        emit_json({**_summary(result), "notices": [notice] if notice else []})
    else:
        _print_summary(result, case_ids)
        if notice:
            state.console.print(f"notice: {notice}", markup=False)
    raise typer.Exit(result.exit_code)


def _run(settings: Settings, store: Store, stages: list[str], json_output: bool, wait: bool) -> NightlyResult:
    if json_output:
        return run_nightly(
            settings,
            store,
            actor=actor(),
            kind="manual",
            stages=stages,
            verbose=state.verbose,
            wait=wait,
            on_wait=lambda: None,
        )
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=state.console,
        transient=False,
    ) as progress:
        return run_nightly(
            settings,
            store,
            actor=actor(),
            kind="manual",
            stages=stages,
            on_event=_Bars(progress),
            verbose=state.verbose,
            wait=wait,
            on_wait=waiting_notice,
        )


def _summary(result: NightlyResult) -> dict[str, object]:
    return {
        "run_ids": result.run_ids,
        "exit_code": result.exit_code,
        "sources": {
            s: {
                "outcome": o,
                "reason": result.reasons.get(s),
                "unreached_terms": result.unreached_terms.get(s, 0),
            }
            for s, o in result.outcomes.items()
        },
        "new_by_case": {str(cid): {"new": n} for cid, n in result.new_by_case.items()},
        "problems": result.problems,
        "export": {"path": result.export_path, "count": result.exported} if result.export_path else None,
    }


def _print_summary(result: NightlyResult, case_ids: list[int]) -> None:
    console = state.console
    sources = Table(
        "source", "outcome", "terms not reached", "reason", title=f"run {result.run_ids[0]}: sources"
    )
    for source, outcome in sorted(result.outcomes.items()):
        unreached = result.unreached_terms.get(source, 0)
        style = "green" if outcome in ("ok", "empty") and not unreached else "red"
        sources.add_row(
            source, f"[{style}]{outcome}[/{style}]", f"{unreached:,}", result.reasons.get(source, "")
        )
    console.print(sources)
    cases = Table("case", "new exposures", title="new exposures per case")
    for case_id in sorted(case_ids):
        cases.add_row(f"#{case_id}", str(result.new_by_case.get(case_id, 0)))
    console.print(cases)
    if not result.outcomes:
        console.print("no source ran: enable one under [sources.<name>] in the config")
    if result.export_path:
        console.print(f"export: {result.exported} new exposure(s) written to {result.export_path}")
    for problem in result.problems:
        console.print(f"[red]problem:[/red] {problem}")
