"""The loader: gives every record an outcome, in arrival order, and records it in the ledger.

For each record: held for review (`review_reason`), or upserted by its stream's sink; a missing reference
parks it, a refusal from FreshBooks (or a malformed record) dead-letters it and the run goes on. A record
has one pending place at most: landing it clears its parked row, dead letter and review item. Failures
that are not the record's fault (FreshBooks down after retries, authorization lost) stop the run, so no
STATE is emitted past a record without an outcome.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import logging
import time
from collections.abc import Callable
from typing import Any, cast

from sqlalchemy import Table, update

from target_freshbooks.errors import (
    AmbiguousWriteError,
    RecordError,
    RecordRef,
    RejectedError,
    UnknownStreamError,
)
from target_freshbooks.http import FreshBooksClient
from target_freshbooks.ledger.models import IdMapEntry
from target_freshbooks.ledger.store import AccountLedger
from target_freshbooks.settings import Settings
from target_freshbooks.sinks import SINKS
from target_freshbooks.sinks.base import Outcome, Park, ResourceSink, Review
from target_freshbooks.sinks.journal_entries import journal_posting_of
from target_freshbooks.sinks.negative_invoices import as_credit_note, is_negative
from target_freshbooks.summary import RunSummary
from target_freshbooks.validation import check_record

logger = logging.getLogger("target-freshbooks")

HEARTBEAT_EVERY = 30.0


INVOICE_MODE_STREAMS = ("invoices", "payments", "credit_notes")
SKIPPED_STREAM = "skipped"
"""Skip records of source kinds that have no FreshBooks stream (`source_stream` names the kind)."""
SKIP_CATEGORIES = ("timing", "filtered", "unsupported")
WRITTEN = frozenset({Outcome.CREATED, Outcome.UPDATED, Outcome.ADOPTED, Outcome.DELETED})
"""Outcomes after which the record is kept as the one last written (`id_map.last_payload`, for replay --force)."""


def accepted_streams() -> str:
    return ", ".join(sorted([*SINKS, SKIPPED_STREAM]))


def check_stream(stream: str) -> None:
    if stream not in SINKS and stream != SKIPPED_STREAM:
        raise UnknownStreamError(
            f"Stream {stream!r} is not accepted by target-freshbooks. Accepted streams: {accepted_streams()}. "
            "Rename the stream (e.g. with a stream map) or leave it out of the pipeline."
        )


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() and "E" not in str(value) else str(value)
    raise TypeError(f"cannot store {type(value).__name__}")


def normalize(record: dict[str, Any]) -> dict[str, Any]:
    """A JSON-plain copy (singer-sdk may have parsed dates and decimals)."""
    return json.loads(json.dumps(record, default=_plain))


class Loader:
    """One run's record processing against one FreshBooks account (implements the sinks' `SinkContext`)."""

    def __init__(self, ledger: AccountLedger, client: FreshBooksClient, account_id: str, run_id: str, *,
                 dry_run: bool = False, heartbeat: Callable[[], None] | None = None,
                 settings: Settings | None = None) -> None:
        self.settings = settings  # what sinks may read of the run's settings (e.g. books_closed_through)
        self.ledger = ledger
        self.client = client
        self.account_id = account_id
        self.run_id = run_id
        self.dry_run = dry_run
        self.cache: dict[str, Any] = {}
        self.summary = RunSummary()
        self._heartbeat = heartbeat
        self._last_beat = time.monotonic()
        self._sinks: dict[str, ResourceSink] = {}

    # SinkContext -----------------------------------------------------------------------------------

    def sink(self, stream: str) -> ResourceSink:
        check_stream(stream)
        if stream not in self._sinks:
            self._sinks[stream] = SINKS[stream](self)
        return self._sinks[stream]

    def audit(self, ref: RecordRef, action: str, *, freshbooks_id: str | None = None, http_status: int | None = None,
              error: str | None = None, detail: str | None = None) -> None:
        self.ledger.audit(self.run_id, ref.stream, ref.source_key, action, freshbooks_id=freshbooks_id,
                          http_status=http_status, error=error, detail=detail)
        logger.debug("%s: %s %s %s", ref, action, freshbooks_id or "", detail or error or "")

    def resolve(self, stream: str, source_key: str, *, needed_by: RecordRef,
                lookup: Callable[[], str | None] | None = None) -> str:
        """The FreshBooks id of a referenced record; Park if it is not (yet) in FreshBooks."""
        mapping = self.ledger.mapping(stream, source_key)
        if mapping is not None and mapping.freshbooks_id:
            return mapping.freshbooks_id
        if mapping is not None and mapping.state == "deleted":
            raise Park(stream, source_key, f"waiting on {stream} {source_key!r}: it is inactive (active: false) "
                       "and not in FreshBooks", pending=True)
        pending = self.ledger.pending(stream, source_key)
        if pending:
            raise Park(stream, source_key, f"waiting on {stream} {source_key!r}, which is {pending}", pending=True)
        if lookup is not None:
            found = lookup()
            if found:
                return found
        raise Park(stream, source_key, f"waiting on {stream} {source_key!r}: not in the ledger nor in FreshBooks")

    def load_dependency(self, stream: str, record: dict[str, Any]) -> Outcome:
        return self.load(stream, record)

    # Records ----------------------------------------------------------------------------------------

    def load(self, stream: str, record: dict[str, Any], *, released: bool = False) -> Outcome:
        """Give one record its outcome (raises only for failures that must stop the run)."""
        check_stream(stream)
        record = normalize(record)
        key = record.get("source_key")
        ref = RecordRef(stream, key if isinstance(key, str) and key.strip() else "(no source_key)")
        self._beat()
        try:
            if ref.source_key == "(no source_key)":
                raise RecordError(ref, "has no source_key (a non-empty string naming the record's origin)")
            if record.get("skip_reason") or stream == SKIPPED_STREAM:
                return self._skip(stream, record, ref)
            outcome = self._load(stream, record, ref, released=released)
        except Park as park:
            self.ledger.park(stream, ref.source_key, record, park.waiting_stream, park.waiting_key, park.reason)
            self.audit(ref, "park", detail=park.reason)
            logger.info("%s parked: %s", ref, park.reason)
            self.summary.parked_on(stream, ref.source_key, park.waiting_stream, park.reason, park.waiting_key)
            outcome = Outcome.PARKED
        except RejectedError as exc:
            outcome = self._dead_letter(stream, record, ref, str(exc), errno=exc.first.errno if exc.first else None,
                                        field=exc.first.field if exc.first else None, http_status=exc.status)
        except RecordError as exc:
            outcome = self._dead_letter(stream, record, ref, str(exc), field=getattr(exc, "field", None))
        except AmbiguousWriteError as exc:
            # Not the record's fault, but no reason to stop the run either: replay (or the next run) looks the
            # object up by its natural key before creating it again, so it never lands twice.
            outcome = self._dead_letter(stream, record, ref, f"{exc}; FreshBooks never confirmed the write after "
                                        "repeated tries: `replay` finds it by its key before creating it again",
                                        http_status=exc.status)
        self._settle(stream, ref.source_key, outcome)
        if outcome in WRITTEN and not self.dry_run:
            self._remember(stream, ref.source_key, record)
        self.summary.record(stream, ref.source_key, outcome)
        return outcome

    def _remember(self, stream: str, source_key: str, record: dict[str, Any]) -> None:
        """Keep the record on its id-map row (written with its payload hash just now): `replay --force`
        re-sends it. One UPDATE, only when something was written."""
        ledger = self.ledger
        with ledger.ledger.session() as s:  # Core, on the connection: the ORM's session sync costs more than the UPDATE
            s.connection().execute(update(cast(Table, IdMapEntry.__table__)).where(
                IdMapEntry.tenant == ledger.tenant, IdMapEntry.account_id == ledger.account_id,
                IdMapEntry.stream == stream, IdMapEntry.source_key == source_key).values(last_payload=record))

    def _load(self, stream: str, record: dict[str, Any], ref: RecordRef, *, released: bool) -> Outcome:
        if stream == "invoices" and (is_negative(record) or self._written_as_credit(ref)):
            return self._negative_invoice(record, ref)
        check_record(stream, record, ref)  # values FreshBooks would refuse or misread: before any call
        if stream in INVOICE_MODE_STREAMS and journal_posting_of(self.ledger, ref.source_key):
            raise RecordError(ref, "was already posted to FreshBooks as a journal entry (invoice_mode journal_entry); "
                              "a document is never in both modes: set the mapper's journal_cutover_date so that this "
                              "document stays on the journal side, or leave invoice_mode as it was")
        reason = record.get("review_reason")
        if reason and not released:
            if not self.ledger.hold_for_review(stream, ref.source_key, record, str(reason), self.run_id):
                return self._held(ref, str(reason))
            released = True  # a person released it, with this same reason
        try:
            return self.sink(stream).upsert(record, ref, released=released)
        except Review as review:
            if not released and self.ledger.hold_for_review(stream, ref.source_key, record, review.reason,
                                                            self.run_id):
                return self._load(stream, record, ref, released=True)
            if released:  # releasing did not help (e.g. a number conflict): back to the person
                self.ledger.hold_for_review(stream, ref.source_key, record, review.reason, self.run_id,
                                            honour_release=False)
            return self._held(ref, review.reason)

    def _written_as_credit(self, ref: RecordRef) -> bool:
        mapping = self.ledger.mapping("credit_notes", ref.source_key)
        return mapping is not None and mapping.state == "active"

    def _negative_invoice(self, record: dict[str, Any], ref: RecordRef) -> Outcome:
        """A negative invoice is the client's credit: written as a credit note (`sinks.negative_invoices`)."""
        invoice = self.ledger.mapping("invoices", ref.source_key)
        if invoice is not None and invoice.freshbooks_id and invoice.state == "active":
            self.sink("invoices").upsert({**record, "active": False}, ref)  # it was positive before
        if record.get("active") is False or not is_negative(record):
            if self._written_as_credit(ref):
                self.load_dependency("credit_notes", {"source_key": ref.source_key, "active": False})
            if record.get("active") is False:
                return Outcome.DELETED
            check_record("invoices", record, ref)
            return self.sink("invoices").upsert(record, ref)  # positive again: an invoice once more
        self.audit(ref, "as_credit_note", detail="its lines total below zero: written as a credit note")
        return self.load_dependency("credit_notes", as_credit_note(record))

    def _skip(self, stream: str, record: dict[str, Any], ref: RecordRef) -> Outcome:
        """The producer left this source record out on purpose: counted by reason, nothing written."""
        reason = record.get("skip_reason")
        if not isinstance(reason, str) or not reason.strip():
            raise RecordError(ref, f"records in stream {SKIPPED_STREAM!r} need a `skip_reason` saying why the source "
                              "record is left out")
        category = record.get("skip_category") or "filtered"
        if category not in SKIP_CATEGORIES:
            raise RecordError(ref, f"skip_category must be one of {', '.join(SKIP_CATEGORIES)}, not {category!r}")
        source_stream = str(record.get("source_stream") or stream)
        logger.debug("%s skipped (%s): %s", ref, category, reason)
        self.summary.skip(source_stream, ref.source_key, category, reason.strip())
        return Outcome.SKIPPED

    def _held(self, ref: RecordRef, reason: str) -> Outcome:
        self.audit(ref, "review", detail=reason)
        logger.info("%s held for review: %s", ref, reason)
        return Outcome.REVIEW

    def _dead_letter(self, stream: str, record: dict[str, Any], ref: RecordRef, error: str, **fields: Any) -> Outcome:
        self.ledger.dead_letter(stream, ref.source_key, record, error=error, run_id=self.run_id, **fields)
        self.audit(ref, "dead_letter", http_status=fields.get("http_status"), error=error)
        logger.error("Dead-lettered %s", error)
        return Outcome.FAILED

    def _settle(self, stream: str, source_key: str, outcome: Outcome) -> None:
        pending = self.ledger.pending(stream, source_key)
        if pending is None:
            return
        if outcome is not Outcome.PARKED:
            self.ledger.unpark(stream, source_key)
        if outcome is not Outcome.FAILED:
            self.ledger.resolve_dead_letter(stream, source_key, resolution=outcome.value)
        if outcome is not Outcome.REVIEW:
            self.ledger.resolve_review(stream, source_key, resolution=outcome.value)

    def retry_parked(self) -> None:
        """Retry parked records in arrival order, pass after pass, while any of them lands."""
        while True:
            rows = self.ledger.parked_records()
            if not rows:
                return
            landed = 0
            for row in rows:
                if self.load(row.stream, row.record) is not Outcome.PARKED:
                    landed += 1
            if not landed:
                return

    def _beat(self) -> None:
        if self._heartbeat and time.monotonic() - self._last_beat > HEARTBEAT_EVERY:
            self._heartbeat()
            self._last_beat = time.monotonic()
