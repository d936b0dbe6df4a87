"""Cutover onto a FreshBooks account that already holds the history: a dry run lists the FreshBooks invoices of a
matched client that look like an invoice it would create (same total, dated within 7 days, another number).

The bookkeeper's hand-entered invoices are made through the API first; expectations are the records' own
arithmetic (`expected_total`), never a figure taken from the target.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

import pytest
from target_harness import TargetEnv, usd
from target_records import CLIENTS, catalog, expected_total, records

INVOICE_100 = expected_total(records()["invoices"][0])  # ST-100, dated 2024-05-01, client Millbrook Dental


def hand_entered(env: TargetEnv, customerid: int, number: str, date: str, total: Decimal) -> dict[str, Any]:
    """An invoice the bookkeeper typed in: one untaxed line for the whole amount."""
    return env.fb.api.create("invoices/invoices", "invoice", {
        "customerid": customerid, "invoice_number": number, "create_date": date,
        "lines": [{"type": 0, "name": "Plumbing (entered by hand)", "qty": "1", "unit_cost": usd(str(total))}]})


@pytest.fixture
def history(env: TargetEnv) -> dict[str, dict[str, Any]]:
    """Millbrook Dental (the same email as the record, so the target adopts it) and its invoices."""
    client = env.fb.api.create("users/clients", "client", {"organization": "Millbrook Dental",
                                                           "email": CLIENTS[0]["email"]})
    return {
        "lookalike": hand_entered(env, client["id"], "HB-1001", "2024-05-03", INVOICE_100),
        "other_total": hand_entered(env, client["id"], "HB-1002", "2024-05-01", INVOICE_100 + Decimal("0.01")),
        "too_far": hand_entered(env, client["id"], "HB-1003", "2024-05-09", INVOICE_100),
        "week_before": hand_entered(env, client["id"], "HB-0999", "2024-04-24", INVOICE_100),
    }


def test_dry_run_reports_the_hand_entered_lookalike(env: TargetEnv, history: dict[str, dict[str, Any]],
                                                     caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    env.fb.reset_stats()
    run = env.run(catalog(), dry_run=True)
    assert run.exit_code == 0
    assert env.fb.writes() == 0

    trail = run.target.run.loader.ledger.audit_trail  # a dry run keeps its audit in memory
    found = [e for e in trail if e["action"] == "lookalike"]
    # HB-1001 (2 days later) and HB-0999 (7 days earlier) have ST-100's total; HB-1002 is a cent off, HB-1003
    # is 8 days later; ST-101 belongs to another client, who has no invoices in FreshBooks.
    assert {(e["source_key"], e["freshbooks_id"]) for e in found} == {
        ("test:invoice:100", str(history["lookalike"]["id"])),
        ("test:invoice:100", str(history["week_before"]["id"])),
    }
    detail = next(e["detail"] for e in found if e["freshbooks_id"] == str(history["lookalike"]["id"]))
    assert "invoice ST-100" in detail and "FreshBooks invoice HB-1001" in detail and f"{INVOICE_100:.2f}" in detail

    lines = [r.getMessage() for r in caplog.records if "looks like" in r.getMessage()]
    assert len(lines) == 2
    assert any("ST-100" in line and "HB-1001" in line for line in lines)


def test_a_real_run_reports_nothing_and_creates_the_invoice(env: TargetEnv, history: dict[str, dict[str, Any]]) -> None:
    assert env.run(catalog()).exit_code == 0
    result = env.command("audit", "--source-key", "test:invoice:100")
    assert "lookalike" not in result.output
    assert [r for r in env.fb.records("invoices") if r["invoice_number"] == "ST-100"]
