"""ServiceTitan's `appliedTo[]` (payments and credit memos): what a document applied to each invoice."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from map_servicetitan_freshbooks.values import SourceRecord, money, source_key


def applied_by_invoice(document: SourceRecord) -> dict[str, Decimal]:
    """Invoice id → the amount applied to it (entries for the same invoice added), in `appliedTo` order."""
    applied = document.data.get("appliedTo") or []
    if not isinstance(applied, list):
        raise document.error("appliedTo", f"expected a list of applications, got {type(applied).__name__}")
    by_invoice: dict[str, Decimal] = {}
    for index, application in enumerate(applied):
        path = f"appliedTo[{index}]"
        if not isinstance(application, dict):
            raise document.error(path, "expected an application object")
        invoice_id = application.get("appliedTo")
        if invoice_id is None or invoice_id == "":
            raise document.error(f"{path}.appliedTo", "the application names no invoice id")
        amount = document.parse_decimal(application.get("appliedAmount"), f"{path}.appliedAmount")
        if amount is None:
            raise document.error(f"{path}.appliedAmount", "the application has no amount")
        by_invoice[str(invoice_id)] = by_invoice.get(str(invoice_id), Decimal(0)) + amount
    return by_invoice


def application(document: SourceRecord, invoice_id: str, amount: Decimal, currency_code: str,
                **references: Any) -> dict[str, Any]:
    """The contract's application of `document` to an invoice."""
    return {
        "source_key": document.key("invoice", invoice_id),
        "invoice_source_key": source_key("invoice", invoice_id),
        **references,
        "amount": money(amount, currency_code),
    }
