"""Export feeds: continuation tokens, `from` dates, inactive rows, includeRecentChanges, the batch size.

Expected records come from the simulator's own data (`iter_records`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sandbox.servicetitan.data import iter_records
from sandbox.servicetitan.times import parse_time
from sandbox.testing import RunningSandbox
from st_harness import StClient

FEEDS = [
    ("crm", "/export/customers", "customers"),
    ("crm", "/export/customers/contacts", "contacts"),
    ("crm", "/export/locations", "locations"),
    ("pricebook", "/export/materials", "materials"),
    ("pricebook", "/export/services", "services"),
    ("pricebook", "/export/equipment", "equipment"),
    ("accounting", "/export/invoices", "invoices"),
    ("accounting", "/export/invoice-items", "invoice_items"),
    ("accounting", "/export/payments", "payments"),
    ("accounting", "/export/inventory-bills", "inventory_bills"),
]


def position(row: dict, fallback: str) -> tuple[datetime, int]:
    return parse_time(row.get("modifiedOn") or fallback), row["id"]


@pytest.mark.parametrize(("module", "path", "kind"), FEEDS, ids=[k for _, _, k in FEEDS])
def test_reading_through_tokens_yields_every_record_once(sandbox: RunningSandbox, st: StClient, module: str,
                                                         path: str, kind: str) -> None:
    sandbox.ctx.st.export_batch_size = 40
    expected = list(iter_records(sandbox.ctx.store, kind))
    rows, _, calls = st.export_all(module, path)
    ids = [r["id"] for r in rows]
    assert len(ids) == len(set(ids)), "a record came twice"
    assert set(ids) == {r["id"] for r in expected}
    assert calls == len(expected) // 40 + 1
    if kind in ("customers", "contacts", "invoices", "materials"):
        assert any(r["active"] is False for r in rows), "exports include inactive records"


def test_export_order_is_modified_on_then_id(sandbox: RunningSandbox, st: StClient) -> None:
    sandbox.ctx.st.export_batch_size = 70
    rows, _, _ = st.export_all("accounting", "/export/inventory-bills")
    order = [position(r, r["createdOn"]) for r in rows]
    assert order == sorted(order)
    assert any(r["modifiedOn"] is None for r in rows), "some bills carry no modifiedOn"


def test_a_token_resumes_where_it_stopped(sandbox: RunningSandbox, st: StClient) -> None:
    sandbox.ctx.st.export_batch_size = 50
    first = st.ok("accounting", "/export/invoices")
    second = st.ok("accounting", "/export/invoices", {"from": first["continueFrom"]})
    assert first["hasMore"] and second["hasMore"]
    rest, _, _ = st.export_all("accounting", "/export/invoices", **{"from": second["continueFrom"]})
    again = st.ok("accounting", "/export/invoices", {"from": first["continueFrom"]})
    assert [r["id"] for r in again["data"]] == [r["id"] for r in second["data"]], "a token can be replayed"
    seen = [r["id"] for r in first["data"] + second["data"] + rest]
    assert len(seen) == len(set(seen))
    assert set(seen) == {i["id"] for i in iter_records(sandbox.ctx.store, "invoices")}


def test_the_tail_token_waits_for_new_changes(st: StClient) -> None:
    _, tokens, _ = st.export_all("crm", "/export/customers")
    tail = st.ok("crm", "/export/customers", {"from": tokens[-1]})
    assert tail == {"hasMore": False, "continueFrom": tokens[-1], "data": []}


@pytest.mark.parametrize("start", ["2026-09-01", "2026-09-01T12:30:00Z", "2026-09-01T08:30:00-04:00"])
def test_from_a_date_starts_at_records_modified_on_or_after_it(sandbox: RunningSandbox, st: StClient,
                                                               start: str) -> None:
    since = parse_time(start)
    rows, _, _ = st.export_all("accounting", "/export/payments", **{"from": start})
    expected = {p["id"] for p in iter_records(sandbox.ctx.store, "payments") if parse_time(p["modifiedOn"]) >= since}
    assert expected
    assert {r["id"] for r in rows} == expected


def test_a_bad_from_is_a_400(st: StClient) -> None:
    for value in ("last tuesday", "st1.!!!"):
        answer = st.get("crm", "/export/customers", {"from": value})
        assert answer.status_code == 400
        assert "from" in answer.json()["errors"]


def test_include_recent_changes_may_repeat_the_last_records(sandbox: RunningSandbox, st: StClient) -> None:
    sandbox.ctx.st.export_recent_overlap = 2
    first = st.ok("pricebook", "/export/services", {"includeRecentChanges": "true"})
    assert first["hasMore"] is False
    again = st.ok("pricebook", "/export/services", {"includeRecentChanges": "true", "from": first["continueFrom"]})
    assert [r["id"] for r in again["data"]] == [r["id"] for r in first["data"][-2:]]
    plain = st.ok("pricebook", "/export/services")
    assert st.ok("pricebook", "/export/services", {"from": plain["continueFrom"]})["data"] == []


def test_recent_changes_lag_without_include_recent_changes(sandbox: RunningSandbox, st: StClient) -> None:
    sandbox.ctx.st.export_lag_seconds = 30 * 86400
    cutoff = sandbox.ctx.clock.now() - timedelta(days=30)
    lagging, _, _ = st.export_all("accounting", "/export/invoices")
    recent, _, _ = st.export_all("accounting", "/export/invoices", includeRecentChanges="true")
    everything = list(iter_records(sandbox.ctx.store, "invoices"))
    assert {r["id"] for r in lagging} == {i["id"] for i in everything if parse_time(i["modifiedOn"]) <= cutoff}
    assert {r["id"] for r in recent} == {i["id"] for i in everything}
    assert len(lagging) < len(recent)


def test_invoice_items_export_rows_name_their_invoice(sandbox: RunningSandbox, st: StClient) -> None:
    rows, _, _ = st.export_all("accounting", "/export/invoice-items")
    invoices = {i["id"]: i for i in iter_records(sandbox.ctx.store, "invoices")}
    for row in rows:
        invoice = invoices[row["invoiceId"]]
        assert row["id"] in {item["id"] for item in invoice["items"]}
        assert row["active"] == invoice["active"]
