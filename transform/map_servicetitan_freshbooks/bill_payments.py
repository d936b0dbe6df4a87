"""ServiceTitan AP payments and AP credits to FreshBooks bill payments: one application per bill paid (a split).

An AP payment pays its bills in cash (`payment_type` from its `method`, by `bill_payment_type_map`); an AP credit
lowers what is owed on the bills it is applied to without cash (`payment_type: Credit`). A split names its bill
by `inventoryBillId`, so its bill's source key is `servicetitan:inventorybill:<id>` (see `bills.py`). FreshBooks
has no vendor credit or vendor prepayment: the part of an AP credit applied to no bill (`amount` -
`appliedAmount`), and the part of an AP payment none of its splits applies, are skip records (category
`unsupported`) so the run summary counts them.
"""

from __future__ import annotations

from decimal import Decimal

from map_servicetitan_freshbooks.bills import BILL_KIND
from map_servicetitan_freshbooks.output import TIMING, UNSUPPORTED, Output, Record, RunContext, skip_record
from map_servicetitan_freshbooks.payment_types import FALLBACK_PAYMENT_TYPE, freshbooks_payment_type
from map_servicetitan_freshbooks.values import SourceRecord, clean_text, decimal_text, is_active, money, source_key
from map_servicetitan_freshbooks.vendors import vendor_key, vendor_name

CREDIT_UNAPPLIED_REASON = ("FreshBooks has no vendor credit: the unapplied part stays in ServiceTitan until applied "
                           "to a bill")
PAYMENT_UNAPPLIED_REASON = ("FreshBooks has no vendor prepayment: the part of the AP payment applied to no bill stays "
                            "in ServiceTitan until applied to a bill")
VOID_STATUSES = frozenset({"cancelled", "canceled", "rejected"})
"""AP payment and credit statuses that undo the document (`active: false`)."""
UNPAID_STATUSES = frozenset({"unpaid", "readyforapproval"})
"""AP payment statuses of money not yet sent: a timing skip until ServiceTitan pays it."""


def map_ap_payment(payment: SourceRecord, run: RunContext) -> list[Record | Output]:
    """One `bill_payments` record paying each split's bill, and a skip record for any part applied to none."""
    status = str(payment.data.get("status") or "").strip()
    if is_active(payment.data) and status.lower() in UNPAID_STATUSES:
        return [skip_record(payment.key(), f"not paid yet: AP payment status {status!r}", TIMING)]
    method = clean_text(payment.data.get("method"))
    record = _record(payment, run, _payment_type(payment, method, run),
                     _note("AP payment", payment, f"method {method}" if method else None))
    return [record, *_remainder(payment, record, "amount", PAYMENT_UNAPPLIED_REASON, run)]


def _payment_type(payment: SourceRecord, method: str | None, run: RunContext) -> str:
    """`bill_payment_type_map` (over the built-in table) for the method; else `Check` for a payment ServiceTitan
    printed a check for (`printCheck`); else `Other`. The API's methods (`ServiceTitan`, `AccountingSystem`) say
    where the payment was made, not how, so they are in no table unless configured."""
    table = run.settings.bill_payment_type_map
    mapped = freshbooks_payment_type(method, table)
    known = method is not None and " ".join(method.split()).lower() in table
    if known or mapped != FALLBACK_PAYMENT_TYPE:
        return mapped
    return "Check" if payment.data.get("printCheck") is True else FALLBACK_PAYMENT_TYPE


def map_ap_credit(credit: SourceRecord, run: RunContext) -> list[Record | Output]:
    """One `bill_payments` record of `payment_type: Credit`, and a skip record for its unapplied part."""
    record = _record(credit, run, "Credit", _note("AP credit", credit, None))
    return [record, *_remainder(credit, record, "appliedAmount", CREDIT_UNAPPLIED_REASON, run)]


