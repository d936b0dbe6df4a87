"""Settings reach the plugins from their environment variables, as the README says: the mapper's
`business_timezone` (a setting of the mapper plugin in `meltano.yml`, no longer pinned in the mapping's own
`config:`, which outranks every environment variable) follows `MAP_SERVICETITAN_FRESHBOOKS_BUSINESS_TIMEZONE`."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import orjson
import pytest
from e2e_harness import Pipeline

pytestmark = pytest.mark.e2e

LATE_EVENING_IN_CALIFORNIA = "T05:30:00Z"
"""01:30 in New York (the default zone): the same date. 22:30 the day before in Los Angeles."""


def test_business_timezone_follows_its_environment_variable(pipeline: Pipeline, tmp_path: Path) -> None:
    store = pipeline.sandbox.ctx.store
    source_dates: dict[str, dt.date] = {}
    with store.transaction() as conn:  # every invoice dated at 05:30 UTC instead of midnight UTC
        for record_id, doc in conn.execute("SELECT id, doc FROM st_record WHERE kind = 'invoices'").fetchall():
            invoice = orjson.loads(doc)
            day = str(invoice.get("invoiceDate") or "")[:10]
            if not day:
                continue
            invoice["invoiceDate"] = day + LATE_EVENING_IN_CALIFORNIA
            source_dates[f"servicetitan:invoice:{record_id}"] = dt.date.fromisoformat(day)
            conn.execute("UPDATE st_record SET doc = ? WHERE kind = 'invoices' AND id = ?",
                         (orjson.dumps(invoice).decode(), record_id))

    out = tmp_path / "jsonl"
    out.mkdir()
    pipeline.meltano("run", "tap-servicetitan", "servicetitan-to-freshbooks", "target-jsonl",
                     TARGET_JSONL_DESTINATION_PATH=str(out),
                     MAP_SERVICETITAN_FRESHBOOKS_BUSINESS_TIMEZONE="America/Los_Angeles")

    invoices = [json.loads(line) for line in (out / "invoices.jsonl").read_text().splitlines()]
    dated = [i for i in invoices if i.get("create_date") and i["source_key"] in source_dates]
    assert len(dated) > 50
    for invoice in dated:  # New York would keep the source date: the variable was not overridden by meltano.yml
        expected = source_dates[invoice["source_key"]] - dt.timedelta(days=1)
        assert invoice["create_date"] == expected.isoformat(), invoice["source_key"]
