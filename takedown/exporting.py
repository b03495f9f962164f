"""Exports for takedown teams: pure renderers (CSV / JSON Lines / HTML) and `export_exposures`.

Every format carries the same fields (`record_dict`); the matched term only when the advocate asked
for it. What a page wrote (titles, snippets, URLs) is data, never markup or a formula: CSV cells that
a spreadsheet would run are prefixed with `'`, HTML is autoescaped and links only http(s) URLs. The
renderers write only to the stream they are given.

`export_exposures` is the one function with I/O, and the single entry point for the CLI and the
nightly job (the place where an audit record of an export belongs). A delivery is never lost and
never sent twice, even when the process is killed: in one database transaction the rows are
selected, rendered into a temporary file in the target directory (fsynced), and the delivery is
recorded together with the intended name and the temporary file's path (the "placing" marker);
only after that commit is the file given its name (`os.link`, which never replaces an existing
file; a replace only with `--force`) and the marker cleared. A crash before the commit records
nothing (and leaves at most a hidden `.tmp`); a crash after it is finished by
`finish_pending_exports` (the next export, nightly pass or `jikimi status`): the temporary file is
placed, or if it is gone the recorded batch is written again.
"""

from __future__ import annotations

import csv
import json
import logging
import os
import re
import tempfile
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TextIO

from sqlalchemy.orm import Session

from storage import audit
from storage.database import Store
from storage.errors import NotFoundError, ValidationError
from storage.exports import (
    DEFAULT_RECIPIENT,
    EXPORT_FORMATS,
    ExportRow,
    PendingPlacement,
    aside_path,
    check_recipient,
    export_path,
    finish_placing,
    lock_new_exports,
    lock_placement,
    pending_placements,
    pending_temp_paths,
    record_export,
    select_for_export,
    withdraw_export,
)
from storage.models import utcnow
from storage.times import iso_local
from takedown.templating import html_environment, style_source

log = logging.getLogger(__name__)

FIELDS = (
    "id",
    "case",
    "url",
    "domain",
    "platform",
    "title",
    "snippet",
    "confidence",
    "sources",
    "first_seen",
    "last_seen",
    "status",
    "score",
    "tier",
    "reasons",
)
TERM_FIELD = "term"
# A case label is the advocate's words, often the person's name ("홍길동 사건"): `case` carries the id,
# the label travels only with the terms, on the same opt-in.
CASE_LABEL_FIELD = "case_label"
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
    timezone: str = "UTC"  # every time in the file is ISO 8601 in this zone, with its offset


def iso_utc(value: datetime) -> str:
    """ISO 8601 in UTC with its offset, to the second."""
    return iso_local(value, "UTC")


def fields(include_terms: bool) -> tuple[str, ...]:
    return FIELDS + (TERM_FIELD, CASE_LABEL_FIELD) if include_terms else FIELDS


def record_dict(row: ExportRow, include_terms: bool, timezone: str = "UTC") -> dict[str, object]:
    """The one schema every format carries; `term` and `case_label` exist only with `include_terms`."""
    out: dict[str, object] = {
        "id": row.id,
        "case": row.case_id,
        "url": row.url,
        "domain": row.domain,
        "platform": row.platform,
        "title": row.title,
        "snippet": row.snippet,
        "confidence": row.confidence,
        "sources": list(row.sources),
        "first_seen": iso_local(row.first_seen, timezone),
        "last_seen": iso_local(row.last_seen, timezone),
        "status": row.status,
        "score": None if row.score is None else round(row.score),
        "tier": row.tier,
        "reasons": list(row.reasons),
    }
    if include_terms:
        out[TERM_FIELD] = row.term
        out[CASE_LABEL_FIELD] = row.case
    return out


def neutralise_cell(value: str) -> str:
    """Prefix `'` to a cell a spreadsheet would evaluate (`=HYPERLINK(...)`, `+cmd`, `@SUM`...)."""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def _csv_cell(value: object, column: str = "") -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        # Reasons are sentences (they may hold commas): joined like sources, with a space for reading.
        value = ("; " if column == "reasons" else ";").join(str(v) for v in value)
    return neutralise_cell(str(value))


def write_csv(rows: Sequence[ExportRow], out: TextIO, meta: ExportMeta) -> None:
    """UTF-8 with a BOM (so Excel shows Korean), RFC 4180 quoting, `sources` joined with `;`."""
    out.write("\ufeff")
    columns = fields(meta.include_terms)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        record = record_dict(row, meta.include_terms, meta.timezone)
        writer.writerow([_csv_cell(record[c], c) for c in columns])


