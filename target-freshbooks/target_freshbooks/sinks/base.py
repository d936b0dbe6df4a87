"""What every FreshBooks resource sink shares: the upsert algorithm and the outcomes.

A sink module per FreshBooks resource subclasses `ResourceSink` and says how to build the payload from
a record (resolving `*_source_key` references), how to find an existing object by its natural key, and
what to do around creates and updates. The loader (`target_freshbooks.loader`) decides what happens to
the record afterwards (ledger, audit, parking, review, dead letters).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from target_freshbooks.errors import AmbiguousWriteError, RecordError, RecordRef

if TYPE_CHECKING:
    from target_freshbooks.http import FreshBooksClient
    from target_freshbooks.ledger.models import IdMap
    from target_freshbooks.ledger.store import AccountLedger

CREATE_ATTEMPTS = 6
"""Creates tried (each after looking the object up) before the record is dead-lettered as unconfirmed."""
INACTIVE = "inactive"
"""Payload hash of a record seen only as inactive (never in FreshBooks)."""
MARKER_PATTERN = re.compile(r"\[([^\[\]\s]+:[^\[\]\s]+)\]")


class Outcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    ADOPTED = "adopted"
    DELETED = "deleted"
    PARKED = "parked"
    REVIEW = "review"
    FAILED = "failed"
    SKIPPED = "skipped"


class Park(Exception):
    """The record needs another record (`waiting_stream`, `waiting_key`) that is not in FreshBooks yet."""

    def __init__(self, waiting_stream: str, waiting_key: str, reason: str, *, pending: bool = False) -> None:
        super().__init__(reason)
        self.waiting_stream = waiting_stream
        self.waiting_key = waiting_key
        self.reason = reason
        self.pending = pending


class Review(Exception):
    """The record needs a person; `reason` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Resource:
    """Where a FreshBooks resource lives: `/accounting/account/{account}/{area}/{name}[/{id}]`."""

    area: str
    name: str
    single: str
    plural: str
    delete_with: str = "vis_state"  # or "http_delete"
    id_field: str = "id"

    def path(self, account_id: str, object_id: str | int | None = None) -> str:
        base = f"/accounting/account/{account_id}/{self.area}/{self.name}"
        return base if object_id is None else f"{base}/{object_id}"


@dataclass(frozen=True)
class Match:
    """An existing FreshBooks object found by natural key (`how` says which)."""

    freshbooks_id: str
    how: str
    obj: dict[str, Any] | None = None


class SinkContext(Protocol):
    """What a sink may use from the run (implemented by `Loader`)."""

    client: FreshBooksClient
    ledger: AccountLedger
    account_id: str
    run_id: str
    dry_run: bool
    cache: dict[str, Any]

    def audit(self, ref: RecordRef, action: str, *, freshbooks_id: str | None = None, http_status: int | None = None,
              error: str | None = None, detail: str | None = None) -> None: ...

    def resolve(self, stream: str, source_key: str, *, needed_by: RecordRef,
                lookup: Callable[[], str | None] | None = None) -> str: ...

    def load_dependency(self, stream: str, record: dict[str, Any]) -> Outcome: ...

    def sink(self, stream: str) -> ResourceSink: ...


def payload_hash(payload: Any) -> str:
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def as_fb_id(value: str | int) -> int | str:
    """FreshBooks ids are integers; dry-run placeholders stay strings."""
    text = str(value)
    return int(text) if text.isdigit() else text


def marker(source_key: str) -> str:
    return f"[{source_key}]"


def foreign_marker(text: str | None, source_key: str) -> bool:
    """True if `text` carries another record's source-key marker (so that object belongs to someone else)."""
    return any(found != source_key for found in MARKER_PATTERN.findall(text or ""))


def with_marker(note: str | None, source_key: str) -> str:
    note = (note or "").rstrip()
    tag = marker(source_key)
    if tag in note:
        return note
    return f"{note}\n{tag}" if note else tag


