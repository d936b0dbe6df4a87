"""Purchases: ServiceTitan vendors, inventory bills, AP bills, AP payments and AP credits become FreshBooks bill
vendors, bills and bill payments; every bill's lines total its `billAmount` to the cent."""

from __future__ import annotations

import logging
from decimal import Decimal

import pytest
from mapper_harness import (
    GL_EQUIPMENT,
    GL_FUEL,
    freshbooks_bill_total,
    run_mapper,
    st_ap_bill,
    st_ap_credit,
    st_ap_payment,
    st_bill_item,
    st_inventory_bill,
    st_vendor,
    stream_of,
)

CATEGORIES = {"1300": "Materials & Parts", "Equipment Purchases": "Equipment Purchases", "6110": "Fuel",
              "tax": "Sales Tax Paid", "shipping": "Shipping & Freight"}


def bill(source: dict, stream: str = "inventory_bills", **settings) -> dict:
    return run_mapper(stream_of(stream, source), **settings).one("bills")


# vendors


def test_vendor_becomes_a_bill_vendor_waiting_for_review_by_default() -> None:
    source = st_vendor(9)
    assert run_mapper(stream_of("vendors", source)).one("bill_vendors") == {
        "source_key": "servicetitan:vendor:9",
        "active": True,
        "review_reason": None,
        "vendor_name": "Ferguson Supply",
        "primary_contact_first_name": "Dana",
        "primary_contact_last_name": "Reyes",
        "primary_contact_email": "ar@ferguson.example",
        "phone": "718-555-0199",
        "street": "1 Supply Way",
        "street2": "Dock 3",
        "city": "Queens",
        "province": "NY",
        "postal_code": "11101",
        "country": "USA",
        "currency_code": "USD",
        "note": "Net 30 account",
        "on_missing": "review",
    }


def test_missing_vendor_policy_create() -> None:
    out = run_mapper(stream_of("vendors", st_vendor(9)), missing_vendor_policy="create")
    assert out.one("bill_vendors")["on_missing"] == "create"


def test_missing_vendor_policy_refuses_other_values() -> None:
    with pytest.raises(Exception, match=r"Config validation failed|missing_vendor_policy"):
        run_mapper(stream_of("vendors", st_vendor(9)), missing_vendor_policy="skip")


def test_inactive_vendor_stays_for_its_bills_and_says_so() -> None:
    record = run_mapper(stream_of("vendors", st_vendor(9, active=False, memo=""))).one("bill_vendors")
    assert record["active"] is True
    assert record["note"] == "Inactive in ServiceTitan."


def test_vendor_without_name_goes_to_review() -> None:
    record = run_mapper(stream_of("vendors", st_vendor(9, name="  "))).one("bill_vendors")
    assert "no name" in record["review_reason"]


# inventory bills


def test_inventory_bill_lines_total_bill_amount_with_tax_shipping_and_other_lines() -> None:
    source = st_inventory_bill(77, [
        st_bill_item(1, "PVC-075", "10", "1.25"),
        st_bill_item(2, "CMP-3T", "1", "1249.00", gl=GL_EQUIPMENT, description="<p>3 ton <b>compressor</b></p>"),
        st_bill_item(3, "TAPE-2", "3", "4.10", gl=None),
    ], tax="113.12", shipping="45.00", other="12.50")
    assert source["billAmount"] == "1444.42"
    mapped = bill(source, expense_category_map=CATEGORIES)
    assert mapped["source_key"] == "servicetitan:inventorybill:77"
    assert mapped["vendor_source_key"] == "servicetitan:vendor:9"
    assert mapped["active"] is True and mapped["review_reason"] is None
    assert freshbooks_bill_total(mapped["lines"]) == Decimal(source["billAmount"])
    assert [(line["description"], line["quantity"], line["unit_cost"]["amount"], line["category"])
            for line in mapped["lines"]] == [
        ("PVC-075 — Part PVC-075", "10", "1.25", "Materials & Parts"),
        ("CMP-3T — Part CMP-3T\n3 ton compressor", "1", "1249.00", "Equipment Purchases"),
        ("TAPE-2 — Part TAPE-2", "3", "4.10", "Cost of Goods Sold"),
        ("Sales tax", "1", "113.12", "Sales Tax Paid"),
        ("Shipping", "1", "45.00", "Shipping & Freight"),
        ("Other charges (duties, fees)", "1", "12.50", "Cost of Goods Sold"),
    ]
    assert all(line["unit_cost"]["code"] == "USD" for line in mapped["lines"])


