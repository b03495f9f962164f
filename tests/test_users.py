"""Console accounts and grants: Argon2id, TOTP once per step, lock after failures, grants per case; CLI."""

from __future__ import annotations

import json
from datetime import timedelta

import pyotp
import pytest
import sqlalchemy as sa

from storage.cases import Consent, create_case
from storage.database import Store, make_engine
from storage.errors import NotFoundError, ValidationError
from storage.models import utcnow
from storage.users import (
    add_user,
    authenticate,
    disable_user,
    grant,
    granted_case_ids,
    reset_user,
    revoke,
)
from tests.support.home import JikimiHome

PASSWORD = "correct horse battery"


def _case(store: Store) -> int:
    return create_case(store, "사례", Consent("victim, signed", "tester", "2026-12-01"))


def test_sign_in_needs_password_and_a_fresh_code(store: Store) -> None:
    creds = add_user(store, "alice", "advocate", PASSWORD)
    now = utcnow()
    code = pyotp.TOTP(creds.totp_secret).at(now)
    assert authenticate(store, "alice", "wrong password!!", code, now=now).reason == "failed"
    assert (
        authenticate(store, "alice", PASSWORD, "000000" if code != "000000" else "111111", now=now).reason
        == "failed"
    )
    ok = authenticate(store, "alice", PASSWORD, code, now=now)
    assert ok.reason == "ok" and ok.user is not None and ok.user.role == "advocate"
    # The same code a second time is a replay.
    assert authenticate(store, "alice", PASSWORD, code, now=now).reason == "failed"
    later = now + timedelta(seconds=60)
    assert (
        authenticate(store, "alice", PASSWORD, pyotp.TOTP(creds.totp_secret).at(later), now=later).reason
        == "ok"
    )
    assert authenticate(store, "nobody", PASSWORD, code, now=now).reason == "failed"


def test_lock_after_repeated_failures_then_unlock(store: Store) -> None:
    creds = add_user(store, "bob", "viewer", PASSWORD)
    now = utcnow()
    reasons = [authenticate(store, "bob", "not the password", "123456", now=now).reason for _ in range(5)]
    assert reasons == ["failed"] * 4 + ["locked"]
    good = pyotp.TOTP(creds.totp_secret).at(now)
    assert authenticate(store, "bob", PASSWORD, good, now=now).reason == "locked"
    after = now + timedelta(minutes=16)
    assert (
        authenticate(store, "bob", PASSWORD, pyotp.TOTP(creds.totp_secret).at(after), now=after).reason
        == "ok"
    )


def test_disable_and_reset(store: Store) -> None:
    add_user(store, "carol", "admin", PASSWORD)
    disabled = disable_user(store, "carol")
    assert disabled.disabled and disabled.session_epoch == 1
    fresh = reset_user(store, "carol", "another long password")
    now = utcnow()
    assert authenticate(
        store, "carol", "another long password", pyotp.TOTP(fresh.totp_secret).at(now), now=now
    ).user
    with pytest.raises(NotFoundError):
        disable_user(store, "nobody")


def test_bad_input_is_refused(store: Store) -> None:
    with pytest.raises(ValidationError, match="role"):
        add_user(store, "dave", "root", PASSWORD)
    with pytest.raises(ValidationError, match="password"):
        add_user(store, "dave", "viewer", "short")
    with pytest.raises(ValidationError, match="username"):
        add_user(store, "Dave Smith", "viewer", PASSWORD)
    add_user(store, "dave", "viewer", PASSWORD)
    with pytest.raises(ValidationError, match="exists"):
        add_user(store, "dave", "viewer", PASSWORD)


def test_grants(store: Store) -> None:
    creds = add_user(store, "erin", "advocate", PASSWORD)
    one, two = _case(store), _case(store)
    assert granted_case_ids(store, creds.user_id) == set()
    assert grant(store, one, "erin", by="tester") is True
    assert grant(store, one, "erin", by="tester") is False
    assert granted_case_ids(store, creds.user_id) == {one}
    assert revoke(store, two, "erin") is False
    assert revoke(store, one, "erin") is True
    assert granted_case_ids(store, creds.user_id) == set()
    with pytest.raises(NotFoundError):
        grant(store, 999, "erin", by="tester")


def test_totp_secret_is_encrypted_at_rest(store: Store, database_url: str) -> None:
    creds = add_user(store, "frank", "advocate", PASSWORD)
    engine = make_engine(database_url)
    with engine.connect() as conn:
        raw = " ".join(str(v) for row in conn.execute(sa.text("SELECT * FROM users")) for v in row)
    engine.dispose()
    assert creds.totp_secret not in raw and PASSWORD not in raw and "$argon2id$" in raw


def test_cli_users_and_grants(home: JikimiHome) -> None:
    home.ok("init")
    case_id = int(home.ok("case", "add", "--label", "L", "--consent", "victim, signed form"))
    out = json.loads(
        home.ok(
            "user", "add", "gina", "--role", "advocate", "--password-stdin", "--json", stdin=PASSWORD + "\n"
        )
    )
    assert out["username"] == "gina" and out["otpauth_uri"].startswith("otpauth://totp/")
    assert pyotp.TOTP(out["totp_secret"]).now()
    bad = home.cli("user", "add", "gina", "--role", "advocate", "--password-stdin", stdin=PASSWORD + "\n")
    assert bad.code == 2 and "already exists" in bad.err and bad.err.count("\n") == 1
    bad = home.cli("user", "add", "hank", "--role", "god", "--password-stdin", stdin=PASSWORD + "\n")
    assert bad.code == 2
    assert "granted" in home.ok("case", "grant", str(case_id), "gina")
    assert home.cli("case", "grant", "99", "gina").code == 2
    listed = json.loads(home.ok("user", "list", "--json"))
    assert [u["username"] for u in listed] == ["gina"] and "totp_secret" not in listed[0]
    home.ok("user", "disable", "gina")
    assert json.loads(home.ok("user", "list", "--json"))[0]["disabled"] is True
    reset = json.loads(
        home.ok("user", "reset", "gina", "--password-stdin", "--json", stdin="a new long password\n")
    )
    assert reset["totp_secret"] != out["totp_secret"]
    assert "revoked" in home.ok("case", "revoke", str(case_id), "gina")
    actions = [r["action"] for r in json.loads(home.ok("audit", "list", "--json", "--limit", "0"))]
    for action in ("user.add", "case.grant", "user.disable", "user.reset", "case.revoke"):
        assert action in actions


def test_a_running_process_reads_cases_opened_after_it_started(store: Store, database_url: str) -> None:
    """The console keeps its store open for days; cases opened meanwhile by the CLI must be readable."""
    from storage.cases import get_case
    from storage.database import open_store
    from storage.keyring import load_keyring

    path = store.crypto.keyring.path
    assert path is not None
    console = open_store(database_url, load_keyring(path))
    try:
        case_id = _case(store)  # another process adds the case and its key to the key file
        assert get_case(console, case_id).label == "사례"
    finally:
        console.close()


def test_web_refuses_a_port_it_cannot_take(home: JikimiHome) -> None:
    import socket

    home.ok("init")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = home.cli("web", "--port", str(port))
    assert result.code == 2 and "cannot listen" in result.err and result.err.count("\n") == 1
