"""Malformed ServiceTitan records: a message naming the stream, the record id and the field, either as the
record's `review_reason` (policy `review`, the default) or as the error that stops the run (policy `fail`)."""

from __future__ import annotations

import logging

import pytest
from map_servicetitan_freshbooks.values import MappingError
from mapper_harness import run_mapper, st_customer, st_invoice, st_line, st_payment, st_pricebook_item, stream_of


def invoice_with_bad_line_price() -> dict:
    source = st_invoice(1234, items=[st_line(1), st_line(2)])
    source["items"][1]["price"] = "12,50.0.1"
    return source


def payment_with_bad_amount() -> dict:
    source = st_payment(55)
    source["appliedTo"][0]["appliedAmount"] = "lots"
    return source


MALFORMED = [
    ("invoices", st_invoice(1234, salesTax="eight"), "invoices", "servicetitan:invoice:1234",
     "stream 'invoices', record id 1234, field 'salesTax': 'eight' is not a decimal number"),
    ("invoices", invoice_with_bad_line_price(), "invoices", "servicetitan:invoice:1234",
     "stream 'invoices', record id 1234, field 'items[1].price': '12,50.0.1' is not a decimal number"),
    ("services", st_pricebook_item(34, price="n/a"), "items", "servicetitan:service:34",
     "stream 'services', record id 34, field 'price': 'n/a' is not a decimal number"),
    ("payments", payment_with_bad_amount(), "payments", "servicetitan:payment:55",
     "stream 'payments', record id 55, field 'appliedTo[0].appliedAmount': 'lots' is not a decimal number"),
    ("invoices", st_invoice(1234, invoiceDate="last Tuesday"), "invoices", "servicetitan:invoice:1234",
     "stream 'invoices', record id 1234, field 'invoiceDate': 'last Tuesday' is not an ISO 8601 date-time"),
]
IDS = ["invoice-money", "line-money", "pricebook-price", "application-amount", "date"]


@pytest.mark.parametrize(("stream", "source", "output", "key", "message"), MALFORMED, ids=IDS)
def test_malformed_record_fails_with_a_message_naming_stream_id_and_field(stream, source, output, key, message):
    with pytest.raises(MappingError) as info:
        run_mapper(stream_of(stream, source), malformed_record_policy="fail")
    assert str(info.value) == message


@pytest.mark.parametrize(("stream", "source", "output", "key", "message"), MALFORMED, ids=IDS)
def test_malformed_record_goes_to_review_by_default(stream, source, output, key, message, caplog):
    caplog.set_level(logging.ERROR)
    out = run_mapper([*stream_of(stream, source), {"type": "STATE", "value": {"after": 1}}])
    held = out.one(output)
    assert held["source_key"] == key
    assert message in held["review_reason"]
    assert message in caplog.text
    assert out.messages[-1] == {"type": "STATE", "value": {"after": 1}}


def test_record_without_id_always_stops_the_run() -> None:
    customer = st_customer()
    del customer["id"]
    with pytest.raises(MappingError, match=r"stream 'customers': a record has no 'id'"):
        run_mapper(stream_of("customers", customer))


def test_application_without_invoice_id() -> None:
    source = st_payment(55)
    source["appliedTo"][0]["appliedTo"] = None
    held = run_mapper(stream_of("payments", source)).one("payments")
    assert "field 'appliedTo[0].appliedTo'" in held["review_reason"]


def test_unknown_line_type_is_a_review_of_a_complete_invoice() -> None:
    mapped = run_mapper(stream_of("invoices", st_invoice(items=[st_line(1, "Widget")]))).one("invoices")
    assert "unknown type 'Widget'" in mapped["review_reason"]
    assert mapped["lines"]
