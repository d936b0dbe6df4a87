"""Invoice and credit-note lines: validation, and the amounts FreshBooks derives from them.

A line's amount is `qty * unit_cost` rounded to cents; its taxes are the percents `taxAmount1` and
`taxAmount2` (camelCase, as FreshBooks spells them) of that amount, after the document's percent
discount; `compounded_tax` makes tax 2 apply on top of tax 1. Taxes are rounded half up per line, or
once per document (setting `tax_rounding`).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sandbox.freshbooks import errors
from sandbox.freshbooks.values import cents, money, money_in, normalize_fields, plain

ZERO = Decimal("0")
HUNDRED = Decimal("100")

LINE_FIELDS = {
    "name": "str", "description": "text", "qty": "qty", "unit_cost": "money",
    "taxName1": "str", "taxAmount1": "percent", "taxName2": "str", "taxAmount2": "percent",
    "taxNumber1": "str", "taxNumber2": "str", "compounded_tax": "bool", "type": "int", "expenseid": "int",
    "date": "date",
}


@dataclass
class Totals:
    subtotal: Decimal = ZERO
    discount: Decimal = ZERO
    tax: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        return self.subtotal - self.discount + self.tax


def normalize_lines(raw: Any, obj: str, code: str) -> list[dict[str, Any]]:
    """Validate the `lines` of a request; each keeps only the fields FreshBooks accepts."""
    if not isinstance(raw, list):
        raise errors.invalid("lines", obj, raw, "Field 'lines' must be a list of lines.")
    result = []
    for index, line in enumerate(raw):
        if not isinstance(line, dict):
            raise errors.invalid(f"lines[{index}]", obj, line, "Each line must be an object.")
        fields = normalize_fields(LINE_FIELDS, line, obj, code)
        if "unit_cost" in line:
            _, given = money_in(line["unit_cost"], "unit_cost", obj, code)
            if given != code:
                raise errors.invalid("unit_cost.code", obj, given,
                                     f"A line's currency ({given}) must be the document's ({code}).")
        clean = {
            "type": 0, "name": "", "description": "", "qty": "1", "unit_cost": money(ZERO, code),
            "taxName1": None, "taxAmount1": "0", "taxName2": None, "taxAmount2": "0",
            "taxNumber1": None, "taxNumber2": None, "compounded_tax": False, "expenseid": 0, "date": None,
        }
        clean.update(fields)
        result.append(clean)
    return result


def _dec(value: Any) -> Decimal:
    if isinstance(value, dict):
        value = value.get("amount")
    try:
        return Decimal(str(value)) if value not in (None, "") else ZERO
    except ArithmeticError:
        return ZERO


def compute(lines: list[dict[str, Any]], discount_percent: Any, rounding: str) -> Totals:
    """Set each line's `amount` and return the document's totals."""
    totals = Totals()
    keep = HUNDRED - _dec(discount_percent)
    unrounded_tax = ZERO
    for line in lines:
        code = (line.get("unit_cost") or {}).get("code", "USD")
        amount = cents(_dec(line.get("qty", 1)) * _dec(line.get("unit_cost")))
        line["amount"] = money(amount, code)
        line["qty"] = plain(_dec(line.get("qty", 1)))
        totals.subtotal += amount
        taxable = amount * keep / HUNDRED
        tax1 = taxable * _dec(line.get("taxAmount1")) / HUNDRED
        base2 = taxable + (tax1 if line.get("compounded_tax") else ZERO)
        tax2 = base2 * _dec(line.get("taxAmount2")) / HUNDRED
        if rounding == "invoice":
            unrounded_tax += tax1 + tax2
        else:
            totals.tax += cents(tax1) + cents(tax2)
    if rounding == "invoice":
        totals.tax = cents(unrounded_tax)
    totals.discount = cents(totals.subtotal * (HUNDRED - keep) / HUNDRED)
    return totals


def render_lines(lines: list[dict[str, Any]], parent_key: str, parent_id: int, updated: str) -> list[dict[str, Any]]:
    shown = []
    for number, line in enumerate(lines, start=1):
        shown.append({
            "lineid": number,
            parent_key: parent_id,
            **line,
            "taxAmount1": plain(_dec(line.get("taxAmount1"))),
            "taxAmount2": plain(_dec(line.get("taxAmount2"))),
            "basecampid": 0,
            "retainer_id": None,
            "retainer_period_id": None,
            "updated": updated,
        })
    return shown
