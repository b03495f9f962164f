"""Small plaintext facts about the installation (scheduler and notification health) in the `meta` table.

Values here are NOT encrypted: never store a term, a case label, an exposure URL or a credential.
Keys are namespaced (`scheduler.last_fire`, `notify.last_error`); the key-check rows written by
`storage.database` are out of reach of these functions so a slip cannot lock the data away.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import delete, select

from storage.database import Store, dialect_insert
from storage.models import Meta

MAX_KEY_LENGTH = 64
_PROTECTED = frozenset({"key_check", "index_check"})


class _ClaimTaken(Exception):
    """Internal: a key of a claim already exists, so the whole claim is rolled back."""


def _check_key(key: str) -> str:
    if key in _PROTECTED or "." not in key:
        raise ValueError("meta keys are namespaced like 'scheduler.last_fire'")
    if len(key) > MAX_KEY_LENGTH:
        raise ValueError(f"meta keys are at most {MAX_KEY_LENGTH} characters")
    return key


def get_meta(store: Store, key: str) -> str | None:
    with store.session() as session:
        value: str | None = session.scalar(select(Meta.value).where(Meta.key == _check_key(key)))
        return value


def get_meta_prefix(store: Store, prefix: str) -> dict[str, str]:
    """Every key starting with `prefix` (e.g. 'scheduler.'), in one read."""
    if not prefix.endswith("."):
        raise ValueError("a meta prefix ends with '.'")
    with store.session() as session:
        rows = session.execute(
            select(Meta.key, Meta.value).where(Meta.key.startswith(prefix, autoescape=True))
        )
        return {k: v for k, v in rows}


def set_meta(store: Store, key: str, value: str) -> None:
    set_many(store, {key: value})


def set_many(store: Store, values: Mapping[str, str], *, delete_keys: Iterable[str] = ()) -> None:
    """Upsert several keys (and drop others) in one transaction; safe against concurrent writers."""
    keys = [_check_key(k) for k in values]
    drop = [_check_key(k) for k in delete_keys]
    with store.session() as session:
        for key in keys:
            stmt = dialect_insert(session, Meta).values(key=key, value=values[key])
            session.execute(
                stmt.on_conflict_do_update(index_elements=[Meta.key], set_={"value": stmt.excluded.value})
            )
        if drop:
            session.execute(delete(Meta).where(Meta.key.in_(drop)))


def delete_meta(store: Store, *keys: str) -> None:
    checked = [_check_key(k) for k in keys]
    with store.session() as session:
        session.execute(delete(Meta).where(Meta.key.in_(checked)))


def claim_meta(store: Store, keys: Iterable[str], value: str) -> bool:
    """Insert every key, or none if any already exists: a once-only marker (e.g. "run 12 was notified").

    Concurrent claimers of the same key: exactly one gets True (the primary key decides).
    """
    checked = [_check_key(k) for k in keys]
    if not checked:
        return False
    try:
        with store.session() as session:
            for key in checked:
                # RETURNING, not rowcount: psycopg reports -1 for an INSERT ... ON CONFLICT here.
                stmt = (
                    dialect_insert(session, Meta)
                    .values(key=key, value=value)
                    .on_conflict_do_nothing()
                    .returning(Meta.key)
                )
                if session.scalar(stmt) is None:
                    raise _ClaimTaken
    except _ClaimTaken:
        return False
    return True