def test_bill_header_number_dates_and_terms() -> None:
    mapped = bill(st_inventory_bill(77, billDate="2024-03-04T00:00:00Z", dueDate="2024-04-18T00:00:00Z"))
    assert mapped["bill_number"] == "1077"  # referenceNumber: ServiceTitan's own bill number
    assert mapped["issue_date"] == "2024-03-04"
    assert mapped["due_offset_days"] == 45
    assert mapped["currency_code"] == "USD"


def test_bill_number_from_the_vendor_invoice_number_when_configured() -> None:
    assert bill(st_inventory_bill(77), bill_number_source="vendorNumber")["bill_number"] == "INV-7755"
    assert bill(st_inventory_bill(77, vendorNumber=""), bill_number_source="vendorNumber")["bill_number"] == "1077"


def test_bill_date_is_the_business_date_of_a_moment() -> None:
    # 02:30 UTC on 5 March is still 4 March in Los Angeles (the harness's business time zone).
    assert bill(st_inventory_bill(77, billDate="2024-03-05T02:30:00Z"))["issue_date"] == "2024-03-04"


def test_unit_costs_beyond_cents_become_the_lines_amount_so_the_total_is_servicetitans() -> None:
    source = st_inventory_bill(77, [st_bill_item(1, "WIRE-12", "250", "0.137"), st_bill_item(2, "NUT", "3", "0.333")])
    assert source["billAmount"] == "35.25"  # 34.25 + 1.00; FreshBooks' cents would make 35.00 + 0.99
    mapped = bill(source, expense_category_map={"1300": "Materials & Parts"})
    assert freshbooks_bill_total(mapped["lines"]) == Decimal("35.25")
    assert [(line["description"], line["quantity"], line["unit_cost"]["amount"], line["category"])
            for line in mapped["lines"]] == [
        ("WIRE-12 — Part WIRE-12\n250 x 0.137", "1", "34.25", "Materials & Parts"),
        ("NUT — Part NUT\n3 x 0.333", "1", "1.00", "Materials & Parts"),
    ]


def test_bill_amount_that_is_not_the_sum_of_its_parts_gets_a_labelled_adjustment_line() -> None:
    source = st_inventory_bill(77, [st_bill_item(1, "PVC-075", "10", "1.25")], tax="1.11", billAmount="13.62")
    mapped = bill(source, expense_category_map={"rounding": "Office Expenses"})
    assert freshbooks_bill_total(mapped["lines"]) == Decimal("13.62")
    adjustment = mapped["lines"][-1]
    assert adjustment["description"] == ("Adjustment to the ServiceTitan bill total: billAmount 13.62; lines in "
                                         "FreshBooks' cents: items 12.50, tax 1.11.")
    assert (adjustment["unit_cost"]["amount"], adjustment["category"]) == ("0.01", "Office Expenses")


def test_default_expense_category_setting() -> None:
    mapped = bill(st_inventory_bill(77), default_expense_category="Materials & Parts")
    assert {line["category"] for line in mapped["lines"]} == {"Materials & Parts"}


def test_category_map_by_gl_name_case_insensitive() -> None:
    mapped = bill(st_inventory_bill(77), expense_category_map={"inventory asset": "Materials & Parts"})
    assert mapped["lines"][0]["category"] == "Materials & Parts"


def test_inactive_inventory_bill_is_inactive() -> None:
    assert bill(st_inventory_bill(77, active=False))["active"] is False


def test_bill_without_vendor_goes_to_review() -> None:
    assert "vendor.id" in bill(st_inventory_bill(77, vendor=None))["review_reason"]


def test_bill_line_without_cost_is_malformed_and_held_for_review() -> None:
    source = st_inventory_bill(77, [st_bill_item(1, "PVC-075", "10", "1.25")])
    source["items"][0]["cost"] = None
    mapped = bill(source)
    assert mapped["source_key"] == "servicetitan:inventorybill:77"
    assert "items[0].cost" in mapped["review_reason"]


