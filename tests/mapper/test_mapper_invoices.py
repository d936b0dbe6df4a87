"""ServiceTitan invoices become FreshBooks invoices: header, lines with item keys and fallbacks, sync rules."""

from __future__ import annotations

from decimal import Decimal

import pytest
from mapper_harness import NYC, freshbooks_invoice_total, run_mapper, st_invoice, st_line, stream_of


def invoice(source: dict, **settings) -> dict:
    return run_mapper([*stream_of("tax_zones", NYC), *stream_of("invoices", source)], **settings).one("invoices")


def invoices(*sources: dict, **settings) -> list[dict]:
    """The invoices that sync (skip records left out: see test_mapper_skips.py)."""
    out = run_mapper([*stream_of("tax_zones", NYC), *stream_of("invoices", *sources)], **settings)
    return [r for r in out.records("invoices") if not r.get("skip_reason")]


def test_header_fields() -> None:
    source = st_invoice(1234, referenceNumber="40021")
    mapped = invoice(source)
    assert mapped["source_key"] == "servicetitan:invoice:1234"
    assert mapped["active"] is True
    assert mapped["review_reason"] is None
    assert mapped["client_source_key"] == f"servicetitan:customer:{source['customer']['id']}"
    assert mapped["invoice_number"] == "ST-40021"
    assert mapped["currency_code"] == "USD"
    assert mapped["po_number"] == source["job"]["number"]
    assert mapped["terms"] == source["termName"]
    assert mapped["notes"] == "Replaced filter"
    address = source["customerAddress"]
    assert (mapped["street"], mapped["city"], mapped["province"], mapped["code"], mapped["country"]) == (
        address["street"], address["city"], address["state"], address["zip"], address["country"])


def test_invoice_number_prefix_setting() -> None:
    assert invoice(st_invoice(referenceNumber="77"), invoice_number_prefix="SVC/")["invoice_number"] == "SVC/77"
    assert invoice(st_invoice(referenceNumber="77"), invoice_number_prefix="")["invoice_number"] == "77"


def test_pricebook_lines_carry_item_keys_and_fallbacks() -> None:
    items = [
        st_line(1, "Service", sku_id=501, quantity="1", price="89.00", skuName="SVC-DIAG",
                displayName="Diagnostic visit", description="<p>Full <i>system</i> check</p>"),
        st_line(2, "Material", sku_id=34, quantity="2", price="24.50", skuName="HVAC-FILT-20", displayName=None),
        st_line(3, "Equipment", sku_id=77, quantity="1", price="3450.00", skuName="EQ-FURN-80"),
    ]
    lines = invoice(st_invoice(items=items))["lines"]
    assert [line.get("item_source_key") for line in lines[:3]] == [
        "servicetitan:service:501", "servicetitan:material:34", "servicetitan:equipment:77"]
    first = lines[0]
    assert (first["name"], first["description"], first["qty"], first["unit_cost"]) == (
        "Diagnostic visit", "Full system check", "1", {"amount": "89.00", "code": "USD"})
    assert first["item"] == {"name": "Diagnostic visit", "sku": "SVC-DIAG", "description": "Full system check",
                             "unit_cost": {"amount": "89.00", "code": "USD"}}
    assert lines[1]["name"] == "HVAC-FILT-20"  # no displayName: the skuName
    assert lines[1]["item"]["sku"] == "HVAC-FILT-20"
    assert (lines[1]["qty"], lines[1]["unit_cost"]["amount"]) == ("2", "24.50")
    assert all(line["on_missing_item"] == "create" for line in lines[:3])


def test_missing_item_policy_review_is_on_every_item_line() -> None:
    lines = invoice(st_invoice(items=[st_line(1), st_line(2, "Service", sku_id=8)]),
                    missing_item_policy="review")["lines"]
    assert [line["on_missing_item"] for line in lines if "item_source_key" in line] == ["review", "review"]


def test_lines_follow_servicetitan_order() -> None:
    items = [st_line(1, displayName="second", order=2), st_line(2, displayName="first", order=1)]
    assert [line["name"] for line in invoice(st_invoice(items=items))["lines"]] == ["first", "second"]


def test_non_chargeable_lines_appear_at_zero_or_are_dropped() -> None:
    items = [st_line(1, price="100.00"), st_line(2, price="40.00", chargeable=False, displayName="Warranty part")]
    source = st_invoice(items=items)
    shown = invoice(source)["lines"]
    free = next(line for line in shown if line["name"] == "Warranty part")
    assert free["unit_cost"]["amount"] == "0.00"
    assert free["taxName1"] is None
    assert freshbooks_invoice_total(shown) == Decimal(source["total"])
    dropped = invoice(source, include_non_chargeable_lines=False)["lines"]
    assert "Warranty part" not in [line["name"] for line in dropped]
    assert freshbooks_invoice_total(dropped) == Decimal(source["total"])