def _record(document: SourceRecord, run: RunContext, payment_type: str, note: str) -> Record:
    settings = run.settings
    calendar = settings.calendar
    paid_on = document.local_date("date", calendar) or document.local_date("createdOn", calendar)
    if paid_on is None:
        raise document.error("date", "the document has neither date nor createdOn to date it by")
    review: list[str] = []
    applications = []
    for bill_id, amount in _splits(document, review).items():
        if amount == 0:
            continue
        if amount < 0:
            review.append(f"its split to bill {bill_id} is negative ({decimal_text(amount)}); FreshBooks bill "
                          "payments cannot be negative: correct it in ServiceTitan")
        applications.append({
            "source_key": document.key("bill", BILL_KIND, bill_id),
            "bill_source_key": source_key(BILL_KIND, bill_id),
            "amount": money(amount, settings.currency_code),
        })
    return {
        "source_key": document.key(),
        "active": _active(document),
        "review_reason": "; ".join(review) or None,
        "vendor_source_key": vendor_key(document),
        "paid_date": paid_on.isoformat(),
        "payment_type": payment_type,
        "note": note,
        "applications": applications,
    }


def _active(document: SourceRecord) -> bool:
    status = str(document.data.get("status") or "").strip().lower()
    return document.active and status not in VOID_STATUSES and not document.data.get("canceledOn")


def _splits(document: SourceRecord, review: list[str]) -> dict[str, Decimal]:
    """Bill id → the amount the document's active splits apply to it (splits of one bill added), in order."""
    raw = document.data.get("splits") or []
    if not isinstance(raw, list):
        raise document.error("splits", f"expected a list of splits, got {type(raw).__name__}")
    by_bill: dict[str, Decimal] = {}
    for index, split in enumerate(raw):
        path = f"splits[{index}]"
        if not isinstance(split, dict):
            raise document.error(path, "expected a split object")
        if not is_active(split):
            continue
        amount = document.parse_decimal(split.get("amount"), f"{path}.amount")
        if amount is None:
            raise document.error(f"{path}.amount", "the split has no amount")
        bill_id = split.get("inventoryBillId")
        if bill_id in (None, ""):
            if amount:
                review.append(f"split {split.get('id')} ({decimal_text(amount, min_places=2)}) names no bill "
                              f"(inventoryBillId null, documentId {split.get('documentId')!r}); bill payments apply "
                              "only to bills: correct it in ServiceTitan")
            continue
        by_bill[str(bill_id)] = by_bill.get(str(bill_id), Decimal(0)) + amount
    return by_bill


def _applied(record: Record) -> Decimal:
    return sum((Decimal(app["amount"]["amount"]) for app in record["applications"]), Decimal(0))


def _remainder(document: SourceRecord, record: Record, applied_field: str, reason: str,
               run: RunContext) -> list[Record | Output]:
    """The skip record of what the document applies to no bill: `amount` minus `appliedAmount` for a credit,
    minus what its splits apply for a payment. Nothing for an inactive document or when nothing is left."""
    if not record["active"]:
        return []
    amount = document.decimal("amount")
    if amount is None:
        return []
    applied = _applied(record) if applied_field == "amount" else document.decimal(applied_field) or Decimal(0)
    if applied_field != "amount" and applied != _applied(record) and record["review_reason"] is None:
        record["review_reason"] = (
            f"its splits apply {decimal_text(_applied(record), min_places=2)} but its appliedAmount is "
            f"{decimal_text(applied, min_places=2)}; correct the credit in ServiceTitan")
    left = amount - applied
    if left <= 0 or record["review_reason"]:  # a person looks at the whole document first
        return []
    what = "AP credit" if applied_field == "appliedAmount" else "AP payment"
    reference = clean_text(document.data.get("referenceNumber")) or clean_text(document.data.get("number"))
    vendor = vendor_name(document)
    detail = (f"{what} {document.id}{f' ({reference})' if reference else ''}"
              f"{f' of {vendor}' if vendor else ''}: {decimal_text(left, min_places=2)} of "
              f"{decimal_text(amount, min_places=2)} {run.settings.currency_code} applied to no bill")
    return [skip_record(document.key("unapplied"), reason, UNSUPPORTED, detail=detail)]


def _note(what: str, document: SourceRecord, extra: str | None) -> str:
    data = document.data
    parts = [f"ServiceTitan {what} {data['id']}"]
    for label, field in (("number", "number"), ("reference", "referenceNumber"), ("name", "name")):
        value = clean_text(data.get(field))
        if value:
            parts.append(f"{label} {value}")
    vendor = vendor_name(document)
    if vendor:
        parts.append(f"vendor {vendor}")
    if extra:
        parts.append(extra)
    memo = clean_text(data.get("memo"))
    if memo:
        parts.append(memo)
    return "; ".join(parts)
