"""Writing an export: select, render to a temporary file, put it in place, then record it.

The file and its record succeed or fail together. The rows are selected and the export recorded in
one database transaction; the file is rendered into a temporary file in the target directory,
fsynced and renamed onto the target (`os.replace`, atomic on POSIX) before that transaction commits.
Any failure before the commit removes the temporary file and records nothing; a failed commit also
removes the file it just put in place, so the exposures go out again next time rather than never.

`export_exposures` is the single entry point for the CLI and the nightly job: the place where an
audit record of the export belongs.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TextIO

from jikimi.exporting import RENDERERS, ExportMeta
from storage.cases import ValidationError
from storage.database import Store
from storage.exports import EXPORT_FORMATS, lock_new_exports, record_export, select_for_export
from storage.models import utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ExportResult:
    path: Path
    count: int
    export_id: int


def check_output(output: Path, *, overwrite: bool = True) -> Path:
    """The absolute target path, or a ValidationError naming the problem; touches nothing."""
    output = Path(output).expanduser()
    parent = output.parent if output.parent != Path("") else Path(".")
    if not parent.is_dir():
        raise ValidationError(f"output: directory {parent} does not exist")
    if output.is_dir():
        raise ValidationError(f"output: {output} is a directory")
    if not overwrite and output.exists():
        raise ValidationError(f"output: {output} already exists")
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
    overwrite: bool = True,
) -> ExportResult:
    """Write one export file and record what it delivered, all or nothing.

    `only_new` exports exactly the exposures no earlier only-new export delivered (never dismissed
    ones) and marks them delivered. Bad input (format, case, directory) raises before anything is
    written or recorded.
    """
    if fmt not in EXPORT_FORMATS:
        raise ValidationError(f"format must be one of {', '.join(EXPORT_FORMATS)}")
    target = check_output(Path(output), overwrite=overwrite)
    render = RENDERERS[fmt]
    exported_at = now or utcnow()
    meta = ExportMeta(
        exported_at=exported_at, only_new=only_new, include_terms=include_terms, case_id=case_id
    )
    placed = False
    try:
        with store.session() as session:
            if only_new:
                lock_new_exports(session)
            rows = select_for_export(
                session, store.crypto, case_id=case_id, only_new=only_new, include_terms=include_terms
            )
            # Recorded before the file is written: a conflicting concurrent delivery fails here,
            # before there is any file to clean up.
            export_id = record_export(
                session, store.crypto, fmt=fmt, only_new=only_new, case_id=case_id,
                include_terms=include_terms, path=target, exposure_ids=[r.id for r in rows],
                created_at=exported_at,
            )
            _write_atomically(target, lambda out: render(rows, out, meta))
            placed = True
    except BaseException:
        if placed:
            # The commit failed after the file was put in place: without its record the file
            # would be delivered again next time, so take it back.
            target.unlink(missing_ok=True)
        raise
    log.info(
        "export %d: %d exposures, format %s, only_new=%s, by %s", export_id, len(rows), fmt, only_new, actor
    )
    return ExportResult(path=target, count=len(rows), export_id=export_id)


def _write_atomically(target: Path, write: Callable[[TextIO], None]) -> None:
    """Render into a private temporary file beside `target`, fsync it, then rename it onto `target`."""
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        # mkstemp creates the file 0600: an export holds sensitive links and stays private.
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            write(out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_directory(target.parent)


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
