"""Reading watch terms from a file: a spreadsheet's CSV export or a plain list, one term a line.

Pure parsing (bytes in, `NewTerm`s out); `jikimi term import` and `jikimi term add -` register the result
in one transaction. Errors name the line, never the term.

CSV: the first row is a header naming the columns `term` (required), `kind`, `context`, `exclude`, in any
order. Several context or exclude words share one cell, separated by `;`. A file whose first line is not
such a header is a plain list: every non-blank line is one term.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from storage.cases import NewTerm

COLUMNS = ("term", "kind", "context", "exclude")
WORD_SEPARATOR = ";"


class TermFileError(ValueError):
    """The file cannot be read as terms; the message names the line and the fix."""


def decode(data: bytes) -> str:
    """UTF-8 (with or without Excel's BOM), else CP949, which Korean Excel uses for "CSV"."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp949")
    except UnicodeDecodeError:
        raise TermFileError("the file is not text: save it from the spreadsheet as CSV (UTF-8)") from None


def _words(cell: str) -> tuple[str, ...]:
    return tuple(w.strip() for w in cell.split(WORD_SEPARATOR) if w.strip())


def _header(row: Sequence[str]) -> list[str] | None:
    names = [c.strip().lower() for c in row]
    if "term" not in names:
        return None
    for position, name in enumerate(names, start=1):
        if name not in COLUMNS:
            raise TermFileError(
                f"line 1: unknown column {position}"
                f" (the columns are {', '.join(COLUMNS)}; remove or rename it)"
            )
    return names


def parse_lines(
    text: str, kind: str = "name", context: Sequence[str] = (), exclude: Sequence[str] = ()
) -> list[NewTerm]:
    """One term per non-blank line, all with the same kind, context and exclude words."""
    return [
        NewTerm(line.strip(), kind, tuple(context), tuple(exclude), number)
        for number, line in enumerate(text.splitlines(), start=1)
        if line.strip()
    ]


def parse_terms(text: str, default_kind: str = "name") -> list[NewTerm]:
    """Terms from a CSV with a header (see module docstring) or from a plain list."""
    first = text.lstrip("\ufeff").splitlines()[0] if text.strip() else ""
    try:
        header = _header(next(csv.reader([first]))) if first else None
    except csv.Error:
        header = None
    if header is None:
        return parse_lines(text, default_kind)
    reader = csv.reader(io.StringIO(text))
    next(reader)
    out: list[NewTerm] = []
    try:
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) > len(header):
                raise TermFileError(f"line {line}: more cells than the header has columns")
            cells = dict(zip(header, row, strict=False))
            kind = cells.get("kind", "").strip().lower() or default_kind
            out.append(
                NewTerm(
                    cells.get("term", "").strip(),
                    kind,
                    _words(cells.get("context", "")),
                    _words(cells.get("exclude", "")),
                    line,
                )
            )
    except csv.Error as exc:
        raise TermFileError(f"line {reader.line_num}: not valid CSV ({exc})") from None
    return out
