"""The mapper as a process: Singer messages on stdin, Singer messages on stdout, errors on stderr."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

from mapper_harness import (
    FAIRFIELD,
    NYC,
    freshbooks_invoice_total,
    st_customer,
    st_invoice,
    st_line,
    st_payment,
    st_pricebook_item,
    stream_of,
)

EXECUTABLE = str(Path(sys.executable).parent / "map-servicetitan-freshbooks")


def run_process(messages: list[dict], config: dict, tmp_path: Path) -> subprocess.CompletedProcess:
    config_path = tmp_path / "config.json"
    config_path.write_text(json.dumps(config))
    stdin = "".join(json.dumps(message) + "\n" for message in messages)
    return subprocess.run([EXECUTABLE, "--config", str(config_path)], input=stdin, capture_output=True, text=True,
                          timeout=120, check=False)


def test_pipeline_of_messages_through_the_process(tmp_path: Path) -> None:
    invoice = st_invoice(1234, items=[st_line(1, "Service", sku_id=8, price="149.99"),
                                      st_line(2, "Material", sku_id=34, quantity="3", price="12.35")], zone=FAIRFIELD)
    messages = [
        *stream_of("tax_zones", NYC, FAIRFIELD),
        *stream_of("payment_types", {"id": 3, "name": "Check"}),
        *stream_of("customers", st_customer(12)),
        {"type": "STATE", "value": {"bookmarks": {"customers": {"continueFrom": "c1"}}}},
        *stream_of("materials", st_pricebook_item(34)),
        *stream_of("invoices", invoice),
        *stream_of("payments", st_payment(55, applied=[(1234, invoice["total"])])),
        {"type": "STATE", "value": {"bookmarks": {"payments": {"continueFrom": "p9"}}}},
    ]
    result = run_process(messages, {"business_timezone": "America/New_York"}, tmp_path)
    assert result.returncode == 0, result.stderr
    out = [json.loads(line) for line in result.stdout.splitlines()]
    records = [(m["stream"], m["record"]["source_key"]) for m in out if m["type"] == "RECORD"]
    assert records == [
        ("taxes", "servicetitan:taxzone:5"),
        ("taxes", "servicetitan:taxzone:7:labor"),
        ("taxes", "servicetitan:taxzone:7:material"),
        ("clients", "servicetitan:customer:12"),
        ("items", "servicetitan:material:34"),
        ("invoices", "servicetitan:invoice:1234"),
        ("payments", "servicetitan:payment:55"),
    ]
    assert [m["value"] for m in out if m["type"] == "STATE"] == [
        {"bookmarks": {"customers": {"continueFrom": "c1"}}}, {"bookmarks": {"payments": {"continueFrom": "p9"}}}]
    assert out[-1]["type"] == "STATE"
    mapped_invoice = next(m["record"] for m in out if m["type"] == "RECORD" and m["stream"] == "invoices")
    assert freshbooks_invoice_total(mapped_invoice["lines"]) == Decimal(invoice["total"])


def test_malformed_record_with_fail_policy_exits_nonzero_naming_it(tmp_path: Path) -> None:
    messages = stream_of("invoices", st_invoice(4321, total="12.3.4"))
    result = run_process(messages, {"business_timezone": "UTC", "malformed_record_policy": "fail"}, tmp_path)
    assert result.returncode != 0
    assert "stream 'invoices', record id 4321, field 'total'" in result.stderr


def test_invalid_time_zone_exits_nonzero_naming_the_setting(tmp_path: Path) -> None:
    result = run_process([], {"business_timezone": "Pacific Time"}, tmp_path)
    assert result.returncode != 0
    assert "business_timezone" in result.stderr and "'Pacific Time'" in result.stderr
    assert result.stdout == ""
