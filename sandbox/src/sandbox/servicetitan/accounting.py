"""The money rules every ServiceTitan record in the sandbox obeys (documented in FIDELITY.md).

- A line's `total` is quantity x price, half-up to the cent.
- An invoice's `subTotal` is the sum of its chargeable lines' totals (`isChargeable` false lines are
  shown but not charged).
- `salesTax`, once per invoice: the sum over chargeable taxable lines of line total x the line's rate,
  rounded half-up to the cent once at the end. A line's rate is the sum of the zone's rates whose
  `taxBaseType` covers it: `Subtotal` covers every line, `Labor` covers Service lines, `Material`
  covers every other line type (Material, Equipment, PriceModifier, Unspecified). A tax-exempt customer
  pays no tax.
- `total` = subTotal + salesTax; `balance` = total minus what active payments and credit memos apply
  to it (refunds apply negative amounts).
- A customer's `balance` is the sum of the balances of their active invoices.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def money(value: Decimal) -> str:
    """Accounting money as the API writes it: a plain decimal string with two places."""
    return str(cents(value))


def plain(value: Decimal) -> str:
    """A quantity without needless trailing zeros and never in exponent form ("2", "1.5", "0.25")."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def line_total(quantity: Decimal, price: Decimal) -> Decimal:
    return cents(quantity * price)


def line_rate(item_type: str, zone: Mapping[str, Any]) -> Decimal:
    """The tax rate (a fraction) the zone applies to a line of this type."""
    base = "Labor" if item_type == "Service" else "Material"
    rate = ZERO
    for entry in zone["rates"]:
        kinds = entry["taxBaseType"]
        if "Subtotal" in kinds or base in kinds:
            rate += Decimal(str(entry["taxRate"]))
    return rate


def zone_headline_rate(zone: Mapping[str, Any]) -> Decimal:
    """The rate shown as `salesTaxCode.taxRate`: the material rate (the whole rate if not separated)."""
    return line_rate("Material", zone)


def invoice_amounts(items: Iterable[Mapping[str, Any]], zone: Mapping[str, Any] | None,
                    tax_exempt: bool) -> tuple[Decimal, Decimal, Decimal]:
    """(subTotal, salesTax, total) of an invoice from its item documents."""
    sub_total = ZERO
    unrounded_tax = Decimal(0)
    for item in items:
        if not item["isChargeable"]:
            continue
        amount = Decimal(item["total"])
        sub_total += amount
        if item["taxable"] and zone is not None and not tax_exempt:
            unrounded_tax += amount * line_rate(item["type"], zone)
    sales_tax = cents(unrounded_tax)
    return sub_total, sales_tax, sub_total + sales_tax


def unrounded_tax(items: Iterable[Mapping[str, Any]], zone: Mapping[str, Any]) -> Decimal:
    """The invoice's tax before rounding (to find the half-cent cases)."""
    return sum(
        (Decimal(i["total"]) * line_rate(i["type"], zone) for i in items if i["isChargeable"] and i["taxable"]),
        Decimal(0),
    )
