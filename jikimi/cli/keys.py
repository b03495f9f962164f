"""`jikimi keys status` and `jikimi keys rotate`."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from jikimi.cli.app_state import CliError, actor, emit_json, state
from storage.audit import record
from storage.errors import RotationError
from storage.keys_rotation import DEFAULT_BATCH, key_status, rotate

keys_app = typer.Typer(help="The key file: fingerprints of the keys, and key rotation.", no_args_is_help=True)


@keys_app.command("status")
def keys_status(json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Fingerprints of the keys (never the keys), primary first, and whether a rotation is pending."""
    store = state.store()
    info = key_status(store)
    record(store, actor(), "keys.status")
    if json_output:
        emit_json(info)
        return
    console = state.console
    console.print(f"keys from: {info['source']}")
    for family in ("data", "index", "audit"):
        prints = info[family]
        console.print(
            f"{family}: "
            + (", ".join(prints) if prints else "none")
            + (" (first is primary)" if len(prints) > 1 else "")
        )
    console.print(f"case keys: {len(info['cases'])} bound to a case, {info['unbound_case_keys']} unbound")
    for case_id, prints in info["cases"].items():
        console.print(f"  case {case_id}: {', '.join(prints)}")
    if info["cases_without_key"]:
        console.print(
            "cases whose key is missing (unreadable): " + ", ".join(map(str, info["cases_without_key"]))
        )
    if info["rotation_pending"]:
        console.print(
            f"rotation pending (phase {info['rotation_pending']}): run `jikimi keys rotate --resume`"
        )
    else:
        console.print(f"last rotation: {info['last_rotation'] or 'never'}")


@keys_app.command("rotate")
def keys_rotate(
    resume: Annotated[
        bool, typer.Option("--resume", help="Only finish a rotation that stopped; start none.")
    ] = False,
    batch_size: Annotated[
        int,
        typer.Option("--batch-size", min=1, help="Rows per transaction (each batch is saved as it goes)."),
    ] = DEFAULT_BATCH,
    force: Annotated[
        bool, typer.Option("--force", help="Rotate even though a crawl is recorded as running.")
    ] = False,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """New keys for everything, every stored value re-encrypted, then the old keys removed from the key file.

    Safe to interrupt: run it again (or with --resume) to finish. Stop the scheduler first.
    """
    store = state.store()

    def progress(phase: str, batches: int) -> None:
        if state.verbose:
            sys.stderr.write(f"rotation: {phase}, batch {batches}\n")

    try:
        report = rotate(
            store, actor(), resume_only=resume, batch_size=batch_size, force=force, after_batch=progress
        )
    except RotationError as exc:
        raise CliError(str(exc)) from None
    if json_output:
        emit_json(
            {
                "resumed": report.resumed,
                "rows": report.rows,
                "audit_records": report.audit_records,
                "rounds": report.rounds,
                "new_keys": report.fingerprints,
            }
        )
        return
    total = sum(report.rows.values())
    verb = "resumed and finished" if report.resumed else "finished"
    print(
        f"key rotation {verb}: {total} rows re-encrypted, {report.audit_records} audit records re-signed; "
        f"old keys retired (new data key {report.fingerprints.get('data')})"
    )
