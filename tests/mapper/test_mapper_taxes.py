"""Tax zones become FreshBooks taxes; invoice lines carry the zone's percent; ServiceTitan's salesTax is the truth."""

from __future__ import annotations

from decimal import Decimal

from mapper_harness import (
    FAIRFIELD,
    NASSAU,
    NYC,
    freshbooks_invoice_total,
    run_mapper,
    st_invoice,
    st_line,
    st_zone,
    stream_of,
    zone_rate,
)


def percent(zone: dict, item_type: str) -> str:
    """The zone's rate for a line type, as the percent FreshBooks shows ("8.875")."""
    value = (zone_rate(zone, item_type) * 100).normalize()
    return f"{value:f}"


def test_multi_rate_zone_is_one_combined_tax() -> None:
    taxes = run_mapper(stream_of("tax_zones", NYC)).records("taxes")
    assert percent(NYC, "Material") == "8.875"
    assert taxes == [{"source_key": "servicetitan:taxzone:5", "name": "New York City 8.875%", "amount": "8.875",
                      "number": None, "compound": False, "active": True}]


def test_separated_zone_is_a_labor_tax_and_a_material_tax() -> None:
    taxes = run_mapper(stream_of("tax_zones", FAIRFIELD)).records("taxes")
    assert [(t["source_key"], t["name"], t["amount"]) for t in taxes] == [
        ("servicetitan:taxzone:7:labor", "Fairfield County CT Labor 4.5%", percent(FAIRFIELD, "Service")),
        ("servicetitan:taxzone:7:material", "Fairfield County CT Material 6.35%", percent(FAIRFIELD, "Material")),
    ]


def test_inactive_zone_gives_inactive_tax() -> None:
    retired = st_zone(9, "Yonkers (retired 2024)", [(["Subtotal"], "0.08875")], active=False)
    assert run_mapper(stream_of("tax_zones", retired)).one("taxes")["active"] is False


def test_lines_carry_the_zone_tax_by_type_in_a_separated_zone() -> None:
    items = [st_line(1, "Service", sku_id=1, price="150.00"), st_line(2, "Material", sku_id=2, price="80.00"),
             st_line(3, "Equipment", sku_id=3, price="1200.00"), st_line(4, "Material", sku_id=4, taxable=False)]
    source = st_invoice(items=items, zone=FAIRFIELD)
    out = run_mapper([*stream_of("tax_zones", FAIRFIELD), *stream_of("invoices", source)])
    lines = out.one("invoices")["lines"]
    assert [(line["taxName1"], line["taxAmount1"]) for line in lines] == [
        ("Fairfield County CT Labor 4.5%", percent(FAIRFIELD, "Service")),
        ("Fairfield County CT Material 6.35%", percent(FAIRFIELD, "Material")),
        ("Fairfield County CT Material 6.35%", percent(FAIRFIELD, "Material")),
        (None, None),
    ]
    assert freshbooks_invoice_total(lines) == Decimal(source["total"])
    tax_names = {t["name"] for t in out.records("taxes")}
    assert {line["taxName1"] for line in lines} - {None} <= tax_names


def test_tax_exempt_invoice_has_no_tax_on_any_line() -> None:
    source = st_invoice(items=[st_line(1, price="99.99"), st_line(2, "Service", sku_id=5, price="10")], exempt=True)
    assert source["salesTax"] == "0.00"
    lines = run_mapper([*stream_of("tax_zones", NYC), *stream_of("invoices", source)]).one("invoices")["lines"]
    assert all(line["taxName1"] is None and line["taxAmount1"] is None for line in lines)
    assert freshbooks_invoice_total(lines) == Decimal(source["total"])
    assert len(lines) == 2  # nothing to round


def test_half_cent_per_line_rounding_gets_an_explicit_rounding_line() -> None:
    # Two lines of 10.00 at 8.625%: each line's tax is 0.8625 -> 0.86 in FreshBooks (per line);
    # ServiceTitan rounds the invoice's tax once: 1.725 -> 1.73. One cent goes on the rounding line.
    source = st_invoice(items=[st_line(1, price="10.00"), st_line(2, price="10.00")], zone=NASSAU)
    assert (source["salesTax"], source["total"]) == ("1.73", "21.73")
    lines = run_mapper([*stream_of("tax_zones", NASSAU), *stream_of("invoices", source)]).one("invoices")["lines"]
    rounding = lines[-1]
    assert rounding["name"] == "Sales tax rounding adjustment"
    assert (rounding["qty"], rounding["unit_cost"]["amount"]) == ("1", "0.01")
    assert rounding["taxName1"] is None and rounding["taxAmount1"] is None
    assert "item_source_key" not in rounding
    assert "1.73" in rounding["description"]
    assert freshbooks_invoice_total(lines) == Decimal("21.73")


def test_no_rounding_line_when_freshbooks_rounds_per_invoice_like_servicetitan() -> None:
    source = st_invoice(items=[st_line(1, price="10.00"), st_line(2, price="10.00")], zone=NASSAU)
    lines = run_mapper([*stream_of("tax_zones", NASSAU), *stream_of("invoices", source)],
                       freshbooks_tax_rounding="per_invoice").one("invoices")["lines"]
    assert len(lines) == 2
    assert freshbooks_invoice_total(lines, "per_invoice") == Decimal("21.73")


def test_rounding_line_name_is_a_setting() -> None:
    source = st_invoice(items=[st_line(1, price="10.00"), st_line(2, price="10.00")], zone=NASSAU)
    lines = run_mapper([*stream_of("tax_zones", NASSAU), *stream_of("invoices", source)],
                       rounding_line_name="Tax rounding").one("invoices")["lines"]
    assert lines[-1]["name"] == "Tax rounding"


def test_unknown_zone_falls_back_to_the_invoices_sales_tax_code() -> None:
    source = st_invoice(items=[st_line(1, price="100.00")], zone=NASSAU)  # no tax_zones stream this run
    lines = run_mapper(stream_of("invoices", source)).one("invoices")["lines"]
    code = source["salesTaxCode"]
    assert (lines[0]["taxName1"], lines[0]["taxAmount1"]) == (f"{code['name']} 8.625%", "8.625")
    assert freshbooks_invoice_total(lines) == Decimal(source["total"])


def test_tax_without_any_zone_is_still_posted_on_the_labelled_line() -> None:
    source = st_invoice(items=[st_line(1, price="100.00")], zone=NASSAU)
    source.update(taxZoneId=None, salesTaxCode=None)
    lines = run_mapper(stream_of("invoices", source)).one("invoices")["lines"]
    assert lines[0]["taxName1"] is None
    assert (lines[-1]["name"], lines[-1]["unit_cost"]["amount"]) == ("Sales tax rounding adjustment", "8.63")
    assert freshbooks_invoice_total(lines) == Decimal(source["total"])
