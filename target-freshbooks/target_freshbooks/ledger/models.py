"""The ledger's tables. Every row is keyed by source tenant and FreshBooks account, except the tokens
(they belong to the OAuth grant, keyed by tenant and client id, and are needed to learn the account).

Change a table only together with a new migration in `migrations/versions/`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Float, Index, Integer, MetaData, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "pk": "pk_%(table_name)s",
}

TENANT = 200
ACCOUNT = 64
STREAM = 64
KEY = 500
FB_ID = 64


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class IdMapEntry(Base):
    """Source key → FreshBooks id, with the hash of the payload last written (or adopted)."""

    __tablename__ = "id_map"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant: Mapped[str] = mapped_column(String(TENANT))
    account_id: Mapped[str] = mapped_column(String(ACCOUNT))
    stream: Mapped[str] = mapped_column(String(STREAM))
    source_key: Mapped[str] = mapped_column(String(KEY))
    parent_key: Mapped[str | None] = mapped_column(String(KEY), nullable=True)
    freshbooks_id: Mapped[str | None] = mapped_column(String(FB_ID), nullable=True)
    payload_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    last_payload: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    """The record last written (or adopted), so that `replay --force` can re-send it to repair drift."""
    state: Mapped[str] = mapped_column(String(16), default="active")
    origin: Mapped[str] = mapped_column(String(16), default="created")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        UniqueConstraint("tenant", "account_id", "stream", "source_key"),
        Index("ix_id_map_freshbooks_id", "tenant", "account_id", "stream", "freshbooks_id"),
        Index("ix_id_map_parent_key", "tenant", "account_id", "stream", "parent_key"),
    )


@dataclass(frozen=True, slots=True)
class MappingRow:
    """What a run reads of an id-map row, kept in memory (a few hundred bytes; an ORM object is several times
    that): the run's cache holds tens of thousands of them."""

    stream: str
    source_key: str
    freshbooks_id: str | None
    payload_hash: str | None
    state: str
    origin: str
    parent_key: str | None = None


IdMap = IdMapEntry | MappingRow
"""An id-map row as sinks read it: from the run's cache, or from the database."""


class AuditEntry(Base):
    """Every write attempt and decision: what was done for which record, and how FreshBooks answered."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    run_id: Mapped[str] = mapped_column(String(64))
    tenant: Mapped[str] = mapped_column(String(TENANT))
    account_id: Mapped[str] = mapped_column(String(ACCOUNT))
    stream: Mapped[str] = mapped_column(String(STREAM))
    source_key: Mapped[str] = mapped_column(String(KEY))
    action: Mapped[str] = mapped_column(String(32))
    freshbooks_id: Mapped[str | None] = mapped_column(String(FB_ID), nullable=True)
    http_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    detail: Mapped[str | None] = mapped_column(Text, nullable=True)

    __table_args__ = (
        Index("ix_audit_log_source_key", "tenant", "source_key"),
        Index("ix_audit_log_freshbooks_id", "tenant", "freshbooks_id"),
    )


class DeadLetter(Base):
    """A record FreshBooks refused (or that is malformed): the record and the error, until replayed."""

    __tablename__ = "dead_letters"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant: Mapped[str] = mapped_column(String(TENANT))
    account_id: Mapped[str] = mapped_column(String(ACCOUNT))
    stream: Mapped[str] = mapped_column(String(STREAM))
    source_key: Mapped[str] = mapped_column(String(KEY))
    record: Mapped[dict[str, Any]] = mapped_column(JSON)
    error: Mapped[str] = mapped_column(Text)
    errno: Mapped[int | None] = mapped_column(Integer, nullable=True)
    field: Mapped[str | None] = mapped_column(String(200), nullable=True)
    http_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    run_id: Mapped[str] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    resolution: Mapped[str | None] = mapped_column(String(64), nullable=True)

    __table_args__ = (UniqueConstraint("tenant", "account_id", "stream", "source_key"),)


class ReviewItem(Base):
    """A record held for a person, with the reason; `released` lets `replay` write it."""

    __tablename__ = "review_queue"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant: Mapped[str] = mapped_column(String(TENANT))
    account_id: Mapped[str] = mapped_column(String(ACCOUNT))
    stream: Mapped[str] = mapped_column(String(STREAM))
    source_key: Mapped[str] = mapped_column(String(KEY))
    record: Mapped[dict[str, Any]] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(Text)
    released: Mapped[bool] = mapped_column(Boolean, default=False)
    run_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    released_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    resolution: Mapped[str | None] = mapped_column(String(64), nullable=True)

    __table_args__ = (UniqueConstraint("tenant", "account_id", "stream", "source_key"),)


class ParkedRecord(Base):
    """A record waiting on another source key; retried at the end of every run (in arrival order: `id`)."""

    __tablename__ = "parked"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant: Mapped[str] = mapped_column(String(TENANT))
    account_id: Mapped[str] = mapped_column(String(ACCOUNT))
    stream: Mapped[str] = mapped_column(String(STREAM))
    source_key: Mapped[str] = mapped_column(String(KEY))
    record: Mapped[dict[str, Any]] = mapped_column(JSON)
    waiting_stream: Mapped[str] = mapped_column(String(STREAM))
    waiting_key: Mapped[str] = mapped_column(String(KEY))
    reason: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (UniqueConstraint("tenant", "account_id", "stream", "source_key"),)


class TokenRow(Base):
    """The OAuth tokens, Fernet-encrypted. `version` and the `refreshing_*` claim make refresh single-flight."""

    __tablename__ = "oauth_tokens"
    tenant: Mapped[str] = mapped_column(String(TENANT), primary_key=True)
    client_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    ciphertext: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)
    refreshing_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    refreshing_since: Mapped[float | None] = mapped_column(Float, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class RunLock(Base):
    """One run per tenant and account; a lock whose holder died (or went silent) can be taken over."""

    __tablename__ = "run_locks"
    tenant: Mapped[str] = mapped_column(String(TENANT), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(ACCOUNT), primary_key=True)
    run_id: Mapped[str] = mapped_column(String(64))
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    acquired_at: Mapped[float] = mapped_column(Float)
    heartbeat_at: Mapped[float] = mapped_column(Float)


class RunHistory(Base):
    """One row per target run (and replay): its figures, for the end-of-run summary and `audit --runs`."""

    __tablename__ = "run_history"
    run_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant: Mapped[str] = mapped_column(String(TENANT))
    account_id: Mapped[str] = mapped_column(String(ACCOUNT))
    kind: Mapped[str] = mapped_column(String(16), default="sync")  # sync | replay | dry_run
    status: Mapped[str] = mapped_column(String(16), default="running")  # running | finished | failed
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    records: Mapped[int] = mapped_column(Integer, default=0)
    counts: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)  # stream -> outcome -> n
    left_behind: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)  # reason -> n
    calls: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)  # e.g. {"GET": n, "POST": n, "429": n}
    error: Mapped[str | None] = mapped_column(Text, nullable=True)

    __table_args__ = (Index("ix_run_history_started", "tenant", "account_id", "started_at"),)


class RateBudget(Base):
    """A call budget shared by every process calling as one app (`rate_budget.py`): where its next free slot starts
    (seconds since the epoch). Keyed by the vendor and a hash of the app's client id, never a secret."""

    __tablename__ = "rate_budget"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    next_free: Mapped[float] = mapped_column(Float)
