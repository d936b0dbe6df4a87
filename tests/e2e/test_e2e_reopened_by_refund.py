"""A refund that reopens an invoice dated before `start_date` reaches FreshBooks whole.

The issue: such an invoice came back (with its earlier payment) but without the refund, so FreshBooks
showed it paid. After a first sync, two invoices dated before `start_date` and paid off before it by one
payment each (so out of the window: not in FreshBooks) have that payment refunded in ServiceTitan, one in
full and one in part, through the simulator's own business code, as `activity_events.Events.refund` does.
The next sync must bring each invoice in, sent, owing what ServiceTitan says it owes, with the refund on
the FreshBooks payment it reverses (`Refunded X on DATE [refund key=X]` in its note; the payment lowered,
or deleted when refunded in full: record contract, Refunds), nothing duplicated; a rerun writes nothing.

Expectations come from ServiceTitan's own records only (`iter_records`), never from the connector.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from e2e_harness import Pipeline
from e2e_truth import INVOICE_PREFIX, START_DATE
from sandbox.servicetitan.activity_books import Books, Ledger
from sandbox.servicetitan.business import ONE, Business
from sandbox.servicetitan.data import get_record, iter_records
from sandbox.servicetitan.repository import BulkWriter, Repository
from sandbox.servicetitan.seed import SEED_META_KEY
from sandbox.store import Store

pytestmark = pytest.mark.e2e

ZERO = Decimal("0.00")
SOURCE_MARKER = re.compile(r"\[(servicetitan:[^\]=\s]+)\]")


@dataclass
class Case:
    label: str
    invoice: dict[str, Any]
    payment: dict[str, Any]
    refund_amount: Decimal
    refund_id: int = 0
    refund_date: str = ""

    @property
    def number(self) -> str:
        return INVOICE_PREFIX + self.invoice["referenceNumber"]

    @property
    def original_marker(self) -> str:
        return f"[servicetitan:payment:{self.payment['id']}:invoice:{self.invoice['id']}]"

    @property
    def refund_marker(self) -> str:
        return f"[servicetitan:payment:{self.refund_id}:invoice:{self.invoice['id']}={self.refund_amount:.2f}]"


# ------------------------------------------------------------------------------------- ServiceTitan's side


def closed_before_start(store: Store) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Active Posted invoices dated before start_date, paid off before it by one payment, nothing else on them."""
    invoices = list(iter_records(store, "invoices"))
    payments = list(iter_records(store, "payments"))
    memos = list(iter_records(store, "credit_memos"))
    paid_by: dict[int, list[dict[str, Any]]] = {}
    for payment in payments:
        for application in payment.get("appliedTo") or []:
            paid_by.setdefault(application["appliedTo"], []).append(payment)
    credited = {a["appliedTo"] for memo in memos for a in (memo.get("appliedTo") or [])}
    adjusted = {inv["adjustmentToId"] for inv in invoices if inv.get("adjustmentToId")}
    found = []
    for inv in invoices:
        if not (inv["active"] and inv["syncStatus"] == "Posted" and inv["invoiceDate"][:10] < START_DATE
                and Decimal(inv["total"]) >= 10 and Decimal(inv["balance"]) == 0
                and inv.get("paidOn") and inv["paidOn"][:10] < START_DATE):
            continue
        if inv["id"] in credited or inv["id"] in adjusted or inv.get("adjustmentToId"):
            continue
        on_it = paid_by.get(inv["id"], [])
        if len(on_it) != 1:
            continue
        payment = on_it[0]
        if (payment["active"] and not payment.get("refundedPaymentId") and len(payment["appliedTo"]) == 1
                and Decimal(payment["unappliedAmount"]) == 0 and Decimal(payment["total"]) == Decimal(inv["total"])
                and payment["date"][:10] < START_DATE):
            found.append((inv, payment))
    return found


