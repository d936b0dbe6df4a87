"""`invoices` → FreshBooks invoices (`invoices/invoices`).

Natural key: the invoice number (`search[invoice_number]`, exact match re-checked: the filter may match
substrings), for the same client; the number used by another client's invoice sends the record to
review. A created invoice is marked sent at once (a PUT of its own, never `action_email`), and an update
keeps it sent, because FreshBooks leaves drafts out of accounts receivable.

Lines may name the pricebook item they sell (`item_source_key`); the item must exist in FreshBooks: from
the ledger, else found by the line's `item` SKU or name, else created from `item` (`on_missing_item:
create`, the default) or the whole invoice held for review (`on_missing_item: review`).

With `books_closed_through`, a change or delete of an invoice in the closed period posts an adjustment
instead (`sinks.closed_periods`). In a dry run, every invoice that would be created is compared with the
client's existing FreshBooks invoices, and those that look like the same document under another number (same
total, dated within `LOOKALIKE_DAYS`) are reported (audit action `lookalike`, and the log).
"""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from target_freshbooks.errors import RecordError, RecordRef
from target_freshbooks.sinks.base import (
    Match,
    Outcome,
    Park,
    Resource,
    ResourceSink,
    Review,
    as_fb_id,
    pick,
    require,
)
from target_freshbooks.sinks.closed_periods import DELETED_BY_CREDIT, ClosedPeriods, is_adjustment, lines_total
from target_freshbooks.sinks.voids import release_money

HEADER_FIELDS = (
    "create_date", "due_offset_days", "currency_code", "language", "po_number", "notes", "terms", "discount_value",
    "discount_description", "street", "street2", "city", "province", "code", "country",
)
LINE_FIELDS = ("name", "description", "qty", "unit_cost", "taxName1", "taxAmount1", "taxName2", "taxAmount2")
DRAFT_STATUS = 1
LANDED = {Outcome.CREATED, Outcome.UPDATED, Outcome.UNCHANGED, Outcome.ADOPTED}
LOOKALIKE_DAYS = 7
"""How far apart two invoices of the same client and total may be dated and still look like one document."""

if TYPE_CHECKING:
    from target_freshbooks.ledger.models import IdMap

logger = logging.getLogger("target-freshbooks")


def invoice_number(record: dict[str, Any], source_key: str) -> str:
    """The record's number, else its source key: what lets the target find the invoice again."""
    return str(record.get("invoice_number") or source_key)


