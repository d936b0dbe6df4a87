"""`credit_notes` → FreshBooks credit notes (`credit_notes/credit_notes`), and the credit they apply.

A note is a credit the client holds: a goodwill credit (a credit memo or an adjustment: it reduces
revenue) or a prepayment (money received ahead: the `unapplied` remainder of a payment). FreshBooks
pools a client's credits and applies them from the pool: each of the record's `applications` becomes a
payment of type `Credit` on its invoice (`sinks.applications`), never cash. What is not applied stays the
client's credit.

Natural key: `credit_number` for the same client, the `[source_key]` marker in `notes` deciding between
several. Order of writes: credit no longer applied is unapplied first, then the note is written, then
the credit is applied, because FreshBooks will not let a client's applied credit exceed its notes.
"""

from __future__ import annotations

from typing import Any

from target_freshbooks.errors import RecordError, RecordRef, RejectedError
from target_freshbooks.sinks.applications import (
    REFUND_MARKER,
    ApplicationWriter,
    applications,
    combined,
    prepayment_number,
)
from target_freshbooks.sinks.base import (
    Match,
    Outcome,
    Resource,
    ResourceSink,
    Review,
    as_fb_id,
    marker,
    pick,
    require,
    with_marker,
)
from target_freshbooks.sinks.refunds import note_lines

CREDIT_APPLICATIONS = "credit_applications"
"""Ledger stream of applied credit (each mapped to one `Credit` payment, parent: the credit note record)."""
HEADER_FIELDS = ("create_date", "currency_code", "language", "terms", "credit_type")
LINE_FIELDS = ("name", "description", "qty", "unit_cost", "taxName1", "taxAmount1", "taxName2", "taxAmount2")
CREDIT_TYPES = ("goodwill", "prepayment")


def credit_number(record: dict[str, Any], source_key: str) -> str:
    return str(record.get("credit_number") or source_key)


