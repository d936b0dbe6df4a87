"""Hand-written FreshBooks-shaped records, as any tap (or the mapper) would send them."""

from __future__ import annotations

import copy
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from target_harness import Messages, usd

CENT = Decimal("0.01")

TAX = {"source_key": "test:taxzone:1", "name": "County Sales Tax", "amount": "7.25", "compound": False}
CLIENTS = [
    {"source_key": "test:customer:1", "organization": "Millbrook Dental", "email": "office@millbrook-dental.example",
     "bus_phone": "541-555-0100", "p_street": "12 Elm St", "p_city": "Eugene", "p_province": "Oregon",
     "p_code": "97401", "p_country": "United States", "currency_code": "USD"},
    {"source_key": "test:customer:2", "fname": "Priya", "lname": "Raman", "email": "priya.raman@mail.example",
     "currency_code": "USD"},
]
ITEMS = [
    {"source_key": "test:material:10", "name": "1/2in copper elbow", "sku": "CU-ELB-050",
     "description": "Copper fitting", "unit_cost": usd("3.40"), "tax1_source_key": "test:taxzone:1"},
    {"source_key": "test:service:20", "name": "Drain cleaning", "sku": "SVC-DRAIN", "unit_cost": usd("149.00")},
]
INVOICES = [
    {"source_key": "test:invoice:100", "client_source_key": "test:customer:1", "invoice_number": "ST-100",
     "create_date": "2024-05-01", "due_offset_days": 30, "currency_code": "USD", "po_number": "PO-77",
     "notes": "Thank you", "lines": [
         {"name": "1/2in copper elbow", "qty": "6", "unit_cost": usd("3.40"), "taxName1": "County Sales Tax",
          "taxAmount1": "7.25", "item_source_key": "test:material:10"},
         {"name": "Drain cleaning", "qty": "1", "unit_cost": usd("149.00"), "item_source_key": "test:service:20"},
     ]},
    {"source_key": "test:invoice:101", "client_source_key": "test:customer:2", "invoice_number": "ST-101",
     "create_date": "2024-05-03", "due_offset_days": 15, "currency_code": "USD", "lines": [
         {"name": "Drain cleaning", "qty": "2", "unit_cost": usd("149.00"), "item_source_key": "test:service:20"},
     ]},
]
PAYMENT = {"source_key": "test:payment:500", "date": "2024-05-10", "type": "Check", "note": "Check 1042",
           "applications": [
               {"source_key": "test:payment:500:invoice:100", "invoice_source_key": "test:invoice:100",
                "amount": usd("100.00")},
               {"source_key": "test:payment:500:invoice:101", "invoice_source_key": "test:invoice:101",
                "amount": usd("298.00")},
           ]}


def records() -> dict[str, list[dict[str, Any]]]:
    """A fresh copy of every record, by stream."""
    return copy.deepcopy({"taxes": [TAX], "clients": CLIENTS, "items": ITEMS, "invoices": INVOICES,
                          "payments": [PAYMENT]})


def catalog(data: dict[str, list[dict[str, Any]]] | None = None, state: dict[str, Any] | None = None) -> Messages:
    """All records in dependency order (taxes, clients, items, invoices, payments)."""
    data = records() if data is None else data
    messages = Messages()
    for stream in ("taxes", "clients", "items", "invoices", "payments"):
        for record in data.get(stream, []):
            messages.record(stream, record)
    if state is not None:
        messages.state(state)
    return messages


def expected_total(invoice: dict[str, Any]) -> Decimal:
    """What an invoice's lines add up to: each line's qty times unit cost and its percent taxes, in cents."""
    total = Decimal("0")
    for line in invoice["lines"]:
        amount = (Decimal(line["qty"]) * Decimal(line["unit_cost"]["amount"])).quantize(CENT, ROUND_HALF_UP)
        total += amount
        for key in ("taxAmount1", "taxAmount2"):
            if line.get(key):
                total += (amount * Decimal(line[key]) / 100).quantize(CENT, ROUND_HALF_UP)
    return total
