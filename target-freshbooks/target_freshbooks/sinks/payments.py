"""`payments` → FreshBooks payments (`payments/payments`), one per application of a source payment.

A record's applications are reconciled as a set (`sinks.applications`). Its `unapplied` remainder
becomes the client's credit: a prepayment credit note written through the `credit_notes` sink under
the source key `<payment>:unapplied`. A record with `refund_of_source_key` is a refund
(`sinks.refunds`): it takes money off the original's payments and prepayment note instead.

`AppliedMoneySink` is the upsert both this sink and `sinks.bill_payments` use: applications reconciled as
a set, unchanged when the ledger says so, hooks for what each adds (a remainder, a closed-period guard).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

from target_freshbooks.errors import RecordError, RecordRef
from target_freshbooks.sinks.applications import (
    Application,
    ApplicationWriter,
    applications,
    combined,
    money_value,
    plain_money,
    prepayment_number,
)
from target_freshbooks.sinks.base import Match, Outcome, Resource, ResourceSink, payload_hash, pick
from target_freshbooks.sinks.refunds import RefundWriter

APPLICATIONS = "payment_applications"
"""Ledger stream of the applications (each mapped to one FreshBooks payment, parent: the payment record)."""
SHARED_FIELDS = ("date", "type")
UNAPPLIED_SUFFIX = ":unapplied"


def remainder_record(record: dict[str, Any], ref: RecordRef, amount: dict[str, Any]) -> dict[str, Any]:
    """The prepayment credit note holding a payment's unapplied remainder."""
    if not record.get("client_source_key"):
        raise RecordError(ref, "has an `unapplied` remainder but no `client_source_key` (the payer whose credit it is)")
    number = prepayment_number(ref.source_key)
    return {
        "source_key": ref.source_key + UNAPPLIED_SUFFIX,
        "client_source_key": record["client_source_key"],
        "credit_number": number,
        "create_date": record.get("date"),
        "currency_code": amount.get("code"),
        "credit_type": "prepayment",
        "notes": f"Unapplied remainder of a payment: {record.get('note') or ref.source_key}",
        "lines": [{"name": "Prepayment", "description": f"Unapplied remainder of {ref.source_key}", "qty": "1",
                   "unit_cost": amount}],
        "applications": [],
    }


class AppliedMoneySink(ResourceSink):
    """A record whose `applications` are reconciled as a set by `writer` (payments on invoices, bill payments
    on bills); subclasses name the fields the applications share and may add a remainder or a guard."""

    shared_fields: ClassVar[tuple[str, ...]]
    inactive_why: ClassVar[str]
    writer: ApplicationWriter

    def upsert(self, record: dict[str, Any], ref: RecordRef, *, released: bool = False) -> Outcome:
        ledger = self.ctx.ledger
        key = ref.source_key
        if record.get("active") is False:
            return self.delete_all(record, ref)
        listed = applications(record, ref, self.writer.kind.key_field)
        apps = [app for app in listed if not self.writer.invoice_voided(app)]
        shared = pick(record, self.shared_fields)
        payloads = {app.source_key: self.writer.payload(app, shared, record.get("note"), ref) for app in apps}
        remainder = self.remainder(record, ref, [app for app in listed if app not in apps])
        digest = payload_hash(payloads if remainder is None else {"applications": payloads, "unapplied": remainder})
        parent = ledger.mapping(self.stream, key)
        if (parent is not None and parent.payload_hash == digest and parent.state == "active"
                and self.writer.unchanged(payloads, key)):
            self.ctx.audit(ref, "unchanged", detail=f"{len(payloads)} application(s)")
            return Outcome.UNCHANGED
        self.guard(payloads, ref)
        done = self.writer.reconcile_all(payloads, ref)
        done.extend(self.write_remainder(record, ref, remainder))
        ledger.save_mapping(self.stream, key, None, digest, origin="created")
        return combined(done)

    def delete_all(self, record: dict[str, Any], ref: RecordRef) -> Outcome:
        self.guard(None, ref)
        deleted = self.writer.delete_all(record, ref, self.inactive_why)
        deleted += sum(1 for done in self.write_remainder(record, ref, None) if done != Outcome.UNCHANGED.value)
        self.ctx.ledger.save_mapping(self.stream, ref.source_key, None, "deleted", state="deleted", origin="created")
        if not deleted:
            self.ctx.audit(ref, "skip", detail="inactive and not in FreshBooks: nothing to delete")
        return Outcome.DELETED if deleted else Outcome.UNCHANGED

    # Hooks ----------------------------------------------------------------------------------------------

    def remainder(self, record: dict[str, Any], ref: RecordRef, released: list[Application]) -> dict[str, Any] | None:
        """What of the record is not applied (`released`: applications to voided documents), if kept apart."""
        return None

    def write_remainder(self, record: dict[str, Any], ref: RecordRef, amount: dict[str, Any] | None) -> list[str]:
        """Write (or, with None, remove) the remainder; the outcome values of the writes."""
        return []

    def guard(self, payloads: dict[str, dict[str, Any]] | None, ref: RecordRef) -> None:
        """Called before any write (`payloads` None: deleting them all); may raise Review."""

    def build_payload(self, record: dict[str, Any], ref: RecordRef, *, released: bool) -> dict[str, Any]:
        raise NotImplementedError(f"{self.stream} reconcile their applications in upsert()")

    def find_existing(self, record: dict[str, Any], payload: dict[str, Any] | None, ref: RecordRef) -> Match | None:
        raise NotImplementedError(f"{self.stream} are found per application")