def pick(record: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    """The fields present in the record with a value (absent and null fields are not sent)."""
    return {name: record[name] for name in fields if record.get(name) is not None}


def require(record: dict[str, Any], ref: RecordRef, *names: str) -> None:
    missing = [name for name in names if record.get(name) in (None, "")]
    if missing:
        raise RecordError(ref, f"missing required field(s): {', '.join(missing)}")


def confirmed_create(ctx: SinkContext, path: str, single: str, body: dict[str, Any], ref: RecordRef,
                     find: Callable[[], Match | None],
                     id_of: Callable[[dict[str, Any]], str]) -> tuple[str, dict[str, Any]]:
    """The one create path of every sink: POST; after an answer that never came (the write may or may not
    have landed), look the object up by its natural key (`find`) before POSTing again, so a late write is
    adopted, never duplicated. Raises the last AmbiguousWriteError after CREATE_ATTEMPTS (the loader
    dead-letters the record; `replay` looks it up again first)."""
    last: AmbiguousWriteError | None = None
    for _ in range(CREATE_ATTEMPTS):
        try:
            obj = ctx.client.create(path, single, body, ref)
        except AmbiguousWriteError as exc:
            last = exc
            ctx.audit(ref, "create_unconfirmed", http_status=exc.status, error=str(exc))
            with ctx.client.lookups.live():  # FreshBooks itself, never a listing read before the create
                match = find()
            if match is not None:
                ctx.audit(ref, "create", freshbooks_id=match.freshbooks_id,
                          detail=f"confirmed after an unanswered create: found by {match.how}")
                return match.freshbooks_id, match.obj or {}
            continue
        freshbooks_id = id_of(obj)
        ctx.audit(ref, "create", freshbooks_id=freshbooks_id, http_status=200)
        return freshbooks_id, obj
    assert last is not None
    raise last


class ResourceSink:
    """Upserts one stream's records into one FreshBooks resource."""

    stream: ClassVar[str]
    resource: ClassVar[Resource]
    restorable: ClassVar[bool] = True
    """A deleted object can be brought back with a vis_state 0 PUT (false for hard deletes)."""

    def __init__(self, ctx: SinkContext) -> None:
        self.ctx = ctx

    # Hooks for each resource --------------------------------------------------------------------------

    def build_payload(self, record: dict[str, Any], ref: RecordRef, *, released: bool) -> dict[str, Any]:
        """FreshBooks fields from the record, references resolved (may raise Park, Review, RecordError)."""
        raise NotImplementedError

    def find_existing(self, record: dict[str, Any], payload: dict[str, Any] | None, ref: RecordRef) -> Match | None:
        """An existing FreshBooks object for this record by natural key; payload is None when deleting."""
        raise NotImplementedError

    def create_body(self, record: dict[str, Any], payload: dict[str, Any], ref: RecordRef) -> dict[str, Any]:
        return dict(payload)

    def update_body(self, record: dict[str, Any], payload: dict[str, Any], mapping: IdMap,
                    ref: RecordRef) -> dict[str, Any]:
        return dict(payload)

    def after_create(self, freshbooks_id: str, obj: dict[str, Any], ref: RecordRef) -> None:
        """Called once the created id is in the ledger (e.g. mark an invoice sent)."""

    def after_update(self, freshbooks_id: str, obj: dict[str, Any], ref: RecordRef) -> None:
        """Called after an update, before the new payload hash is recorded."""

    def after_adopt(self, match: Match, record: dict[str, Any], payload: dict[str, Any], ref: RecordRef) -> None:
        """Called once an existing object is adopted: finish what a crash may have interrupted (e.g. mark sent)."""

    def before_delete(self, freshbooks_id: str, record: dict[str, Any], ref: RecordRef) -> None:
        """Called before an `active: false` record's object is deleted (e.g. release money applied to it)."""

    # Shared helpers -----------------------------------------------------------------------------------

    def path(self, object_id: str | int | None = None) -> str:
        return self.resource.path(self.ctx.account_id, object_id)

    def id_of(self, obj: dict[str, Any]) -> str:
        value = obj.get(self.resource.id_field)
        if value is None:
            value = obj.get("id")
        return str(value)

    def claimed_by_other(self, freshbooks_id: Any, source_key: str) -> bool:
        owner = self.ctx.ledger.key_for_id(self.stream, str(freshbooks_id))
        return owner is not None and owner != source_key

    def search(self, filters: list[tuple[str, Any]], ref: RecordRef) -> list[dict[str, Any]]:
        return self.ctx.client.search(self.path(), self.resource.plural, filters, ref)

    def adopt(self, source_key: str, match: Match, ref: RecordRef, payload_digest: str | None) -> None:
        self.ctx.ledger.save_mapping(self.stream, source_key, match.freshbooks_id, payload_digest, origin="adopted")
        self.ctx.audit(ref, "adopt", freshbooks_id=match.freshbooks_id, detail=match.how)

    # The algorithm ------------------------------------------------------------------------------------

    def upsert(self, record: dict[str, Any], ref: RecordRef, *, released: bool = False) -> Outcome:
        key = ref.source_key
        mapping = self.ctx.ledger.mapping(self.stream, key)
        if record.get("active") is False:
            return self.deactivate(record, ref, mapping)
        payload = self.build_payload(record, ref, released=released)
        digest = payload_hash(payload)
        if mapping is not None and mapping.freshbooks_id and mapping.state == "deleted":
            if self.restorable:
                self.restore(mapping.freshbooks_id, ref)
            else:
                mapping = None
        if mapping is not None and mapping.freshbooks_id:
            if mapping.payload_hash == digest and mapping.state == "active":
                self.ctx.audit(ref, "unchanged", freshbooks_id=mapping.freshbooks_id)
                return Outcome.UNCHANGED
            return self.update(record, payload, digest, mapping, ref)
        match = self.find_existing(record, payload, ref)
        if match is not None:
            self.adopt(key, match, ref, digest)
            self.after_adopt(match, record, payload, ref)
            return Outcome.ADOPTED
        freshbooks_id, obj = self.create(record, payload, ref)
        if type(self).after_create is not ResourceSink.after_create:
            # The id first, so that a crash in what follows (e.g. marking an invoice sent) leaves it known.
            self.ctx.ledger.save_mapping(self.stream, key, freshbooks_id, None, origin="created")
            self.after_create(freshbooks_id, obj, ref)
        self.ctx.ledger.save_mapping(self.stream, key, freshbooks_id, digest, origin="created")
        return Outcome.CREATED

    def update(self, record: dict[str, Any], payload: dict[str, Any], digest: str, mapping: IdMap,
               ref: RecordRef) -> Outcome:
        freshbooks_id = str(mapping.freshbooks_id)
        body = self.update_body(record, payload, mapping, ref)
        obj = self.ctx.client.update(self.path(freshbooks_id), self.resource.single, body, ref)
        self.ctx.audit(ref, "update", freshbooks_id=freshbooks_id, http_status=200)
        self.after_update(freshbooks_id, obj, ref)
        self.ctx.ledger.save_mapping(self.stream, ref.source_key, freshbooks_id, digest, origin=mapping.origin)
        return Outcome.UPDATED

    def create(self, record: dict[str, Any], payload: dict[str, Any], ref: RecordRef) -> tuple[str, dict[str, Any]]:
        """POST the object (`confirmed_create`: an unanswered create is looked up by natural key first)."""
        return confirmed_create(self.ctx, self.path(), self.resource.single, self.create_body(record, payload, ref),
                                ref, lambda: self.find_existing(record, payload, ref), self.id_of)

    def deactivate(self, record: dict[str, Any], ref: RecordRef, mapping: IdMap | None) -> Outcome:
        """`active: false`: delete the object if it exists (ledger or natural key), nothing if not."""
        if mapping is not None and mapping.state == "deleted":
            self.ctx.audit(ref, "unchanged", freshbooks_id=mapping.freshbooks_id, detail="already deleted")
            return Outcome.UNCHANGED
        freshbooks_id = mapping.freshbooks_id if mapping is not None else None
        if not freshbooks_id:
            match = self.find_existing(record, None, ref)
            freshbooks_id = match.freshbooks_id if match else None
        if not freshbooks_id:
            # Remembered, so later runs (and invoice lines naming this item) need not look again.
            self.ctx.ledger.save_mapping(self.stream, ref.source_key, None, INACTIVE, state="deleted", origin="none")
            self.ctx.audit(ref, "skip", detail="inactive and not in FreshBooks: nothing to delete")
            return Outcome.UNCHANGED
        self.before_delete(freshbooks_id, record, ref)
        self.delete(freshbooks_id, ref)
        self.ctx.ledger.save_mapping(self.stream, ref.source_key, freshbooks_id, "deleted", state="deleted",
                                     origin=mapping.origin if mapping is not None else "adopted")
        return Outcome.DELETED

    def delete(self, freshbooks_id: str, ref: RecordRef) -> None:
        if self.resource.delete_with == "http_delete":
            self.ctx.client.delete(self.path(freshbooks_id), ref)
        else:
            self.ctx.client.update(self.path(freshbooks_id), self.resource.single, {"vis_state": 1}, ref)
        self.ctx.audit(ref, "delete", freshbooks_id=freshbooks_id, http_status=200)

    def restore(self, freshbooks_id: str, ref: RecordRef) -> None:
        """Undelete (a vis_state PUT of its own: FreshBooks drops every other field sent with it)."""
        self.ctx.client.update(self.path(freshbooks_id), self.resource.single, {"vis_state": 0}, ref)
        self.ctx.audit(ref, "restore", freshbooks_id=freshbooks_id, http_status=200)