def jsonl_line(record: dict[str, object]) -> str:
    line = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
    for char, escaped in _LINE_BREAKERS.items():
        line = line.replace(char, escaped)
    return line + "\n"


def write_jsonl(rows: Sequence[ExportRow], out: TextIO, meta: ExportMeta) -> None:
    """One JSON object per line; nothing at all when there is nothing to export."""
    out.writelines(jsonl_line(record_dict(row, meta.include_terms, meta.timezone)) for row in rows)


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


@dataclass(frozen=True)
class TierGroup:
    name: str
    count: int
    platforms: tuple[PlatformGroup, ...]


TIER_ORDER = ("strong", "likely", "weak")


def _by_score(row: ExportRow) -> tuple[float, datetime, int]:
    return (-(row.score if row.score is not None else -1.0), row.first_seen, row.id)


def group_for_platforms(rows: Sequence[ExportRow], timezone: str = "UTC") -> list[PlatformGroup]:
    """Platform, then domain (both alphabetical), then the highest score (then the earliest seen) first."""
    by_platform: dict[str, dict[str, list[ExportRow]]] = {}
    for row in rows:
        by_platform.setdefault(row.platform, {}).setdefault(row.domain, []).append(row)
    groups: list[PlatformGroup] = []
    for platform in sorted(by_platform):
        domains = tuple(
            DomainGroup(
                name=domain,
                items=tuple(
                    ReportItem(
                        row=r,
                        href=safe_href(r.url),
                        first_seen=iso_local(r.first_seen, timezone),
                        last_seen=iso_local(r.last_seen, timezone),
                    )
                    for r in sorted(by_platform[platform][domain], key=_by_score)
                ),
            )
            for domain in sorted(by_platform[platform])
        )
        groups.append(PlatformGroup(platform, sum(len(d.items) for d in domains), domains))
    return groups


def group_for_report(rows: Sequence[ExportRow], timezone: str = "UTC") -> list[TierGroup]:
    """Tier first (strong, likely, weak: what to act on first), then platform and domain."""
    by_tier: dict[str, list[ExportRow]] = {}
    for row in rows:
        by_tier.setdefault(row.tier or "unscored", []).append(row)
    order = [t for t in TIER_ORDER if t in by_tier] + sorted(set(by_tier) - set(TIER_ORDER))
    return [TierGroup(t, len(by_tier[t]), tuple(group_for_platforms(by_tier[t], timezone))) for t in order]


EXPORT_TEMPLATE = "export.html.j2"
# The file's Content-Security-Policy allows its own style block by hash and no other style.
EXPORT_STYLE_SRC = style_source(EXPORT_TEMPLATE)


def write_html(rows: Sequence[ExportRow], out: TextIO, meta: ExportMeta) -> None:
    """A self-contained report: inline CSS, no scripts, no external resources."""
    # Autoescape is on for every template whatever its name: a page's title is text, never markup.
    template = html_environment().get_template(EXPORT_TEMPLATE)
    chunks = template.generate(
        style_src=EXPORT_STYLE_SRC,
        groups=group_for_report(rows, meta.timezone),
        total=len(rows),
        exported_at=iso_local(meta.exported_at, meta.timezone),
        timezone=meta.timezone,
        only_new=meta.only_new,
        include_terms=meta.include_terms,
        case_id=meta.case_id,
    )
    out.writelines(chunks)


Renderer = Callable[[Sequence[ExportRow], TextIO, ExportMeta], None]
# One renderer for each of storage.exports.EXPORT_FORMATS, the one list of formats (the CLI offers
# it); tests/test_one_of_each.py holds them together.
RENDERERS: dict[str, Renderer] = {"csv": write_csv, "jsonl": write_jsonl, "html": write_html}


def nightly_export_path(export_dir: Path, now: datetime, fmt: str) -> Path:
    """`<export_dir>/jikimi-new-2026-11-24-030000.csv`: dated in `now`'s own time zone.

    The time is part of the name so a catch-up run on the same day never replaces a file whose
    exposures are already recorded as delivered.
    """
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"format must be one of {', '.join(EXPORT_FORMATS)}")
    return Path(export_dir) / f"jikimi-new-{now:%Y-%m-%d-%H%M%S}.{fmt}"