class PaymentsSink(AppliedMoneySink):
    stream = "payments"
    resource = Resource("payments", "payments", "payment", "payments")
    shared_fields = SHARED_FIELDS
    inactive_why = "payment inactive"

    def __init__(self, ctx: Any) -> None:
        super().__init__(ctx)
        self.writer = ApplicationWriter(ctx, self.stream, APPLICATIONS)
        self.refunds = RefundWriter(ctx, self.writer)

    def upsert(self, record: dict[str, Any], ref: RecordRef, *, released: bool = False) -> Outcome:
        if record.get("refund_of_source_key"):
            return self.refunds.upsert(record, ref)
        return super().upsert(record, ref, released=released)

    def remainder(self, record: dict[str, Any], ref: RecordRef, released: list[Application]) -> dict[str, Any] | None:
        """The client's credit from this payment: its `unapplied` part, plus what it paid on voided invoices."""
        amount = record.get("unapplied")
        if amount in (None, "") and not released:
            return None
        amount = amount or {"amount": "0", "code": released[0].amount.get("code")}
        if not isinstance(amount, dict) or amount.get("amount") in (None, ""):
            raise RecordError(ref, 'field `unapplied` must be Money, {"amount": "12.34", "code": "USD"}')
        value = money_value(amount, ref, "unapplied")
        if value < 0:
            raise RecordError(ref, f"field `unapplied` is negative ({value}); a refund of a remainder names the "
                              "payment it refunds in `refund_of_source_key` and carries a positive amount")
        if released:
            value += sum((money_value(app.amount, ref, "amount") for app in released), Decimal(0))
            amount = plain_money(value, amount.get("code"))
        return amount if value > 0 else None

    def write_remainder(self, record: dict[str, Any], ref: RecordRef, amount: dict[str, Any] | None) -> list[str]:
        """The prepayment credit note `<payment>:unapplied` holding the remainder (deleted when there is none)."""
        note_key = ref.source_key + UNAPPLIED_SUFFIX
        if amount is not None:
            outcome = self.ctx.load_dependency("credit_notes", remainder_record(record, ref, amount))
            return [outcome.value]
        mapping = self.ctx.ledger.mapping("credit_notes", note_key)
        if mapping is not None and mapping.freshbooks_id and mapping.state == "active":
            return [self.ctx.load_dependency("credit_notes", {"source_key": note_key, "active": False}).value]
        return [Outcome.UNCHANGED.value]