# AP bills


def test_ap_bill_with_expense_items_and_parts() -> None:
    source = st_ap_bill(78, [("212.40", "Fleet fuel, March", GL_FUEL), ("38.00", "<p>Car wash</p>", None)],
                        items=[st_bill_item(1, "FILT-20", "4", "8.25", vendorPartNumber="FILT-20-V")], tax="2.93")
    mapped = bill(source, "ap_bills", expense_category_map=CATEGORIES)
    # AP bills and inventory bills share one id space: AP splits name either by inventoryBillId.
    assert mapped["source_key"] == "servicetitan:inventorybill:78"
    assert mapped["bill_number"] == "AP-78"
    assert freshbooks_bill_total(mapped["lines"]) == Decimal(source["billAmount"]) == Decimal("286.33")
    assert [(line["description"], line["unit_cost"]["amount"], line["category"]) for line in mapped["lines"]] == [
        ("FILT-20 — Part FILT-20\nVendor part FILT-20-V", "8.25", "Materials & Parts"),
        ("Fleet fuel, March", "212.40", "Fuel"),
        ("Car wash", "38.00", "Cost of Goods Sold"),
        ("Sales tax", "2.93", "Sales Tax Paid"),
    ]


def test_canceled_ap_bill_is_inactive() -> None:
    source = st_ap_bill(78, status="Canceled", dateCanceled="2024-03-10T15:00:00Z")
    assert bill(source, "ap_bills")["active"] is False


# AP payments and credits


def test_ap_payment_with_two_splits() -> None:
    source = st_ap_payment(80, [(77, 1445.42), (78, 100.5)])
    out = run_mapper(stream_of("ap_payments", source))
    assert out.one("bill_payments") == {
        "source_key": "servicetitan:appayment:80",
        "active": True,
        "review_reason": None,
        "vendor_source_key": "servicetitan:vendor:9",
        "paid_date": "2024-03-20",
        "payment_type": "Other",
        "note": "ServiceTitan AP payment 80; name Check 2210; vendor Ferguson Supply; method AccountingSystem",
        "applications": [
            {"source_key": "servicetitan:appayment:80:bill:inventorybill:77",
             "bill_source_key": "servicetitan:inventorybill:77", "amount": {"amount": "1445.42", "code": "USD"}},
            {"source_key": "servicetitan:appayment:80:bill:inventorybill:78",
             "bill_source_key": "servicetitan:inventorybill:78", "amount": {"amount": "100.50", "code": "USD"}},
        ],
    }


@pytest.mark.parametrize(("method", "print_check", "settings", "expected"), [
    ("ServiceTitan", True, {}, "Check"),
    ("ServiceTitan", False, {}, "Other"),
    ("ServiceTitan", True, {"bill_payment_type_map": {"ServiceTitan": "ACH"}}, "ACH"),
    ("AccountingSystem", False, {"bill_payment_type_map": {"accountingsystem": "bank transfer"}}, "Bank Transfer"),
    ("Check", False, {}, "Check"),
])
def test_ap_payment_type(method, print_check, settings, expected) -> None:
    source = st_ap_payment(80, method=method, printCheck=print_check)
    assert run_mapper(stream_of("ap_payments", source), **settings).one("bill_payments")["payment_type"] == expected


def test_voided_ap_payment_is_inactive_and_its_inactive_splits_apply_nothing() -> None:
    source = st_ap_payment(80, [(77, 50.0)], active=False, status="Cancelled")
    source["splits"][0]["active"] = False
    out = run_mapper(stream_of("ap_payments", source))
    mapped = out.one("bill_payments")
    assert mapped["active"] is False and mapped["applications"] == []


def test_unpaid_ap_payment_waits() -> None:
    out = run_mapper(stream_of("ap_payments", st_ap_payment(80, status="ReadyForApproval")))
    assert out.one("bill_payments") == {"source_key": "servicetitan:appayment:80", "skip_category": "timing",
                                        "skip_reason": "not paid yet: AP payment status 'ReadyForApproval'"}


