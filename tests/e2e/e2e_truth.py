"""What FreshBooks should hold after a sync, computed from ServiceTitan's own records only.

The scope follows the documented rules (README, tap and mapper READMEs), not the connector's code:
invoices with a ServiceTitan status of Posted or Exported, dated on or after the start date or still
open on it (a balance today, or paid off on or after it), active; this issue's checks leave out invoices
touched by adjustments, credit memos or refunds (later issues).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sandbox.servicetitan.data import iter_records
from sandbox.store import Store

START_DATE = "2026-05-01"  # meltano.yml, sandbox environment
INVOICE_PREFIX = "ST-"  # the mapper's default invoice_number_prefix


@dataclass
class Expected:
    invoices: dict[str, dict[str, Any]] = field(default_factory=dict)  # by FreshBooks invoice number
    emails: dict[int, str | None] = field(default_factory=dict)  # customer id -> primary email
    applications: dict[str, list[Decimal]] = field(default_factory=dict)  # invoice number -> amounts


def primary_emails(store: Store) -> dict[int, str | None]:
    emails: dict[int, tuple[int, str]] = {}
    for contact in iter_records(store, "contacts"):
        if contact.get("type") == "Email" and contact.get("active", True) and contact.get("value"):
            best = emails.get(contact["customerId"])
            if best is None or contact["id"] < best[0]:
                emails[contact["customerId"]] = (contact["id"], contact["value"])
    return {customer: value for customer, (_, value) in emails.items()}


def expected_sync(store: Store) -> Expected:
    invoices = list(iter_records(store, "invoices"))
    payments = list(iter_records(store, "payments"))
    credit_memos = list(iter_records(store, "credit_memos"))
    adjusted = {inv["adjustmentToId"] for inv in invoices if inv.get("adjustmentToId")}
    credited = {a["appliedTo"] for memo in credit_memos for a in (memo.get("appliedTo") or [])}
    refunded_payments = {p["refundedPaymentId"] for p in payments if p.get("refundedPaymentId")}
    refunded = {a["appliedTo"] for p in payments if p["id"] in refunded_payments or p.get("refundedPaymentId")
                for a in (p.get("appliedTo") or [])}

    expected = Expected(emails=primary_emails(store))
    for inv in invoices:
        date = inv["invoiceDate"][:10]
        paid_on = (inv.get("paidOn") or "")[:10]  # the day the balance reached zero
        open_on_start = Decimal(inv["balance"]) != 0 or paid_on >= START_DATE
        in_scope = (inv["active"] and inv["syncStatus"] in {"Posted", "Exported"}
                    and (date >= START_DATE or open_on_start))
        untouched = not (inv.get("adjustmentToId") or inv["id"] in adjusted or inv["id"] in credited
                         or inv["id"] in refunded)
        if in_scope and untouched:
            expected.invoices[INVOICE_PREFIX + inv["referenceNumber"]] = inv
    by_id = {inv["id"]: number for number, inv in expected.invoices.items()}
    for payment in payments:
        if not payment["active"] or payment.get("refundedPaymentId"):
            continue
        for application in payment.get("appliedTo") or []:
            number = by_id.get(application["appliedTo"])
            if number:
                expected.applications.setdefault(number, []).append(Decimal(application["appliedAmount"]))
    return expected