# --- writing an export: the one function here with I/O ---


@dataclass(frozen=True)
class ExportResult:
    path: Path
    count: int
    export_id: int
    recipient: str = DEFAULT_RECIPIENT


def check_output(output: Path, *, overwrite: bool = False) -> Path:
    """The absolute target path, or a ValidationError naming the problem; touches nothing.

    An existing file is refused unless `overwrite` (`--force`): an export may be the only copy of
    what a takedown team was sent.
    """
    output = Path(output).expanduser()
    parent = output.parent if output.parent != Path("") else Path(".")
    if not parent.is_dir():
        raise ValidationError(f"output: directory {parent} does not exist")
    if output.is_dir():
        raise ValidationError(f"output: {output} is a directory")
    if not overwrite and (output.exists() or output.is_symlink()):
        raise ValidationError(f"output: {output} already exists (use --force to replace it)")
    return parent.resolve() / output.name


def export_exposures(
    store: Store,
    *,
    fmt: str,
    output: Path | str,
    only_new: bool = False,
    case_id: int | None = None,
    include_terms: bool = False,
    actor: str,
    now: datetime | None = None,
    overwrite: bool = False,
    unique: bool = False,
    recipient: str = DEFAULT_RECIPIENT,
    tiers: Collection[str] | None = None,
    batch: int | None = None,
    timezone: str = "UTC",
) -> ExportResult:
    """Write one export file and record what it delivered, all or nothing.

    `only_new` exports exactly the exposures no earlier only-new export delivered to `recipient`
    (never dismissed ones) and marks them delivered to it. `tiers` limits the selection (plus what an
    advocate kept); `batch` writes again exactly what that export delivered (recorded as a copy, it
    delivers nothing new). An existing file is never replaced unless `overwrite`; with `unique` a
    taken name gets a numbered sibling instead (the nightly feed). Bad input (format, case,
    directory, recipient) raises before anything is written or recorded.
    """
    if fmt not in EXPORT_FORMATS:
        raise ValidationError(f"format must be one of {', '.join(EXPORT_FORMATS)}")
    if batch is not None and only_new:
        raise ValidationError("a batch is written again as it was: it cannot also take only new exposures")
    recipient = check_recipient(recipient)
    target = check_output(Path(output), overwrite=overwrite or unique)
    render = RENDERERS[fmt]
    exported_at = now or utcnow()
    meta = ExportMeta(
        exported_at=exported_at,
        only_new=only_new,
        include_terms=include_terms,
        case_id=case_id,
        timezone=timezone,
    )
    # A delivery left half-placed by a crash is finished first, so its rows are in a file before
    # anything new goes out.
    finish_pending_exports(store, timezone=timezone)
    temp: Path | None = None
    committed = False
    try:
        with store.session() as session:
            if only_new:
                lock_new_exports(session)
            _sweep_orphans(target.parent, keep=pending_temp_paths(session, store.crypto))
            if batch is not None:
                recipient = _batch_recipient(session, batch, recipient)
            rows = select_for_export(
                session,
                store.crypto,
                case_id=case_id,
                only_new=only_new,
                include_terms=include_terms,
                recipient=recipient,
                tiers=tiers,
                batch=batch,
            )
            if not include_terms:
                rows = _masked(session, store, rows)
            # The whole file is written and fsynced before the delivery is recorded: once the
            # commit below has happened, the rows exist on disk and only need their name.
            temp = _write_temp(target, lambda out: render(rows, out, meta))
            export_id = record_export(
                session,
                store.crypto,
                fmt=fmt,
                only_new=only_new,
                case_id=case_id,
                include_terms=include_terms,
                path=target,
                exposure_ids=[r.id for r in rows],
                created_at=exported_at,
                recipient=recipient,
                rewrite_of=batch,
                placing=temp,
            )
            # Exports are audited actions (a bulk read of decrypted exposures), in the same transaction.
            audit.append(
                session,
                store.crypto,
                actor,
                "export",
                case_id=case_id,
                obj=("export", export_id),
                details={
                    "format": fmt,
                    "count": len(rows),
                    "only_new": only_new,
                    "include_terms": include_terms,
                    "recipient": recipient,
                    "batch": batch,
                },
            )
        committed = True
    except BaseException:
        if temp is not None and not committed:
            # Nothing was recorded: the temporary file is nobody's.
            temp.unlink(missing_ok=True)
        raise
    # The delivery is recorded together with its temporary file ("placing"): a crash from here on
    # is finished by finish_pending_exports, so the rows end up in exactly one file.
    _before_placing()
    placed = _place_recorded(
        store, export_id, timezone=timezone, overwrite=overwrite, unique=unique, withdraw=True
    )
    log.info(
        "export %d: %d exposures, format %s, only_new=%s, by %s", export_id, len(rows), fmt, only_new, actor
    )
    return ExportResult(path=placed, count=len(rows), export_id=export_id, recipient=recipient)


