"""Nothing is dropped in silence: a record the mapper leaves out of FreshBooks is sent as a skip record, with
a reason and a category, and the end-of-run summary warns about it."""

from __future__ import annotations

import logging

from mapper_harness import NYC, run_mapper, st_customer, st_invoice, st_line, stream_of


def invoice_records(*sources: dict, **settings) -> list[dict]:
    return run_mapper([*stream_of("tax_zones", NYC), *stream_of("invoices", *sources)], **settings).records("invoices")


def test_pending_invoice_is_a_timing_skip() -> None:
    source = st_invoice(1, syncStatus="Pending")
    assert invoice_records(source) == [{
        "source_key": "servicetitan:invoice:1",
        "skip_reason": "not posted yet: syncStatus 'Pending' is not in invoice_sync_statuses",
        "skip_category": "timing",
    }]


def test_other_status_left_out_by_the_setting_is_a_filtered_skip() -> None:
    [record] = invoice_records(st_invoice(2, syncStatus="Exported"), invoice_sync_statuses=["Posted"])
    assert record["skip_category"] == "filtered"
    assert "syncStatus 'Exported' is not in invoice_sync_statuses" in record["skip_reason"]


def test_zero_invoice_left_out_is_a_filtered_skip() -> None:
    source = st_invoice(3, items=[st_line(1, price="0.00")])
    assert source["total"] == "0.00"
    assert invoice_records(source, sync_zero_total_invoices=False) == [{
        "source_key": "servicetitan:invoice:3",
        "skip_reason": "its total is 0 and sync_zero_total_invoices is false",
        "skip_category": "filtered",
    }]


def test_pending_adjustment_skip_goes_where_its_credit_note_would() -> None:
    source = st_invoice(4, items=[st_line(1, price="-25.00")], adjustmentToId=1, syncStatus="Pending")
    out = run_mapper([*stream_of("tax_zones", NYC), *stream_of("invoices", source)])
    assert out.one("credit_notes")["skip_category"] == "timing"


def test_location_is_an_unsupported_skip_in_the_skipped_stream() -> None:
    location = {"id": 2, "name": "Main house", "active": True}
    out = run_mapper(stream_of("locations", location))
    record = out.one("skipped")
    assert record["source_key"] == f"servicetitan:location:{location['id']}"
    assert record["source_stream"] == "locations"
    assert record["skip_category"] == "unsupported"
    assert "FreshBooks has no service locations" in record["skip_reason"]
    schema = next(m for m in out.messages if m["type"] == "SCHEMA")
    assert schema["stream"] == "skipped" and "source_stream" in schema["schema"]["properties"]


def test_reference_streams_emit_nothing() -> None:
    out = run_mapper([*stream_of("payment_types", {"id": 3, "name": "Check"}),
                      *stream_of("gl_accounts", {"id": 1, "name": "Sales"})])
    assert out.messages == []


def test_summary_warns_when_something_was_left_behind(caplog) -> None:
    caplog.set_level(logging.INFO)
    run_mapper([*stream_of("locations", {"id": 2}), *stream_of("invoices", st_invoice(1, syncStatus="Pending"))])
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("Not mapped: 1 locations records" in message for message in warnings)
    assert any("Not mapped: 1 invoices skipped (timing" in message for message in warnings)


def test_summary_is_informational_when_only_reference_records_were_read(caplog) -> None:
    caplog.set_level(logging.INFO)
    run_mapper([*stream_of("gl_accounts", {"id": 1}), *stream_of("customers", st_customer())])
    summary = [r for r in caplog.records if "reference only: 1 gl_accounts" in r.getMessage()]
    assert summary and all(r.levelno == logging.INFO for r in summary)
    assert not any(r.levelno >= logging.WARNING for r in caplog.records)
