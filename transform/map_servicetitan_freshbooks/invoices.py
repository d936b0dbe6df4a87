"""ServiceTitan invoices to FreshBooks-shaped invoices, with lines whose total equals ServiceTitan's to the cent."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from map_servicetitan_freshbooks import cutover
from map_servicetitan_freshbooks.clients import customer_key
from map_servicetitan_freshbooks.freshbooks_math import PricedLine, invoice_total, round_cents
from map_servicetitan_freshbooks.output import FILTERED, TIMING, Output, Record, RunContext, skip_record
from map_servicetitan_freshbooks.settings import MapperSettings
from map_servicetitan_freshbooks.taxes import LABOR, MATERIAL, LineTax, TaxPlan, plan_from_sales_tax_code
from map_servicetitan_freshbooks.values import (
    SourceRecord,
    clean_text,
    decimal_text,
    html_to_text,
    is_active,
    money,
    source_key,
)

logger = logging.getLogger(__name__)

PRICEBOOK_KINDS = {"Service": "service", "Material": "material", "Equipment": "equipment"}
"""Invoice item types that sell a pricebook item, and the kind in its source key."""
KNOWN_ITEM_TYPES = (*PRICEBOOK_KINDS, "PriceModifier", "Unspecified")
ITEM_FIELDS = ("item_source_key", "item", "on_missing_item")
"""Invoice line fields a credit note's lines do not have."""
INVOICES, CREDIT_NOTES = "invoices", "credit_notes"


@dataclass
class _Line:
    """A line being built: its FreshBooks fields, and the numbers FreshBooks computes from."""

    fields: dict[str, Any]
    qty: Decimal
    unit_cost: Decimal
    taxable: bool
    rate_class: str
    tax: LineTax | None = None
    review: list[str] = field(default_factory=list)

    def priced(self) -> PricedLine:
        return PricedLine(self.qty, self.unit_cost, self.tax.name if self.tax else None,
                          self.tax.percent if self.tax else None)


def map_invoice(invoice: SourceRecord, run: RunContext) -> list[Record | Output]:
    """One `invoices` record, or a `credit_notes` one for an adjustment invoice (`adjustment_mode: credit_note`);
    an invoice left out by `invoice_sync_statuses` or `sync_zero_total_invoices` is a skip record there."""
    settings = run.settings
    total = _invoice_total(invoice)
    as_credit = is_credit_adjustment(invoice, total, settings)
    stream = CREDIT_NOTES if as_credit else INVOICES
    skip = _skip(invoice, total, settings) or cutover.listing(invoice, _number(invoice, settings),
                                                               _dates(invoice, settings)["create_date"], run)
    if skip is not None:
        return [Output(stream, skip)]
    record = _credit_note(invoice, total, run) if as_credit else _invoice(invoice, total, run)
    return [Output(stream, record)]


def is_credit_adjustment(invoice: SourceRecord, total: Decimal | None, settings: MapperSettings) -> bool:
    """An adjustment invoice (`adjustmentToId`) with a negative total, sent as a credit note when so configured."""
    return (settings.adjustment_mode == "credit_note" and invoice.data.get("adjustmentToId") is not None
            and total is not None and total < 0)


def _skip(invoice: SourceRecord, total: Decimal | None, settings: MapperSettings) -> Record | None:
    """The skip record of an active invoice the settings leave out (inactive ones always pass, as deletions)."""
    if not invoice.active:
        return None
    status = str(invoice.data.get("syncStatus") or "").strip()
    if status.lower() not in settings.invoice_sync_statuses:
        filtered = f"syncStatus {status or 'null'!r} is not in invoice_sync_statuses"
        if status.lower() == "pending":
            return skip_record(invoice.key(), f"not posted yet: {filtered}", TIMING)
        return skip_record(invoice.key(), filtered, FILTERED)
    if total == 0 and not settings.sync_zero_total_invoices:
        return skip_record(invoice.key(), "its total is 0 and sync_zero_total_invoices is false", FILTERED)
    return None


