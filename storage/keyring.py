"""The key file: Fernet data keys, the blind-index key, and one data key per case.

Keys never live in the database. Per-case keys make purging a case final even against an old
backup of the database: once a case's key is gone from the key file, its rows are ciphertext
nobody can read.

Format (JSON, 0600): {"format": "jikimi-keyring/1", "data": [...], "index": [...],
"cases": {"<key id>": [...]}, "audit": [...]}. In each list the first key is the primary; older
keys remain readable until a rotation retires them. `audit` (HMAC keys of the audit chain) came
later: a file without it still loads, and `jikimi init` adds one.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import glob
import json
import os
import secrets
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.fernet import Fernet

from storage.errors import KeyringError

FORMAT = "jikimi-keyring/1"


@dataclass
class Keyring:
    data: list[bytes]
    index: list[bytes]
    cases: dict[str, list[bytes]] = field(default_factory=dict)
    path: Path | None = None  # None when the keys came from the environment (read-only)
    audit: list[bytes] = field(default_factory=list)  # HMAC keys of the audit chain (storage.audit)

    @classmethod
    def generate(cls, path: Path | None = None) -> Keyring:
        return cls(
            data=[Fernet.generate_key()], index=[_random_key()], cases={}, path=path, audit=[_random_key()]
        )

    def case_keys(self, key_id: str) -> list[bytes]:
        keys = self.cases.get(key_id)
        if not keys:
            raise KeyringError("the key of this case is not in the key file (the case was purged)")
        return keys

    def to_json(self) -> str:
        return json.dumps(
            {
                "format": FORMAT,
                "data": [k.decode() for k in self.data],
                "index": [base64.urlsafe_b64encode(k).decode() for k in self.index],
                "cases": {cid: [k.decode() for k in keys] for cid, keys in sorted(self.cases.items())},
                "audit": [base64.urlsafe_b64encode(k).decode() for k in self.audit],
            },
            indent=1,
        )


def _random_key() -> bytes:
    return secrets.token_bytes(32)


def parse_keyring(text: str, path: Path | None) -> Keyring:
    where = str(path) if path else "JIKIMI_KEYRING"
    try:
        raw = json.loads(text)
    except json.JSONDecodeError:
        raise KeyringError(f"key file {where} is not a jikimi key file") from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise KeyringError(f"key file {where} is not a jikimi key file")
    try:
        data = [_fernet_key(k) for k in raw["data"]]
        index = [base64.urlsafe_b64decode(k.encode()) for k in raw["index"]]
        cases = {str(cid): [_fernet_key(k) for k in keys] for cid, keys in raw.get("cases", {}).items()}
        audit = [base64.urlsafe_b64decode(k.encode()) for k in raw.get("audit", [])]
    except (KeyError, TypeError, ValueError, AttributeError):
        raise KeyringError(f"key file {where} is damaged") from None
    if not data or not index or any(len(k) < 32 for k in index) or any(len(k) < 32 for k in audit):
        raise KeyringError(f"key file {where} is damaged")
    return Keyring(data=data, index=index, cases=cases, path=path, audit=audit)


def _fernet_key(value: object) -> bytes:
    if not isinstance(value, str):
        raise TypeError("not a key")
    key = value.encode()
    Fernet(key)  # validates length and encoding
    return key


def load_keyring(path: Path, env_value: str | None = None) -> Keyring:
    """Keys from `JIKIMI_KEYRING` (read-only, for containers) or else the key file; never a fallback."""
    if env_value:
        return parse_keyring(env_value, None)
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise KeyringError(f"key file {path} not found: run `jikimi init` or set JIKIMI_KEY_FILE") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyringError(f"key file {path} is readable by other users: run chmod 600 on it")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise KeyringError(f"key file {path} cannot be read: {exc.__class__.__name__}") from None
    sweep_stale_temps(path)
    return parse_keyring(text, path)


def _temp_path(path: Path, pid: int) -> Path:
    return path.with_name(f".{path.name}.{pid}.tmp")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_stale_temps(path: Path) -> int:
    """Remove the temp copies a killed `save_keyring` left beside the key file; returns how many.

    Such a copy holds keys, perhaps one a purge or a rotation has since retired: it must not outlive
    the crash. A temp file of a live process is that process's save in progress, and is left alone.
    """
    removed = 0
    for temp in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
        pid_text = temp.name[len(path.name) + 2 : -len(".tmp")]
        if not pid_text.isdigit() or int(pid_text) == os.getpid() or _alive(int(pid_text)):
            continue
        with contextlib.suppress(OSError):
            # Overwrite before unlinking: the bytes should not linger in a freed block either.
            size = temp.stat().st_size
            with open(temp, "r+b") as fh:
                fh.write(b"\0" * size)
                fh.flush()
                os.fsync(fh.fileno())
            temp.unlink()
            removed += 1
    return removed


def save_keyring(keyring: Keyring) -> None:
    """Write atomically with 0600 permissions: a crash leaves the old or the new file, never half."""
    if keyring.path is None:
        raise KeyringError("keys from JIKIMI_KEYRING are read-only: use a key file to add or remove keys")
    path = keyring.path
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    sweep_stale_temps(path)
    tmp = _temp_path(path, os.getpid())
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(keyring.to_json())
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    _fsync_dir(path.parent)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def locked_keyring(keyring: Keyring) -> Iterator[Keyring]:
    """Re-read the key file under an exclusive lock, yield it for changes, then save it.

    Two processes adding cases at once must not lose each other's keys.
    """
    if keyring.path is None:
        raise KeyringError("keys from JIKIMI_KEYRING are read-only: use a key file to add or remove keys")
    lock_path = keyring.path.with_name(keyring.path.name + ".lock")
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        fresh = load_keyring(keyring.path)
        yield fresh
        save_keyring(fresh)
        keyring.data, keyring.index, keyring.cases = fresh.data, fresh.index, fresh.cases
        keyring.audit = fresh.audit
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def create_keyring_file(path: Path) -> Keyring:
    if path.exists():
        raise KeyringError(f"key file {path} already exists")
    keyring = Keyring.generate(path)
    save_keyring(keyring)
    return keyring


def new_case_key_id() -> str:
    return secrets.token_hex(16)


def new_fernet_key() -> bytes:
    return Fernet.generate_key()


def new_index_key() -> bytes:
    return _random_key()
