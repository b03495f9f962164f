"""Export renderers: exposures in, CSV / JSON Lines / HTML out. Pure: they write only to the stream given.

Every format carries the same fields (`record_dict`); the matched term only when the advocate asked
for it. What a page wrote (titles, snippets, URLs) is data, never markup or a formula: CSV cells that
a spreadsheet would run are prefixed with `'`, HTML is autoescaped and links only http(s) URLs.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

import jinja2

from storage.exports import EXPORT_FORMATS, ExportRow

FIELDS = (
    "id", "case", "url", "domain", "platform", "title", "snippet", "confidence", "sources",
    "first_seen", "last_seen", "status",
)
TERM_FIELD = "term"
# Cells a spreadsheet would read as a formula (OWASP "CSV injection"), plus the full-width signs
# that East Asian input methods produce and some spreadsheets accept the same way.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")
_HTTP_URL = re.compile(r"https?://[^\s\x00-\x1f\x7f]+", re.IGNORECASE)
# Valid JSON that str.splitlines() and some JSON Lines readers would still split a line on.
_LINE_BREAKERS = {"\u0085": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"}


@dataclass(frozen=True)
class ExportMeta:
    """What an export is, for its header: when, and which selection."""

    exported_at: datetime
    only_new: bool = False
    include_terms: bool = False
    case_id: int | None = None


def iso_utc(value: datetime) -> str:
    """ISO 8601 in UTC with a `Z`, to the second."""
    return value.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def fields(include_terms: bool) -> tuple[str, ...]:
    return FIELDS + (TERM_FIELD,) if include_terms else FIELDS


def record_dict(row: ExportRow, include_terms: bool) -> dict[str, object]:
    """The one schema every format carries; `term` exists only with `include_terms`."""
    out: dict[str, object] = {
        "id": row.id,
        "case": row.case,
        "url": row.url,
        "domain": row.domain,
        "platform": row.platform,
        "title": row.title,
        "snippet": row.snippet,
        "confidence": row.confidence,
        "sources": list(row.sources),
        "first_seen": iso_utc(row.first_seen),
        "last_seen": iso_utc(row.last_seen),
        "status": row.status,
    }
    if include_terms:
        out[TERM_FIELD] = row.term
    return out


def neutralise_cell(value: str) -> str:
    """Prefix `'` to a cell a spreadsheet would evaluate (`=HYPERLINK(...)`, `+cmd`, `@SUM`...)."""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def _csv_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        value = ";".join(str(v) for v in value)
    return neutralise_cell(str(value))


def write_csv(rows: Sequence[ExportRow], out: TextIO, meta: ExportMeta) -> None:
    """UTF-8 with a BOM (so Excel shows Korean), RFC 4180 quoting, `sources` joined with `;`."""
    out.write("\ufeff")
    columns = fields(meta.include_terms)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        record = record_dict(row, meta.include_terms)
        writer.writerow([_csv_cell(record[c]) for c in columns])


def jsonl_line(record: dict[str, object]) -> str:
    line = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
    for char, escaped in _LINE_BREAKERS.items():
        line = line.replace(char, escaped)
    return line + "\n"


def write_jsonl(rows: Sequence[ExportRow], out: TextIO, meta: ExportMeta) -> None:
    """One JSON object per line; nothing at all when there is nothing to export."""
    out.writelines(jsonl_line(record_dict(row, meta.include_terms)) for row in rows)


def safe_href(url: str) -> str | None:
    """The URL itself when it is a plain http(s) URL, else None: never a `javascript:` link."""
    return url if _HTTP_URL.fullmatch(url) else None


@dataclass(frozen=True)
class ReportItem:
    row: ExportRow
    href: str | None
    first_seen: str
    last_seen: str


@dataclass(frozen=True)
class DomainGroup:
    name: str
    items: tuple[ReportItem, ...]


@dataclass(frozen=True)
class PlatformGroup:
    name: str
    count: int
    domains: tuple[DomainGroup, ...]


def group_for_report(rows: Sequence[ExportRow]) -> list[PlatformGroup]:
    """Platform, then domain (both alphabetical), then the earliest-seen exposure first."""
    by_platform: dict[str, dict[str, list[ExportRow]]] = {}
    for row in rows:
        by_platform.setdefault(row.platform, {}).setdefault(row.domain, []).append(row)
    groups: list[PlatformGroup] = []
    for platform in sorted(by_platform):
        domains = tuple(
            DomainGroup(
                name=domain,
                items=tuple(
                    ReportItem(row=r, href=safe_href(r.url), first_seen=iso_utc(r.first_seen),
                               last_seen=iso_utc(r.last_seen))
                    for r in sorted(by_platform[platform][domain], key=lambda r: (r.first_seen, r.id))
                ),
            )
            for domain in sorted(by_platform[platform])
        )
        groups.append(PlatformGroup(platform, sum(len(d.items) for d in domains), domains))
    return groups


def _environment() -> jinja2.Environment:
    # Autoescape is on for every template whatever its name: a page's title is text, never markup.
    return jinja2.Environment(
        loader=jinja2.PackageLoader("jikimi", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


_ENV = _environment()


def write_html(rows: Sequence[ExportRow], out: TextIO, meta: ExportMeta) -> None:
    """A self-contained report: inline CSS, no scripts, no external resources."""
    template = _ENV.get_template("report.html.j2")
    chunks = template.generate(
        groups=group_for_report(rows),
        total=len(rows),
        exported_at=iso_utc(meta.exported_at),
        only_new=meta.only_new,
        include_terms=meta.include_terms,
        case_id=meta.case_id,
    )
    out.writelines(chunks)


Renderer = Callable[[Sequence[ExportRow], TextIO, ExportMeta], None]
RENDERERS: dict[str, Renderer] = {"csv": write_csv, "jsonl": write_jsonl, "html": write_html}


def nightly_export_path(export_dir: Path, now: datetime, fmt: str) -> Path:
    """`<export_dir>/jikimi-new-2026-11-24-030000.csv`: dated in `now`'s own time zone.

    The time is part of the name so a catch-up run on the same day never replaces a file whose
    exposures are already recorded as delivered.
    """
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"format must be one of {', '.join(EXPORT_FORMATS)}")
    return Path(export_dir) / f"jikimi-new-{now:%Y-%m-%d-%H%M%S}.{fmt}"