class InvoicesSink(ResourceSink):
    stream = "invoices"
    resource = Resource("invoices", "invoices", "invoice", "invoices")

    def __init__(self, ctx: Any) -> None:
        super().__init__(ctx)
        self.closed_periods = ClosedPeriods(self)

    def build_payload(self, record: dict[str, Any], ref: RecordRef, *, released: bool) -> dict[str, Any]:
        require(record, ref, "client_source_key", "create_date")
        lines = record.get("lines") or []
        if not isinstance(lines, list) or not all(isinstance(line, dict) for line in lines):
            raise RecordError(ref, "`lines` must be a list of objects")
        customerid = self.client_id(record["client_source_key"], ref)
        for index, line in enumerate(lines, start=1):
            if line.get("item_source_key") and not self.item_inactive(str(line["item_source_key"])):
                self.ensure_item(index, line, ref, released=released)
        payload = pick(record, HEADER_FIELDS)
        payload["customerid"] = as_fb_id(customerid)
        payload["invoice_number"] = invoice_number(record, ref.source_key)
        payload["lines"] = [{"type": 0, **pick(line, LINE_FIELDS)} for line in lines]
        return payload

    def client_id(self, client_key: str, ref: RecordRef) -> str:
        clients = self.ctx.sink("clients")
        return self.ctx.resolve("clients", client_key, needed_by=ref,
                                lookup=lambda: clients.adopt_by_marker(client_key, ref))  # type: ignore[attr-defined]

    def item_inactive(self, item_key: str) -> bool:
        """An item the source made inactive is not brought back for a line (the line is written as it is)."""
        mapping = self.ctx.ledger.mapping("items", item_key)
        return mapping is not None and mapping.state == "deleted"

    def ensure_item(self, index: int, line: dict[str, Any], ref: RecordRef, *, released: bool) -> str:
        item_key = str(line["item_source_key"])
        fallback = line.get("item") if isinstance(line.get("item"), dict) else None
        items = self.ctx.sink("items")
        try:
            return self.ctx.resolve("items", item_key, needed_by=ref,
                                    lookup=lambda: items.adopt_for_line(item_key, fallback or {}, ref))  # type: ignore[attr-defined]
        except Park as park:
            if park.pending or fallback is None:
                raise
        sku = fallback.get("sku") or item_key
        on_missing = line.get("on_missing_item") or "create"
        if on_missing not in ("create", "review"):
            raise RecordError(ref, f"line {index}: on_missing_item must be 'create' or 'review', not {on_missing!r}")
        if on_missing == "review" and not released:
            raise Review(f"line {index} ({line.get('name') or fallback.get('name')!r}) sells item {item_key} "
                         f"(SKU {sku}), which is neither in the ledger nor in FreshBooks; release this invoice to "
                         "create the item from the line, or add the item to FreshBooks first")
        with self.ctx.client.state_lock.pinned():  # concurrent writers: no other invoice creates it meanwhile
            outcome = self.ctx.load_dependency("items", {**fallback, "source_key": item_key})
        if outcome not in LANDED:
            raise Park("items", item_key, f"line {index}: item {item_key} (SKU {sku}) could not be created "
                       f"({outcome})", pending=True)
        return self.ctx.resolve("items", item_key, needed_by=ref)

    def find_existing(self, record: dict[str, Any], payload: dict[str, Any] | None, ref: RecordRef) -> Match | None:
        number = invoice_number(record, ref.source_key)
        rows = [row for row in self.search([("search[invoice_number]", number)], ref)
                if str(row.get("invoice_number") or "") == number]
        customerid: str | None
        if payload is not None:
            customerid = str(payload["customerid"])
        else:
            mapping = self.ctx.ledger.mapping("clients", str(record.get("client_source_key") or ""))
            customerid = mapping.freshbooks_id if mapping and mapping.freshbooks_id else None
        mine = [row for row in rows if not self.claimed_by_other(row["id"], ref.source_key)
                and (customerid is None or str(row.get("customerid")) == customerid)]
        if mine:
            row = min(mine, key=lambda r: int(r["id"]))
            return Match(str(row["id"]), f"invoice number {number!r}", row)
        if rows and payload is not None:
            other = rows[0]
            raise Review(f"invoice number {number!r} is already used in FreshBooks by invoice id {other.get('id')} "
                         f"(client id {other.get('customerid')}), not this record's client (id {customerid}); "
                         "renumber one of them, then release this record")
        return None

    def after_create(self, freshbooks_id: str, obj: dict[str, Any], ref: RecordRef) -> None:
        self.mark_sent(freshbooks_id, ref)

    # Closed periods: changes and deletes posted as adjustments -----------------------------------------

    def update(self, record: dict[str, Any], payload: dict[str, Any], digest: str, mapping: IdMap,
               ref: RecordRef) -> Outcome:
        if self.closed_periods.may_apply(ref) and mapping.state == "active":
            original = self.closed_periods.fetch(self.stream, str(mapping.freshbooks_id), ref)
            if original and self.closed_periods.closed(original, ref):
                return self.closed_periods.update(record, payload, digest, mapping, original, ref)
        return super().update(record, payload, digest, mapping, ref)

    def deactivate(self, record: dict[str, Any], ref: RecordRef, mapping: IdMap | None) -> Outcome:
        if mapping is not None and mapping.state == "active" and mapping.payload_hash == DELETED_BY_CREDIT:
            self.ctx.audit(ref, "unchanged", freshbooks_id=mapping.freshbooks_id,
                           detail="already credited in full (deleted in the closed period)")
            return Outcome.UNCHANGED
        if not self.closed_periods.may_apply(ref) or (mapping is not None and mapping.state == "deleted"):
            return super().deactivate(record, ref, mapping)
        freshbooks_id = mapping.freshbooks_id if mapping is not None else None
        if not freshbooks_id:
            match = self.find_existing(record, None, ref)
            freshbooks_id = match.freshbooks_id if match else None
        if not freshbooks_id:
            return super().deactivate(record, ref, mapping)
        original = self.closed_periods.fetch(self.stream, freshbooks_id, ref)
        if original and self.closed_periods.closed(original, ref):
            return self.closed_periods.delete(record, freshbooks_id, original, mapping, ref)
        return super().deactivate(record, ref, mapping)

    # Dry runs: invoices that look like one about to be created -----------------------------------------

    def create(self, record: dict[str, Any], payload: dict[str, Any], ref: RecordRef) -> tuple[str, dict[str, Any]]:
        if self.ctx.dry_run and not is_adjustment(ref.source_key):
            self.report_lookalikes(payload, ref)
        return super().create(record, payload, ref)

    def client_invoices(self, customerid: str, ref: RecordRef) -> list[dict[str, Any]]:
        """The client's FreshBooks invoices, listed once per run."""
        cache = self.ctx.cache.setdefault("invoices_of_client", {})
        if customerid not in cache:
            cache[customerid] = self.search([("search[customerid]", customerid)], ref)
        return list(cache[customerid])

    def lookalikes(self, payload: dict[str, Any], ref: RecordRef) -> list[dict[str, Any]]:
        """The matched client's invoices with the same total, dated within LOOKALIKE_DAYS, under another number,
        that no other record of the ledger owns."""
        customerid = str(payload.get("customerid"))
        if not customerid.isdigit():
            return []  # the client would be created too: it has no invoices yet
        total = lines_total(payload.get("lines") or [])
        created = _date(payload.get("create_date"))
        found = []
        for row in self.client_invoices(customerid, ref):
            if int(row.get("vis_state") or 0) == 1 or str(row.get("invoice_number")) == payload["invoice_number"]:
                continue
            if _amount(row.get("amount")) != total or self.claimed_by_other(row.get("id"), ref.source_key):
                continue
            dated = _date(row.get("create_date"))
            if created is None or dated is None or abs((dated - created).days) > LOOKALIKE_DAYS:
                continue
            found.append(row)
        return found

    def report_lookalikes(self, payload: dict[str, Any], ref: RecordRef) -> None:
        total = lines_total(payload.get("lines") or [])
        for row in self.lookalikes(payload, ref):
            text = (f"invoice {payload['invoice_number']} ({ref.source_key}, total {total:.2f}, dated "
                    f"{payload.get('create_date')}) looks like FreshBooks invoice {row.get('invoice_number')} "
                    f"(id {row.get('id')}, total {_amount(row.get('amount')):.2f}, dated {row.get('create_date')}) "
                    "of the same client: the same document under another number?")
            self.ctx.audit(ref, "lookalike", freshbooks_id=str(row.get("id")), detail=text)
            logger.warning("Dry run: %s", text)

    def after_adopt(self, match: Match, record: dict[str, Any], payload: dict[str, Any], ref: RecordRef) -> None:
        """An adopted draft (a crash between create and mark-sent, or typed in FreshBooks) is sent now, so it
        counts in accounts receivable."""
        obj = match.obj or {}
        if obj.get("status") == DRAFT_STATUS or str(obj.get("v3_status") or "").lower() == "draft":
            self.mark_sent(match.freshbooks_id, ref)

    def before_delete(self, freshbooks_id: str, record: dict[str, Any], ref: RecordRef) -> None:
        release_money(self.ctx, freshbooks_id, record, ref)  # a void never makes applied money disappear

    def after_update(self, freshbooks_id: str, obj: dict[str, Any], ref: RecordRef) -> None:
        status = obj.get("status")
        if status == DRAFT_STATUS or str(obj.get("v3_status") or "").lower() == "draft":
            self.mark_sent(freshbooks_id, ref)

    def mark_sent(self, freshbooks_id: str, ref: RecordRef) -> None:
        """Its own PUT: FreshBooks ignores every other field sent with an action."""
        self.ctx.client.update(self.path(freshbooks_id), "invoice", {"action_mark_as_sent": True}, ref)
        self.ctx.audit(ref, "mark_sent", freshbooks_id=freshbooks_id, http_status=200)


def _date(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _amount(value: Any) -> Decimal | None:
    if isinstance(value, dict):
        value = value.get("amount")
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
