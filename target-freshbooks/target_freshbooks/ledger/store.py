"""Reading and writing the ledger. Every write commits at once: the ledger must survive a crash mid-run.

What a run reads again and again is kept in memory (`AccountLedger`): id-map rows it has read or written
(a bounded LRU), and which records are parked, in review or dead-lettered. Only this process writes them
while it holds the run lock, and every write goes through here, so the copies stay true. Audit entries are
written with the ledger write that follows them (one transaction), or in batches (`AUDIT_BATCH`,
`AUDIT_FLUSH_AFTER` seconds) and when the ledger is closed. SQLite runs in WAL mode with `synchronous=NORMAL`:
a commit survives the process crashing at any point; only an operating-system crash may lose the last ones,
which a rerun finds again in FreshBooks by natural key.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any, cast

from sqlalchemy import (
    CursorResult,
    Engine,
    Table,
    bindparam,
    create_engine,
    delete,
    event,
    insert,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, defer, sessionmaker

from target_freshbooks.errors import RunLockedError
from target_freshbooks.ledger import migrate
from target_freshbooks.ledger.models import (
    AuditEntry,
    DeadLetter,
    IdMap,
    IdMapEntry,
    MappingRow,
    ParkedRecord,
    ReviewItem,
    RunLock,
    TokenRow,
)

logger = logging.getLogger("target-freshbooks.ledger")

LOCK_STALE_AFTER = 15 * 60
MAPPINGS_CACHED = 50_000
UPSERT_DIALECTS = frozenset({"sqlite", "postgresql"})
"""Dialects whose INSERT takes ON CONFLICT DO UPDATE (one statement per id-map write)."""
ID_MAP_KEY = ("tenant", "account_id", "stream", "source_key")
ID_MAP_WRITTEN = ("freshbooks_id", "payload_hash", "origin", "state", "parent_key", "updated_at")


@cache
def _id_map_upsert(dialect: str) -> Any:
    """The id-map upsert as SQL text with typed parameters: SQLAlchemy compiles the dialects' own
    `on_conflict_do_update` constructs anew on every call (they are not cached), a text once."""
    if dialect not in UPSERT_DIALECTS:
        return None
    table = IdMapEntry.__table__
    names = (*ID_MAP_KEY, *ID_MAP_WRITTEN)
    sql = (f"INSERT INTO {IdMapEntry.__tablename__} ({', '.join(names)}) VALUES ({', '.join(':' + n for n in names)}) "
           f"ON CONFLICT ({', '.join(ID_MAP_KEY)}) DO UPDATE SET "
           + ", ".join(f"{n} = excluded.{n}" for n in ID_MAP_WRITTEN))
    return text(sql).bindparams(*(bindparam(n, type_=table.c[n].type) for n in names))
"""Id-map rows an AccountLedger keeps in memory (least recently used dropped first)."""
AUDIT_BATCH = 200
AUDIT_FLUSH_AFTER = 2.0
"""Seconds an audit entry may wait in memory for the next ledger write before it is written on its own."""
"""Seconds without a heartbeat after which another host's lock counts as abandoned."""


def utcnow() -> datetime:
    return datetime.now(UTC)


LEDGER_FILE_MODE = 0o600
LEDGER_DIR_MODE = 0o700
"""The ledger holds customers' emails and addresses (audit trail, dead letters): owner-only."""


