"""The tap feeds any Singer target: `meltano run tap-servicetitan target-jsonl` (target-jsonl from PyPI)
writes every stream, with ServiceTitan's own record counts and exact money."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from e2e_harness import Pipeline
from sandbox.servicetitan.data import iter_records

pytestmark = pytest.mark.e2e

STREAMS = ["customers", "locations", "materials", "services", "equipment", "vendors", "invoices", "payments",
           "credit_memos", "inventory_bills", "ap_bills", "ap_credits", "ap_payments", "payment_types", "gl_accounts",
           "tax_zones"]


def test_meltano_run_into_target_jsonl_writes_every_stream(pipeline: Pipeline, tmp_path: Path) -> None:
    out = tmp_path / "jsonl"
    out.mkdir()
    pipeline.meltano("run", "tap-servicetitan", "target-jsonl", TARGET_JSONL_DESTINATION_PATH=str(out))

    written = {path.stem: [json.loads(line) for line in path.read_text().splitlines()]
               for path in out.glob("*.jsonl")}
    assert sorted(written) == sorted(STREAMS)
    store = pipeline.sandbox.ctx.store
    for stream in ("customers", "materials", "tax_zones", "vendors"):
        assert {r["id"] for r in written[stream]} == {r["id"] for r in iter_records(store, stream)}, stream
    source = {r["id"]: r for r in iter_records(store, "invoices")}
    for invoice in written["invoices"]:
        assert invoice["total"] == source[invoice["id"]]["total"]  # money as ServiceTitan wrote it
        assert len(invoice["items"]) == len(source[invoice["id"]]["items"])