def _invoice(invoice: SourceRecord, total: Decimal | None, run: RunContext) -> Record:
    settings = run.settings
    data = invoice.data
    review: list[str] = []
    lines = _priced_lines(invoice, run, review)
    output_lines = [line.fields for line in lines]
    adjustment = _rounding_line(lines, total, invoice.decimal("salesTax") or Decimal(0), settings)
    if adjustment is not None:
        output_lines.append(adjustment)
    return {
        **_header(invoice, review),
        "invoice_number": _number(invoice, settings),
        **_dates(invoice, settings),
        "currency_code": settings.currency_code,
        "po_number": _job_number(data),
        "notes": _notes(data),
        "terms": clean_text(data.get("termName")),
        **_address(data.get("customerAddress")),
        "lines": output_lines,
    }


def _credit_note(invoice: SourceRecord, total: Decimal | None, run: RunContext) -> Record:
    """The adjustment as a goodwill credit note: the invoice's lines negated, so its total is minus the invoice total.

    It is applied to nothing: ServiceTitan keeps the adjustment as its own negative document, so in FreshBooks
    the credit stays in the client's pool, from which FreshBooks applies it.
    """
    settings = run.settings
    data = invoice.data
    review: list[str] = []
    lines = _priced_lines(invoice, run, review)
    for line in lines:
        _negate(line, settings)
    output_lines = [{name: value for name, value in line.fields.items() if name not in ITEM_FIELDS}
                    for line in lines]
    sales_tax = -(invoice.decimal("salesTax") or Decimal(0))
    adjustment = _rounding_line(lines, -total if total is not None else None, sales_tax, settings)
    if adjustment is not None:
        output_lines.append(adjustment)
    return {
        **_header(invoice, review),
        "credit_number": _number(invoice, settings),
        "create_date": _dates(invoice, settings)["create_date"],
        "currency_code": settings.currency_code,
        "notes": _notes(data),
        "terms": clean_text(data.get("termName")),
        "credit_type": "goodwill",
        "lines": output_lines,
        "applications": [],
    }


def _header(invoice: SourceRecord, review: list[str]) -> Record:
    client = customer_key(invoice)
    if client is None:
        review.append("the ServiceTitan invoice has no customer (field 'customer.id'); assign one in ServiceTitan")
    return {
        "source_key": invoice.key(),
        "active": invoice.active,
        "review_reason": "; ".join(review) or None,
        "client_source_key": client,
    }


def _number(invoice: SourceRecord, settings: MapperSettings) -> str:
    return settings.invoice_number_prefix + str(clean_text(invoice.data.get("referenceNumber")) or invoice.id)


def _priced_lines(invoice: SourceRecord, run: RunContext, review: list[str]) -> list[_Line]:
    """The invoice's lines with their taxes (the zone's, when ServiceTitan charged tax)."""
    lines = _lines(invoice, run.settings, review)
    sales_tax = invoice.decimal("salesTax") or Decimal(0)
    _apply_taxes(lines, _tax_plan(invoice, run.zone_plans) if sales_tax != 0 else None)
    return lines


def _negate(line: _Line, settings: MapperSettings) -> None:
    """Negate a line's amount: a negative quantity turns positive, else the unit cost changes sign. FreshBooks
    rounds half away from zero, so the negated line's amount and tax are exactly the negated originals."""
    if line.qty < 0:
        line.qty = -line.qty
    else:
        line.unit_cost = -line.unit_cost
    line.fields["qty"] = decimal_text(line.qty)
    line.fields["unit_cost"] = money(line.unit_cost, settings.currency_code)


def _invoice_total(invoice: SourceRecord) -> Decimal | None:
    total = invoice.decimal("total")
    if total is not None:
        return total
    sub_total, sales_tax = invoice.decimal("subTotal"), invoice.decimal("salesTax")
    if sub_total is None and sales_tax is None:
        return None
    return (sub_total or Decimal(0)) + (sales_tax or Decimal(0))