def secure_sqlite_file(database: str) -> None:
    """Create the SQLite ledger owner-only (its directory 0700 when the target creates it, the file 0600), or
    tighten an existing ledger file this user owns that others can read (with its WAL and shared-memory files)."""
    path = Path(database)
    missing = [parent for parent in (path.parent, *path.parent.parents) if not parent.exists()]
    for directory in reversed(missing):
        directory.mkdir(mode=LEDGER_DIR_MODE, exist_ok=True)
        os.chmod(directory, LEDGER_DIR_MODE)  # mkdir's mode is masked by the umask
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, LEDGER_FILE_MODE))
        os.chmod(path, LEDGER_FILE_MODE)
        return
    for member in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")):
        try:
            status = member.stat()
        except FileNotFoundError:
            continue
        if status.st_mode & 0o077 and status.st_uid == os.getuid():
            os.chmod(member, LEDGER_FILE_MODE)
            logger.warning("The ledger file %s was readable by others (mode %o); made it owner-only (600): it holds "
                           "customers' emails and addresses.", member, status.st_mode & 0o777)


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:" and not parsed.database.startswith("file:"):
            secure_sqlite_file(parsed.database)
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def pid_alive(pid: int) -> bool:
    """Whether a process runs. A zombie does not: a run killed with `kill -9` whose parent is gone may stay one
    for good on hosts whose init never reaps (containers), and must not hold the lock."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except (OSError, IndexError):
        return True  # no /proc (macOS): the signal said it exists
    return state not in ("Z", "X")


class Ledger:
    """The ledger database: opened (and migrated to the newest schema) once per process."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        migrate.upgrade(self.engine)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.before_write: list[Callable[[Session], None]] = []
        """Called in every transaction, before its commit (an AccountLedger's audit entries waiting in memory)."""

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One transaction; audit entries waiting in memory are written in it too (`before_write`)."""
        with self.sessions() as session, session.begin():
            yield session
            for hook in self.before_write:
                hook(session)

    def close(self) -> None:
        try:
            if self.before_write:
                with self.session():
                    pass
        finally:
            self.engine.dispose()

    def account(self, tenant: str, account_id: str) -> AccountLedger:
        return AccountLedger(self, tenant, account_id)

    def tokens(self, tenant: str, client_id: str) -> TokenStore:
        return TokenStore(self, tenant, client_id)

    # The run lock ---------------------------------------------------------------------------------------

    def acquire_lock(self, tenant: str, account_id: str, run_id: str, *,
                     stale_after: float = LOCK_STALE_AFTER) -> None:
        """Take the one-run-per-account lock, taking over a lock whose holder is gone; else RunLockedError."""
        now = time.time()
        me = {"run_id": run_id, "host": socket.gethostname(), "pid": os.getpid(),
              "acquired_at": now, "heartbeat_at": now}
        try:
            with self.session() as s:
                s.add(RunLock(tenant=tenant, account_id=account_id, **me))
            return
        except IntegrityError:
            pass
        with self.session() as s:
            holder = s.get(RunLock, (tenant, account_id))
        if holder is None:  # released in between
            return self.acquire_lock(tenant, account_id, run_id, stale_after=stale_after)
        if self._lock_is_stale(holder, now, stale_after):
            with self.session() as s:
                taken = cast(CursorResult[Any], s.execute(
                    update(RunLock)
                    .where(RunLock.tenant == tenant, RunLock.account_id == account_id,
                           RunLock.run_id == holder.run_id)
                    .values(**me)
                )).rowcount
            if taken == 1:
                logger.warning("Took over the run lock of tenant %r, account %s left by run %s (pid %s on %s), "
                               "whose process is gone.", tenant, account_id, holder.run_id, holder.pid, holder.host)
                return None
        age = int(now - holder.acquired_at)
        raise RunLockedError(
            f"Another target-freshbooks run ({holder.run_id}, pid {holder.pid} on {holder.host}, started {age}s "
            f"ago) is writing to FreshBooks account {account_id} for tenant {tenant!r}; only one run per account "
            f"may run at a time. Wait for it to finish. A lock left by a dead process is taken over "
            f"automatically (at once on the same host, after {int(stale_after)}s without heartbeat elsewhere)."
        )

    @staticmethod
    def _lock_is_stale(holder: RunLock, now: float, stale_after: float) -> bool:
        if now - holder.heartbeat_at > stale_after:
            return True
        return holder.host == socket.gethostname() and holder.pid != os.getpid() and not pid_alive(holder.pid)

    def heartbeat(self, tenant: str, account_id: str, run_id: str) -> None:
        with self.session() as s:
            s.execute(update(RunLock).where(RunLock.tenant == tenant, RunLock.account_id == account_id,
                                            RunLock.run_id == run_id).values(heartbeat_at=time.time()))

    def release_lock(self, tenant: str, account_id: str, run_id: str) -> None:
        with self.session() as s:
            s.execute(delete(RunLock).where(RunLock.tenant == tenant, RunLock.account_id == account_id,
                                            RunLock.run_id == run_id))

    # Reading across accounts (the audit command needs no FreshBooks call) ----------------------------

    def trail(self, tenant: str, *, account_id: str | None = None, source_key: str | None = None,
              freshbooks_id: str | None = None, stream: str | None = None,
              include_children: bool = False) -> list[AuditEntry]:
        """Audit entries; with `include_children`, also those of `source_key:...` (payment applications)."""
        query = select(AuditEntry).where(AuditEntry.tenant == tenant)
        if account_id:
            query = query.where(AuditEntry.account_id == account_id)
        if source_key and include_children:
            query = query.where(or_(AuditEntry.source_key == source_key,
                                    AuditEntry.source_key.startswith(f"{source_key}:", autoescape=True)))
        elif source_key:
            query = query.where(AuditEntry.source_key == source_key)
        if freshbooks_id:
            query = query.where(AuditEntry.freshbooks_id == str(freshbooks_id))
        if stream:
            query = query.where(AuditEntry.stream == stream)
        with self.session() as s:
            return list(s.scalars(query.order_by(AuditEntry.id)))

    def reviews(self, tenant: str, *, account_id: str | None = None,
                include_resolved: bool = False) -> list[ReviewItem]:
        query = select(ReviewItem).where(ReviewItem.tenant == tenant)
        if account_id:
            query = query.where(ReviewItem.account_id == account_id)
        if not include_resolved:
            query = query.where(ReviewItem.resolved_at.is_(None))
        with self.session() as s:
            return list(s.scalars(query.order_by(ReviewItem.id)))

    def release_review(self, tenant: str, source_key: str, *, account_id: str | None = None,
                       stream: str | None = None) -> list[ReviewItem]:
        """Mark open review items of `source_key` released; returns them."""
        query = select(ReviewItem).where(ReviewItem.tenant == tenant, ReviewItem.source_key == source_key,
                                         ReviewItem.resolved_at.is_(None))
        if account_id:
            query = query.where(ReviewItem.account_id == account_id)
        if stream:
            query = query.where(ReviewItem.stream == stream)
        with self.session() as s:
            items = list(s.scalars(query))
            for item in items:
                item.released = True
                item.released_at = utcnow()
        return items

    def dead_letters(self, tenant: str, *, account_id: str | None = None,
                     include_resolved: bool = False) -> list[DeadLetter]:
        query = select(DeadLetter).where(DeadLetter.tenant == tenant)
        if account_id:
            query = query.where(DeadLetter.account_id == account_id)
        if not include_resolved:
            query = query.where(DeadLetter.resolved_at.is_(None))
        with self.session() as s:
            return list(s.scalars(query.order_by(DeadLetter.id)))

    def parked(self, tenant: str, *, account_id: str | None = None) -> list[ParkedRecord]:
        query = select(ParkedRecord).where(ParkedRecord.tenant == tenant)
        if account_id:
            query = query.where(ParkedRecord.account_id == account_id)
        with self.session() as s:
            return list(s.scalars(query.order_by(ParkedRecord.id)))


class AccountLedger:
    """The ledger of one source tenant and one FreshBooks account: what the loader reads and writes."""

    def __init__(self, ledger: Ledger, tenant: str, account_id: str) -> None:
        self.ledger = ledger
        self.tenant = tenant
        self.account_id = account_id
        self._mappings: OrderedDict[tuple[str, str], IdMap | None] = OrderedDict()
        self._known: set[int] | None = None
        """Hashes of the (stream, source key) the id map holds: a key not among them needs no query."""
        self._pending: dict[tuple[str, str], set[str]] | None = None
        self._audits: list[dict[str, Any]] = []
        self._audits_since = 0.0
        ledger.before_write.append(self._write_audits)

    def _scope(self, model: Any) -> list[Any]:
        return [model.tenant == self.tenant, model.account_id == self.account_id]

    # Id map --------------------------------------------------------------------------------------------

    def mapping(self, stream: str, source_key: str) -> IdMap | None:
        key = (stream, source_key)
        if key in self._mappings:
            self._mappings.move_to_end(key)
            return self._mappings[key]
        if hash(key) not in self._known_keys():
            return None
        if key in self._mappings:  # read with the keys, just now
            return self._mappings[key]
        with self.ledger.session() as s:
            entry = s.scalars(select(IdMapEntry).options(defer(IdMapEntry.last_payload))
                              .where(*self._scope(IdMapEntry), IdMapEntry.stream == stream,
                                     IdMapEntry.source_key == source_key)).first()
        self._remember(key, entry)
        return entry

    def _known_keys(self) -> set[int]:
        """Read once: which keys the id map holds, and (up to MAPPINGS_CACHED of) their rows, in one query: a
        rerun then answers each record's mapping from memory instead of one query per record."""
        if self._known is None:
            columns = (IdMapEntry.stream, IdMapEntry.source_key, IdMapEntry.freshbooks_id, IdMapEntry.payload_hash,
                       IdMapEntry.state, IdMapEntry.origin, IdMapEntry.parent_key)
            names = [column.key for column in columns]
            known: set[int] = set()
            with self.ledger.session() as s:
                for row in s.execute(select(*columns).where(*self._scope(IdMapEntry))):
                    key = (row[0], row[1])
                    known.add(hash(key))
                    if len(self._mappings) < MAPPINGS_CACHED and key not in self._mappings:
                        self._mappings[key] = MappingRow(**dict(zip(names, row, strict=True)))
            self._known = known
        return self._known

    def _remember(self, key: tuple[str, str], entry: IdMap | None) -> None:
        self._mappings[key] = entry
        self._mappings.move_to_end(key)
        while len(self._mappings) > MAPPINGS_CACHED:
            self._mappings.popitem(last=False)

    def key_for_id(self, stream: str, freshbooks_id: str) -> str | None:
        """The source key already mapped to this FreshBooks object, if any."""
        with self.ledger.session() as s:
            return s.scalars(select(IdMapEntry.source_key).where(
                *self._scope(IdMapEntry), IdMapEntry.stream == stream,
                IdMapEntry.freshbooks_id == str(freshbooks_id), IdMapEntry.state == "active")).first()

    def children(self, stream: str, parent_key: str) -> list[IdMap]:
        with self.ledger.session() as s:
            return list(s.scalars(select(IdMapEntry).where(
                *self._scope(IdMapEntry), IdMapEntry.stream == stream, IdMapEntry.parent_key == parent_key,
                IdMapEntry.state == "active").order_by(IdMapEntry.id)))

    def save_mapping(self, stream: str, source_key: str, freshbooks_id: str | None, payload_hash: str | None, *,
                     origin: str, state: str = "active", parent_key: str | None = None) -> None:
        """Insert or update the row in one statement (`INSERT ... ON CONFLICT DO UPDATE` on SQLite and PostgreSQL,
        the ORM's select-then-write elsewhere); `last_payload` is left as it is."""
        key = (stream, source_key)
        self._mappings.pop(key, None)  # re-read next time if this write fails
        values: dict[str, Any] = {
            "freshbooks_id": None if freshbooks_id is None else str(freshbooks_id), "payload_hash": payload_hash,
            "origin": origin, "state": state, "parent_key": parent_key, "updated_at": utcnow()}
        scope = {"tenant": self.tenant, "account_id": self.account_id, "stream": stream, "source_key": source_key}
        upsert = _id_map_upsert(self.ledger.engine.dialect.name)
        with self.ledger.session() as s:
            if upsert is not None:
                s.connection().execute(upsert, {**scope, **values})
            else:
                entry = s.scalars(select(IdMapEntry).options(defer(IdMapEntry.last_payload)).where(
                    *(getattr(IdMapEntry, name) == value for name, value in scope.items()))).first()
                if entry is None:
                    entry = IdMapEntry(**scope)
                    s.add(entry)
                for name, value in values.items():
                    setattr(entry, name, value)
        self._remember(key, MappingRow(stream, source_key, values["freshbooks_id"], payload_hash, state, origin,
                                       parent_key))
        self._known_keys().add(hash(key))

    def drop_mapping(self, stream: str, source_key: str) -> None:
        self._mappings.pop((stream, source_key), None)
        with self.ledger.session() as s:
            s.execute(delete(IdMapEntry).where(*self._scope(IdMapEntry), IdMapEntry.stream == stream,
                                               IdMapEntry.source_key == source_key))

    # Audit -----------------------------------------------------------------------------------------------

    def audit(self, run_id: str, stream: str, source_key: str, action: str, *, freshbooks_id: str | None = None,
              http_status: int | None = None, error: str | None = None, detail: str | None = None) -> None:
        if not self._audits:
            self._audits_since = time.monotonic()
        self._audits.append({"at": utcnow(), "run_id": run_id, "tenant": self.tenant, "account_id": self.account_id,
                             "stream": stream, "source_key": source_key, "action": action,
                             "freshbooks_id": None if freshbooks_id is None else str(freshbooks_id),
                             "http_status": http_status, "error": error, "detail": detail})
        if len(self._audits) >= AUDIT_BATCH or time.monotonic() - self._audits_since > AUDIT_FLUSH_AFTER:
            self.flush_audits()

    def flush_audits(self) -> None:
        """Write the audit entries waiting in memory (a transaction of their own)."""
        if self._audits:
            with self.ledger.session():
                pass

    def _write_audits(self, session: Session) -> None:
        """One multi-row INSERT (the ORM's unit of work would cost more than the rest of the transaction)."""
        if self._audits:
            session.connection().execute(insert(cast(Table, AuditEntry.__table__)), self._audits)
            self._audits = []

    # Pending places: parked, review, dead letters -------------------------------------------------------

    def pending(self, stream: str, source_key: str) -> str | None:
        """Why a record is not in FreshBooks yet: "parked", "in review", "dead-lettered", or None."""
        places = self._pending_places().get((stream, source_key))
        for place in ("parked", "in review", "dead-lettered"):
            if places and place in places:
                return place
        return None

    def _pending_places(self) -> dict[tuple[str, str], set[str]]:
        """Every pending record of the account and where it waits, read once, then kept by the writes below."""
        if self._pending is None:
            found: dict[tuple[str, str], set[str]] = {}
            models: list[tuple[str, Any, bool]] = [("parked", ParkedRecord, False), ("in review", ReviewItem, True),
                                                   ("dead-lettered", DeadLetter, True)]
            with self.ledger.session() as s:
                for place, model, open_only in models:
                    query = select(model.stream, model.source_key).where(*self._scope(model))
                    if open_only:
                        query = query.where(model.resolved_at.is_(None))
                    for stream, key in s.execute(query):
                        found.setdefault((stream, key), set()).add(place)
            self._pending = found
        return self._pending

    def _mark(self, stream: str, source_key: str, place: str, on: bool) -> None:
        if self._pending is None:
            return
        places = self._pending.setdefault((stream, source_key), set())
        if on:
            places.add(place)
        else:
            places.discard(place)
            if not places:
                del self._pending[(stream, source_key)]

    def park(self, stream: str, source_key: str, record: dict[str, Any], waiting_stream: str, waiting_key: str,
             reason: str) -> None:
        self._park(stream, source_key, record, waiting_stream, waiting_key, reason)
        self._mark(stream, source_key, "parked", True)

    def _park(self, stream: str, source_key: str, record: dict[str, Any], waiting_stream: str, waiting_key: str,
              reason: str) -> None:
        with self.ledger.session() as s:
            row = s.scalars(select(ParkedRecord).where(*self._scope(ParkedRecord), ParkedRecord.stream == stream,
                                                       ParkedRecord.source_key == source_key)).first()
            now = utcnow()
            if row is None:
                s.add(ParkedRecord(tenant=self.tenant, account_id=self.account_id, stream=stream,
                                   source_key=source_key, record=record, waiting_stream=waiting_stream,
                                   waiting_key=waiting_key, reason=reason, attempts=1, created_at=now,
                                   updated_at=now))
                return
            row.record = record
            row.waiting_stream = waiting_stream
            row.waiting_key = waiting_key
            row.reason = reason
            row.attempts += 1
            row.updated_at = now

    def unpark(self, stream: str, source_key: str) -> None:
        with self.ledger.session() as s:
            s.execute(delete(ParkedRecord).where(*self._scope(ParkedRecord), ParkedRecord.stream == stream,
                                                 ParkedRecord.source_key == source_key))
        self._mark(stream, source_key, "parked", False)

    def parked_records(self) -> list[ParkedRecord]:
        with self.ledger.session() as s:
            return list(s.scalars(select(ParkedRecord).where(*self._scope(ParkedRecord)).order_by(ParkedRecord.id)))

    def dead_letter(self, stream: str, source_key: str, record: dict[str, Any], *, error: str, run_id: str,
                    errno: int | None = None, field: str | None = None, http_status: int | None = None) -> None:
        with self.ledger.session() as s:
            row = s.scalars(select(DeadLetter).where(*self._scope(DeadLetter), DeadLetter.stream == stream,
                                                     DeadLetter.source_key == source_key)).first()
            now = utcnow()
            if row is None:
                row = DeadLetter(tenant=self.tenant, account_id=self.account_id, stream=stream,
                                 source_key=source_key, attempts=0, created_at=now)
                s.add(row)
            row.record = record
            row.error = error
            row.errno = errno
            row.field = field
            row.http_status = http_status
            row.run_id = run_id
            row.attempts = (row.attempts or 0) + 1
            row.updated_at = now
            row.resolved_at = None
            row.resolution = None
        self._mark(stream, source_key, "dead-lettered", True)

    def resolve_dead_letter(self, stream: str, source_key: str, resolution: str) -> None:
        with self.ledger.session() as s:
            s.execute(update(DeadLetter).where(*self._scope(DeadLetter), DeadLetter.stream == stream,
                                               DeadLetter.source_key == source_key, DeadLetter.resolved_at.is_(None))
                      .values(resolved_at=utcnow(), resolution=resolution))
        self._mark(stream, source_key, "dead-lettered", False)

    def open_dead_letters(self, stream: str | None = None, source_key: str | None = None) -> list[DeadLetter]:
        query = select(DeadLetter).where(*self._scope(DeadLetter), DeadLetter.resolved_at.is_(None))
        if stream:
            query = query.where(DeadLetter.stream == stream)
        if source_key:
            query = query.where(DeadLetter.source_key == source_key)
        with self.ledger.session() as s:
            return list(s.scalars(query.order_by(DeadLetter.id)))

    def hold_for_review(self, stream: str, source_key: str, record: dict[str, Any], reason: str, run_id: str, *,
                        honour_release: bool = True) -> bool:
        """Queue the record for review; True if a person released it for this same reason (then write it)."""
        released, still_open = self._hold_for_review(stream, source_key, record, reason, run_id, honour_release)
        self._mark(stream, source_key, "in review", still_open)
        return released

    def _hold_for_review(self, stream: str, source_key: str, record: dict[str, Any], reason: str, run_id: str,
                         honour_release: bool) -> tuple[bool, bool]:
        """(released, the review item is open)"""
        with self.ledger.session() as s:
            row = s.scalars(select(ReviewItem).where(*self._scope(ReviewItem), ReviewItem.stream == stream,
                                                     ReviewItem.source_key == source_key)).first()
            if honour_release and row is not None and row.released and row.reason == reason:
                # Released by a person for this reason (and perhaps written since): no new review.
                if row.resolved_at is None:
                    row.record = record
                return True, row.resolved_at is None
            if row is None:
                row = ReviewItem(tenant=self.tenant, account_id=self.account_id, stream=stream,
                                 source_key=source_key)
                s.add(row)
            if row.resolved_at is not None or row.reason != reason or not honour_release:
                row.released = False
                row.released_at = None
            row.record = record
            row.reason = reason
            row.run_id = run_id
            row.created_at = row.created_at or utcnow()
            row.resolved_at = None
            row.resolution = None
            return False, True

    def resolve_review(self, stream: str, source_key: str, resolution: str) -> None:
        with self.ledger.session() as s:
            s.execute(update(ReviewItem).where(*self._scope(ReviewItem), ReviewItem.stream == stream,
                                               ReviewItem.source_key == source_key, ReviewItem.resolved_at.is_(None))
                      .values(resolved_at=utcnow(), resolution=resolution))
        self._mark(stream, source_key, "in review", False)

    def released_reviews(self, stream: str | None = None, source_key: str | None = None) -> list[ReviewItem]:
        query = select(ReviewItem).where(*self._scope(ReviewItem), ReviewItem.resolved_at.is_(None),
                                         ReviewItem.released.is_(True))
        if stream:
            query = query.where(ReviewItem.stream == stream)
        if source_key:
            query = query.where(ReviewItem.source_key == source_key)
        with self.ledger.session() as s:
            return list(s.scalars(query.order_by(ReviewItem.id)))


