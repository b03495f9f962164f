"""Console accounts and case grants: Argon2id passwords, TOTP for every role, lock after failures.

Passwords are hashed with argon2-cffi's `PasswordHasher` at its defaults (RFC 9106's recommended
low-memory profile); TOTP codes are checked with pyotp and a code is accepted once only (its time
step is remembered). A user reads a case in the console only when granted it, whatever the role.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.database import Store
from storage.errors import NotFoundError, ValidationError
from storage.models import Case, CaseGrant, User, utcnow

ROLES = ("admin", "advocate", "viewer")
USERNAME = re.compile(r"[a-z][a-z0-9._-]{1,31}")
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024
TOTP_ISSUER = "jikimi"
DEFAULT_MAX_FAILURES = 5
DEFAULT_LOCK = timedelta(minutes=15)


@dataclass(frozen=True)
class UserView:
    id: int
    username: str
    role: str
    disabled: bool
    failed_attempts: int
    locked_until: datetime | None
    session_epoch: int
    created_at: datetime
    last_login_at: datetime | None

    def locked(self, now: datetime | None = None) -> bool:
        return self.locked_until is not None and self.locked_until > (now or utcnow())


@dataclass(frozen=True)
class NewCredentials:
    """What an administrator hands over once: the TOTP secret is never shown again."""

    user_id: int
    username: str
    role: str
    totp_secret: str
    otpauth_uri: str


@dataclass(frozen=True)
class SignIn:
    """`user` when the password and code were right; otherwise `reason`: failed | locked."""

    user: UserView | None
    reason: str


@lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    return PasswordHasher()  # argon2id, RFC 9106 low-memory profile


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    # Unknown usernames cost one verification too, so timing does not tell which names exist.
    return _hasher().hash("jikimi: no such user")


def _view(row: User) -> UserView:
    return UserView(
        id=row.id,
        username=row.username,
        role=row.role,
        disabled=row.disabled,
        failed_attempts=row.failed_attempts,
        locked_until=row.locked_until,
        session_epoch=row.session_epoch,
        created_at=row.created_at,
        last_login_at=row.last_login_at,
    )


def check_username(username: str) -> str:
    username = username.strip()
    if not USERNAME.fullmatch(username):
        raise ValidationError(
            "username must be 2 to 32 characters: lower-case letters, digits, '.', '_' or '-', "
            "starting with a letter"
        )
    return username


def check_role(role: str) -> str:
    if role not in ROLES:
        raise ValidationError(f"role must be one of {', '.join(ROLES)}")
    return role


def check_password(password: str) -> str:
    password = password.rstrip("\r\n")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(f"password must be at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ValidationError(f"password is longer than {MAX_PASSWORD_LENGTH} characters")
    return password


def _credentials(row: User, secret: str) -> NewCredentials:
    uri = pyotp.TOTP(secret).provisioning_uri(name=row.username, issuer_name=TOTP_ISSUER)
    return NewCredentials(row.id, row.username, row.role, secret, uri)


def add_user(store: Store, username: str, role: str, password: str) -> NewCredentials:
    username, role, password = check_username(username), check_role(role), check_password(password)
    secret = pyotp.random_base32()
    hashed = _hasher().hash(password)
    with store.session() as session:
        if session.scalar(select(User.id).where(User.username == username)) is not None:
            raise ValidationError(f"user {username!r} already exists")
        row = User(
            username=username,
            role=role,
            password_hash=hashed,
            totp_secret_ct=store.crypto.data.encrypt(secret),
            disabled=False,
            failed_attempts=0,
            session_epoch=0,
        )
        session.add(row)
        session.flush()
        return _credentials(row, secret)


def _row(session: Session, username: str) -> User:
    row = session.scalar(select(User).where(User.username == username.strip()).with_for_update())
    if row is None:
        raise NotFoundError(f"no user named {username.strip()!r}")
    return row


def list_users(store: Store) -> list[UserView]:
    with store.session() as session:
        return [_view(r) for r in session.scalars(select(User).order_by(User.id))]


def get_user(store: Store, user_id: int) -> UserView | None:
    with store.session() as session:
        row = session.get(User, user_id)
        return _view(row) if row is not None else None


def find_user(store: Store, username: str) -> UserView:
    with store.session() as session:
        return _view(_row(session, username))


def disable_user(store: Store, username: str) -> UserView:
    """Refuse every further sign-in and end the user's open sessions."""
    with store.session() as session:
        row = _row(session, username)
        row.disabled = True
        row.session_epoch += 1
        return _view(row)


def end_sessions(store: Store, user_id: int) -> None:
    """Sign-out: every session of the user ends, copies of its cookie included (sessions are signed
    cookies, so only the epoch they carry can revoke them)."""
    with store.session() as session:
        row = session.get(User, user_id, with_for_update=True)
        if row is not None:
            row.session_epoch += 1