def _lines(invoice: SourceRecord, settings: MapperSettings, review: list[str]) -> list[_Line]:
    items = invoice.data.get("items") or []
    if not isinstance(items, list):
        raise invoice.error("items", f"expected a list of invoice items, got {type(items).__name__}")
    indexed = [(index, item) for index, item in enumerate(items)]
    for index, item in indexed:
        if not isinstance(item, dict):
            raise invoice.error(f"items[{index}]", "expected an invoice item object")
    indexed.sort(key=lambda pair: (_order(pair[1]), pair[0]))
    lines = []
    for index, item in indexed:
        if not is_active(item):  # the invoice-items export marks deleted items inactive
            continue
        line = _line(invoice, item, f"items[{index}]", settings)
        if line is None:
            continue
        review.extend(line.review)
        lines.append(line)
    return lines


def _order(item: dict[str, Any]) -> int:
    order = item.get("order")
    return order if isinstance(order, int) else 0


def _line(invoice: SourceRecord, item: dict[str, Any], path: str, settings: MapperSettings) -> _Line | None:
    item_type = item.get("type")
    chargeable = item.get("isChargeable", True) is not False
    if not chargeable and not settings.include_non_chargeable_lines:
        return None
    qty, unit_cost, note = _quantity_and_price(invoice, item, path)
    name = clean_text(item.get("displayName")) or clean_text(item.get("skuName"))
    description = html_to_text(item.get("description"))
    review: list[str] = []
    fields: dict[str, Any] = {}
    if item_type in PRICEBOOK_KINDS:
        kind = PRICEBOOK_KINDS[item_type]
        sku_id = item.get("skuId")
        name = name or f"ServiceTitan {kind} {sku_id if sku_id is not None else ''}".strip()
        if sku_id is not None:
            fields["item_source_key"] = source_key(kind, sku_id)
            fields["item"] = {
                "name": name,
                "sku": clean_text(item.get("skuName")),
                "description": description,
                "unit_cost": money(unit_cost, settings.currency_code),
            }
            fields["on_missing_item"] = settings.missing_item_policy
    elif item_type == "PriceModifier":
        name = name or "Discount"
        if settings.price_modifiers_as_discounts:
            qty, unit_cost = abs(qty), -abs(unit_cost)
    elif item_type != "Unspecified":
        review.append(
            f"line {path} (item id {item.get('id')!r}, {name or 'no name'!r}) has unknown type {item_type!r}; "
            f"expected one of {', '.join(KNOWN_ITEM_TYPES)}"
        )
    if not chargeable:
        unit_cost = Decimal(0)
        description = "\n".join(part for part in (description, "Not charged.") if part)
    if note:
        description = "\n".join(part for part in (description, note) if part)
    fields = {
        "name": name or "Item",
        "description": description,
        "qty": decimal_text(qty),
        "unit_cost": money(unit_cost, settings.currency_code),
        **fields,
    }
    return _Line(
        fields=fields,
        qty=qty,
        unit_cost=unit_cost,
        taxable=chargeable and item.get("taxable") is True,
        rate_class=LABOR if item_type == "Service" else MATERIAL,
        review=review,
    )


def _quantity_and_price(invoice: SourceRecord, item: dict[str, Any], path: str) -> tuple[Decimal, Decimal, str]:
    """Quantity and a whole-cent unit price whose FreshBooks amount equals ServiceTitan's line `total`.

    FreshBooks keeps a line's unit cost in cents. Normally the line is ServiceTitan's own quantity and price.
    When the price has fractions of a cent, or `quantity x price` does not round to the line total, the unit
    price is re-derived from the total; failing that the line is one unit of the total, with the original
    quantity and price in a note.
    """
    qty = invoice.parse_decimal(item.get("quantity"), f"{path}.quantity")
    price = invoice.parse_decimal(item.get("price"), f"{path}.price")
    total = invoice.parse_decimal(item.get("total"), f"{path}.total")
    if qty is None:
        qty = Decimal(1)
    if total is None:
        total = round_cents(qty * price) if price is not None else Decimal(0)
    if price is not None and price == round_cents(price) and round_cents(qty * price) == total:
        return qty, price, ""
    if qty:
        derived = round_cents(total / qty)
        if round_cents(qty * derived) == total:
            return qty, derived, ""
    shown_price = f" at {decimal_text(price)}" if price is not None else ""
    return Decimal(1), total, f"Quantity {decimal_text(qty)}{shown_price}."