class TokenStore:
    """The encrypted token row of one (tenant, OAuth client); compare-and-swap on `version`."""

    def __init__(self, ledger: Ledger, tenant: str, client_id: str) -> None:
        self.ledger = ledger
        self.tenant = tenant
        self.client_id = client_id

    def read(self) -> TokenRow | None:
        with self.ledger.session() as s:
            return s.get(TokenRow, (self.tenant, self.client_id))

    def replace(self, ciphertext: str) -> int:
        """Store freshly authorized tokens (whatever was there); returns the new version."""
        with self.ledger.session() as s:
            row = s.get(TokenRow, (self.tenant, self.client_id), with_for_update=True)
            if row is None:
                s.add(TokenRow(tenant=self.tenant, client_id=self.client_id, ciphertext=ciphertext, version=1,
                               updated_at=utcnow()))
                return 1
            row.ciphertext = ciphertext
            row.version += 1
            row.refreshing_by = None
            row.refreshing_since = None
            row.updated_at = utcnow()
            return row.version

    def claim_refresh(self, version: int, owner: str, *, stale_after: float) -> bool:
        """Claim the right to spend the refresh token of `version` (nobody else holds a live claim)."""
        now = time.time()
        with self.ledger.session() as s:
            claimed = cast(CursorResult[Any], s.execute(
                update(TokenRow)
                .where(TokenRow.tenant == self.tenant, TokenRow.client_id == self.client_id,
                       TokenRow.version == version,
                       or_(TokenRow.refreshing_by.is_(None), TokenRow.refreshing_since < now - stale_after))
                .values(refreshing_by=owner, refreshing_since=now)
            )).rowcount
        return claimed == 1

    def complete_refresh(self, version: int, owner: str, ciphertext: str) -> int:
        """Save the rotated tokens (committed before they are used); returns the new version."""
        with self.ledger.session() as s:
            done = cast(CursorResult[Any], s.execute(
                update(TokenRow)
                .where(TokenRow.tenant == self.tenant, TokenRow.client_id == self.client_id,
                       TokenRow.version == version, TokenRow.refreshing_by == owner)
                .values(ciphertext=ciphertext, version=version + 1, refreshing_by=None, refreshing_since=None,
                        updated_at=utcnow())
            )).rowcount
        if done == 1:
            return version + 1
        # Our claim was taken over as stale while we refreshed: the tokens we hold are still the only
        # valid ones (the refresh token we spent is dead), so they must be saved regardless.
        logger.warning("The token refresh claim was lost while refreshing; saving the new tokens anyway.")
        return self.replace(ciphertext)

    def abandon_refresh(self, owner: str) -> None:
        with self.ledger.session() as s:
            s.execute(update(TokenRow).where(TokenRow.tenant == self.tenant, TokenRow.client_id == self.client_id,
                                             TokenRow.refreshing_by == owner)
                      .values(refreshing_by=None, refreshing_since=None))
