"""ServiceTitan credit memos to FreshBooks goodwill credit notes, with their applications to invoices.

A memo's `total` is `subTotal` plus `salesTax`; `balance` is the part not applied, which stays the client's
credit in FreshBooks too. Money here may be numbers or strings; it is read as exact decimals either way.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from map_servicetitan_freshbooks import cutover
from map_servicetitan_freshbooks.applications import application, applied_by_invoice
from map_servicetitan_freshbooks.clients import customer_key
from map_servicetitan_freshbooks.freshbooks_math import round_cents
from map_servicetitan_freshbooks.output import Output, Record, RunContext
from map_servicetitan_freshbooks.settings import MapperSettings
from map_servicetitan_freshbooks.values import SourceRecord, clean_text, decimal_text, html_to_text, money

MEMO_LINE_NAME = "Credit memo"
TAX_LINE_NAME = "Sales tax credit"


def map_credit_memo(memo: SourceRecord, run: RunContext) -> list[Record | Output]:
    """One `credit_notes` record (`credit_type: goodwill`): lines totalling the memo's `total`, and an
    application per invoice the memo was applied to."""
    settings = run.settings
    data = memo.data
    review: list[str] = []
    client = customer_key(memo)
    if client is None:
        review.append("the credit memo has no customer (field 'customer.id'); assign one in ServiceTitan")
    reference = clean_text(data.get("referenceNumber")) or str(memo.id)
    created = memo.local_date("date", settings.calendar) or memo.local_date("createdOn", settings.calendar)
    if created is None:
        raise memo.error("date", "the credit memo has neither date nor createdOn to date it by")
    description = html_to_text(data.get("description"))
    lines, total = _lines(memo, description or f"ServiceTitan credit memo {reference}", settings)
    if total < 0:
        review.append(f"its total is negative ({decimal_text(total)}); a credit memo credits the customer, so "
                      "correct it in ServiceTitan")
    applications = _applications(memo, total, settings, review)
    return cutover.without_listed(memo, {
        "source_key": memo.key(),
        "active": memo.active,
        "review_reason": "; ".join(review) or None,
        "client_source_key": client,
        "credit_number": settings.credit_number_prefix + reference,
        "create_date": created.isoformat(),
        "currency_code": settings.currency_code,
        "notes": "\n".join(part for part in (description, f"ServiceTitan credit memo {reference}") if part),
        "terms": None,
        "credit_type": "goodwill",
        "lines": lines,
        "applications": applications,
    }, run)


def _lines(memo: SourceRecord, description: str, settings: MapperSettings) -> tuple[list[Record], Decimal]:
    """The subtotal line, an untaxed sales tax line when there is tax, and a rounding line for any difference
    from `total` (a memo whose parts do not add up), so FreshBooks' total is the memo's to the cent."""
    sales_tax = round_cents(memo.decimal("salesTax") or Decimal(0))
    total = memo.decimal("total")
    sub_total = memo.decimal("subTotal")
    if sub_total is None:
        sub_total = (total or Decimal(0)) - sales_tax
    sub_total = round_cents(sub_total)
    total = round_cents(total if total is not None else sub_total + sales_tax)
    lines = [_line(MEMO_LINE_NAME, description, sub_total, settings)]
    if sales_tax != 0:
        lines.append(_line(TAX_LINE_NAME, "Sales tax on the credit memo", sales_tax, settings))
    difference = total - sub_total - sales_tax
    if difference != 0:
        lines.append(_line(settings.rounding_line_name, (
            f"ServiceTitan total {decimal_text(total, min_places=2)}; subtotal {decimal_text(sub_total, min_places=2)}"
            f" and sales tax {decimal_text(sales_tax, min_places=2)}."), difference, settings))
    return lines, total


def _line(name: str, description: str, amount: Decimal, settings: MapperSettings) -> Record:
    return {"name": name, "description": description, "qty": "1", "unit_cost": money(amount, settings.currency_code),
            "taxName1": None, "taxAmount1": None, "taxName2": None, "taxAmount2": None}


def _applications(memo: SourceRecord, total: Decimal, settings: MapperSettings,
                  review: list[str]) -> list[dict[str, Any]]:
    applications = []
    applied = Decimal(0)
    for invoice_id, amount in applied_by_invoice(memo).items():
        if amount == 0:
            continue
        if amount < 0:
            review.append(f"its application to invoice {invoice_id} is negative ({decimal_text(amount)}); "
                          "correct it in ServiceTitan")
        applied += amount
        applications.append(application(memo, invoice_id, amount, settings.currency_code))
    if applied > total:
        review.append(f"it applies {decimal_text(applied, min_places=2)} to invoices but its total is "
                      f"{decimal_text(total, min_places=2)}; correct the applications in ServiceTitan")
    return applications
