"""Every error storage raises on purpose, in one hierarchy.

Callers catch the few they can act on: `NotFoundError` (no such case, term, target, exposure, run),
`ValidationError` (a value storage refuses; the message names the problem in one line), and the
set-up failures (`DatabaseError`, `KeyringError`). `StorageError` catches them all. The messages are
shown to users as they are: one line, never a term, label or URL.
"""

from __future__ import annotations


class StorageError(Exception):
    """Base of every error storage raises on purpose."""


class NotFoundError(StorageError, LookupError):
    """No case, term, target, exposure, user or run has that id."""


class ValidationError(StorageError, ValueError):
    """An input value is not acceptable; the message names the field."""


class TermTooBroadError(ValidationError):
    """A term is too short or too common to watch; registering it anyway needs an explicit `broad`."""


class InvalidURLError(ValidationError, ValueError):
    """An advocate-entered URL that cannot be watched; the message is one line naming the problem."""


class AuditDetailsError(ValidationError, ValueError):
    """An audit record was given a value it must not hold; the message names the field, never the value."""


class ConflictError(StorageError):
    """Someone else changed the same rows first; nothing was recorded."""


class ExportConflictError(ConflictError):
    """Another only-new export already delivered one of these exposures; nothing was recorded."""


class DatabaseError(StorageError):
    """The database cannot be opened, or its schema is not the one this version of jikimi expects."""


class DatabaseUnusableError(DatabaseError):
    """The database file is damaged, or the disk under it is full or failing: not the user's input."""


class KeyringError(StorageError):
    """The key file is missing, unreadable, malformed or does not match the database."""


class DecryptionError(StorageError):
    """A stored value cannot be decrypted with the keys at hand (wrong key file or purged case)."""


class RotationError(StorageError):
    """A key rotation cannot start or continue; the message says why and what to do."""
