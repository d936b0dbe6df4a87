"""Which input streams become which output streams; STATE passes through untouched and in order."""

from __future__ import annotations

import logging

from mapper_harness import (
    NYC,
    record,
    run_mapper,
    schema,
    st_customer,
    st_invoice,
    st_payment,
    st_pricebook_item,
    stream_of,
)

STATE_1 = {"bookmarks": {"customers": {"replication_key_value": "2024-01-01T00:00:00Z", "continueFrom": "abc=="}}}
STATE_2 = {"bookmarks": {"invoices": {"continueFrom": "xyz/+=", "nested": [1, 2.5, None, True]}}}


def test_state_passes_through_untouched_and_in_place() -> None:
    out = run_mapper([
        *stream_of("customers", st_customer()),
        {"type": "STATE", "value": STATE_1},
        *stream_of("invoices", st_invoice()),
        {"type": "STATE", "value": STATE_2},
    ])
    kinds = [(m["type"], m.get("stream")) for m in out.messages if m["type"] in ("RECORD", "STATE")]
    assert kinds == [("RECORD", "clients"), ("STATE", None), ("RECORD", "invoices"), ("STATE", None)]
    assert [m["value"] for m in out.messages if m["type"] == "STATE"] == [STATE_1, STATE_2]


def test_each_input_stream_maps_to_its_freshbooks_stream() -> None:
    out = run_mapper([
        *stream_of("tax_zones", NYC),
        *stream_of("payment_types", {"id": 3, "name": "Check"}),
        *stream_of("customers", st_customer()),
        *stream_of("materials", st_pricebook_item(34)),
        *stream_of("services", st_pricebook_item(35, code="SVC-1")),
        *stream_of("equipment", st_pricebook_item(36, code="EQ-1")),
        *stream_of("invoices", st_invoice()),
        *stream_of("payments", st_payment()),
    ])
    assert out.streams == {"taxes", "clients", "items", "invoices", "payments"}
    assert [r["source_key"] for r in out.records("items")] == [
        "servicetitan:material:34", "servicetitan:service:35", "servicetitan:equipment:36"]


def test_output_schemas_come_once_before_records_keyed_by_source_key() -> None:
    out = run_mapper([
        *stream_of("materials", st_pricebook_item(34)),
        schema("services"),
        record("services", st_pricebook_item(35)),
        schema("materials"),
        record("materials", st_pricebook_item(37)),
    ])
    schemas = [m for m in out.messages if m["type"] == "SCHEMA"]
    assert [s["stream"] for s in schemas] == ["items"]
    assert schemas[0]["key_properties"] == ["source_key"]
    assert out.messages.index(schemas[0]) < next(i for i, m in enumerate(out.messages) if m["type"] == "RECORD")
    assert "source_key" in schemas[0]["schema"]["properties"]


def test_unsupported_streams_are_skip_records_reference_and_unknown_ones_are_dropped(caplog) -> None:
    caplog.set_level(logging.INFO)
    out = run_mapper([
        *stream_of("gl_accounts", {"id": 1, "name": "Sales"}),
        *stream_of("locations", {"id": 2, "customerId": 12}),
        *stream_of("jobs", {"id": 3}),
        *stream_of("jobs", {"id": 4}),
        {"type": "STATE", "value": STATE_1},
    ])
    assert out.streams == {"skipped"}
    assert [(r["source_key"], r["source_stream"], r["skip_category"]) for r in out.records("skipped")] == [
        ("servicetitan:location:2", "locations", "unsupported"),
    ]
    assert out.messages[-1] == {"type": "STATE", "value": STATE_1}
    text = caplog.text
    for stream in ("locations",):
        assert f"stream '{stream}' are not mapped" in text
    assert "stream 'gl_accounts' are read for reference only" in text
    assert "unknown stream 'jobs' are dropped" in text
    assert text.count("unknown stream 'jobs'") == 1  # warned once, counted in the end summary
    assert "2 jobs records (unknown stream)" in text


def test_activate_version_messages_are_not_forwarded() -> None:
    out = run_mapper([
        *stream_of("materials", st_pricebook_item()),
        {"type": "ACTIVATE_VERSION", "stream": "materials", "version": 1700000000},
    ])
    assert [m["type"] for m in out.messages] == ["SCHEMA", "RECORD"]
