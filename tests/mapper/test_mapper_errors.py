"""Malformed ServiceTitan records fail with a message naming the stream, the record id and the field."""

from __future__ import annotations

import pytest
from map_servicetitan_freshbooks.values import MappingError
from mapper_harness import run_mapper, st_customer, st_invoice, st_line, st_payment, st_pricebook_item, stream_of


def test_record_without_id() -> None:
    customer = st_customer()
    del customer["id"]
    with pytest.raises(MappingError, match=r"stream 'customers'.*no 'id'"):
        run_mapper(stream_of("customers", customer))


def test_unparsable_invoice_money_names_the_field() -> None:
    with pytest.raises(MappingError, match=r"stream 'invoices', record id 1234, field 'salesTax': 'eight' is not"):
        run_mapper(stream_of("invoices", st_invoice(1234, salesTax="eight")))


def test_unparsable_line_money_names_the_line() -> None:
    source = st_invoice(1234, items=[st_line(1), st_line(2)])
    source["items"][1]["price"] = "12,50.0.1"
    with pytest.raises(MappingError, match=r"record id 1234, field 'items\[1\]\.price'"):
        run_mapper(stream_of("invoices", source))


def test_unparsable_pricebook_price() -> None:
    with pytest.raises(MappingError, match=r"stream 'services', record id 34, field 'price'"):
        run_mapper(stream_of("services", st_pricebook_item(34, price="n/a")))


def test_unparsable_application_amount() -> None:
    source = st_payment(55)
    source["appliedTo"][0]["appliedAmount"] = "lots"
    with pytest.raises(MappingError, match=r"stream 'payments', record id 55, field 'appliedTo\[0\]\.appliedAmount'"):
        run_mapper(stream_of("payments", source))


def test_unparsable_date() -> None:
    with pytest.raises(MappingError, match=r"record id 1234, field 'invoiceDate': 'last Tuesday'"):
        run_mapper(stream_of("invoices", st_invoice(1234, invoiceDate="last Tuesday")))


def test_unknown_line_type_is_a_review_not_an_error() -> None:
    mapped = run_mapper(stream_of("invoices", st_invoice(items=[st_line(1, "Widget")]))).one("invoices")
    assert "unknown type 'Widget'" in mapped["review_reason"]
