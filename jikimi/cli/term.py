"""`jikimi term ...`: register, import, list and remove the watch terms of a case."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from jikimi.cli.app_state import CliError, JsonOpt, actor, emit_json, state
from jikimi.term_file import TermFileError, decode, parse_lines, parse_terms
from storage.audit import record as audit  # audit trail: every read of decrypted data and every change
from storage.cases import NewTerm, TermView, add_terms, list_terms, remove_term
from storage.errors import TermTooBroadError

term_app = typer.Typer(help="Register the watch terms of a case.", no_args_is_help=True)


class TermKind(StrEnum):
    name = "name"
    alias = "alias"
    handle = "handle"
    keyword = "keyword"


def term_dict(term: TermView) -> dict[str, object]:
    return {
        "id": term.id,
        "case_id": term.case_id,
        "kind": term.kind,
        "term": term.text,
        "context": list(term.context),
        "exclude": list(term.exclude),
        "active": term.active,
        "created_at": term.created_at.isoformat(),
    }


def print_terms(terms: list[TermView]) -> None:
    table = Table("id", "kind", "term", "context", "exclude", "active")
    for t in terms:
        table.add_row(
            str(t.id), t.kind, t.text, ", ".join(t.context), ", ".join(t.exclude), "yes" if t.active else "no"
        )
    state.console.print(table)


BroadOpt = Annotated[
    bool,
    typer.Option(
        "--broad", help="Register a term even though it is short or a common word (it will match a lot)."
    ),
]


def _register(case_id: int, terms: list[NewTerm], broad: bool) -> list[int]:
    """All the terms or none; a too-broad term's message says how to register it anyway."""
    if not terms:
        raise CliError("no term given: write one term per line")
    try:
        ids = add_terms(state.store(), case_id, terms, broad=broad)
    except TermTooBroadError as exc:
        raise CliError(f"{exc} (to watch it anyway, add --broad)") from None
    for term_id, new in zip(ids, terms, strict=True):
        audit(
            state.store(),
            actor(),
            "term.add",
            case_id=case_id,
            obj=("term", term_id),
            details={"kind": new.kind, "broad": broad},
        )
    return ids


def _stdin_text() -> str:
    data = sys.stdin.buffer.read() if hasattr(sys.stdin, "buffer") else sys.stdin.read().encode("utf-8")
    try:
        return decode(data)
    except TermFileError as exc:
        raise CliError(str(exc)) from None


@term_app.command("add")
def term_add(
    case_id: Annotated[int, typer.Argument(help="Case id.")],
    term: Annotated[
        str,
        typer.Argument(
            help="The term; '-' reads terms from stdin, one per line, all registered or none "
            "(keeps them out of shell history)."
        ),
    ],
    kind: Annotated[TermKind, typer.Option("--kind", help="What the term is.")] = TermKind.name,
    context: Annotated[
        list[str] | None,
        typer.Option("--context", help="A word that, nearby, makes a weak match count. Repeats."),
    ] = None,
    exclude: Annotated[
        list[str] | None,
        typer.Option("--exclude", help="A word that cancels a match (a namesake's job). Repeats."),
    ] = None,
    broad: BroadOpt = False,
    json_output: JsonOpt = False,
) -> None:
    """Register a watch term on a case; prints its id (one id per line when several are read from stdin)."""
    if term == "-":
        terms = parse_lines(_stdin_text(), kind.value, context or [], exclude or [])
        if not terms:
            raise CliError("no term on standard input: write the term, then press Enter and Ctrl-D")
    else:
        if not term.strip():
            raise CliError("term must not be empty")
        terms = [NewTerm(term, kind.value, tuple(context or ()), tuple(exclude or ()))]
    ids = _register(case_id, terms, broad)
    if json_output:
        emit_json({"id": ids[0]} if len(ids) == 1 else {"ids": ids})
    else:
        print("\n".join(str(i) for i in ids))


@term_app.command("import")
def term_import(
    case_id: Annotated[int, typer.Argument(help="Case id.")],
    file: Annotated[
        str,
        typer.Argument(
            help="A CSV with the header term,kind,context,exclude (several words in a cell separated "
            "by ';'), or one term per line; '-' reads standard input."
        ),
    ],
    broad: BroadOpt = False,
    json_output: JsonOpt = False,
) -> None:
    """Register many terms at once from a spreadsheet: all of them, or none when one line is bad."""
    if file == "-":
        text = _stdin_text()
    else:
        path = Path(file)
        if not path.is_file():
            raise CliError(f"no file {file}: give the path of the CSV or text file")
        try:
            text = decode(path.read_bytes())
        except TermFileError as exc:
            raise CliError(str(exc)) from None
        except OSError as exc:
            raise CliError(f"cannot read {file}: {exc.strerror}") from None
    try:
        terms = parse_terms(text)
    except TermFileError as exc:
        raise CliError(str(exc)) from None
    if not terms:
        raise CliError("the file has no terms: write one term per line, or a CSV with a 'term' column")
    ids = _register(case_id, terms, broad)
    if json_output:
        emit_json({"case_id": case_id, "ids": ids})
    else:
        print(f"{len(ids)} term(s) registered on case {case_id}: ids {ids[0]}-{ids[-1]}")


@term_app.command("list")
def term_list(case_id: Annotated[int, typer.Argument(help="Case id.")], json_output: JsonOpt = False) -> None:
    """List the terms of a case (decrypted for you)."""
    terms = list_terms(state.store(), case_id)
    audit(state.store(), actor(), "term.list", case_id=case_id, details={"count": len(terms)})
    if json_output:
        emit_json([term_dict(t) for t in terms])
    else:
        print_terms(terms)


@term_app.command("remove")
def term_remove(term_id: Annotated[int, typer.Argument(help="Term id.")]) -> None:
    """Remove a term; exposures already found through it stay."""
    case_id = remove_term(state.store(), term_id)
    audit(state.store(), actor(), "term.remove", case_id=case_id, obj=("term", term_id))
    print(f"term {term_id} removed")
