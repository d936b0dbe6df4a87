"""The registry states each mapping once: every output stream has a schema, every source key follows it."""

from __future__ import annotations

from map_servicetitan_freshbooks.registry import REGISTRY
from map_servicetitan_freshbooks.schemas import OUTPUT_SCHEMAS
from map_servicetitan_freshbooks.values import source_key
from mapper_harness import NYC, run_mapper, st_invoice, st_line, stream_of


def test_every_output_stream_has_a_schema_keyed_by_source_key() -> None:
    outputs = {stream for mapping in REGISTRY.values() for stream in mapping.outputs}
    assert outputs == set(OUTPUT_SCHEMAS)
    for schema in OUTPUT_SCHEMAS.values():
        assert {"source_key", "skip_reason", "skip_category", "review_reason"} <= set(schema["properties"])


def test_source_key_helper() -> None:
    assert source_key("payment", 55, "invoice", 1234) == "servicetitan:payment:55:invoice:1234"
    assert source_key("customer", "12") == "servicetitan:customer:12"


def test_reference_streams_have_no_output() -> None:
    assert {name for name, mapping in REGISTRY.items() if mapping.reference} == {"payment_types", "gl_accounts"}


def test_each_schema_comes_once_even_when_one_source_stream_feeds_two_outputs() -> None:
    out = run_mapper([
        *stream_of("tax_zones", NYC),
        *stream_of("invoices", st_invoice(1), st_invoice(2, items=[st_line(1, price="-5.00")], adjustmentToId=1),
                   st_invoice(3), st_invoice(4, items=[st_line(1, price="-6.00")], adjustmentToId=3)),
    ])
    schemas = [m["stream"] for m in out.messages if m["type"] == "SCHEMA"]
    assert schemas == ["taxes", "invoices", "credit_notes"]
    first_note = next(i for i, m in enumerate(out.messages) if m.get("stream") == "credit_notes")
    assert out.messages[first_note]["type"] == "SCHEMA"
