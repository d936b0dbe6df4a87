"""ServiceTitan inventory bills and AP bills to FreshBooks bills, whose lines total the bill's `billAmount` to the
cent.

ServiceTitan's `billAmount` is the whole bill: the items (`quantity` x `cost`), AP bills' expense items, and the
header's `taxAmount`, `shippingAmount` and `otherAmount` (the items' `allocated*` fields only spread those over the
items for landed cost, so they are not added again). FreshBooks bill lines carry no item and no charge fields, so:
one line per item (SKU, name and description in the line text), one per expense item, one each for tax,
shipping and other charges, and a labelled adjustment line for any difference left, e.g. unit costs with more
than two decimals, which FreshBooks keeps in cents. Each line's expense category comes from
`expense_category_map` (the item's GL account number, then name; the role keys for the charge lines), else
`default_expense_category`.

AP bills and inventory bills are one table in ServiceTitan: `ApBillResponse` is `InventoryBillResponse` plus
expense items and status fields, both lists filter by the same `billType`, and AP payments and credits name a bill
by `inventoryBillId` alone. So a bill has one source key, `servicetitan:inventorybill:<id>`, whichever stream
brings it, and an AP payment's or credit's split always finds its bill.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from map_servicetitan_freshbooks.freshbooks_math import PricedLine, line_amount, round_cents
from map_servicetitan_freshbooks.output import Output, Record, RunContext
from map_servicetitan_freshbooks.settings import MapperSettings
from map_servicetitan_freshbooks.values import SourceRecord, clean_text, decimal_text, html_to_text, is_active, money
from map_servicetitan_freshbooks.vendors import vendor_key

BILL_KIND = "inventorybill"
"""The kind in every ServiceTitan bill's source key (inventory bills and AP bills share one id space)."""
CHARGES = (("taxAmount", "tax", "Sales tax"), ("shippingAmount", "shipping", "Shipping"),
           ("otherAmount", "other", "Other charges (duties, fees)"))
"""Header amounts that become lines of their own: field, role key in `expense_category_map`, line text."""
ADJUSTMENT_TEXT = "Adjustment to the ServiceTitan bill total"
CANCELED = "canceled"


def map_bill(bill: SourceRecord, run: RunContext) -> list[Record | Output]:
    """One `bills` record; a canceled or inactive bill is `active: false` (the target deletes it)."""
    settings = run.settings
    review: list[str] = []
    vendor = vendor_key(bill)
    if vendor is None:
        review.append("the bill names no vendor (field 'vendor.id'); assign the vendor in ServiceTitan")
    calendar = settings.calendar
    issued = bill.local_date("billDate", calendar) or bill.local_date("createdOn", calendar)
    if issued is None:
        raise bill.error("billDate", "the bill has neither billDate nor createdOn to date it by")
    due = bill.local_date("dueDate", calendar)
    return [{
        "source_key": bill.key(),
        "active": bill_active(bill),
        "review_reason": "; ".join(review) or None,
        "vendor_source_key": vendor,
        "bill_number": bill_number(bill, settings),
        "issue_date": issued.isoformat(),
        "due_offset_days": max(0, (due - issued).days) if due is not None else 0,
        "currency_code": settings.currency_code,
        "lines": _lines(bill, settings),
    }]


def bill_active(bill: SourceRecord) -> bool:
    """Whether the bill stands: not inactive, not canceled (AP bills' `status` and `dateCanceled`)."""
    status = str(bill.data.get("status") or "").strip().lower()
    return bill.active and status != CANCELED and not bill.data.get("dateCanceled")


def bill_number(bill: SourceRecord, settings: MapperSettings) -> str:
    """`referenceNumber` (ServiceTitan's bill number), or with `bill_number_source: vendorNumber` the vendor's
    invoice number when it has one; the id when both are blank."""
    reference = clean_text(bill.data.get("referenceNumber")) or str(bill.id)
    if settings.bill_number_source == "vendorNumber":
        return clean_text(bill.data.get("vendorNumber")) or reference
    return reference


def expense_category(gl_account: Any, settings: MapperSettings) -> str:
    """The FreshBooks expense category of a ServiceTitan GL account: by number, then name, else the default."""
    if isinstance(gl_account, dict):
        for field in ("number", "name"):
            key = str(gl_account.get(field) or "").strip().lower()
            if key and key in settings.expense_category_map:
                return settings.expense_category_map[key]
    return settings.default_expense_category