def refund(pipeline: Pipeline, case: Case, when: datetime) -> None:
    """Refund `case.refund_amount` of the case's payment, as `Events.refund` does for a payment on invoices.

    `Business.pay` writes the refund (negative, `refundedPaymentId` set); `Ledger.settle_invoice` and
    `settle_customer` restore the money rules (balance, `paidOn`, the customer's balance), stamping
    `modifiedOn` at `when` so the tap's incremental feeds see the change.
    """
    ctx = pipeline.sandbox.ctx
    store = ctx.store
    state = store.get_meta(SEED_META_KEY)
    assert isinstance(state, dict)
    writer = BulkWriter(store)
    business = Business.load(store, random.Random(case.payment["id"]), when + timedelta(hours=1), writer, state)
    ledger = Ledger(business, Books(store))
    customer = ledger.customers[case.payment["customer"]["id"]]
    type_name = case.payment["type"] if case.payment["type"] in business.payment_types else "Check"
    draft = ledger.draft(ledger.invoice(case.invoice["id"]))
    memo = "Payment refunded" if case.refund_amount == Decimal(case.payment["total"]) else "Partial refund"
    case.refund_id = business.pay(when, customer, [(draft, -case.refund_amount)], type_name=type_name,
                                  refund_of=case.payment["id"], memo=memo)
    writer.flush()
    repo = Repository(store, when)
    ledger.settle_invoice(repo, case.invoice["id"])
    ledger.settle_customer(repo, customer.id)
    store.set_meta(SEED_META_KEY, {**state, **business.state()})
    stored = get_record(store, "payments", case.refund_id)
    assert stored is not None and stored["refundedPaymentId"] == case.payment["id"]
    case.refund_date = stored["date"][:10]


def servicetitan_balance(store: Store, invoice: dict[str, Any]) -> Decimal:
    """total - active payments' applications (refunds negative) - active credit memos' applications."""
    applied = ZERO
    for kind in ("payments", "credit_memos"):
        for document in iter_records(store, kind):
            if document.get("active", True):
                applied += sum((Decimal(a["appliedAmount"]) for a in document.get("appliedTo") or []
                                if a["appliedTo"] == invoice["id"]), ZERO)
    return Decimal(invoice["total"]) - applied


# ------------------------------------------------------------------------------------- FreshBooks' side


def amount(money: dict[str, Any] | None) -> Decimal:
    return Decimal((money or {}).get("amount") or "0")


def duplicated(pipeline: Pipeline) -> list[str]:
    numbers = Counter(inv["invoice_number"] for inv in pipeline.fb.records("invoices") if inv.get("vis_state", 0) == 0)
    markers = Counter(m for p in pipeline.fb.records("payments") if p.get("vis_state", 0) == 0
                      for m in set(SOURCE_MARKER.findall(p.get("note") or "")))
    return ([f"invoice number {n} x{c}" for n, c in numbers.items() if c > 1]
            + [f"payment marker {m} x{c}" for m, c in markers.items() if c > 1])


