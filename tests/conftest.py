"""Shared fixtures: loopback-only network, the sandbox web, fresh data directories, SQLite and PostgreSQL."""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.support.home import JikimiHome

if TYPE_CHECKING:  # imported where used, so collecting the tests stays light
    from sandbox.server import SandboxServer
    from storage.database import Store

PG_ADMIN_URL = os.environ.get("JIKIMI_TEST_PG_URL", "postgresql://postgres@localhost/test")

_LOOPBACK_PREFIXES = ("127.", "::1", "localhost", "0:0:0:0:0:0:0:1")
_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _is_loopback(address: object) -> bool:
    if isinstance(address, tuple) and address:
        host = str(address[0])
        return host.startswith(_LOOPBACK_PREFIXES) or host.startswith("::ffff:127.")
    return True  # AF_UNIX paths (PostgreSQL socket) are local by definition


def _guarded_connect(self: socket.socket, address: object) -> None:
    if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address):
        raise ConnectionRefusedError(f"tests may only reach loopback, not {address!r}")
    # socket's address type is private to typeshed; the guard passes it through.
    return _real_connect(self, address)  # type: ignore[arg-type]


def _guarded_connect_ex(self: socket.socket, address: object) -> int:
    if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address):
        raise ConnectionRefusedError(f"tests may only reach loopback, not {address!r}")
    # socket's address type is private to typeshed; the guard passes it through.
    return _real_connect_ex(self, address)  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never touch the internet: any non-loopback connection in this process fails loudly."""
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", _guarded_connect_ex)


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database on the local server, dropped afterwards. Fails (never skips) if absent."""
    import sqlalchemy as sa

    name = f"jikimi_test_{secrets.token_hex(6)}"
    admin = sa.create_engine(
        PG_ADMIN_URL.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'db' / 'jikimi.sqlite'}"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture(scope="session")
def sandbox_server() -> Iterator[SandboxServer]:
    """One sandbox web for the whole run (starting and stopping one costs ~0.1 s); use `sandbox`."""
    from sandbox.server import SandboxServer

    with SandboxServer() as server:
        yield server


@pytest.fixture
def sandbox(sandbox_server: SandboxServer) -> SandboxServer:
    """The sandbox web on 127.0.0.1 as if fresh: counters, once-only scenarios and content as at start."""
    # A response still being written to an earlier test's client must not count for this one.
    sandbox_server.wait_idle()
    sandbox_server.reset_content()
    sandbox_server.reset()
    return sandbox_server


@pytest.fixture
def store(database_url: str, tmp_path: Path) -> Iterator[Store]:
    from storage.database import open_store
    from storage.keyring import create_keyring_file

    keyring = create_keyring_file(tmp_path / "keys" / "jikimi.key")
    st = open_store(database_url, keyring, initialise=True)
    try:
        yield st
    finally:
        st.close()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> JikimiHome:
    """A fresh data directory with an empty config; no JIKIMI_* setting leaks in from the environment."""
    data_dir = tmp_path / "data"
    data_dir.mkdir(mode=0o700)
    config = data_dir / "config.toml"
    config.write_text("", encoding="utf-8")
    for name in list(os.environ):
        if name.startswith("JIKIMI_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("JIKIMI_DATA_DIR", str(data_dir))
    monkeypatch.setenv("JIKIMI_CONFIG", str(config))
    return JikimiHome(data_dir=data_dir, config=config, monkeypatch=monkeypatch, capsys=capsys)