def _role_category(role: str, settings: MapperSettings) -> str:
    return settings.expense_category_map.get(role, settings.default_expense_category)


def _line(description: str, quantity: Decimal, unit_cost: Decimal, category: str, code: str) -> Record:
    return {"description": description, "quantity": decimal_text(quantity), "unit_cost": money(unit_cost, code),
            "category": category}


def _lines(bill: SourceRecord, settings: MapperSettings) -> list[Record]:
    code = settings.currency_code
    lines: list[Record] = []
    parts = {"items": Decimal(0), "expense items": Decimal(0)}
    for index, item in _entries(bill, "items"):
        path = f"items[{index}]"
        quantity = _required(bill, item, "quantity", path)
        cost = _required(bill, item, "cost", path)
        text = _item_text(item)
        amount = round_cents(quantity * cost)
        if line_amount(PricedLine(quantity, cost)) != amount:
            # FreshBooks keeps unit costs in cents: a cost beyond them goes in as the line's amount, so the cost
            # stays in the line's own category.
            text = f"{text}\n{decimal_text(quantity)} x {decimal_text(cost)}"
            quantity, cost = Decimal(1), amount
        parts["items"] += amount
        lines.append(_line(text, quantity, cost, expense_category(item.get("generalLedgerAccount"), settings), code))
    for index, item in _entries(bill, "expenseItems"):
        amount = round_cents(_required(bill, item, "amount", f"expenseItems[{index}]"))
        parts["expense items"] += amount
        lines.append(_line(_expense_text(item), Decimal(1), amount,
                           expense_category(item.get("generalLedgerAccount"), settings), code))
    for field, role, text in CHARGES:
        amount = round_cents(bill.decimal(field) or Decimal(0))
        if amount != 0:
            parts[role] = amount
            lines.append(_line(text, Decimal(1), amount, _role_category(role, settings), code))
    total = bill.decimal("billAmount")
    if total is not None:
        difference = round_cents(total) - sum(parts.values(), Decimal(0))
        if difference != 0:
            summary = ", ".join(f"{name} {decimal_text(amount, min_places=2)}" for name, amount in parts.items()
                                if amount or name == "items")
            lines.append(_line(
                f"{ADJUSTMENT_TEXT}: billAmount {decimal_text(round_cents(total), min_places=2)}; lines in "
                f"FreshBooks' cents: {summary}.", Decimal(1), difference, _role_category("rounding", settings), code))
    return lines


def _entries(bill: SourceRecord, field: str) -> list[tuple[int, dict[str, Any]]]:
    """A bill's item list in display order (`order`, then position); null is none."""
    raw = bill.data.get(field)
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise bill.error(field, f"expected a list, got {type(raw).__name__}")
    entries = []
    for index, item in enumerate(raw):
        if not isinstance(item, dict):
            raise bill.error(f"{field}[{index}]", "expected an object")
        if is_active(item):
            entries.append((index, item))
    return sorted(entries, key=lambda entry: (_order(entry[1]), entry[0]))


def _order(item: dict[str, Any]) -> int:
    order = item.get("order")
    return order if isinstance(order, int) and not isinstance(order, bool) else 1 << 30


def _required(bill: SourceRecord, item: dict[str, Any], field: str, path: str) -> Decimal:
    value = bill.parse_decimal(item.get(field), f"{path}.{field}")
    if value is None:
        raise bill.error(f"{path}.{field}", "the bill line has no value here")
    return value


def _item_text(item: dict[str, Any]) -> str:
    """`SKU — name`, then the description when it says more than the name, and the vendor's part number."""
    code = clean_text(item.get("skuCode"))
    name = clean_text(item.get("name"))
    head = " — ".join(part for part in (code, name) if part) or "Item"
    text = [head]
    description = html_to_text(item.get("description"))
    if description and description != name:
        text.append(description)
    part = clean_text(item.get("vendorPartNumber"))
    if part:
        text.append(f"Vendor part {part}")
    return "\n".join(text)


def _expense_text(item: dict[str, Any]) -> str:
    description = html_to_text(item.get("description"))
    gl = item.get("generalLedgerAccount")
    account = clean_text(gl.get("name")) if isinstance(gl, dict) else None
    return description or (f"Expense: {account}" if account else "Expense")
