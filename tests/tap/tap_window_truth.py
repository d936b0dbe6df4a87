"""What the tap's first-run window holds, computed from the simulator's own records by the documented rule
(tap-servicetitan README), never from the tap's code.

- Invoices: dated on or after the start date, or earlier, active and still open on it: a balance today,
  or paid off (`paidOn`) on or after it.
- Payments and credit memos: dated on or after the start date, or applied to one of those invoices.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sandbox.servicetitan.data import iter_records
from sandbox.store import Store

START = "2026-05-01"


def day(value: Any) -> str | None:
    """The calendar day of a ServiceTitan date or date-time (UTC), as `YYYY-MM-DD`."""
    return str(value)[:10] if value else None


def is_earlier(invoice: dict[str, Any], start: str = START) -> bool:
    invoiced = day(invoice["invoiceDate"])
    return invoiced is not None and invoiced < start


def open_on_start(invoice: dict[str, Any], start: str = START) -> bool:
    paid_on = day(invoice.get("paidOn"))
    return Decimal(invoice["balance"]) != 0 or (paid_on is not None and paid_on >= start)


def window_invoices(store: Store, start: str = START) -> dict[int, dict[str, Any]]:
    return {inv["id"]: inv for inv in iter_records(store, "invoices")
            if not is_earlier(inv, start) or (inv["active"] and open_on_start(inv, start))}


def applied_ids(document: dict[str, Any]) -> set[int]:
    return {application["appliedTo"] for application in document.get("appliedTo") or []}


def window_documents(store: Store, kind: str, invoices: dict[int, Any], start: str = START) -> dict[int, dict]:
    """The payments or credit memos in the window, given the window's invoices."""
    return {doc["id"]: doc for doc in iter_records(store, kind)
            if (day(doc["date"]) or start) >= start or applied_ids(doc) & set(invoices)}
