"""`jikimi match`: find watch terms, even disguised, in text read from standard input.

A thin shell over `matching.Matcher`: it parses options, reads stdin, prints matches. Registered in
`jikimi/cli/__init__.py` with every other command. Terms come from --terms-file or stdin (`--term -`) so a
name need not appear in the process list or the shell history; `--term NAME` stays for quick trials.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from matching import Match, Matcher, TermSpec, TermSpecError
from matching.breadth import TermRejectedError, breadth_problem

KINDS = ("name", "alias", "handle", "keyword")
CASE_ID = 1


class TermOptionError(ValueError):
    """A --term value cannot be used (the message names the option's position, never the term)."""


def parse_terms(values: list[str], context: list[str], exclude: list[str]) -> list[TermSpec]:
    """One spec per --term; an optional `KIND:` prefix (name, alias, handle, keyword) sets the kind."""
    specs: list[TermSpec] = []
    for position, value in enumerate(values, start=1):
        kind, text = "name", value
        head, colon, rest = value.partition(":")
        if colon and head.isascii() and head.isalpha():
            if head.lower() not in KINDS:
                raise TermOptionError(
                    f"--term #{position}: unknown kind '{head}' (expected one of {', '.join(KINDS)})"
                )
            kind, text = head.lower(), rest
        if not text.strip():
            raise TermOptionError(f"--term #{position} is empty")
        specs.append(
            TermSpec(CASE_ID, position, text.strip(), kind, context=tuple(context), exclude=tuple(exclude))
        )
    return specs


def match_to_json(match: Match) -> dict[str, object]:
    return {
        "term": match.term,
        "kind": match.kind,
        "variant": match.variant,
        "start": match.start,
        "end": match.end,
        "confidence": match.confidence,
        "level": match.level,
        "text": match.text,
        "reasons": list(match.reasons),
    }


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(2)


def _read(path: Path, what: str) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise _fail(f"no file {path}: give the path of the {what}") from None
    except (OSError, UnicodeDecodeError):
        raise _fail(f"cannot read {path} as text: save the {what} as UTF-8 text") from None


def term_lines(text: str) -> list[str]:
    """One term per non-blank line (an optional `KIND:` prefix as with --term)."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def _collect_terms(term: list[str], terms_file: Path | None) -> tuple[list[str], bool]:
    """The terms from --term, --term - (stdin) and --terms-file; and whether stdin was used for them."""
    values = [t for t in term if t != "-"]
    from_stdin = len(values) != len(term)
    if from_stdin:
        values += term_lines(sys.stdin.read())
    if terms_file is not None:
        values += term_lines(_read(terms_file, "terms file (one term per line)"))
    return values, from_stdin


def breadth_notes(specs: list[TermSpec]) -> list[str]:
    """Which terms `jikimi term add` would refuse as too broad, and why (never the term itself)."""
    notes: list[str] = []
    for spec in specs:
        try:
            problem = breadth_problem(spec.text, spec.kind)
        except TermRejectedError as error:
            problem = str(error)
        if problem:
            notes.append(f"note: term #{spec.term_id} would need --broad to be registered: {problem}")
    return notes


def match_command(
    term: Annotated[
        list[str] | None,
        typer.Option(
            "--term",
            help="Watch term; repeat for several. Prefix with name:, alias:, handle: or keyword: "
            "(default name). '-' reads the terms from standard input, one per line (then give the text "
            "with --input).",
        ),
    ] = None,
    terms_file: Annotated[
        Path | None,
        typer.Option(
            "--terms-file",
            help="Read the watch terms from this file, one per line (keeps names out of the process list "
            "and shell history).",
        ),
    ] = None,
    input_file: Annotated[
        Path | None,
        typer.Option("--input", help="Read the text from this file instead of standard input."),
    ] = None,
    context: Annotated[
        list[str] | None,
        typer.Option(
            "--context", help="Context word that counts as a second signal for weak variants; repeatable."
        ),
    ] = None,
    exclude: Annotated[
        list[str] | None,
        typer.Option("--exclude", help="Word that cancels the terms' matches when present; repeatable."),
    ] = None,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print a JSON array instead of a table.")
    ] = False,
) -> None:
    """Find the watch terms, even disguised, in text read from standard input (or --input FILE).

    Also says which terms `jikimi term add` would refuse as too short or too common: try a term here to see
    how noisy it is before registering it.
    """
    values, terms_from_stdin = _collect_terms(term or [], terms_file)
    if terms_from_stdin and input_file is None:
        raise _fail("--term - reads the terms from standard input, so give the text with --input FILE")
    if not values:
        raise _fail("no term given: use --terms-file FILE (one term per line) or --term")
    try:
        specs = parse_terms(values, context or [], exclude or [])
        matcher = Matcher.build(specs)
    except (TermOptionError, TermSpecError) as error:
        raise _fail(str(error)) from None
    text = _read(input_file, "text") if input_file is not None else sys.stdin.read()
    if not text.strip():
        raise _fail("no text on standard input: pipe it in (< page.txt) or give --input FILE")
    for note in breadth_notes(specs):
        typer.echo(note, err=True)
    matches = matcher.scan(text)
    if json_output:
        typer.echo(json.dumps([match_to_json(m) for m in matches], ensure_ascii=False))
        return
    if not matches:
        return
    table = Table("term", "kind", "variant", "span", "confidence", "level", "text")
    for match in matches:
        table.add_row(
            match.term,
            match.kind,
            match.variant,
            f"{match.start}-{match.end}",
            f"{match.confidence:.2f}",
            match.level,
            " ".join(match.text.split()),
        )
    Console(width=160).print(table)