@pytest.mark.parametrize("price", ["-50.00", "50.00"])
def test_price_modifiers_are_negative_discount_lines_named_after_the_modifier(price: str) -> None:
    items = [st_line(1, price="200.00"),
             st_line(2, "PriceModifier", sku_id=9001, price="-50.00", displayName="$50 Off Coupon")]
    source = st_invoice(items=items)
    items[1]["price"] = price  # whatever sign ServiceTitan shows, the modifier is a discount
    lines = invoice(source)["lines"]
    discount = next(line for line in lines if line["name"] == "$50 Off Coupon")
    assert Decimal(discount["qty"]) * Decimal(discount["unit_cost"]["amount"]) == Decimal("-50.00")
    assert "item_source_key" not in discount
    assert freshbooks_invoice_total(lines) == Decimal(source["total"])


def test_price_modifier_sign_is_kept_when_not_treated_as_discounts() -> None:
    items = [st_line(1, price="200.00"), st_line(2, "PriceModifier", sku_id=9002, price="15.00", displayName="Fee")]
    lines = invoice(st_invoice(items=items), price_modifiers_as_discounts=False)["lines"]
    assert next(line for line in lines if line["name"] == "Fee")["unit_cost"]["amount"] == "15.00"


def test_unknown_line_type_is_kept_and_sent_for_review() -> None:
    items = [st_line(1), st_line(2, "Rebate", sku_id=3, displayName="Mystery")]
    mapped = invoice(st_invoice(items=items))
    assert "items[1]" in mapped["review_reason"] and "'Rebate'" in mapped["review_reason"]
    assert "Mystery" in [line["name"] for line in mapped["lines"]]


@pytest.mark.parametrize(("quantity", "price", "total"),
                         [("3", "33.333", "100.00"), ("3", "33.33", "100.02"), ("0.0001", "10", "12.34")])
def test_line_whose_quantity_times_price_misses_its_total_still_totals(quantity, price, total) -> None:
    source = st_invoice(items=[st_line(1, quantity=quantity, price=price, total=total)])
    lines = invoice(source)["lines"]
    unit_cost = Decimal(lines[0]["unit_cost"]["amount"])
    assert unit_cost == unit_cost.quantize(Decimal("0.01"))  # FreshBooks keeps unit costs in cents
    amount = Decimal(lines[0]["qty"]) * unit_cost
    assert amount.quantize(Decimal("0.01")) == Decimal(total)  # the line itself carries ServiceTitan's total
    assert freshbooks_invoice_total(lines) == Decimal(source["total"])


@pytest.mark.parametrize(
    ("statuses", "synced"),
    [(None, {"Posted", "Exported"}), (["Pending", "posted"], {"Pending", "Posted"}), ([], set())],
)
def test_invoices_sync_by_servicetitan_status(statuses, synced) -> None:
    sources = [st_invoice(n, syncStatus=status) for n, status in enumerate(["Pending", "Posted", "Exported"], 1)]
    settings = {} if statuses is None else {"invoice_sync_statuses": statuses}
    mapped = invoices(*sources, **settings)
    status_by_key = {f"servicetitan:invoice:{s['id']}": s["syncStatus"] for s in sources}
    assert {status_by_key[m["source_key"]] for m in mapped} == synced


def test_voided_invoices_always_pass_as_inactive() -> None:
    mapped = invoices(st_invoice(1, active=False, syncStatus="Pending"), invoice_sync_statuses=["Posted"])
    assert [(m["source_key"], m["active"]) for m in mapped] == [("servicetitan:invoice:1", False)]


def test_zero_total_invoices_follow_the_setting() -> None:
    zero = st_invoice(1, items=[st_line(1, price="0.00")])
    assert zero["total"] == "0.00"
    assert len(invoices(zero)) == 1
    assert invoices(zero, sync_zero_total_invoices=False) == []


def test_adjustment_invoices_pass_as_ordinary_invoices_noting_the_original() -> None:
    source = st_invoice(2, items=[st_line(1, price="-25.00")], adjustmentToId=1)
    mapped = invoice(source, adjustment_mode="negative_invoice")
    assert mapped["notes"].startswith("Adjustment to ServiceTitan invoice 1.")
    assert freshbooks_invoice_total(mapped["lines"]) == Decimal(source["total"])


def test_invoice_without_customer_goes_to_review() -> None:
    mapped = invoice(st_invoice(customer=None))
    assert mapped["client_source_key"] is None
    assert "customer.id" in mapped["review_reason"]


def test_line_without_price_takes_its_total() -> None:
    source = st_invoice(items=[st_line(1, quantity="3", price="10.00", total="10.00")])
    source["items"][0]["price"] = None
    line = invoice(source)["lines"][0]
    # 3 x 3.33 is 9.99, not 10.00: FreshBooks keeps unit costs in cents, so the line is 1 x 10.00, noted.
    assert (line["qty"], line["unit_cost"]["amount"]) == ("1", "10.00")
    assert "Quantity 3." in line["description"]
    assert freshbooks_invoice_total(invoice(source)["lines"]) == Decimal(source["total"])
