"""`bills` → FreshBooks bills (`bills/bills`): what the business owes a vendor.

The vendor is resolved from `vendor_source_key` (ledger, else a vendor the target created, by its marker);
while the vendor is held for review the bill is parked on it, with the vendor's reason, and lands in the
run (or `replay`) after the vendor does. Each line's `category` is a FreshBooks expense category name,
resolved to `categoryid` from the account's categories (listed once per run; FreshBooks cannot create
categories through the API, so an unknown name dead-letters the bill, listing the names there are).
Natural key: `bill_number` among the vendor's bills (`search[vendorid]`; FreshBooks has no `bill_number`
filter). An update sends the lines again (FreshBooks replaces them). `active: false` deletes the bill, its
bill payments first (FreshBooks refuses to delete a bill that has any). With `books_closed_through`, an
edit or void of a bill in the closed period is posted as an adjustment bill or held for review
(`sinks.closed_bills`). Its values are checked before any call by `validation.check_record`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from target_freshbooks.errors import RecordError, RecordRef
from target_freshbooks.sinks.applications import BILL_PAYMENTS
from target_freshbooks.sinks.base import (
    MARKER_PATTERN,
    Match,
    Outcome,
    Park,
    Resource,
    ResourceSink,
    as_fb_id,
    pick,
    require,
)
from target_freshbooks.sinks.closed_bills import ClosedBills

if TYPE_CHECKING:
    from target_freshbooks.ledger.models import IdMap

HEADER_FIELDS = ("issue_date", "due_offset_days", "currency_code", "language")
LINE_FIELDS = ("description", "quantity", "unit_cost", "tax_name1", "tax_percent1", "tax_name2", "tax_percent2")
CATEGORIES = Resource("expenses", "categories", "category", "categories")
ALL_CATEGORIES_CACHE = "categories:all"
BILL_APPLICATIONS = "bill_payment_applications"
"""Ledger stream of bill payments' applications (each one FreshBooks bill payment; parent: the record)."""


def held_reason(ctx: Any, stream: str, source_key: str) -> str | None:
    """The reason an open review item of this record is held for, if any."""
    ledger = ctx.ledger
    for item in ledger.ledger.reviews(ledger.tenant, account_id=ledger.account_id):
        if item.stream == stream and item.source_key == source_key:
            return str(item.reason)
    return None


