"""How FreshBooks computes an invoice's total from its lines, so the mapper can match ServiceTitan's total.

A line's unit cost is kept in cents; its amount is `qty x unit_cost` rounded half-up to the cent; its tax
is `amount x percent / 100`.
With `per_line` rounding each line's tax is rounded half-up to the cent; with `per_invoice` the unrounded
taxes of all lines are summed and rounded once. Half-up means ties go away from zero (Python's
ROUND_HALF_UP), for negative (discount) lines too. This is the rule the FreshBooks simulator documents
(`sandbox/src/sandbox/freshbooks/lines.py`, setting `tax_rounding` "line" or "invoice"). Taxing the rounded
amount differs from taxing `qty x unit_cost` only on lines whose product has more than two decimals.
"""

from __future__ import annotations

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
    return round_cents(line.qty * round_cents(line.unit_cost))


def _unrounded_tax(line: PricedLine) -> Decimal:
    if not line.tax_name or not line.tax_percent:
        return Decimal(0)
    return line_amount(line) * line.tax_percent / 100


def invoice_tax(lines: Iterable[PricedLine], rounding: str) -> Decimal:
    """The tax FreshBooks charges on these lines under the rounding mode (`per_line` or `per_invoice`)."""
    if rounding == "per_line":
        return sum((round_cents(_unrounded_tax(line)) for line in lines), Decimal(0))
    return round_cents(sum((_unrounded_tax(line) for line in lines), Decimal(0)))


def invoice_total(lines: Iterable[PricedLine], rounding: str) -> Decimal:
    """The total FreshBooks shows for an invoice with these lines: amounts plus tax."""
    lines = list(lines)
    return sum((line_amount(line) for line in lines), Decimal(0)) + invoice_tax(lines, rounding)
