"""Adoption completes what a crash interrupted: an invoice created but never marked sent is sent when the
next run adopts it, and an adopted payment whose amount is not the source's is corrected."""

from __future__ import annotations

from decimal import Decimal

from target_harness import TargetEnv, usd
from target_records import catalog, expected_total, records


def test_an_adopted_draft_invoice_is_marked_sent_and_counts_in_receivables(env: TargetEnv) -> None:
    data = records()
    data["invoices"], data["payments"] = [], []
    assert env.run(catalog(data)).exit_code == 0  # clients, items, taxes
    client = next(c for c in env.fb.records("clients") if c.get("organization") == "Millbrook Dental")
    invoice = records()["invoices"][0]
    # What a crash between the create and the mark-as-sent leaves: a draft with the record's number.
    draft = env.fb.api.create("invoices/invoices", "invoice", {
        "customerid": client["id"], "invoice_number": invoice["invoice_number"], "create_date": invoice["create_date"],
        "lines": [{"type": 0, **{k: v for k, v in line.items() if k not in ("item_source_key",)}}
                  for line in invoice["lines"]]})
    assert draft["v3_status"] == "draft"
    full = records()
    full["payments"] = []
    assert env.run(catalog(full)).exit_code == 0
    [row] = [r for r in env.fb.records("invoices") if r["invoice_number"] == invoice["invoice_number"]]
    assert row["id"] == draft["id"] and row["v3_status"] == "sent"
    owed = env.fb.side.receivables()["clients"][str(client["id"])]
    assert Decimal(owed["outstanding"]) == expected_total(invoice)
    env.fb.reset_stats()
    assert env.run(catalog(full)).exit_code == 0
    assert env.fb.writes() == 0


def test_an_adopted_payment_with_another_amount_is_corrected(env: TargetEnv) -> None:
    data = records()
    data["payments"] = []
    assert env.run(catalog(data)).exit_code == 0
    [invoice] = [r for r in env.fb.records("invoices") if r["invoice_number"] == "ST-101"]
    # A payment made by an earlier run (its marker in the note) before the source's amount changed.
    env.fb.api.create("payments/payments", "payment", {
        "invoiceid": invoice["id"], "amount": usd("90.00"), "date": "2024-05-10", "type": "Check",
        "note": "Check 1042\n[test:payment:500:invoice:101]"})
    payment = records()["payments"][0]
    payment["applications"] = [a for a in payment["applications"] if a["invoice_source_key"] == "test:invoice:101"]
    assert env.run(catalog({**data, "payments": [payment]})).exit_code == 0
    [row] = [p for p in env.fb.records("payments") if p["invoiceid"] == invoice["id"]]
    assert row["amount"]["amount"] == payment["applications"][0]["amount"]["amount"]
