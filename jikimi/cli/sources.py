"""`jikimi sources check`: is every search engine that is turned on answering with its keys?"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table
from rich.text import Text

from jikimi.cli.app_state import CliError, emit_json, state
from jikimi.first_run import search_notice
from scheduler.result import EXIT_DEGRADED, EXIT_OK
from storage.meta import set_many

if TYPE_CHECKING:
    from crawler.source_check import SourceCheck

sources_app = typer.Typer(help="Check the search engines jikimi is set up to use.", no_args_is_help=True)


def _keep_operator_probes(checks: list[SourceCheck]) -> str | None:
    """The OR-operator probe's answers, kept for the query plan (a deployment's fact, not a setting);
    a notice when there is no database to keep them in yet."""
    from crawler.source_check import OR_PROBE_KEY

    answers = {OR_PROBE_KEY.format(c.name): c.or_operator for c in checks if c.or_operator is not None}
    if not answers:
        return None
    try:
        store = state.store()
    except CliError:
        return "what the check found about `|` is kept once `jikimi init` has made the database"
    set_many(store, answers)
    return None


@sources_app.command("check")
def sources_check(
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Ask every search engine that is turned on for one page of results for a neutral test word (never a
    watch term), and say how it answered and what to fix. Engines that are off are listed with the reason.

    Exit code 0 when every engine that is on answered, 3 when one did not (or none is on), 2 when the
    configuration itself is wrong. Each engine turned on costs one call of its daily quota; Naver and
    Kakao one more, to see whether their API reads `|` as OR (kept in the database: the query plan joins
    a case's terms there only when it does; a `sources.<name>.or_operator` setting is not probed).
    """
    from crawler.source_check import check_all  # late: the crawler is only needed here

    settings = state.settings()
    checks = check_all(settings)
    kept = _keep_operator_probes(checks)
    notice = search_notice(settings)
    failed = any(not c.good for c in checks) or (notice is not None and "no search engine" in notice)
    code = EXIT_DEGRADED if failed else EXIT_OK
    if json_output:
        emit_json(
            {
                "config_file": str(settings.config_file) if settings.config_file else None,
                "sources": {
                    c.name: {"outcome": c.outcome, "detail": c.detail, "results": c.results} for c in checks
                },
                "notices": [n for n in (notice, kept) if n],
                "exit_code": code,
            }
        )
        raise typer.Exit(code)
    where = str(settings.config_file) if settings.config_file else "no config file (`jikimi init` writes one)"
    table = Table("source", "outcome", "what it means", title=f"search engines ({where})")
    for check in checks:
        style = "green" if check.outcome in ("ok", "empty") else ("dim" if check.good else "red")
        table.add_row(check.name, Text(check.outcome, style=style), Text(check.detail))
    state.console.print(table)
    for line in (notice, kept):
        if line:
            state.console.print(f"notice: {line}", markup=False)
    raise typer.Exit(code)
