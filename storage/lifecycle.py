"""The life of an exposure after it is found: confirmed, reported, removed, back again, or dismissed.

Every change appends an `exposure_events` row (who, when, from, to, through which channel, to whom,
a note) and moves `exposures.status`; nothing is ever edited in place, so the history is the record
a takedown team can show. An advocate's change is also written to the audit trail in the same
transaction (ids, statuses and the channel only). A dismissed exposure stays dismissed until an
advocate reopens it: `record_observation` keeps its status and every export, notification and
draft skips `SUPPRESSED_STATUSES`.

Decisions are reversible: `reopen` moves any status back to `new` with a reason, and every change
carries a change-set id shared by all the exposures one command moved, so `undo` reverses a mistaken
bulk change as one step (new events, `undo-<id>`; history is never rewritten).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from matching.fingerprint import DEFAULT_THRESHOLD, FingerprintError, check, distance
from storage.audit import MAX_LIST
from storage.audit import append as audit_append
from storage.crypto import Crypto
from storage.database import Store
from storage.errors import NotFoundError, ValidationError
from storage.exposures import EXPOSURE_STATUSES
from storage.models import Case, Exposure, ExposureEvent, utcnow
from storage.triage import rescore

# from-status -> the statuses it may move to. `reported -> reported` is a re-report (escalated to
# another channel). `reappeared -> dismissed` lets an advocate undo a wrong re-upload link. Every
# status may be reopened to `new` (with a reason, `reopen`): no decision is final.
TRANSITIONS: dict[str, frozenset[str]] = {
    "new": frozenset({"confirmed", "dismissed", "reported"}),
    "confirmed": frozenset({"reported", "dismissed", "new"}),
    "reported": frozenset({"removed", "reported", "new"}),
    "removed": frozenset({"reappeared", "new"}),
    "reappeared": frozenset({"reported", "dismissed", "new"}),
    "dismissed": frozenset({"new"}),
}
SUPPRESSED_STATUSES = ("dismissed",)
OPEN_STATUSES = ("new", "confirmed", "reported", "reappeared")
SYSTEM_ACTOR = "jikimi"
REUPLOAD_CHANNEL = "reupload-detection"
MAX_NOTE_LENGTH = 2000
MAX_RECIPIENT_LENGTH = 320
# A clock a few minutes ahead on an advocate's laptop is not an error; a date next week is.
CLOCK_SKEW = timedelta(minutes=5)
_CHANNEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,63}")
_PLATFORM = re.compile(r"[a-z0-9_]{1,32}")


@dataclass(frozen=True)
class EventView:
    id: int
    exposure_id: int
    from_status: str | None
    to_status: str
    actor: str
    at: datetime
    channel: str | None
    recipient: str | None
    note: str | None
    verified_at: datetime | None
    change_set: str | None = None


UNDO_PREFIX = "undo-"


def new_change_set() -> str:
    """A short random id naming the exposures one command changed together."""
    return uuid.uuid4().hex[:12]


def allowed(from_status: str, to_status: str) -> bool:
    """Whether an advocate may move an exposure from `from_status` to `to_status`."""
    return to_status in TRANSITIONS.get(from_status, frozenset())


def check_transition(from_status: str, to_status: str) -> None:
    """Raise `ValidationError` naming both states unless `from_status -> to_status` is allowed."""
    if to_status not in TRANSITIONS:
        raise ValidationError(f"status must be one of {', '.join(EXPOSURE_STATUSES)}")
    if to_status not in TRANSITIONS.get(from_status, frozenset()):
        reachable = ", ".join(sorted(TRANSITIONS.get(from_status, frozenset()))) or "nothing (final)"
        raise ValidationError(
            f"cannot change an exposure from {from_status!r} to {to_status!r} "
            f"(from {from_status!r}: {reachable})"
        )


@dataclass(frozen=True)
class StatusChange:
    """One status change as asked: the new status, who, through which channel, to whom, when, why.

    Passed whole to `mark` and `mark_case`; checked once (`_checked`) however many exposures it moves.
    """

    to_status: str
    actor: str
    channel: str | None = None
    recipient: str | None = None
    note: str | None = None
    at: datetime | None = None  # default: now
    verified_at: datetime | None = None  # only for `removed` (default: `at`)
    change_set: str | None = None  # default: a new one


@dataclass(frozen=True)
class _Change:
    """A validated status change, ready to apply to any number of rows."""

    to_status: str
    actor: str
    at: datetime
    channel: str | None
    recipient: str | None
    note: str | None
    verified_at: datetime | None
    change_set: str | None = None


def _checked(asked: StatusChange) -> _Change:
    to_status, at, verified_at = asked.to_status, asked.at, asked.verified_at
    if to_status not in TRANSITIONS:
        raise ValidationError(f"status must be one of {', '.join(EXPOSURE_STATUSES)}")
    actor = " ".join((asked.actor or "").split())
    if not actor or len(actor) > 64:
        raise ValidationError("actor must be 1 to 64 characters")
    channel, recipient = _channel_and_recipient(asked.channel, asked.recipient)
    note = asked.note
    if note is not None:
        note = note.strip() or None
        if note is not None and len(note) > MAX_NOTE_LENGTH:
            raise ValidationError(f"note is longer than {MAX_NOTE_LENGTH} characters")
    now = utcnow()
    at = _aware(at, "at") if at is not None else now
    if at > now + CLOCK_SKEW:
        raise ValidationError("at is in the future")
    if verified_at is not None:
        if to_status != "removed":
            raise ValidationError("verified at only applies to the status 'removed'")
        verified_at = _aware(verified_at, "verified at")
        if verified_at > now + CLOCK_SKEW:
            raise ValidationError("verified at is in the future")
    elif to_status == "removed":
        verified_at = at
    return _Change(
        to_status, actor, at, channel, recipient, note, verified_at, asked.change_set or new_change_set()
    )


def _aware(value: datetime, field: str) -> datetime:
    if value.tzinfo is None:
        raise ValidationError(f"{field} needs a time zone")
    return value.astimezone(UTC)


def _channel_and_recipient(channel: str | None, recipient: str | None) -> tuple[str | None, str | None]:
    """Channels are kinds ("naver-report-form", "kcsc", "email"); addresses go to the encrypted recipient.

    `email:abuse@example.org` is accepted as shorthand for channel `email`, recipient
    `abuse@example.org`: the channel column is plaintext and an address can name the very site.
    """
    if channel is not None:
        channel = channel.strip() or None
    if channel is not None and ":" in channel:
        kind, _, address = channel.partition(":")
        if recipient and address.strip() and recipient.strip() != address.strip():
            raise ValidationError("channel names an address and recipient names another")
        channel, recipient = kind.strip() or None, recipient or address.strip() or None
    if channel is not None and not _CHANNEL.fullmatch(channel):
        raise ValidationError("channel must be a short name of letters, digits, '.', '_', '+' or '-'")
    if recipient is not None:
        recipient = " ".join(recipient.split()) or None
        if recipient is not None and len(recipient) > MAX_RECIPIENT_LENGTH:
            raise ValidationError(f"recipient is longer than {MAX_RECIPIENT_LENGTH} characters")
    return channel, recipient


def _apply(session: Session, crypto: Crypto, row: Exposure, case: Case, change: _Change) -> ExposureEvent:
    check_transition(row.status, change.to_status)
    if change.to_status == "new" and change.note is None:
        raise ValidationError("reopening an exposure needs a reason (--note)")
    return _record(session, crypto, row, case, change)


def _record(session: Session, crypto: Crypto, row: Exposure, case: Case, change: _Change) -> ExposureEvent:
    """Append the event and move the status; the caller has checked that the move is allowed."""
    last = _last_change(session, row)
    if last is not None and change.at < last:
        raise ValidationError(f"at is before the last status change of exposure {row.id}")
    if change.verified_at is not None and last is not None and change.verified_at < last:
        raise ValidationError(f"verified at is before the last status change of exposure {row.id}")
    cipher = crypto.for_case(case.key_id)
    event = ExposureEvent(
        exposure_id=row.id,
        from_status=row.status,
        to_status=change.to_status,
        actor=change.actor,
        at=change.at,
        channel=change.channel,
        note_ct=cipher.encrypt_opt(change.note),
        recipient_ct=cipher.encrypt_opt(change.recipient),
        verified_at=change.verified_at,
        change_set=change.change_set,
    )
    session.add(event)
    row.status = change.to_status
    row.status_changed_at = change.at
    return event


def _last_change(session: Session, row: Exposure) -> datetime | None:
    last_event = session.scalar(
        select(ExposureEvent.at)
        .where(ExposureEvent.exposure_id == row.id)
        .order_by(ExposureEvent.at.desc())
        .limit(1)
    )
    candidates = [t for t in (last_event, row.status_changed_at) if t is not None]
    return max(candidates) if candidates else None


def _locked_exposure(session: Session, exposure_id: int) -> tuple[Exposure, Case]:
    found = session.execute(
        select(Exposure, Case)
        .join(Case, Case.id == Exposure.case_id)
        .where(Exposure.id == exposure_id)
        # Lock the exposure only: crawler writers of other exposures of the case must not queue behind it.
        .with_for_update(of=Exposure)
    ).first()
    if found is None:
        raise NotFoundError(f"no exposure with id {exposure_id}")
    return found[0], found[1]


def mark(store: Store, exposure_id: int, asked: StatusChange, *, action: str = "exposure.mark") -> EventView:
    """Move one exposure as `asked`, recording who did it, when, how and to whom."""
    change = _checked(asked)
    with store.session() as session:
        row, case = _locked_exposure(session, exposure_id)
        event = _apply(session, store.crypto, row, case, change)
        session.flush()
        view = _event_view(store.crypto, event, case.key_id)
        # Last statement of the transaction, as the audit trail asks: the change and its record commit
        # together.
        audit_append(
            session,
            store.crypto,
            change.actor,
            action,
            case.id,
            ("exposure", row.id),
            {
                "from": view.from_status,
                "to": view.to_status,
                "channel": view.channel,
                "change_set": change.change_set,
            },
        )
        return view


def reopen(
    store: Store, exposure_id: int, *, actor: str, note: str | None, at: datetime | None = None
) -> EventView:
    """Move an exposure back to `new` from any status, with the reason kept in its history."""
    if note is None or not note.strip():
        raise ValidationError("reopening an exposure needs a reason (--note)")
    return mark(
        store, exposure_id, StatusChange("new", actor=actor, note=note, at=at), action="exposure.reopen"
    )


def mark_case(
    store: Store,
    case_id: int,
    from_status: str,
    asked: StatusChange,
    *,
    platform: str | None = None,
    ids: Sequence[int] | None = None,
) -> list[int]:
    """Move every exposure of a case in `from_status` (optionally only `platform` or `ids`) as `asked`.

    All or nothing, in one transaction. Returns the ids that changed, in id order. Every event gets
    the change set (a new id when `asked` names none), so `undo(change_set)` reverses the whole step.
    """
    if from_status not in TRANSITIONS:
        raise ValidationError(f"from status must be one of {', '.join(EXPOSURE_STATUSES)}")
    if platform is not None and not _PLATFORM.fullmatch(platform):
        raise ValidationError("platform must be a platform name such as naver_blog or x")
    check_transition(from_status, asked.to_status)
    change = _checked(asked)
    with store.session() as session:
        case = session.get(Case, case_id)
        if case is None:
            raise NotFoundError(f"no case with id {case_id}")
        query = (
            select(Exposure)
            .where(Exposure.case_id == case_id, Exposure.status == from_status)
            .order_by(Exposure.id)
            .with_for_update()
        )
        if platform is not None:
            query = query.where(Exposure.platform == platform)
        if ids is not None:
            wanted = sorted(set(ids))
            query = query.where(Exposure.id.in_(wanted))
        rows = list(session.scalars(query))
        if ids is not None:
            missing = sorted(set(ids) - {r.id for r in rows})
            if missing:
                raise ValidationError(
                    f"exposure {missing[0]} is not in case {case_id} with status {from_status!r}"
                )
        for row in rows:
            _apply(session, store.crypto, row, case, change)
        changed = [r.id for r in rows]
        audit_append(
            session,
            store.crypto,
            change.actor,
            "exposure.mark_case",
            case.id,
            None,
            {
                "from": from_status,
                "to": change.to_status,
                "channel": change.channel,
                "platform": platform,
                "change_set": change.change_set,
                "count": len(changed),
                "ids": changed if len(changed) <= MAX_LIST else None,
            },
        )
        return changed


@dataclass(frozen=True)
class UndoResult:
    change_set: str  # the change set undone
    undo_set: str  # the change set of the undo itself
    restored: list[int]  # exposures moved back, in id order
    skipped: list[int]  # exposures changed again since: left alone


def last_change_set(store: Store, actor: str | None = None) -> str | None:
    """The most recent change set not already undone (and not itself an undo), optionally by `actor`."""
    with store.session() as session:
        query = (
            select(ExposureEvent.change_set)
            .where(ExposureEvent.change_set.is_not(None), ~ExposureEvent.change_set.startswith(UNDO_PREFIX))
            .order_by(ExposureEvent.id.desc())
        )
        if actor is not None:
            query = query.where(ExposureEvent.actor == actor)
        undone = set(
            session.scalars(
                select(ExposureEvent.change_set)
                .where(ExposureEvent.change_set.startswith(UNDO_PREFIX))
                .distinct()
            )
        )
        for change_set in session.scalars(query.limit(500)):
            if change_set is not None and UNDO_PREFIX + change_set not in undone:
                return change_set
    return None


def undo(store: Store, change_set: str, *, actor: str, note: str | None = None) -> UndoResult:
    """Reverse one change set as one step: each exposure it moved goes back to its earlier status.

    An exposure changed again since (its last event is not this change set's) is left alone and
    named in `skipped`. The undo is itself a change set (`undo-<id>`), audited, in one transaction;
    it bypasses `TRANSITIONS` because it restores a state the exposure was in a moment ago.
    """
    change_set = (change_set or "").strip()
    if not change_set or change_set.startswith(UNDO_PREFIX):
        raise ValidationError("name a change set to undo (an undo itself cannot be undone)")
    undo_set = UNDO_PREFIX + change_set
    with store.session() as session:
        events = list(
            session.scalars(
                select(ExposureEvent).where(ExposureEvent.change_set == change_set).order_by(ExposureEvent.id)
            )
        )
        if not events:
            raise NotFoundError(f"no change set {change_set}")
        if session.scalar(select(ExposureEvent.id).where(ExposureEvent.change_set == undo_set).limit(1)):
            raise ValidationError(f"change set {change_set} was already undone")
        restored: list[int] = []
        skipped: list[int] = []
        case_ids: set[int] = set()
        for event in events:
            row, case = _locked_exposure(session, event.exposure_id)
            latest = session.scalar(
                select(ExposureEvent.id)
                .where(ExposureEvent.exposure_id == row.id)
                .order_by(ExposureEvent.at.desc(), ExposureEvent.id.desc())
                .limit(1)
            )
            if latest != event.id or row.status != event.to_status or event.from_status is None:
                skipped.append(row.id)
                continue
            change = _checked(
                StatusChange(
                    event.from_status,
                    actor=actor,
                    note=note or f"undo of change set {change_set}",
                    change_set=undo_set,
                )
            )
            _record(session, store.crypto, row, case, change)
            restored.append(row.id)
            case_ids.add(case.id)
        if not restored:
            raise ValidationError(
                f"change set {change_set}: every exposure in it changed since; nothing undone"
            )
        audit_append(
            session,
            store.crypto,
            actor,
            "exposure.undo",
            next(iter(case_ids)) if len(case_ids) == 1 else None,
            None,
            {
                "change_set": change_set,
                "count": len(restored),
                "ids": sorted(restored) if len(restored) <= MAX_LIST else None,
                "skipped": len(skipped),
            },
        )
        return UndoResult(change_set, undo_set, sorted(restored), sorted(skipped))


def history(store: Store, exposure_id: int) -> list[EventView]:
    """Every status change of one exposure, oldest first, notes and recipients decrypted."""
    with store.session() as session:
        found = session.execute(
            select(Exposure, Case).join(Case, Case.id == Exposure.case_id).where(Exposure.id == exposure_id)
        ).first()
        if found is None:
            raise NotFoundError(f"no exposure with id {exposure_id}")
        case = found[1]
        events = session.scalars(
            select(ExposureEvent)
            .where(ExposureEvent.exposure_id == exposure_id)
            .order_by(ExposureEvent.at, ExposureEvent.id)
        )
        return [_event_view(store.crypto, e, case.key_id) for e in events]


def reuploads_of(store: Store, exposure_id: int) -> list[int]:
    """Ids of exposures linked as re-uploads of this one."""
    with store.session() as session:
        return list(
            session.scalars(
                select(Exposure.id).where(Exposure.reupload_of_id == exposure_id).order_by(Exposure.id)
            )
        )


def _event_view(crypto: Crypto, event: ExposureEvent, key_id: str) -> EventView:
    cipher = crypto.for_case(key_id)
    return EventView(
        id=event.id,
        exposure_id=event.exposure_id,
        from_status=event.from_status,
        to_status=event.to_status,
        actor=event.actor,
        at=event.at,
        channel=event.channel,
        recipient=cipher.decrypt_opt(event.recipient_ct),
        note=cipher.decrypt_opt(event.note_ct),
        verified_at=event.verified_at,
        change_set=event.change_set,
    )


def fingerprint_key(crypto: Crypto) -> bytes:
    """The key for `matching.fingerprint.fingerprint`, derived from the blind-index key.

    Derived, not shared: the fingerprint hash never sees the index key itself. Rotating the index
    key changes every new fingerprint, so re-upload links only form between fingerprints made
    under the same primary index key.
    """
    return hmac.new(crypto.keyring.index[0], b"jikimi/fingerprint/v1", hashlib.sha256).digest()


def link_reupload(
    session: Session,
    crypto: Crypto,
    exposure_id: int,
    fingerprint: str,
    *,
    max_distance: int = DEFAULT_THRESHOLD,
    actor: str = SYSTEM_ACTOR,
) -> int | None:
    """Link a new exposure to the removed exposure of its case whose text it nearly repeats.

    Stores the fingerprint if the row has none. When a `removed` exposure of the same case is within
    `max_distance` bits, sets `reupload_of_id`, moves the new exposure `new -> reappeared` (known
    content, ready to be reported again) and records why in an event. Returns the linked id, or None.
    Idempotent; never touches an exposure that is not `new` (a dismissed one stays dismissed).
    """
    try:
        check(fingerprint)
    except FingerprintError as exc:
        raise ValidationError(str(exc)) from None
    row, case = _locked_exposure(session, exposure_id)
    if row.fingerprint is None:
        row.fingerprint = fingerprint
    if row.reupload_of_id is not None:
        return row.reupload_of_id
    if row.status != "new":
        return None
    candidates = session.execute(
        select(Exposure.id, Exposure.fingerprint).where(
            Exposure.case_id == row.case_id,
            Exposure.status == "removed",
            Exposure.fingerprint.is_not(None),
            Exposure.id != row.id,
        )
    ).all()
    best: tuple[int, int] | None = None  # (distance, -id): nearest first, then the latest removed
    for other_id, other_fp in candidates:
        try:
            d = distance(fingerprint, other_fp or "")
        except FingerprintError:
            continue  # a malformed stored value is not a match
        if d <= max_distance and (best is None or (d, -other_id) < best):
            best = (d, -other_id)
    if best is None:
        return None
    original_id = -best[1]
    now = utcnow()
    # The row may carry a status_changed_at from the crawler's clock; never write an event before it.
    at = max(now, row.status_changed_at) if row.status_changed_at else now
    row.reupload_of_id = original_id
    rescore(session, row)  # a re-upload of content already taken down is itself a strong signal
    # `new -> reappeared` is the detector's move, not an advocate's: it bypasses TRANSITIONS.
    _record(
        session,
        crypto,
        row,
        case,
        _Change(
            to_status="reappeared",
            actor=actor,
            at=at,
            channel=REUPLOAD_CHANNEL,
            recipient=None,
            note=f"possible re-upload of exposure {original_id} (fingerprint distance {best[0]} of 64)",
            verified_at=None,
        ),
    )
    return original_id
