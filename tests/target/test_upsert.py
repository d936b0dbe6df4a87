"""Creating, leaving alone, updating and deleting FreshBooks objects from FreshBooks-shaped records."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from target_harness import Messages, TargetEnv, usd
from target_records import catalog, expected_total, records


def by(rows: list[dict[str, Any]], key: str, value: Any) -> dict[str, Any]:
    found = [row for row in rows if row.get(key) == value]
    assert len(found) == 1, f"{len(found)} rows with {key}={value!r}"
    return found[0]


def test_creates_clients_taxes_items_invoices_and_payments(env: TargetEnv) -> None:
    data = records()
    run = env.run(catalog(data))

    assert run.exit_code == 0
    for stream, rows in data.items():
        assert run.counts(stream) == {"created": len(rows)}, stream

    tax = by(env.fb.records("taxes"), "name", data["taxes"][0]["name"])
    assert Decimal(tax["amount"]) == Decimal(data["taxes"][0]["amount"])

    clients = env.fb.records("clients")
    for source in data["clients"]:
        client = by(clients, "email", source["email"])
        assert f"[{source['source_key']}]" in client["note"]
        assert client["allow_late_fees"] is False and client["allow_late_notifications"] is False
        for field in ("organization", "fname", "lname", "bus_phone", "p_city"):
            if field in source:
                assert client[field] == source[field]

    items = env.fb.records("items")
    elbow = by(items, "sku", data["items"][0]["sku"])
    assert elbow["name"] == data["items"][0]["name"]
    assert Decimal(elbow["unit_cost"]["amount"]) == Decimal("3.40")
    assert elbow["tax1"] == tax["id"]

    invoices = env.fb.records("invoices")
    payment = data["payments"][0]
    paid = {app["invoice_source_key"]: Decimal(app["amount"]["amount"]) for app in payment["applications"]}
    for source in data["invoices"]:
        invoice = env.fb.invoice(by(invoices, "invoice_number", source["invoice_number"])["id"])
        client = by(clients, "email", next(c["email"] for c in data["clients"]
                                           if c["source_key"] == source["client_source_key"]))
        assert invoice["customerid"] == client["id"]
        assert invoice["v3_status"] != "draft" and invoice["status"] != 1  # marked sent: in receivables
        assert [line["name"] for line in invoice["lines"]] == [line["name"] for line in source["lines"]]
        total = expected_total(source)
        assert Decimal(invoice["amount"]["amount"]) == total
        assert Decimal(invoice["outstanding"]["amount"]) == total - paid[source["source_key"]]

    fb_payments = env.fb.records("payments")
    assert len(fb_payments) == len(payment["applications"])
    for app in payment["applications"]:
        row = next(p for p in fb_payments if f"[{app['source_key']}]" in p["note"])
        assert Decimal(row["amount"]["amount"]) == Decimal(app["amount"]["amount"])
        assert row["type"] == payment["type"] and row["date"] == payment["date"]
        assert row["note"].startswith(payment["note"])


def test_created_invoices_count_in_receivables_not_as_drafts(env: TargetEnv) -> None:
    data = records()
    del data["payments"]
    env.run(catalog(data))
    for invoice in env.fb.records("invoices"):
        assert invoice["v3_status"] == "sent"
    receivables = env.fb.side.receivables()["total"]
    assert Decimal(receivables["outstanding"]) == sum(expected_total(i) for i in data["invoices"])
    assert Decimal(receivables["draft"]) == 0


def test_rerun_of_the_same_records_makes_no_write(env: TargetEnv) -> None:
    env.run(catalog())
    env.fb.reset_stats()

    run = env.run(catalog())

    assert env.fb.writes() == 0
    for stream, rows in records().items():
        assert run.counts(stream) == {"unchanged": len(rows)}, stream


def test_changed_records_are_updated_and_invoices_stay_sent(env: TargetEnv) -> None:
    env.run(catalog())
    data = records()
    data["clients"][0]["bus_phone"] = "541-555-0199"
    data["invoices"][1]["lines"][0]["qty"] = "3"
    env.fb.reset_stats()

    run = env.run(catalog(data))

    assert run.counts("clients") == {"updated": 1, "unchanged": 1}
    assert run.counts("invoices") == {"updated": 1, "unchanged": 1}
    assert run.counts("payments") == {"unchanged": 1}
    assert by(env.fb.records("clients"), "email", data["clients"][0]["email"])["bus_phone"] == "541-555-0199"
    invoice = env.fb.invoice(by(env.fb.records("invoices"), "invoice_number", "ST-101")["id"])
    assert Decimal(invoice["amount"]["amount"]) == expected_total(data["invoices"][1])
    assert invoice["v3_status"] != "draft"
    assert env.fb.writes() == 2
    assert len(env.fb.records("clients")) == 2 and len(env.fb.records("invoices")) == 2


def test_inactive_records_are_deleted_and_unknown_ones_ignored(env: TargetEnv) -> None:
    data = records()
    del data["payments"]
    env.run(catalog(data))
    invoice_id = by(env.fb.records("invoices"), "invoice_number", "ST-101")["id"]
    env.fb.reset_stats()

    gone = Messages()
    gone.record("invoices", {**data["invoices"][1], "active": False})
    gone.record("clients", {"source_key": "test:customer:999", "organization": "Never synced", "active": False})
    run = env.run(gone)

    assert run.counts("invoices") == {"deleted": 1}
    assert run.counts("clients") == {"unchanged": 1}
    assert env.fb.side.record("invoices", invoice_id)["vis_state"] == 1
    assert env.fb.writes() == 1
    assert all(c["organization"] != "Never synced" for c in env.fb.records("clients", active_only=False))

    env.fb.reset_stats()
    again = env.run(gone)
    assert again.counts("invoices") == {"unchanged": 1}
    assert env.fb.writes() == 0


def test_line_item_missing_everywhere_is_created_from_the_line(env: TargetEnv) -> None:
    data = records()
    invoice = data["invoices"][1]
    invoice["lines"][0]["item_source_key"] = "test:equipment:77"
    invoice["lines"][0]["item"] = {"name": "Water heater 50 gal", "sku": "WH-50", "unit_cost": usd("899.00")}
    messages = Messages()
    messages.record("clients", data["clients"][1]).record("invoices", invoice)

    run = env.run(messages)

    assert run.counts("invoices") == {"created": 1}
    assert run.counts("items") == {"created": 1}
    item = by(env.fb.records("items"), "sku", "WH-50")
    assert item["name"] == "Water heater 50 gal"


def test_an_inactive_item_is_not_brought_back_by_an_invoice_line(env: TargetEnv) -> None:
    data = records()
    invoice = data["invoices"][1]
    invoice["lines"][0].update({"item_source_key": "test:service:99",
                                "item": {"name": "Retired service", "sku": "SVC-OLD", "unit_cost": usd("149.00")}})
    messages = (Messages().record("items", {"source_key": "test:service:99", "name": "Retired service",
                                            "sku": "SVC-OLD", "active": False})
                .record("clients", data["clients"][1]).record("invoices", invoice))

    run = env.run(messages)

    assert run.counts("items") == {"unchanged": 1}
    assert run.counts("invoices") == {"created": 1}
    assert env.fb.records("items") == []
    env.fb.reset_stats()
    env.run(messages)
    assert env.sandbox.ctx.fb_stats.count(None, "/accounting/") == 0  # nothing looked up again, nothing written
