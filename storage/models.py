"""Database tables. Columns ending in `_ct` hold Fernet ciphertext; `_idx` hold blind indexes.

Nothing here is plaintext that ties a person to an exposure: case labels, notes, consent, terms,
exposure URLs, domains, titles, snippets and the queries sent are all encrypted, with the case's
own key where the row belongs to a case.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Stores naive UTC, returns aware UTC: SQLite keeps no zone, PostgreSQL would convert."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Meta(Base):
    """Key-check values and other single facts about the database."""

    __tablename__ = "meta"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Case(Base):
    __tablename__ = "cases"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_id: Mapped[str] = mapped_column(String(64), unique=True)
    label_ct: Mapped[str] = mapped_column(Text)
    notes_ct: Mapped[str | None] = mapped_column(Text)
    consent_ct: Mapped[str] = mapped_column(Text)  # JSON {by, at, how} encrypted
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    terms: Mapped[list[Term]] = relationship(back_populates="case", cascade="all, delete-orphan")


class Term(Base):
    __tablename__ = "terms"
    __table_args__ = (UniqueConstraint("case_id", "term_idx", name="uq_terms_case_term"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    term_ct: Mapped[str] = mapped_column(Text)
    term_idx: Mapped[str] = mapped_column(String(64))
    context_ct: Mapped[str | None] = mapped_column(Text)
    exclude_ct: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    case: Mapped[Case] = relationship(back_populates="terms")


class Target(Base):
    """A public page or channel an advocate asked jikimi to watch, and what the last visit saw."""

    __tablename__ = "targets"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    url_ct: Mapped[str] = mapped_column(Text)
    url_idx: Mapped[str] = mapped_column(String(64), unique=True)
    platform: Mapped[str] = mapped_column(String(32))
    render: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    etag: Mapped[str | None] = mapped_column(String(256))
    last_modified: Mapped[str | None] = mapped_column(String(64))
    text_sha256: Mapped[str | None] = mapped_column(String(64))
    last_message_id: Mapped[int | None] = mapped_column(Integer)
    last_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_outcome: Mapped[str | None] = mapped_column(String(32))
    last_error: Mapped[str | None] = mapped_column(String(200))


class Run(Base):
    __tablename__ = "runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # search | pages | recheck | nightly
    status: Mapped[str] = mapped_column(
        String(16), default="running"
    )  # running|ok|partial|failed|interrupted
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pid: Mapped[int | None] = mapped_column(Integer)
    report: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)  # counts and reasons; never a term

    sources: Mapped[list[RunSource]] = relationship(back_populates="run", cascade="all, delete-orphan")


class RunSource(Base):
    """How one source (or the page/channel crawl) ended one run: honest outcomes, with counts."""

    __tablename__ = "run_sources"
    __table_args__ = (UniqueConstraint("run_id", "source", name="uq_run_sources_run_source"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(32))
    outcome: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(200))
    calls: Mapped[int] = mapped_column(Integer, default=0)
    results: Mapped[int] = mapped_column(Integer, default=0)
    new_exposures: Mapped[int] = mapped_column(Integer, default=0)
    unreached_terms: Mapped[int] = mapped_column(Integer, default=0)
    details: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)

    run: Mapped[Run] = relationship(back_populates="sources")


class Exposure(Base):
    __tablename__ = "exposures"
    __table_args__ = (
        UniqueConstraint("case_id", "url_idx", name="uq_exposures_case_url"),
        Index("ix_exposures_case_status", "case_id", "status"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    url_idx: Mapped[str] = mapped_column(String(64))  # blind index of the canonical URL
    canonical_url_ct: Mapped[str] = mapped_column(Text)
    url_ct: Mapped[str] = mapped_column(Text)
    domain_ct: Mapped[str] = mapped_column(Text)
    platform: Mapped[str] = mapped_column(String(32))
    title_ct: Mapped[str | None] = mapped_column(Text)
    snippet_ct: Mapped[str | None] = mapped_column(Text)
    confidence: Mapped[str] = mapped_column(String(16))  # engine | snippet | page
    variant: Mapped[str | None] = mapped_column(String(32))
    # --- triage (migration 0006, storage/scoring.py and storage/triage.py) ---
    # 0-100, how sure jikimi is this is the case's person; `tier` strong | likely | weak; `reasons` in words
    # (never a term). Recomputed whenever the evidence changes.
    score: Mapped[float | None] = mapped_column(Float)
    tier: Mapped[str | None] = mapped_column(String(8))
    reasons: Mapped[list[str] | None] = mapped_column(JSON)
    # The matcher's own confidence (0-1) and level (high | low) of the best match, and the context kinds
    # (case, keyword, generic) found in the same text: the inputs the score is computed from.
    match_confidence: Mapped[float | None] = mapped_column(Float)
    match_level: Mapped[str | None] = mapped_column(String(8))
    context: Mapped[str | None] = mapped_column(String(64))
    # --- end triage ---
    term_id: Mapped[int | None] = mapped_column(ForeignKey("terms.id", ondelete="SET NULL"))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default="new")
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id", ondelete="SET NULL"))
    fingerprint: Mapped[str | None] = mapped_column(String(32))
    reupload_of_id: Mapped[int | None] = mapped_column(ForeignKey("exposures.id", ondelete="SET NULL"))


class Sighting(Base):
    """Every time a source showed us an exposure: which run, which query (encrypted), which rank."""

    __tablename__ = "sightings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    exposure_id: Mapped[int] = mapped_column(ForeignKey("exposures.id", ondelete="CASCADE"), index=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id", ondelete="SET NULL"), index=True)
    source: Mapped[str] = mapped_column(String(32))
    query_ct: Mapped[str | None] = mapped_column(Text)
    rank: Mapped[int | None] = mapped_column(Integer)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Evidence(Base):
    """What a page fetch proved: status, time and a hash of the extracted text. Never a screenshot."""

    __tablename__ = "evidence"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    exposure_id: Mapped[int] = mapped_column(ForeignKey("exposures.id", ondelete="CASCADE"), index=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id", ondelete="SET NULL"))
    purpose: Mapped[str] = mapped_column(String(16))  # verify | recheck | page
    http_status: Mapped[int | None] = mapped_column(Integer)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    text_sha256: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(32))
    # The URL fetched when it is not the exposure's own (migration 0007): the redirect token a search
    # engine gave, kept as evidence of where the exposure was found once its real URL is known.
    url_ct: Mapped[str | None] = mapped_column(Text)


class Export(Base):
    __tablename__ = "exports"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    format: Mapped[str] = mapped_column(String(8))
    only_new: Mapped[bool] = mapped_column(Boolean, default=False)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="SET NULL"))
    include_terms: Mapped[bool] = mapped_column(Boolean, default=False)
    count: Mapped[int] = mapped_column(Integer, default=0)
    path_ct: Mapped[str | None] = mapped_column(Text)
    # --- deliveries per recipient (migration 0006) ---
    # A short name chosen by the advocate (`--for takedown-team`); `--new` is "not yet delivered to it".
    recipient: Mapped[str] = mapped_column(String(64), default="default", server_default="default")
    # Set when this file is a batch written again (`export --batch N`): the export it repeats.
    rewrite_of: Mapped[int | None] = mapped_column(Integer)
    # --- end deliveries per recipient ---
    # Set (the temporary file's path, encrypted) from the commit that records a delivery until its
    # file has its final name: a crash in between is finished later, never lost (migration 0008).
    placing_ct: Mapped[str | None] = mapped_column(Text)


class ExportItem(Base):
    __tablename__ = "export_items"
    __table_args__ = (
        UniqueConstraint("export_id", "exposure_id", name="uq_export_items_export_exposure"),
        # An exposure goes out in at most one only-new export per recipient: the database itself
        # refuses a second delivery, whatever a caller does (migrations 0003, 0006).
        Index(
            "uq_export_items_new_recipient",
            "exposure_id",
            "recipient",
            unique=True,
            sqlite_where=text("only_new"),
            postgresql_where=text("only_new"),
        ),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    export_id: Mapped[int] = mapped_column(ForeignKey("exports.id", ondelete="CASCADE"), index=True)
    exposure_id: Mapped[int] = mapped_column(ForeignKey("exposures.id", ondelete="CASCADE"), index=True)
    only_new: Mapped[bool] = mapped_column(Boolean, default=False)
    recipient: Mapped[str] = mapped_column(String(64), default="default", server_default="default")


class ExposureEvent(Base):
    """A status change of an exposure: who, when, through which channel."""

    __tablename__ = "exposure_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    exposure_id: Mapped[int] = mapped_column(ForeignKey("exposures.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    channel: Mapped[str | None] = mapped_column(String(64))
    note_ct: Mapped[str | None] = mapped_column(Text)

    # --- takedown workflow (migration 0003, storage/lifecycle.py) ---------------------------------
    # To whom a report went (a form's name, an abuse address): encrypted with the case key, because
    # an address often names the very site the exposure sits on, and exposure domains are secret.
    recipient_ct: Mapped[str | None] = mapped_column(Text)
    # For `removed`: when someone (or a recheck) saw the URL gone; may be earlier than `at`.
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A bulk change (`mark-case`) and an undo share one change-set id, so the whole step can be undone at once
    # (migration 0006).
    change_set: Mapped[str | None] = mapped_column(String(36), index=True)
    # History and statistics read an exposure's events in time order.
    __table_args__ = (Index("ix_exposure_events_exposure_at", "exposure_id", "at"),)
    # --- end takedown workflow ----------------------------------------------------------------------


# --- audit trail (migration 0002; storage.audit) ---
class AuditRecord(Base):
    """One entry of the append-only audit trail, HMAC-chained to the one before it.

    Holds who, what, when and which case, never a term, label or URL. `id` is the position in the
    chain, assigned by `storage.audit.append` under a lock (no sequence: a rolled-back transaction
    must not leave a gap that looks like a deleted record). `case_id` has no foreign key: the
    record of a purge outlives the case.
    """

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    case_id: Mapped[int | None] = mapped_column(Integer, index=True)
    obj_type: Mapped[str | None] = mapped_column(String(32))
    obj_id: Mapped[int | None] = mapped_column(Integer)
    details: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


# --- end audit trail ---


# --- console accounts (migration 0004; storage.users) ---
class User(Base):
    """A person who signs in to the web console. Staff names, not victims' names: plaintext username.

    The password is an Argon2id hash; the TOTP secret is encrypted with the data key (a database copy
    alone cannot mint codes). `session_epoch` moves on every reset or disable, which ends every session
    signed in before it.
    """

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(32), unique=True)
    role: Mapped[str] = mapped_column(String(16))  # admin | advocate | viewer
    password_hash: Mapped[str] = mapped_column(String(255))
    totp_secret_ct: Mapped[str] = mapped_column(Text)
    totp_last_step: Mapped[int | None] = mapped_column(Integer)  # a code is accepted once (no replay)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    session_epoch: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CaseGrant(Base):
    """Who may read and work a case in the console (admins too: no silent super-user)."""

    __tablename__ = "case_grants"
    __table_args__ = (UniqueConstraint("case_id", "user_id", name="uq_case_grants_case_user"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    granted_by: Mapped[str] = mapped_column(String(64))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# --- end console accounts ---


class RunShard(Base):
    """The cluster's ledger: one stage of one shard of a pass, as a Scrapyd job on one node.

    Holds ids, node URLs and times only: never a term, label or exposure URL.
    """

    __tablename__ = "run_shards"
    __table_args__ = (UniqueConstraint("run_id", "shard", "stage", name="uq_run_shards_run_shard_stage"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    shard: Mapped[int] = mapped_column(Integer)
    stage: Mapped[str] = mapped_column(String(16))
    # pending | scheduled | running | done | failed | lost (re-scheduled elsewhere)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    node: Mapped[str | None] = mapped_column(String(200))
    job_id: Mapped[str | None] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # The child run the shard's spider records its sources in (kind "shard").
    child_run_id: Mapped[int | None] = mapped_column(Integer)
    scheduled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reason: Mapped[str | None] = mapped_column(String(200))
    history: Mapped[list[str]] = mapped_column(JSON, default=list)  # what happened, in order
    # Written by the spider itself when it closes: which Scrapyd job finished the stage, and how.
    spider_job_id: Mapped[str | None] = mapped_column(String(64))
    spider_reason: Mapped[str | None] = mapped_column(String(64))


class SourceBudget(Base):
    """Calls spent per source per local day, shared by every node through the database (row-locked)."""

    __tablename__ = "source_budgets"
    source: Mapped[str] = mapped_column(String(32), primary_key=True)
    day: Mapped[str] = mapped_column(String(10), primary_key=True)  # YYYY-MM-DD in the configured zone
    used: Mapped[int] = mapped_column(Integer, default=0)


class SourcePace(Base):
    """The next moment a request may go to a source, shared by every node: one engine, one pace."""

    __tablename__ = "source_pace"
    source: Mapped[str] = mapped_column(String(32), primary_key=True)
    next_at: Mapped[float] = mapped_column(Float, default=0.0)  # epoch seconds
