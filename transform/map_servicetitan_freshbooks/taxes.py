"""ServiceTitan tax zones to FreshBooks taxes, and the taxes an invoice's lines carry.

A zone becomes one combined tax (its rates summed), or two when it taxes labour and materials at separate
rates (`isTaxRateSeparated`, or rates whose `taxBaseType` differ). A rate covers service (labour) lines when
its `taxBaseType` has `Subtotal` or `Labor`, and every other line (materials, equipment, price modifiers)
when it has `Subtotal` or `Material`. ServiceTitan gives rates as fractions (0.08875); FreshBooks wants
percents.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from map_servicetitan_freshbooks.values import SourceRecord, clean_text, decimal_text, source_key

if TYPE_CHECKING:
    from map_servicetitan_freshbooks.output import Output, Record, RunContext

logger = logging.getLogger(__name__)

LABOR = "labor"
MATERIAL = "material"


@dataclass(frozen=True)
class LineTax:
    """A FreshBooks tax as a line carries it: `taxName1` and `taxAmount1` (a percent)."""

    name: str
    percent: Decimal
    source_key: str


@dataclass(frozen=True)
class TaxPlan:
    """The tax for labour (service) lines and the tax for material and equipment lines; one object if combined."""

    labor: LineTax
    material: LineTax

    @property
    def taxes(self) -> list[LineTax]:
        return [self.labor] if self.labor == self.material else [self.labor, self.material]

    def for_rate_class(self, rate_class: str) -> LineTax:
        return self.labor if rate_class == LABOR else self.material


def rate_to_percent(rate: Decimal) -> Decimal:
    """ServiceTitan's fractional rate (0.08875) as a percent (8.875).

    ServiceTitan documents rates as fractions; a value above 1 can only be a percent already, so it is kept
    (with a warning) rather than turned into a tax of several hundred percent.
    """
    if rate > 1:
        logger.warning("tax rate %s is above 1, so it is read as a percent, not a fraction", rate)
        return rate.normalize()
    return (rate * 100).normalize()


def _tax_name(label: str, percent: Decimal) -> str:
    return f"{label} {decimal_text(percent)}%"


def zone_plan(zone: SourceRecord) -> TaxPlan:
    """The FreshBooks tax(es) of one `tax_zones` record."""
    zone_id = zone.id
    label = clean_text(zone.data.get("name")) or f"Tax zone {zone_id}"
    rates = zone.data.get("rates") or []
    if not isinstance(rates, list):
        raise zone.error("rates", f"expected a list of rates, got {type(rates).__name__}")
    labor = material = Decimal(0)
    for index, rate in enumerate(rates):
        if not isinstance(rate, dict):
            raise zone.error(f"rates[{index}]", "expected an object with taxRate and taxBaseType")
        value = zone.parse_decimal(rate.get("taxRate"), f"rates[{index}].taxRate") or Decimal(0)
        bases = {str(base).lower() for base in rate.get("taxBaseType") or []}
        if not bases or bases & {"subtotal", LABOR}:
            labor += value
        if not bases or bases & {"subtotal", MATERIAL}:
            material += value
    if not zone.data.get("isTaxRateSeparated") and labor == material:
        combined = LineTax(_tax_name(label, rate_to_percent(labor)), rate_to_percent(labor), zone.key())
        return TaxPlan(combined, combined)
    return TaxPlan(
        LineTax(_tax_name(f"{label} Labor", rate_to_percent(labor)), rate_to_percent(labor), zone.key(LABOR)),
        LineTax(
            _tax_name(f"{label} Material", rate_to_percent(material)), rate_to_percent(material), zone.key(MATERIAL)
        ),
    )


def map_tax_zone(zone: SourceRecord, run: RunContext) -> list[Record | Output]:
    """The zone's `taxes` records; the zone is remembered for this run's invoices."""
    plan = zone_plan(zone)
    run.zone_plans[str(zone.id)] = plan
    return list(zone_tax_records(zone, plan))


def zone_tax_records(zone: SourceRecord, plan: TaxPlan) -> list[dict[str, Any]]:
    """`taxes` records for one zone; an inactive zone's taxes carry `active: false`."""
    active = zone.active
    return [
        {
            "source_key": tax.source_key,
            "name": tax.name,
            "amount": decimal_text(tax.percent),
            "number": None,
            "compound": False,
            "active": active,
        }
        for tax in plan.taxes
    ]


def plan_from_sales_tax_code(invoice: SourceRecord) -> TaxPlan | None:
    """A combined tax from the invoice's own `salesTaxCode {id, name, taxRate}`, for a zone not seen this run."""
    code = invoice.data.get("salesTaxCode")
    if not isinstance(code, dict):
        return None
    rate = invoice.parse_decimal(code.get("taxRate"), "salesTaxCode.taxRate")
    if rate is None:
        return None
    zone_id = invoice.data.get("taxZoneId") or code.get("id")
    label = clean_text(code.get("name")) or f"Tax zone {zone_id}"
    percent = rate_to_percent(rate)
    tax = LineTax(_tax_name(label, percent), percent, source_key("taxzone", zone_id))
    return TaxPlan(tax, tax)