def check_case(pipeline: Pipeline, case: Case) -> list[str]:
    store = pipeline.sandbox.ctx.store
    st = get_record(store, "invoices", case.invoice["id"])
    assert st is not None
    balance = servicetitan_balance(store, st)
    label = f"{case.label} ({case.number}, payment {case.payment['id']}, refund {case.refund_id})"
    problems = []
    if Decimal(st["balance"]) != balance:  # the simulator's own rule, so the expectation is sound
        problems.append(f"{label}: ServiceTitan balance {st['balance']} != total - applications {balance}")

    copies = [inv for inv in pipeline.fb.records("invoices")
              if inv["invoice_number"] == case.number and inv.get("vis_state", 0) == 0]
    if len(copies) != 1:
        return [*problems, f"{label}: {len(copies)} live FreshBooks invoices after the refund, expected 1"]
    fb = copies[0]
    if fb.get("status") == 1 or fb.get("v3_status") == "draft":
        problems.append(f"{label}: FreshBooks invoice still a draft")
    if amount(fb["amount"]) != Decimal(st["total"]):
        problems.append(f"{label}: FreshBooks total {fb['amount']['amount']} != ServiceTitan total {st['total']}")
    if amount(fb["outstanding"]) != balance:
        problems.append(f"{label}: FreshBooks outstanding {fb['outstanding']['amount']} != ServiceTitan balance "
                        f"{balance} (FreshBooks shows it {fb.get('v3_status')})")

    on_invoice = [p for p in pipeline.fb.records("payments") if p.get("invoiceid") == fb["id"]]
    originals = [p for p in on_invoice if case.original_marker in (p.get("note") or "")]
    if len(originals) != 1:
        seen = [(p["id"], p.get("vis_state"), p.get("note")) for p in on_invoice]
        problems.append(f"{label}: {len(originals)} FreshBooks payments carry {case.original_marker} "
                        f"(payments on the invoice: {seen})")
        return problems
    original = originals[0]
    note = original.get("note") or ""
    expected_line = f"Refunded {case.refund_amount:.2f} on {case.refund_date} {case.refund_marker}"
    if expected_line not in note:
        problems.append(f"{label}: the original's FreshBooks payment {original['id']} note lacks "
                        f"{expected_line!r}: {note!r}")
    if note.count(case.refund_marker) != 1:
        problems.append(f"{label}: refund marker {case.refund_marker} appears {note.count(case.refund_marker)} "
                        f"times in the note")
    left = Decimal(case.payment["total"]) - case.refund_amount
    if left == 0:
        if original.get("vis_state", 0) == 0:
            problems.append(f"{label}: refunded in full but the FreshBooks payment {original['id']} is live "
                            f"(amount {original['amount']['amount']})")
    else:
        if original.get("vis_state", 0) != 0:
            problems.append(f"{label}: partly refunded but the FreshBooks payment {original['id']} is deleted")
        elif amount(original["amount"]) != left:
            problems.append(f"{label}: FreshBooks payment {original['id']} amount {original['amount']['amount']} "
                            f"!= {left} (payment {case.payment['total']} - refund {case.refund_amount})")
    live_cash = sum((amount(p["amount"]) for p in on_invoice if p.get("vis_state", 0) == 0), ZERO)
    if live_cash != Decimal(st["total"]) - balance:
        problems.append(f"{label}: live FreshBooks payments on the invoice sum to {live_cash}, ServiceTitan "
                        f"applications net {Decimal(st['total']) - balance}")
    return problems


# ------------------------------------------------------------------------------------- the test


def test_refund_reopening_an_invoice_before_start_date_reaches_freshbooks(pipeline: Pipeline) -> None:
    store = pipeline.sandbox.ctx.store
    candidates = closed_before_start(store)
    assert len(candidates) >= 2, "the seed should have invoices paid off before start_date by one payment"
    full_inv, full_pay = candidates[len(candidates) // 2]
    part_inv, part_pay = candidates[len(candidates) // 2 + 1]
    part_amount = max(ONE, Decimal(int(Decimal(part_pay["total"]) * Decimal("0.2"))))
    cases = [Case("full refund", full_inv, full_pay, Decimal(full_pay["total"])),
             Case("partial refund", part_inv, part_pay, part_amount)]

    pipeline.authorize()
    pipeline.run()
    numbers = {inv["invoice_number"] for inv in pipeline.fb.records("invoices")}
    for case in cases:  # out of the window: settled before start_date
        assert case.number not in numbers, f"{case.label}: {case.number} synced on the first run"
        assert not [p for p in pipeline.fb.records("payments") if case.original_marker in (p.get("note") or "")]

    # The refunds happen "now" (after start_date) in ServiceTitan; the simulated clock moves past them.
    now = pipeline.sandbox.ctx.clock.now()
    assert now.date().isoformat() > START_DATE
    for minutes, case in enumerate(cases, start=1):
        refund(pipeline, case, now + timedelta(minutes=minutes))
        st = get_record(store, "invoices", case.invoice["id"])
        assert st is not None and Decimal(st["balance"]) == case.refund_amount and st["paidOn"] is None
    pipeline.sandbox.ctx.clock.set(now + timedelta(hours=1))

    done = pipeline.run()
    problems = [p for case in cases for p in check_case(pipeline, case)]
    problems += [f"duplicated in FreshBooks: {d}" for d in duplicated(pipeline)]
    assert not problems, "\n".join(problems) + f"\n--- meltano run stderr (tail)\n{done.stderr[-4000:]}"

    pipeline.reset_stats()
    pipeline.run()
    assert pipeline.freshbooks_writes() == 0, "a rerun after the refunds wrote to FreshBooks"
    problems = [p for case in cases for p in check_case(pipeline, case)] + duplicated(pipeline)
    assert not problems, "after the rerun:\n" + "\n".join(problems)
