"""How FreshBooks computes an invoice's total from its lines, so the mapper can match ServiceTitan's total.

A line's amount is `qty x unit_cost` rounded half-up to the cent. A line's tax is
`qty x unit_cost x percent / 100`: with `per_line` rounding each line's tax is rounded half-up to the cent;
with `per_invoice` each tax's unrounded sum over the lines is rounded once. Half-up means ties go away from
zero (Python's ROUND_HALF_UP), for negative (discount) lines too.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from map_servicetitan_freshbooks.values import CENT


@dataclass(frozen=True)
class PricedLine:
    """The numbers of one FreshBooks line: quantity, unit cost and its tax (name and percent), if any."""

    qty: Decimal
    unit_cost: Decimal
    tax_name: str | None = None
    tax_percent: Decimal | None = None


def round_cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def line_amount(line: PricedLine) -> Decimal:
    return round_cents(line.qty * line.unit_cost)


def _unrounded_tax(line: PricedLine) -> Decimal:
    if not line.tax_name or not line.tax_percent:
        return Decimal(0)
    return line.qty * line.unit_cost * line.tax_percent / 100


def invoice_tax(lines: Iterable[PricedLine], rounding: str) -> Decimal:
    """The tax FreshBooks charges on these lines under the rounding mode (`per_line` or `per_invoice`)."""
    if rounding == "per_line":
        return sum((round_cents(_unrounded_tax(line)) for line in lines), Decimal(0))
    by_tax: dict[str, Decimal] = defaultdict(Decimal)
    for line in lines:
        if line.tax_name:
            by_tax[line.tax_name] += _unrounded_tax(line)
    return sum((round_cents(amount) for amount in by_tax.values()), Decimal(0))


def invoice_total(lines: Iterable[PricedLine], rounding: str) -> Decimal:
    """The total FreshBooks shows for an invoice with these lines: amounts plus tax."""
    lines = list(lines)
    return sum((line_amount(line) for line in lines), Decimal(0)) + invoice_tax(lines, rounding)
