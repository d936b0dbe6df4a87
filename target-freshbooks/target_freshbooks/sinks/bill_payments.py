"""`bill_payments` → FreshBooks bill payments (`bill_payments/bill_payments`), one per application.

Like `payments`: a record's `applications` (`{source_key, bill_source_key, amount}`) are reconciled as a
set by `sinks.applications.ApplicationWriter`, each one FreshBooks bill payment on its bill, whose `note`
carries the application's `[source_key]` marker so that it is found again without the ledger
(`search[billid]`, then the marker). `paid_date`, `payment_type` and `note` are shared by every
application. A ServiceTitan AP credit comes with `payment_type: "Credit"`: it lowers what is owed on its
bills without cash. An application to a bill deleted since (voided in the source) is left out.
`active: false` deletes every bill payment of the record.
"""

from __future__ import annotations

from typing import Any

from target_freshbooks.errors import RecordError, RecordRef
from target_freshbooks.sinks.applications import (
    BILL_PAYMENTS,
    BILL_PAYMENTS_ON_BILLS,
    ApplicationWriter,
    applications,
    combined,
)
from target_freshbooks.sinks.base import Match, Outcome, ResourceSink, payload_hash, pick
from target_freshbooks.sinks.bills import BILL_APPLICATIONS
from target_freshbooks.validation import _date

SHARED_FIELDS = ("paid_date", "payment_type")
PAYMENT_TYPES = (
    "Check", "Credit", "Cash", "Bank Transfer", "Credit Card", "Debit", "PayPal", "2Checkout", "VISA", "MASTERCARD",
    "DISCOVER", "AMEX", "DINERS", "JCB", "ACH", "Other",
)
"""FreshBooks' payment types (bill payments take the same ones as payments)."""


class BillPaymentsSink(ResourceSink):
    stream = "bill_payments"
    resource = BILL_PAYMENTS

    def __init__(self, ctx: Any) -> None:
        super().__init__(ctx)
        self.writer = ApplicationWriter(ctx, self.stream, BILL_APPLICATIONS, BILL_PAYMENTS_ON_BILLS)

    def upsert(self, record: dict[str, Any], ref: RecordRef, *, released: bool = False) -> Outcome:
        ledger = self.ctx.ledger
        key = ref.source_key
        if record.get("active") is False:
            return self.delete_all(record, ref)
        self.check(record, ref)
        listed = applications(record, ref, BILL_PAYMENTS_ON_BILLS.key_field)
        apps = [app for app in listed if not self.writer.invoice_voided(app)]
        shared = pick(record, SHARED_FIELDS)
        payloads = {app.source_key: self.writer.payload(app, shared, record.get("note"), ref) for app in apps}
        digest = payload_hash(payloads)
        parent = ledger.mapping(self.stream, key)
        if (parent is not None and parent.payload_hash == digest and parent.state == "active"
                and self.writer.unchanged(payloads, key)):
            self.ctx.audit(ref, "unchanged", detail=f"{len(payloads)} application(s)")
            return Outcome.UNCHANGED
        done = self.writer.reconcile_all(payloads, ref)
        ledger.save_mapping(self.stream, key, None, digest, origin="created")
        return combined(done)

    def delete_all(self, record: dict[str, Any], ref: RecordRef) -> Outcome:
        deleted = self.writer.delete_all(record, ref, "bill payment inactive")
        self.ctx.ledger.save_mapping(self.stream, ref.source_key, None, "deleted", state="deleted", origin="created")
        if not deleted:
            self.ctx.audit(ref, "skip", detail="inactive and not in FreshBooks: nothing to delete")
        return Outcome.DELETED if deleted else Outcome.UNCHANGED

    @staticmethod
    def check(record: dict[str, Any], ref: RecordRef) -> None:
        if record.get("paid_date") is not None:
            _date(record["paid_date"], ref, "paid_date")
        kind = record.get("payment_type")
        if kind is not None and kind not in PAYMENT_TYPES:
            raise RecordError(ref, f"payment_type {kind!r} is not one of FreshBooks' payment types "
                              f"({', '.join(PAYMENT_TYPES)}); fix it in the producer")

    def build_payload(self, record: dict[str, Any], ref: RecordRef, *, released: bool) -> dict[str, Any]:
        raise NotImplementedError("bill payments reconcile their applications in upsert()")

    def find_existing(self, record: dict[str, Any], payload: dict[str, Any] | None, ref: RecordRef) -> Match | None:
        raise NotImplementedError("bill payments are found per application")
