"""`jikimi init`: data directory, key file, database and a commented config file."""

from __future__ import annotations

import os
from pathlib import Path

from jikimi.cli.app_state import CliError, state
from jikimi.config import CONFIG_FILE_NAME
from jikimi.config_template import INITIAL_CONFIG
from jikimi.first_run import search_notice
from storage.audit import ensure_audit_key  # audit trail
from storage.database import open_store
from storage.errors import KeyringError
from storage.keyring import create_keyring_file, load_keyring


def write_initial_config(path: Path) -> Path:
    """The commented first-run configuration, 0600, never over an existing file."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path
    except OSError as exc:
        raise CliError(f"cannot write {path}: {exc.strerror}") from None
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(INITIAL_CONFIG)
    return path


def init_command() -> None:
    """Create the data directory, the key file (0600), the database and, on a first run (no key file, no
    config file, no JIKIMI_ settings in the environment), a commented config.toml with every search engine
    off until its keys are filled in; or migrate an existing set-up."""
    settings = state.settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    created_key = False
    env_keys = os.environ.get("JIKIMI_KEYRING")
    if env_keys:
        keyring = load_keyring(settings.key_file, env_keys)
    elif settings.key_file.exists():
        keyring = load_keyring(settings.key_file)
    else:
        keyring = create_keyring_file(settings.key_file)
        created_key = True
    if not env_keys and ensure_audit_key(keyring):
        state.console.print("key file: audit key added")
    try:
        store = open_store(settings.database_url, keyring, initialise=True)
    except KeyringError as exc:
        raise CliError(str(exc)) from None
    state.set_store(store)
    console = state.console
    console.print(f"database ready: {describe_db(settings.database_url)}")
    if settings.config_file is None and created_key and not settings.from_environment:
        # A first run: the commented config. An existing set-up keeps working as it did without one.
        written = write_initial_config(settings.data_dir / CONFIG_FILE_NAME)
        console.print(
            f"config file written: {written} (every search engine is off until you add its keys there; "
            "then `jikimi sources check` tests them)",
            markup=False,
        )
    elif (notice := search_notice(settings)) is not None:
        console.print(f"notice: {notice}", markup=False)
    if created_key:
        console.print(
            f"key file created: {settings.key_file} (keep a copy somewhere safe: without it the data is lost)"
        )
    else:
        console.print("key file: existing key used")


def describe_db(url: str) -> str:
    if url.startswith("sqlite"):
        return url.split("///", 1)[-1]
    # Never print a password that might sit in a PostgreSQL URL.
    head, _, tail = url.partition("@")
    return f"postgresql://…@{tail}" if tail else head