def _before_placing() -> None:
    """The moment between the commit that records a delivery and its file's final name.

    Does nothing; the crash tests replace it with a SIGKILL of the process to prove that window safe.
    """


def finish_pending_exports(store: Store, *, timezone: str = "UTC") -> list[Path]:
    """Put in place every recorded delivery whose file a crash left without its final name.

    Its temporary file is linked under the recorded name (or, if another file already holds that
    name, the next free `name-2.ext`: a recovery never replaces a file, not even for a `--force`
    export killed before its replace); if the temporary file is gone, the file is written again from the
    recorded batch. Returns the final paths. One that cannot be placed now (a missing directory, a
    full disk) is logged and stays pending for the next try: it never stops the export that follows.
    """
    with store.session() as session:
        pending = pending_placements(session)
    placed: list[Path] = []
    for export_id in pending:
        try:
            placed.append(_place_recorded(store, export_id, timezone=timezone, unique=True))
        except (OSError, ValidationError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc.__class__.__name__
            log.warning(
                "export %d: its file could not be put in place yet (%s); tried again later", export_id, reason
            )
            continue
        log.info("export %d: file of an interrupted export put in place", export_id)
    return placed


def _place_recorded(
    store: Store,
    export_id: int,
    *,
    timezone: str,
    overwrite: bool = False,
    unique: bool = False,
    withdraw: bool = False,
) -> Path:
    """Give a recorded export's file its final name and clear its "placing" marker, once.

    Runs under the export's lock, so the exporter and a recovery never both place it. The temporary
    file is removed only after the commit that clears the marker: until then a recovery can always
    tell (same inode) whether it was already linked. With `withdraw` (the exporter itself, asked for
    one exact name) a name that is taken takes the delivery back instead, as if it never happened.
    """
    with store.session() as session:
        pending = lock_placement(session, store.crypto, export_id)
        if pending is None:  # placed meanwhile by someone else
            path = export_path(session, store.crypto, export_id)
            if path is None:
                raise NotFoundError(f"no export batch with id {export_id}")
            return path
        temp = pending.temp
        _remove_if_exists(aside_path(temp))  # a replace interrupted half-way
        if not temp.exists():
            # The temporary file is gone (removed by hand): write the batch again, exactly its rows,
            # complete under the recorded temporary name, so a crash now is finished the same way.
            fresh = _write_temp(
                pending.target, lambda out: _render_pending(session, store, pending, timezone, out)
            )
            os.link(fresh, temp)
            fresh.unlink()
        failure: Exception | None = None
        final: Path | None = None
        try:
            final = _already_placed(temp, pending.target) or _place(
                temp, pending.target, overwrite=overwrite, unique=unique
            )
        except (ValidationError, OSError) as exc:
            if not withdraw:
                raise
            # The exporter itself could not name the file: the delivery is taken back, as if it had
            # never been made, and the same error is raised.
            _remove_if_exists(aside_path(temp))
            withdraw_export(session, export_id)
            failure = exc
        if final is not None:
            finish_placing(session, store.crypto, export_id, final)
    # Committed: the name is recorded and the temporary file is only a second link to the same file.
    temp.unlink(missing_ok=True)
    _fsync_directory(temp.parent)
    if failure is not None:
        raise failure
    assert final is not None
    return final


def _render_pending(
    session: Session, store: Store, pending: PendingPlacement, timezone: str, out: TextIO
) -> None:
    rows = select_for_export(session, store.crypto, include_terms=pending.include_terms, batch=pending.id)
    if not pending.include_terms:
        rows = _masked(session, store, rows)
    meta = ExportMeta(
        exported_at=pending.created_at,
        only_new=pending.only_new,
        include_terms=pending.include_terms,
        case_id=pending.case_id,
        timezone=timezone,
    )
    RENDERERS[pending.format](rows, out, meta)


def _batch_recipient(session: Session, batch: int, asked: str) -> str:
    """A batch written again keeps the recipient it was delivered to."""
    from storage.models import Export

    export = session.get(Export, batch)
    if export is None:
        raise NotFoundError(f"no export batch with id {batch}")
    return export.recipient if asked == DEFAULT_RECIPIENT else asked


def _masked(session: Session, store: Store, rows: Sequence[ExportRow]) -> list[ExportRow]:
    """Titles and snippets without the watch terms (names as the page wrote them, disguises too)."""
    from dataclasses import replace

    from storage.cases import terms_in_session
    from takedown.term_masking import TermMasker

    if not rows:
        return []
    masker = TermMasker(terms_in_session(session, store.crypto, sorted({r.case_id for r in rows})))
    return [replace(r, title=masker(r.title, r.case_id), snippet=masker(r.snippet, r.case_id)) for r in rows]


MAX_UNIQUE_TRIES = 1000


# `_write_temp`'s names: `.<final name>.<mkstemp's 8 characters>.tmp`.
_TEMP_NAME = re.compile(r"\..+\.[A-Za-z0-9_]{8}\.tmp")


def _sweep_orphans(directory: Path, keep: set[Path]) -> None:
    """Delete temporary export files no recorded delivery waits for: an export killed before its commit.

    Such a file holds decrypted rows that were never delivered (the next export delivers them), so it
    must not stay on disk. One a recorded delivery still needs is kept for `finish_pending_exports`; a
    live export's file deleted here by a race is written again from its recorded batch.
    """
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return
    for entry in entries:
        path = Path(entry.path)
        if not _TEMP_NAME.fullmatch(entry.name) or path in keep or not entry.is_file(follow_symlinks=False):
            continue
        try:
            path.unlink()
        except OSError as exc:
            log.warning("a leftover temporary export file could not be removed (%s)", exc.strerror)
            continue
        log.info("removed a temporary export file left by an interrupted export")


def _write_temp(target: Path, write: Callable[[TextIO], None]) -> Path:
    """Render into a private temporary file beside `target` and fsync it; returns its path."""
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        # mkstemp creates the file 0600: an export holds sensitive links and stays private.
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            write(out)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_directory(target.parent)
    return tmp


def _remove_if_exists(path: Path) -> None:
    path.unlink(missing_ok=True)


def _place(temp: Path, target: Path, *, overwrite: bool = False, unique: bool = False) -> Path:
    """Give the file at `temp` its final name, keeping `temp` as a second link; returns the name.

    Without `overwrite` the name is taken with `os.link`, which fails rather than replace a file
    that appeared meanwhile (another pass finishing in the same second); with `unique` the next free
    `name-2.ext`, `name-3.ext`... is used instead. With `overwrite` (`--force`) a second link is
    renamed over the target, so the replace is atomic and `temp` still shows what was placed.
    """
    if overwrite and not unique:
        aside = aside_path(temp)
        os.link(temp, aside)
        os.replace(aside, target)
        final = target
    else:
        final = _link_unique(temp, target, unique=unique)
    _fsync_directory(target.parent)
    return final


def _already_placed(temp: Path, target: Path) -> Path | None:
    """The name under which `temp` was already linked (a crash after the link), if any."""
    for attempt in range(1, MAX_UNIQUE_TRIES + 1):
        candidate = target if attempt == 1 else target.with_name(f"{target.stem}-{attempt}{target.suffix}")
        try:
            if os.path.samefile(temp, candidate):
                return candidate
        except FileNotFoundError:
            # Names are taken in order, so the first free one ends the search.
            return None
    return None


def _link_unique(tmp: Path, target: Path, *, unique: bool) -> Path:
    for attempt in range(1, MAX_UNIQUE_TRIES + 1):
        candidate = target if attempt == 1 else target.with_name(f"{target.stem}-{attempt}{target.suffix}")
        try:
            os.link(tmp, candidate)
        except FileExistsError:
            if not unique:
                raise ValidationError(
                    f"output: {target} already exists (use --force to replace it)"
                ) from None
            continue
        return candidate
    raise ValidationError(f"output: no free name next to {target}")


def _fsync_directory(directory: Path) -> None:
    """Make the rename itself durable (POSIX); some file systems refuse, which only costs durability."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
