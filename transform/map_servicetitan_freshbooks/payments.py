"""ServiceTitan payments to FreshBooks-shaped payments, one application per invoice the payment is applied to."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from map_servicetitan_freshbooks.payment_types import freshbooks_payment_type
from map_servicetitan_freshbooks.settings import MapperSettings
from map_servicetitan_freshbooks.values import SourceRecord, clean_text, decimal_text, money


def is_refund(payment: SourceRecord) -> bool:
    """A refund names the payment it refunds (refunds are a later issue)."""
    return payment.data.get("refundedPaymentId") not in (None, 0, "")


def map_payment(
    payment: SourceRecord, settings: MapperSettings, payment_type_names: Mapping[str, str]
) -> dict[str, Any]:
    """One `payments` record with an application per `appliedTo` invoice; an unapplied remainder is not posted."""
    payment_id = payment.id
    data = payment.data
    calendar = settings.calendar
    paid_on = payment.local_date("date", calendar) or payment.local_date("createdOn", calendar)
    if paid_on is None:
        raise payment.error("date", "the payment has neither date nor createdOn to date it by")
    type_name = clean_text(data.get("type")) or payment_type_names.get(str(data.get("typeId")))
    applications, review = _applications(payment, settings)
    return {
        "source_key": f"servicetitan:payment:{payment_id}",
        "active": data.get("active", True) is not False,
        "review_reason": "; ".join(review) or None,
        "date": paid_on.isoformat(),
        "type": freshbooks_payment_type(type_name, settings.payment_type_map),
        "note": _note(data, type_name),
        "applications": applications,
    }


def _applications(payment: SourceRecord, settings: MapperSettings) -> tuple[list[dict[str, Any]], list[str]]:
    applied = payment.data.get("appliedTo") or []
    if not isinstance(applied, list):
        raise payment.error("appliedTo", f"expected a list of applications, got {type(applied).__name__}")
    by_invoice: dict[str, Decimal] = {}
    for index, application in enumerate(applied):
        path = f"appliedTo[{index}]"
        if not isinstance(application, dict):
            raise payment.error(path, "expected an application object")
        invoice_id = application.get("appliedTo")
        if invoice_id is None or invoice_id == "":
            raise payment.error(f"{path}.appliedTo", "the application names no invoice id")
        amount = payment.parse_decimal(application.get("appliedAmount"), f"{path}.appliedAmount")
        if amount is None:
            raise payment.error(f"{path}.appliedAmount", "the application has no amount")
        by_invoice[str(invoice_id)] = by_invoice.get(str(invoice_id), Decimal(0)) + amount
    applications, review = [], []
    payment_key = f"servicetitan:payment:{payment.data['id']}"
    for invoice_id, amount in by_invoice.items():
        if amount == 0:
            continue
        if amount < 0:
            review.append(
                f"the application to invoice {invoice_id} is negative ({decimal_text(amount)}); FreshBooks payments "
                "cannot be negative"
            )
        applications.append(
            {
                "source_key": f"{payment_key}:invoice:{invoice_id}",
                "invoice_source_key": f"servicetitan:invoice:{invoice_id}",
                "amount": money(amount, settings.currency_code),
            }
        )
    return applications, review


def _note(data: Mapping[str, Any], type_name: str | None) -> str:
    parts = [f"ServiceTitan payment {data['id']}"]
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
