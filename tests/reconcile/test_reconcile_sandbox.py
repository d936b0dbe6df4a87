"""`reconcile` against the sandbox after a real sync: matching books exit 0; drift made by hand is reported
exactly, and `replay --force` repairs it."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

import pytest
from reconcile_books import START_DATE, Books
from sandbox.servicetitan.data import iter_records
from sandbox.servicetitan.repository import Repository


def test_matching_books_exit_0_with_reports(books: Books) -> None:
    books.sync()
    result = books.reconcile()
    assert result.exit_code == 0, result.output
    reports = books.tmp_path / "reports"
    assert (reports / "latest.json").exists()
    assert list(reports.glob("reconcile-*.csv")) and list(reports.glob("reconcile-*.html"))


def leave_one_invoice_pending(books: Books) -> dict[str, Any]:
    """Every in-scope invoice not yet posted is posted, except one open invoice nothing is applied to, which
    is made Pending: the one timing difference. Returns that invoice."""
    store = books.sandbox.ctx.store
    repo = Repository(store, books.sandbox.ctx.clock.now())
    applied = {a["appliedTo"] for kind in ("payments", "credit_memos") for doc in iter_records(store, kind)
               for a in doc.get("appliedTo") or []}
    invoices = list(iter_records(store, "invoices"))
    pending = next(inv for inv in invoices if inv["active"] and inv["invoiceDate"][:10] >= START_DATE
                   and Decimal(inv["balance"]) > 0 and inv["id"] not in applied and not inv.get("adjustmentToId"))
    for inv in invoices:
        if inv["id"] == pending["id"]:
            repo.update("invoices", inv["id"], {"syncStatus": "Pending"})
        elif inv["syncStatus"] not in ("Posted", "Exported"):
            repo.update("invoices", inv["id"], {"syncStatus": "Posted"})
    return pending


def drift_by_hand(books: Books) -> dict[str, Any]:
    """A bookkeeper's day in FreshBooks (through `/_sandbox/`): one payment's amount changed, one invoice
    deleted, one duplicate client made. Returns what was touched, with the source keys they belong to."""
    fb = books.fb
    invoices = {inv["id"]: inv for inv in fb.records("invoices")}
    payments = [p for p in fb.records("payments") if p.get("vis_state", 0) == 0]
    paid_invoices = {p["invoiceid"] for p in payments}
    payment = next(p for p in payments if p.get("type") != "Credit" and "[servicetitan:payment:" in (p["note"] or "")
                   and "Refunded" not in p["note"] and p["invoiceid"] in invoices)
    old_amount = Decimal(payment["amount"]["amount"])
    fb.update("payments", payment["id"], {"amount": {"amount": str(old_amount + 10), "code": "USD"}})
    invoice = next(inv for inv in invoices.values() if inv["invoice_number"].startswith("ST-")
                   and inv["id"] not in paid_invoices and inv.get("vis_state", 0) == 0
                   and inv["customerid"] != payment.get("clientid"))
    fb.delete("invoices", invoice["id"])
    client = next(c for c in fb.records("clients") if "[servicetitan:customer:" in (c.get("note") or "")
                  and c.get("vis_state", 0) == 0)
    copy = fb.create("clients", {k: client.get(k) for k in ("fname", "lname", "organization", "email", "note")})
    payment_key = re.search(r"\[(servicetitan:payment:\d+):invoice:\d+\]", payment["note"]).group(1)
    customer = re.search(r"\[servicetitan:customer:(\d+)\]", client["note"]).group(1)
    st_invoice = next(inv for inv in iter_records(books.sandbox.ctx.store, "invoices")
                      if "ST-" + str(inv.get("referenceNumber") or inv["id"]) == invoice["invoice_number"])
    return {"payment": (payment["id"], payment_key, old_amount), "invoice": (invoice, st_invoice),
            "client": (copy["id"], customer)}


def test_drift_made_in_freshbooks_is_reported_exactly_and_replay_force_repairs_it(books: Books) -> None:
    pending = leave_one_invoice_pending(books)
    books.sync()
    touched = drift_by_hand(books)
    payment_id, payment_key, old_amount = touched["payment"]
    invoice, st_invoice = touched["invoice"]
    duplicate_id, customer = touched["client"]

    result = books.reconcile()
    assert result.exit_code == 1, result.output
    latest = json.loads((books.tmp_path / "reports" / "latest.json").read_text())
    found = {(d["kind"], d["stream"], d["source_key"], d["freshbooks_id"]) for d in latest["differences"]
             if d["kind"] != "made_in_freshbooks"}
    assert found == {
        ("amount", "payments", payment_key, str(payment_id)),
        ("missing_in_freshbooks", "invoices", f"servicetitan:invoice:{st_invoice['id']}", None),
        ("duplicate", "clients", f"servicetitan:customer:{customer}", str(duplicate_id)),
    }, result.output
    csv_text = next((books.tmp_path / "reports").glob("reconcile-*.csv")).read_text()
    timing = [row for row in csv_text.splitlines() if row.startswith("timing,")]
    assert len(timing) == 1 and f"servicetitan:invoice:{pending['id']}" in timing[0], csv_text
    assert "customers:" in result.output and "drift" in result.output

    repaired = books.command("replay", "--force", "--drifted", str(books.tmp_path / "reports" / "latest.json"))
    assert repaired.exit_code == 0, repaired.output
    fb = books.fb
    assert Decimal(fb.record("payments", payment_id)["amount"]["amount"]) == old_amount
    again = [inv for inv in fb.records("invoices") if inv["invoice_number"] == invoice["invoice_number"]
             and inv.get("vis_state", 0) == 0]
    assert len(again) == 1 and Decimal(again[0]["amount"]["amount"]) == Decimal(st_invoice["total"])
    assert fb.record("clients", duplicate_id)["vis_state"] == 1

    after = books.reconcile()
    assert after.exit_code == 0, after.output


def test_cannot_finish_exits_2_naming_the_fix(books: Books, monkeypatch: pytest.MonkeyPatch) -> None:
    missing = {k: v for k, v in books.target.items() if k != "servicetitan_tenant_id"}
    result = Books(books.sandbox, books.tmp_path, missing).reconcile()
    assert result.exit_code == 2, result.output
    assert "servicetitan_tenant_id" in result.output

    monkeypatch.setenv("TAP_SERVICETITAN_CLIENT_SECRET", "not-the-secret")
    result = books.reconcile()
    assert result.exit_code == 2, result.output
    assert "error" in result.output and "Traceback" not in result.output


def test_replay_force_by_source_key_overwrites_a_bookkeepers_edit_only_when_asked(books: Books) -> None:
    books.sync()
    fb = books.fb
    invoice = next(inv for inv in fb.records("invoices") if inv["invoice_number"].startswith("ST-")
                   and inv.get("vis_state", 0) == 0 and Decimal(inv["amount"]["amount"]) > 0)
    st_invoice = next(inv for inv in iter_records(books.sandbox.ctx.store, "invoices")
                      if "ST-" + str(inv.get("referenceNumber") or inv["id"]) == invoice["invoice_number"])
    key = f"servicetitan:invoice:{st_invoice['id']}"
    fb.update("invoices", invoice["id"], {"lines": [{"name": "Edited by the office", "qty": "1",
                                                      "unit_cost": {"amount": "1.00", "code": "USD"}}]})
    assert Decimal(fb.record("invoices", invoice["id"])["amount"]["amount"]) != Decimal(st_invoice["total"])

    result = books.reconcile()
    assert result.exit_code == 1, result.output
    latest = json.loads((books.tmp_path / "reports" / "latest.json").read_text())
    assert [(d["kind"], d["source_key"]) for d in latest["differences"] if d["kind"] != "made_in_freshbooks"] == [
        ("amount", key)], result.output

    plain = books.command("replay", "--source-key", key)  # without --force: today's replay, nothing to re-send
    assert plain.exit_code == 0, plain.output
    assert Decimal(fb.record("invoices", invoice["id"])["amount"]["amount"]) == Decimal("1.00")

    forced = books.command("replay", "--force", "--source-key", key)
    assert forced.exit_code == 0, forced.output
    assert Decimal(fb.record("invoices", invoice["id"])["amount"]["amount"]) == Decimal(st_invoice["total"])
    assert books.reconcile().exit_code == 0