def _tax_plan(invoice: SourceRecord, zone_plans: Mapping[str, TaxPlan]) -> TaxPlan | None:
    """The zone's taxes from this run's tax zones, else the invoice's own `salesTaxCode`."""
    zone_id = invoice.data.get("taxZoneId")
    code = invoice.data.get("salesTaxCode")
    for candidate in (zone_id, code.get("id") if isinstance(code, dict) else None):
        if candidate is not None and str(candidate) in zone_plans:
            return zone_plans[str(candidate)]
    plan = plan_from_sales_tax_code(invoice)
    if plan is not None:
        logger.info("invoice %s: tax zone %s not among this run's tax zones; using its salesTaxCode",
                    invoice.data.get("id"), zone_id)
    else:
        logger.warning("invoice %s: salesTax %s but no tax zone or salesTaxCode names the tax; the tax goes on "
                       "the rounding line", invoice.data.get("id"), invoice.data.get("salesTax"))
    return plan


def _apply_taxes(lines: list[_Line], plan: TaxPlan | None) -> None:
    """Put the zone's tax on each taxable line (none without a plan, i.e. when ServiceTitan charged no tax)."""
    for line in lines:
        if plan is not None and line.taxable:
            tax = plan.for_rate_class(line.rate_class)
            line.tax = tax if tax.percent != 0 else None
        line.fields["taxName1"] = line.tax.name if line.tax else None
        line.fields["taxAmount1"] = decimal_text(line.tax.percent) if line.tax else None
        line.fields["taxName2"] = None
        line.fields["taxAmount2"] = None


def _rounding_line(
    lines: list[_Line], total: Decimal | None, sales_tax: Decimal, settings: MapperSettings
) -> dict[str, Any] | None:
    """An untaxed line for whatever separates FreshBooks' total from ServiceTitan's, or None if nothing does."""
    if total is None:
        return None
    priced = [line.priced() for line in lines]
    freshbooks_total = invoice_total(priced, settings.freshbooks_tax_rounding)
    difference = total - freshbooks_total
    if difference == 0:
        return None
    freshbooks_tax = freshbooks_total - invoice_total(
        [PricedLine(line.qty, line.unit_cost) for line in priced], settings.freshbooks_tax_rounding
    )
    return {
        "name": settings.rounding_line_name,
        "description": (
            f"ServiceTitan total {decimal_text(total, min_places=2)} (sales tax "
            f"{decimal_text(sales_tax, min_places=2)}); FreshBooks lines and tax total "
            f"{decimal_text(freshbooks_total, min_places=2)} (tax {decimal_text(freshbooks_tax, min_places=2)})."
        ),
        "qty": "1",
        "unit_cost": money(difference, settings.currency_code),
        "taxName1": None,
        "taxAmount1": None,
        "taxName2": None,
        "taxAmount2": None,
    }


def _dates(invoice: SourceRecord, settings: MapperSettings) -> dict[str, Any]:
    calendar = settings.calendar
    created = invoice.local_date("invoiceDate", calendar) or invoice.local_date("createdOn", calendar)
    if created is None:
        raise invoice.error("invoiceDate", "the invoice has neither invoiceDate nor createdOn to date it by")
    due = invoice.local_date("dueDate", calendar)
    offset = max(0, (due - created).days) if due is not None else 0
    return {"create_date": created.isoformat(), "due_offset_days": offset}


def _job_number(data: Mapping[str, Any]) -> str | None:
    job = data.get("job")
    return clean_text(job.get("number")) if isinstance(job, dict) else None


def _notes(data: Mapping[str, Any]) -> str | None:
    parts = []
    if data.get("adjustmentToId") is not None:
        parts.append(f"Adjustment to ServiceTitan invoice {data['adjustmentToId']}.")
    summary = html_to_text(data.get("summary"))
    if summary:
        parts.append(summary)
    return "\n".join(parts) or None


def _address(address: Any) -> dict[str, str | None]:
    address = address if isinstance(address, dict) else {}
    return {
        "street": clean_text(address.get("street")),
        "street2": clean_text(address.get("unit")),
        "city": clean_text(address.get("city")),
        "province": clean_text(address.get("state")),
        "code": clean_text(address.get("zip")),
        "country": clean_text(address.get("country")),
    }
