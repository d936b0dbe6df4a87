"""Credit memos become goodwill credit notes whose lines total the memo, applied as ServiceTitan applied them;
negative adjustment invoices become credit notes too (or stay negative invoices)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from mapper_harness import NYC, freshbooks_invoice_total, run_mapper, st_credit_memo, st_invoice, st_line, stream_of


def note(source: dict, **settings) -> dict:
    return run_mapper(stream_of("credit_memos", source), **settings).one("credit_notes")


def amount(value: float | str) -> Decimal:
    return Decimal(str(value))


def test_applied_memo() -> None:
    source = st_credit_memo(7, [(1234, 50.0)], total=50.0)
    record = note(source)
    assert record["source_key"] == "servicetitan:creditmemo:7"
    assert record["active"] is True
    assert record["review_reason"] is None
    assert record["client_source_key"] == f"servicetitan:customer:{source['customer']['id']}"
    assert record["credit_number"] == source["referenceNumber"]
    assert record["create_date"] == source["date"]
    assert record["currency_code"] == "USD"
    assert record["credit_type"] == "goodwill"
    assert source["description"] in record["notes"] and f"credit memo {source['referenceNumber']}" in record["notes"]
    assert freshbooks_invoice_total(record["lines"]) == amount(source["total"])
    assert record["applications"] == [
        {"source_key": "servicetitan:creditmemo:7:invoice:1234", "invoice_source_key": "servicetitan:invoice:1234",
         "amount": {"amount": "50.00", "code": "USD"}}
    ]


def test_partly_applied_memo_leaves_the_balance_as_credit() -> None:
    source = st_credit_memo(8, [(1234, 30.0)], total=50.0)
    record = note(source)
    applied = sum((Decimal(a["amount"]["amount"]) for a in record["applications"]), Decimal(0))
    assert freshbooks_invoice_total(record["lines"]) - applied == amount(source["balance"])


def test_memo_with_sales_tax_has_an_untaxed_tax_line_and_totals_to_the_cent() -> None:
    source = st_credit_memo(9, [(1234, 21.77)], total=21.77, sales_tax=1.77)
    lines = note(source)["lines"]
    assert [line["unit_cost"]["amount"] for line in lines] == [f"{amount(source['subTotal']):.2f}", "1.77"]
    assert lines[1]["name"] == "Sales tax credit" and lines[1]["taxName1"] is None
    assert freshbooks_invoice_total(lines) == amount(source["total"])


def test_memo_with_string_money_whose_parts_do_not_add_up_gets_a_rounding_line() -> None:
    source = st_credit_memo(10, [], total="40.01", subTotal="40.00", salesTax="0")
    assert freshbooks_invoice_total(note(source)["lines"]) == amount(source["total"])


def test_inactive_memo_is_inactive() -> None:
    assert note(st_credit_memo(11, active=False))["active"] is False


def test_credit_number_prefix_and_memo_without_reference() -> None:
    assert note(st_credit_memo(12), credit_number_prefix="CN-")["credit_number"] == "CN-CM-12"
    assert note(st_credit_memo(13, referenceNumber=None))["credit_number"] == "13"


def test_memo_applying_more_than_its_total_goes_to_review() -> None:
    assert "correct the applications" in note(st_credit_memo(14, [(1234, 60.0)], total=50.0))["review_reason"]


def adjustment() -> dict:
    return st_invoice(1250, items=[st_line(1, "Material", quantity="-1", price="24.99"),
                                   st_line(2, "Service", sku_id=8, quantity="-2", price="12.35")],
                      adjustmentToId=1234, referenceNumber="11234-1")


def test_adjustment_invoice_becomes_a_credit_note_of_its_negated_total() -> None:
    source = adjustment()
    assert Decimal(source["total"]) < 0
    out = run_mapper([*stream_of("tax_zones", NYC), *stream_of("invoices", source)])
    assert out.records("invoices") == []
    record = out.one("credit_notes")
    assert record["source_key"] == "servicetitan:invoice:1250"
    assert record["credit_number"] == "ST-" + source["referenceNumber"]
    assert record["applications"] == []
    assert record["credit_type"] == "goodwill"
    assert "Adjustment to ServiceTitan invoice 1234." in record["notes"]
    assert freshbooks_invoice_total(record["lines"]) == -Decimal(source["total"])
    assert all(Decimal(line["qty"]) * Decimal(line["unit_cost"]["amount"]) >= 0 for line in record["lines"])
    assert not any("item_source_key" in line or "item" in line for line in record["lines"])


@pytest.mark.parametrize("rounding", ["per_line", "per_invoice"])
def test_adjustment_as_negative_invoice_keeps_todays_shape(rounding) -> None:
    source = adjustment()
    out = run_mapper([*stream_of("tax_zones", NYC), *stream_of("invoices", source)],
                     adjustment_mode="negative_invoice", freshbooks_tax_rounding=rounding)
    assert out.records("credit_notes") == []
    assert freshbooks_invoice_total(out.one("invoices")["lines"], rounding) == Decimal(source["total"])


def test_positive_adjustment_stays_an_invoice() -> None:
    out = run_mapper([*stream_of("tax_zones", NYC), *stream_of("invoices", st_invoice(1251, adjustmentToId=1234))])
    assert out.one("invoices")["source_key"] == "servicetitan:invoice:1251"
