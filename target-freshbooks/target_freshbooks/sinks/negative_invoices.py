"""Invoices whose lines total below zero (returned parts, adjustments from another tap) become credit notes.

FreshBooks shows a negative invoice as paid, with nothing outstanding, so the credit would be lost. The
target writes such an invoice as a goodwill credit note for the same client (same number, lines negated,
no item references), left as the client's credit, and records it under the `credit_notes` stream with the
invoice's own source key. An invoice that was positive before and turns negative is deleted first (its
money is released as for any void), so the two never stand side by side.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from target_freshbooks.sinks.closed_periods import lines_total, negated

ITEM_FIELDS = ("item_source_key", "item", "on_missing_item")


def is_negative(record: dict[str, Any]) -> bool:
    lines = record.get("lines")
    if not isinstance(lines, list) or not lines or not all(isinstance(line, dict) for line in lines):
        return False
    try:
        return lines_total(lines) < Decimal(0)
    except (ArithmeticError, ValueError, TypeError, AttributeError):
        return False  # malformed values: validation names them


def as_credit_note(record: dict[str, Any]) -> dict[str, Any]:
    lines = [negated({k: v for k, v in line.items() if k not in ITEM_FIELDS}) for line in record["lines"]]
    number = record.get("invoice_number") or record["source_key"]
    notes = "\n".join(filter(None, [str(record.get("notes") or ""), f"Negative invoice {number}, kept as the "
                                    "client's credit"]))
    return {"source_key": record["source_key"], "client_source_key": record.get("client_source_key"),
            "credit_number": number, "create_date": record.get("create_date"),
            "currency_code": record.get("currency_code"), "notes": notes, "credit_type": "goodwill",
            "lines": lines, "applications": []}