def test_ap_payment_part_applied_to_no_bill_is_an_unsupported_skip() -> None:
    source = st_ap_payment(80, [(77, 60.0)], amount=100.0)
    [payment, remainder] = run_mapper(stream_of("ap_payments", source)).records("bill_payments")
    assert [a["amount"]["amount"] for a in payment["applications"]] == ["60.00"]
    assert remainder["source_key"] == "servicetitan:appayment:80:unapplied"
    assert remainder["skip_category"] == "unsupported"
    assert "40.00 of 100.00 USD" in remainder["detail"]


def test_ap_credit_fully_applied() -> None:
    out = run_mapper(stream_of("ap_credits", st_ap_credit(81, [(77, 25.0), (78, 15.0)], amount=40.0)))
    credit = out.one("bill_payments")
    assert credit["source_key"] == "servicetitan:apcredit:81"
    assert credit["payment_type"] == "Credit"
    assert credit["paid_date"] == "2024-03-15"
    assert credit["review_reason"] is None
    assert "VC-81" in credit["note"] and "Returned fittings" in credit["note"]
    assert [(a["source_key"], a["bill_source_key"], a["amount"]["amount"]) for a in credit["applications"]] == [
        ("servicetitan:apcredit:81:bill:inventorybill:77", "servicetitan:inventorybill:77", "25.00"),
        ("servicetitan:apcredit:81:bill:inventorybill:78", "servicetitan:inventorybill:78", "15.00"),
    ]


def test_ap_credit_partly_unapplied_is_counted_as_unsupported(caplog) -> None:
    caplog.set_level(logging.INFO)
    source = st_ap_credit(81, [(77, 30.0)], amount=100.0)
    assert source["appliedAmount"] == 30.0
    credit, remainder = run_mapper(stream_of("ap_credits", source)).records("bill_payments")
    assert [a["amount"]["amount"] for a in credit["applications"]] == ["30.00"]
    assert remainder == {
        "source_key": "servicetitan:apcredit:81:unapplied",
        "skip_reason": "FreshBooks has no vendor credit: the unapplied part stays in ServiceTitan until applied to a "
                       "bill",
        "skip_category": "unsupported",
        "detail": "AP credit 81 (CM55120) of Ferguson Supply: 70.00 of 100.00 USD applied to no bill",
    }
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("Not mapped: 1 bill_payments skipped (unsupported: FreshBooks has no vendor credit" in message
               for message in warnings)


def test_canceled_ap_credit_is_inactive_with_no_unapplied_skip() -> None:
    source = st_ap_credit(81, [(77, 30.0)], amount=100.0, active=False, status="Canceled",
                          canceledOn="2024-03-16T10:00:00Z", appliedAmount=0.0)
    source["splits"][0]["active"] = False
    [credit] = run_mapper(stream_of("ap_credits", source)).records("bill_payments")
    assert credit["active"] is False and credit["applications"] == []


def test_ap_credit_whose_splits_disagree_with_applied_amount_goes_to_review() -> None:
    source = st_ap_credit(81, [(77, 30.0)], amount=100.0, appliedAmount=50.0)
    credit = run_mapper(stream_of("ap_credits", source)).records("bill_payments")[0]
    assert "appliedAmount is 50.00" in credit["review_reason"]


def test_split_naming_no_bill_goes_to_review() -> None:
    source = st_ap_payment(80, [(77, 10.0)])
    source["splits"][0].update(inventoryBillId=None, documentId=4411)
    mapped = run_mapper(stream_of("ap_payments", source)).one("bill_payments")
    assert "documentId 4411" in mapped["review_reason"] and mapped["applications"] == []


def test_purchase_schemas_are_sent_once_per_stream() -> None:
    out = run_mapper([*stream_of("vendors", st_vendor(9), st_vendor(10)),
                      *stream_of("inventory_bills", st_inventory_bill(77)),
                      *stream_of("ap_bills", st_ap_bill(78)),
                      *stream_of("ap_payments", st_ap_payment(80)),
                      *stream_of("ap_credits", st_ap_credit(81))])
    schemas = [m["stream"] for m in out.messages if m["type"] == "SCHEMA"]
    assert schemas == ["bill_vendors", "bills", "bill_payments"]
    bill_schema = next(m for m in out.messages if m["type"] == "SCHEMA" and m["stream"] == "bills")["schema"]
    assert {"vendor_source_key", "bill_number", "issue_date", "due_offset_days", "lines"} <= set(
        bill_schema["properties"])