class CreditNotesSink(ResourceSink):
    stream = "credit_notes"
    resource = Resource("credit_notes", "credit_notes", "credit_note", "credit_notes")

    def __init__(self, ctx: Any) -> None:
        super().__init__(ctx)
        self.writer = ApplicationWriter(ctx, self.stream, CREDIT_APPLICATIONS)

    # The note, then its applications ---------------------------------------------------------------------

    def upsert(self, record: dict[str, Any], ref: RecordRef, *, released: bool = False) -> Outcome:
        if record.get("active") is False:
            unapplied = self.writer.delete_all(record, ref, "credit note inactive")
            outcome = super().upsert(record, ref, released=released)
            return Outcome.DELETED if unapplied or outcome is Outcome.DELETED else outcome
        apps = [app for app in applications(record, ref) if not self.writer.invoice_voided(app)]
        shared = {"date": record.get("create_date"), "type": "Credit"}
        note = f"Credit applied from {credit_number(record, ref.source_key)}"
        # Every invoice it is applied to is resolved first: a note whose credit cannot be applied yet is parked
        # whole, never written as credit the client could spend elsewhere.
        payloads = {app.source_key: self.writer.payload(app, shared, note, ref) for app in apps}
        try:
            outcome = super().upsert(record, ref, released=released)
        except RejectedError:
            mapping = self.ctx.ledger.mapping(self.stream, ref.source_key)
            if mapping is None or not self.writer.delete_all({}, ref, "credit unapplied to change the note"):
                raise
            outcome = super().upsert(record, ref, released=released)  # the note, now that no credit is applied
        done = self.writer.reconcile_all(payloads, ref)
        return combined([outcome.value, *done])

    # ResourceSink hooks ----------------------------------------------------------------------------------

    def build_payload(self, record: dict[str, Any], ref: RecordRef, *, released: bool) -> dict[str, Any]:
        require(record, ref, "client_source_key", "create_date")
        credit_type = record.get("credit_type") or "goodwill"
        if credit_type not in CREDIT_TYPES:
            raise RecordError(ref, f"credit_type must be one of {', '.join(CREDIT_TYPES)}, not {credit_type!r}")
        lines = record.get("lines") or []
        if not isinstance(lines, list) or not lines or not all(isinstance(line, dict) for line in lines):
            raise RecordError(ref, "`lines` must be a non-empty list of objects (FreshBooks computes the credit "
                              "from its lines)")
        clients = self.ctx.sink("clients")
        client_key = str(record["client_source_key"])
        clientid = self.ctx.resolve("clients", client_key, needed_by=ref,
                                    lookup=lambda: clients.adopt_by_marker(client_key, ref))  # type: ignore[attr-defined]
        payload = pick(record, HEADER_FIELDS)
        payload["credit_type"] = credit_type
        payload["clientid"] = as_fb_id(clientid)
        payload["credit_number"] = credit_number(record, ref.source_key)
        payload["notes"] = with_marker(record.get("notes"), ref.source_key)
        payload["lines"] = [{"type": 0, **pick(line, LINE_FIELDS)} for line in lines]
        return payload

    def update_body(self, record: dict[str, Any], payload: dict[str, Any], mapping: Any,
                    ref: RecordRef) -> dict[str, Any]:
        """Refund lines already on the note (a refunded prepayment) are kept."""
        body = {name: value for name, value in payload.items() if name != "credit_type"}
        current = self.fetch(str(mapping.freshbooks_id), ref)
        kept = [line for line in note_lines(current) if REFUND_MARKER.search(str(line.get("description") or ""))]
        body["lines"] = [*payload["lines"], *kept]
        return body

    def find_existing(self, record: dict[str, Any], payload: dict[str, Any] | None, ref: RecordRef) -> Match | None:
        number = credit_number(record, ref.source_key)
        rows = [row for row in self.search([("search[credit_number]", number)], ref)
                if str(row.get("credit_number") or "") == number and int(row.get("vis_state") or 0) != 1]
        tag = marker(ref.source_key)
        mine = [row for row in rows if tag in str(row.get("notes") or "")]
        if payload is not None:
            mine = mine or [row for row in rows if str(row.get("clientid")) == str(payload["clientid"])
                            and not self.claimed_by_other(self.id_of(row), ref.source_key)]
        if mine:
            row = min(mine, key=lambda r: int(self.id_of(r)))
            return Match(self.id_of(row), f"credit number {number!r}", row)
        if rows and payload is not None:
            other = rows[0]
            raise Review(f"credit number {number!r} is already used in FreshBooks by credit note id "
                         f"{self.id_of(other)} (client id {other.get('clientid')}), not this record's client "
                         f"(id {payload['clientid']}); renumber one of them, then release this record")
        return None

    # Used by refunds of remainders -------------------------------------------------------------------

    def adopt_by_marker(self, source_key: str, ref: RecordRef) -> str | None:
        """Find a note by the number the target gives it (prepayments: `PP-<payment id>`) and its marker."""
        number = prepayment_number(source_key.removesuffix(":unapplied"))
        tag = marker(source_key)
        rows = [row for row in self.search([("search[credit_number]", number)], ref)
                if tag in str(row.get("notes") or "") and int(row.get("vis_state") or 0) != 1]
        if not rows:
            return None
        found = self.id_of(min(rows, key=lambda r: int(self.id_of(r))))
        self.ctx.ledger.save_mapping(self.stream, source_key, found, None, origin="adopted")
        self.ctx.audit(RecordRef(self.stream, source_key), "adopt", freshbooks_id=found,
                       detail=f"credit number {number!r} and marker {tag}")
        return found

    def fetch(self, freshbooks_id: str, ref: RecordRef) -> dict[str, Any]:
        return self.ctx.client.get(self.path(freshbooks_id), [("include[]", "lines")], ref).get("credit_note") or {}

    def update_lines(self, freshbooks_id: str, lines: list[dict[str, Any]], ref: RecordRef) -> None:
        self.ctx.client.update(self.path(freshbooks_id), "credit_note", {"lines": lines}, ref)
        self.ctx.audit(ref, "update", freshbooks_id=freshbooks_id, http_status=200, detail="lines")