class BillsSink(ResourceSink):
    stream = "bills"
    resource = Resource("bills", "bills", "bill", "bills")

    def __init__(self, ctx: Any) -> None:
        super().__init__(ctx)
        self.closed_periods = ClosedBills(self)

    # ResourceSink hooks ---------------------------------------------------------------------------------

    def build_payload(self, record: dict[str, Any], ref: RecordRef, *, released: bool) -> dict[str, Any]:
        require(record, ref, "vendor_source_key", "bill_number")
        lines = record.get("lines") or []
        if not isinstance(lines, list) or not lines or not all(isinstance(line, dict) for line in lines):
            raise RecordError(ref, "`lines` must be a non-empty list of objects (FreshBooks computes the bill from "
                              "its lines)")
        payload = pick(record, HEADER_FIELDS)
        payload["vendorid"] = as_fb_id(self.vendor_id(str(record["vendor_source_key"]), ref))
        payload["bill_number"] = str(record["bill_number"])
        payload["lines"] = [self.line(line, index, ref) for index, line in enumerate(lines, start=1)]
        return payload

    def find_existing(self, record: dict[str, Any], payload: dict[str, Any] | None, ref: RecordRef) -> Match | None:
        if payload is not None:
            vendor_id: Any = payload["vendorid"]
        else:
            vendor = self.ctx.ledger.mapping("bill_vendors", str(record.get("vendor_source_key") or ""))
            if vendor is None or not vendor.freshbooks_id:
                return None
            vendor_id = as_fb_id(vendor.freshbooks_id)
        number = str(record.get("bill_number") or "")
        if not number:
            return None
        rows = [row for row in self.search([("search[vendorid]", vendor_id)], ref)
                if str(row.get("bill_number") or "") == number and int(row.get("vis_state") or 0) != 1
                and not self.claimed_by_other(self.id_of(row), ref.source_key)]
        if not rows:
            return None
        active = [row for row in rows if int(row.get("vis_state") or 0) == 0]
        row = min(active or rows, key=lambda r: int(self.id_of(r)))
        return Match(self.id_of(row), f"vendor id {vendor_id} and bill number {number!r}", row)

    # Closed periods: a raise posted as an adjustment bill, a cut or a void held for review -------------------

    def update(self, record: dict[str, Any], payload: dict[str, Any], digest: str, mapping: IdMap,
               ref: RecordRef) -> Outcome:
        if self.closed_periods.may_apply(ref) and mapping.state == "active":
            original = self.closed_periods.fetch(self.stream, str(mapping.freshbooks_id), ref)
            if original and self.closed_periods.closed(original, ref):
                outcome = self.closed_periods.update(record, mapping, digest, original, ref)
                if outcome is not None:
                    return outcome
        return super().update(record, payload, digest, mapping, ref)

    def deactivate(self, record: dict[str, Any], ref: RecordRef, mapping: IdMap | None) -> Outcome:
        if self.closed_periods.may_apply(ref) and (mapping is None or mapping.state == "active"):
            freshbooks_id = mapping.freshbooks_id if mapping is not None else None
            if not freshbooks_id:
                match = self.find_existing(record, None, ref)
                freshbooks_id = match.freshbooks_id if match else None
            original = self.closed_periods.fetch(self.stream, freshbooks_id, ref) if freshbooks_id else {}
            if freshbooks_id and original and self.closed_periods.closed(original, ref):
                self.closed_periods.void(record, freshbooks_id, original, ref)  # returns only once released
        return super().deactivate(record, ref, mapping)

    def before_delete(self, freshbooks_id: str, record: dict[str, Any], ref: RecordRef) -> None:
        """FreshBooks deletes no bill that has bill payments: they go first (each one's ledger entry with it)."""
        path = BILL_PAYMENTS.path(self.ctx.account_id)
        rows = self.ctx.client.list_all(path, BILL_PAYMENTS.plural, [("search[billid]", as_fb_id(freshbooks_id))],
                                        ref)
        for row in list(rows):
            if int(row.get("vis_state") or 0) != 0:
                continue
            payment_id = str(row.get("id"))
            app_key = self.ctx.ledger.key_for_id(BILL_APPLICATIONS, payment_id)
            app_ref = RecordRef("bill_payments", app_key) if app_key else ref
            self.ctx.client.update(BILL_PAYMENTS.path(self.ctx.account_id, payment_id), BILL_PAYMENTS.single,
                                   {"vis_state": 1}, app_ref)
            ours = app_key is not None or bool(MARKER_PATTERN.search(str(row.get("note") or "")))
            self.ctx.audit(app_ref, "delete", freshbooks_id=payment_id, http_status=200,
                           detail=f"bill {ref.source_key} voided" + ("" if ours else ": a bill payment recorded in "
                                                                     "FreshBooks itself"))
            if app_key:
                entry = self.ctx.ledger.mapping(BILL_APPLICATIONS, app_key)
                self.ctx.ledger.save_mapping(BILL_APPLICATIONS, app_key, payment_id, "deleted", state="deleted",
                                             origin=entry.origin if entry else "adopted",
                                             parent_key=entry.parent_key if entry else None)

    # Helpers ------------------------------------------------------------------------------------------

    def vendor_id(self, vendor_key: str, ref: RecordRef) -> str:
        if self.ctx.ledger.pending("bill_vendors", vendor_key) == "in review":
            reason = held_reason(self.ctx, "bill_vendors", vendor_key) or "held for review"
            raise Park("bill_vendors", vendor_key, f"waiting on bill vendor {vendor_key!r}, held for review: {reason}",
                       pending=True)
        vendors = self.ctx.sink("bill_vendors")
        return self.ctx.resolve("bill_vendors", vendor_key, needed_by=ref,
                                lookup=lambda: vendors.adopt_by_marker(vendor_key, ref))  # type: ignore[attr-defined]

    def line(self, line: dict[str, Any], index: int, ref: RecordRef) -> dict[str, Any]:
        name = str(line.get("category") or "").strip()
        if not name:
            raise RecordError(ref, f"line {index} has no `category` (a FreshBooks expense category name)")
        unit_cost = line.get("unit_cost")
        if not isinstance(unit_cost, dict) or unit_cost.get("amount") in (None, ""):
            raise RecordError(ref, f'line {index}: unit_cost must be Money, {{"amount": "12.34", "code": "USD"}}')
        return {"categoryid": as_fb_id(self.category_id(name, index, ref)), **pick(line, LINE_FIELDS)}

    def category_id(self, name: str, index: int, ref: RecordRef) -> str:
        categories = self.all_categories(ref)
        wanted = " ".join(name.split())
        for same in (lambda text: text == wanted, lambda text: text.casefold() == wanted.casefold()):
            rows = [row for row in categories if same(" ".join(str(row.get("category") or "").split()))]
            if rows:
                return self.id_of(min(rows, key=lambda r: int(self.id_of(r))))
        known = ", ".join(sorted({str(row.get("category")) for row in categories})) or "(none)"
        raise RecordError(ref, f"line {index}: expense category {name!r} is not in FreshBooks (categories cannot be "
                          f"created through the API). Categories there: {known}. Fix the category in the producer "
                          "(the mapper's expense_category_map or default_expense_category) or add it in FreshBooks, "
                          "then run `target-freshbooks replay`")

    def all_categories(self, ref: RecordRef) -> list[dict[str, Any]]:
        cached = self.ctx.cache.get(ALL_CATEGORIES_CACHE)
        if cached is None:
            path = CATEGORIES.path(self.ctx.account_id)
            cached = [row for row in self.ctx.client.list_all(path, CATEGORIES.plural, [], ref)
                      if int(row.get("vis_state") or 0) == 0]
            self.ctx.cache[ALL_CATEGORIES_CACHE] = cached
        return cached

