"""`jikimi match`: find watch terms, even disguised, in text read from standard input.

A thin shell over `matching.Matcher`: it parses options, reads stdin, prints matches. Register it with
`app.command("match")(match_command)`.
"""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from matching import Match, Matcher, TermSpec, TermSpecError

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


def match_command(
    term: Annotated[
        list[str] | None,
        typer.Option(
            "--term",
            help="Watch term; repeat for several. Prefix with name:, alias:, handle: or keyword: "
            "(default name).",
        ),
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
    """Find the watch terms, even disguised, in text read from standard input."""
    if not term:
        raise _fail("at least one --term is required")
    try:
        specs = parse_terms(term, context or [], exclude or [])
        matcher = Matcher.build(specs)
    except (TermOptionError, TermSpecError) as error:
        raise _fail(str(error)) from None
    text = sys.stdin.read()
    if not text.strip():
        raise _fail("no text on standard input")
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
