"""ServiceTitan payments to FreshBooks-shaped payments: one application per invoice paid, an unapplied remainder
as the client's credit, and refunds (negative payments naming `refundedPaymentId`) as reductions of the payment
they refund, with positive amounts."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from map_servicetitan_freshbooks import cutover
from map_servicetitan_freshbooks.applications import application, applied_by_invoice
from map_servicetitan_freshbooks.clients import customer_key
from map_servicetitan_freshbooks.output import Output, Record, RunContext
from map_servicetitan_freshbooks.payment_types import freshbooks_payment_type
from map_servicetitan_freshbooks.settings import MapperSettings
from map_servicetitan_freshbooks.values import SourceRecord, clean_text, decimal_text, money, source_key


def refunded_payment_id(payment: SourceRecord) -> Any:
    """The payment a refund refunds, or None for an ordinary payment."""
    refunded = payment.data.get("refundedPaymentId")
    return None if refunded in (None, 0, "") else refunded


def map_payment(payment: SourceRecord, run: RunContext) -> list[Record | Output]:
    """One `payments` record: a payment with its applications and remainder, or a refund of an earlier one."""
    settings = run.settings
    refunded = refunded_payment_id(payment)
    review: list[str] = []
    record: Record = {"source_key": payment.key(), "active": payment.active, "review_reason": None,
                      **_shared(payment, run, refunded)}
    if refunded is None:
        record.update(_payment_amounts(payment, settings, review))
    else:
        record.update(_refund_amounts(payment, refunded, settings, review))
    if "unapplied" in record and record["client_source_key"] is None:
        review.append("it has an unapplied amount but no customer (field 'customer.id') to hold it as credit; "
                      "assign the customer in ServiceTitan")
    record["review_reason"] = "; ".join(review) or None
    return cutover.without_listed(payment, record, run)


def _shared(payment: SourceRecord, run: RunContext, refunded: Any) -> Record:
    data = payment.data
    calendar = run.settings.calendar
    paid_on = payment.local_date("date", calendar) or payment.local_date("createdOn", calendar)
    if paid_on is None:
        raise payment.error("date", "the payment has neither date nor createdOn to date it by")
    type_name = clean_text(data.get("type")) or run.payment_type_names.get(str(data.get("typeId")))
    return {
        "client_source_key": customer_key(payment),
        "date": paid_on.isoformat(),
        "type": freshbooks_payment_type(type_name, run.settings.payment_type_map),
        "note": _note(data, type_name, refunded),
    }


def _payment_amounts(payment: SourceRecord, settings: MapperSettings, review: list[str]) -> Record:
    applications = []
    for invoice_id, amount in applied_by_invoice(payment).items():
        if amount == 0:
            continue
        if amount < 0:
            review.append(
                f"the application to invoice {invoice_id} is negative ({decimal_text(amount)}); FreshBooks payments "
                "cannot be negative"
            )
        applications.append(application(payment, invoice_id, amount, settings.currency_code))
    fields: Record = {"applications": applications}
    unapplied = payment.decimal("unappliedAmount") or Decimal(0)
    if unapplied > 0:
        fields["unapplied"] = money(unapplied, settings.currency_code)
        if settings.unapplied_payment_policy == "review":
            review.append(
                f"{decimal_text(unapplied, min_places=2)} of the payment is applied to no invoice; with "
                "unapplied_payment_policy 'review' a person decides: apply it in ServiceTitan, or release this "
                "record to keep it as the client's prepayment credit (policy 'credit' does so without review)"
            )
    elif unapplied < 0:
        review.append(
            f"its unappliedAmount is negative ({decimal_text(unapplied)}) but it is not a refund "
            "(no refundedPaymentId); correct the payment in ServiceTitan"
        )
    return fields


def _refund_amounts(payment: SourceRecord, refunded: Any, settings: MapperSettings, review: list[str]) -> Record:
    """What went back to the customer, positive: per invoice (reversing the original's application there) and
    from the original's unapplied remainder. ServiceTitan gives all of it negative."""
    original = source_key("payment", refunded)
    applications = []
    for invoice_id, amount in applied_by_invoice(payment).items():
        if amount == 0:
            continue
        if amount > 0:
            review.append(
                f"refund of payment {refunded}: its application to invoice {invoice_id} is positive "
                f"({decimal_text(amount)}); a refund takes money back, so ServiceTitan should show it negative. "
                "Correct the refund in ServiceTitan (or record the money as a new payment)"
            )
        applications.append(application(payment, invoice_id, -amount, settings.currency_code,
                                        refunds_source_key=source_key("payment", refunded, "invoice", invoice_id)))
    fields: Record = {"refund_of_source_key": original, "applications": applications}
    unapplied = payment.decimal("unappliedAmount") or Decimal(0)
    if unapplied < 0:
        fields["unapplied"] = money(-unapplied, settings.currency_code)
    elif unapplied > 0:
        review.append(
            f"refund of payment {refunded}: its unappliedAmount is positive ({decimal_text(unapplied)}); a refund "
            "of an overpayment has a negative unappliedAmount. Correct the refund in ServiceTitan"
        )
    total = payment.decimal("total")
    if total is not None and total > 0:
        review.append(
            f"refund of payment {refunded}: its total is positive ({decimal_text(total)}); a refund's total is "
            "negative in ServiceTitan. Correct the refund in ServiceTitan"
        )
    return fields


def _note(data: Mapping[str, Any], type_name: str | None, refunded: Any) -> str:
    parts = [f"ServiceTitan payment {data['id']}"]
    if refunded is not None:
        parts = [f"ServiceTitan refund {data['id']} of payment {refunded}"]
    for label, field in (("reference", "referenceNumber"), ("check", "checkNumber"), ("auth", "authCode")):
        value = clean_text(data.get(field))
        if value:
            parts.append(f"{label} {value}")
    if type_name:
        parts.append(f"type {type_name}")
    memo = clean_text(data.get("memo"))
    if memo:
        parts.append(memo)
    return "; ".join(parts)