def reset_user(store: Store, username: str, password: str) -> NewCredentials:
    """New password and TOTP secret; unlocks and re-enables the account, ends its open sessions."""
    password = check_password(password)
    secret = pyotp.random_base32()
    hashed = _hasher().hash(password)
    with store.session() as session:
        row = _row(session, username)
        row.password_hash = hashed
        row.totp_secret_ct = store.crypto.data.encrypt(secret)
        row.totp_last_step = None
        row.disabled = False
        row.failed_attempts = 0
        row.locked_until = None
        row.session_epoch += 1
        return _credentials(row, secret)


def _totp_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step whose code this is (now, or one step either side for clock drift), else None."""
    code = "".join(code.split())
    if not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    for offset in (0, -1, 1):
        moment = now + timedelta(seconds=offset * totp.interval)
        if totp.verify(code, for_time=moment):
            return int(totp.timecode(moment))
    return None


def authenticate(
    store: Store,
    username: str,
    password: str,
    otp: str,
    *,
    max_failures: int = DEFAULT_MAX_FAILURES,
    lock_for: timedelta = DEFAULT_LOCK,
    now: datetime | None = None,
) -> SignIn:
    """Check password and one-time code; count failures and lock the account after `max_failures`.

    The Argon2 check runs outside the write transaction (it takes ~0.1 s), then the outcome is
    recorded under a row lock, where a reused code is refused.
    """
    now = now or utcnow()
    with store.session() as session:
        row = session.scalar(select(User).where(User.username == username.strip()))
        stored = (row.password_hash, row.totp_secret_ct) if row is not None else None
    if stored is None or len(password) > MAX_PASSWORD_LENGTH:
        _password_ok(_dummy_hash(), password[:MAX_PASSWORD_LENGTH])
        return SignIn(None, "failed")
    password_ok = _password_ok(stored[0], password)
    step = _totp_step(store.crypto.data.decrypt(stored[1]), otp, now) if password_ok else None
    with store.session() as session:
        row = _row(session, username)
        if row.disabled:
            return SignIn(None, "failed")
        if row.locked_until is not None and row.locked_until > now:
            return SignIn(None, "locked")
        replay = step is not None and row.totp_last_step is not None and step <= row.totp_last_step
        if not password_ok or step is None or replay:
            row.failed_attempts += 1
            if row.failed_attempts >= max_failures:
                row.locked_until = now + lock_for
                row.failed_attempts = 0
                return SignIn(None, "locked")
            return SignIn(None, "failed")
        row.failed_attempts = 0
        row.locked_until = None
        row.totp_last_step = step
        row.last_login_at = now
        if _hasher().check_needs_rehash(row.password_hash):
            row.password_hash = _hasher().hash(password)
        return SignIn(_view(row), "ok")


def _password_ok(hashed: str, password: str) -> bool:
    try:
        return _hasher().verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False


# ---- case grants ------------------------------------------------------------------------------


def grant(store: Store, case_id: int, username: str, *, by: str) -> bool:
    """Let `username` read and work case `case_id`; False if it already could."""
    with store.session() as session:
        if session.get(Case, case_id) is None:
            raise NotFoundError(f"no case with id {case_id}")
        user = _row(session, username)
        exists = session.scalar(
            select(CaseGrant.id).where(CaseGrant.case_id == case_id, CaseGrant.user_id == user.id)
        )
        if exists is not None:
            return False
        session.add(CaseGrant(case_id=case_id, user_id=user.id, granted_by=" ".join(by.split())[:64]))
        return True


def revoke(store: Store, case_id: int, username: str) -> bool:
    """Take the case away from `username`; False if it had no grant."""
    with store.session() as session:
        if session.get(Case, case_id) is None:
            raise NotFoundError(f"no case with id {case_id}")
        user = _row(session, username)
        row = session.scalar(
            select(CaseGrant).where(CaseGrant.case_id == case_id, CaseGrant.user_id == user.id)
        )
        if row is None:
            return False
        session.delete(row)
        return True


def granted_case_ids(store: Store, user_id: int) -> set[int]:
    with store.session() as session:
        return set(session.scalars(select(CaseGrant.case_id).where(CaseGrant.user_id == user_id)))


def is_granted(session: Session, user_id: int, case_id: int) -> bool:
    found = session.scalar(
        select(CaseGrant.id).where(CaseGrant.user_id == user_id, CaseGrant.case_id == case_id)
    )
    return found is not None


def grants(store: Store) -> list[tuple[int, str]]:
    """Every (case id, username) grant, by case then user."""
    with store.session() as session:
        rows = session.execute(
            select(CaseGrant.case_id, User.username)
            .join(User, User.id == CaseGrant.user_id)
            .order_by(CaseGrant.case_id, User.username)
        )
        return [(int(c), str(u)) for c, u in rows]
