"""`Repository` changes keep `paidOn` in step with the balance: set the day an invoice is paid off, cleared
when it owes again. Expectations come from the invoice's own total and the amounts the test applies."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sandbox.servicetitan.data import get_record, iter_records
from sandbox.servicetitan.db import allocate_ids
from sandbox.servicetitan.repository import Repository
from sandbox.servicetitan.times import api_date, api_time, parse_time
from sandbox.store import Store

SETTLED = datetime(2026, 11, 3, 15, 30, tzinfo=UTC)


@pytest.fixture
def store(seeded_template: Path, tmp_path: Path) -> Iterator[Store]:
    path = tmp_path / "sandbox.db"
    shutil.copyfile(seeded_template, path)
    opened = Store(path)
    yield opened
    opened.close()


def invoice(store: Store, invoice_id: int) -> dict[str, Any]:
    doc = get_record(store, "invoices", invoice_id)
    assert doc is not None
    return doc


def apply_payment(store: Store, when: datetime, target: dict[str, Any], amount: Decimal) -> int:
    """A payment (a refund if negative) of `amount` applied to `target`, shaped like a seeded one."""
    repo = Repository(store, when)
    template = next(iter_records(store, "payments"))
    payment_id, applied_id = allocate_ids(store, 2)
    repo.create("payments", {
        **template, "id": payment_id, "date": api_date(when.date()), "createdOn": api_time(when),
        "modifiedOn": api_time(when), "total": f"{amount:.2f}", "unappliedAmount": "0.00",
        "customer": target["customer"], "refundedPaymentId": None,
        "appliedTo": [{**template["appliedTo"][0], "appliedId": applied_id, "appliedTo": target["id"],
                       "appliedAmount": f"{amount:.2f}", "appliedOn": api_time(when),
                       "appliedToReferenceNumber": target["referenceNumber"]}],
    })
    repo.set_applications("payments", payment_id, [(target["id"], f"{amount:.2f}")])
    return payment_id


def test_settling_sets_paid_on_and_owing_again_clears_it(store: Store) -> None:
    target = next(doc for doc in iter_records(store, "invoices")
                  if doc["active"] and Decimal(doc["balance"]) > 1 and doc["paidOn"] is None)
    owed = Decimal(target["balance"])

    apply_payment(store, SETTLED, target, owed)
    Repository(store, SETTLED).refresh_invoice_balance(target["id"])

    settled = invoice(store, target["id"])
    assert settled["balance"] == "0.00"
    assert settled["paidOn"] == "2026-11-03T00:00:00Z"  # the day of the change, midnight UTC as the seed writes it
    assert parse_time(settled["modifiedOn"]) >= SETTLED

    # Refreshing later changes nothing: paidOn stays the day it was paid off.
    Repository(store, SETTLED + timedelta(days=2)).refresh_invoice_balance(target["id"])
    assert invoice(store, target["id"]) == settled

    # Part of the payment refunded: the invoice owes again and paidOn is cleared.
    reopened_at = SETTLED + timedelta(days=5)
    apply_payment(store, reopened_at, target, Decimal("-1.00"))
    Repository(store, reopened_at).refresh_invoice_balance(target["id"])
    reopened = invoice(store, target["id"])
    assert reopened["balance"] == "1.00" and reopened["paidOn"] is None
    assert parse_time(reopened["modifiedOn"]) >= reopened_at


def test_paid_on_of_seeded_invoices_survives_a_refresh(store: Store) -> None:
    """A seeded invoice already paid off keeps its paidOn; a $0 invoice never gets one."""
    seeded = list(iter_records(store, "invoices"))
    paid = next(doc for doc in seeded if doc["paidOn"] is not None)
    zero = next(doc for doc in seeded if Decimal(doc["total"]) == 0)
    repo = Repository(store, SETTLED)
    for doc in (paid, zero):
        repo.refresh_invoice_balance(doc["id"])
        assert invoice(store, doc["id"]) == doc
    assert zero["paidOn"] is None and zero["balance"] == "0.00"
