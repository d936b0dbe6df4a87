"""The `start_date` window on later runs: an old invoice settled before the start date stays out when it
changes; one that a refund reopens comes back with every earlier payment and credit memo applied to it.

Expectations come from the simulator's own records (`iter_records`), changed through its `Repository`.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from sandbox.servicetitan.repository import Repository
from sandbox.testing import RunningSandbox
from tap_harness import TapRun, run_tap
from tap_window_sandbox import (
    WINDOWED,
    add_payment,
    ids,
    invoice_lookups,
    kept_earlier_in_state,
    list_calls,
    source,
)
from tap_window_truth import START, applied_ids, day, is_earlier, open_on_start


def settled_before_start(sandbox: RunningSandbox) -> list[dict[str, Any]]:
    """Active invoices dated before the start date and paid off before it, with something applied to them."""
    applied = {i for kind in ("payments", "credit_memos") for doc in source(sandbox, kind).values()
               for i in applied_ids(doc)}
    return [inv for inv in source(sandbox, "invoices").values()
            if is_earlier(inv) and inv["active"] and not open_on_start(inv) and Decimal(inv["total"]) > 0
            and inv["id"] in applied]


def documents_of(sandbox: RunningSandbox, kind: str, invoice_id: int) -> dict[int, dict[str, Any]]:
    return {i: doc for i, doc in source(sandbox, kind).items() if invoice_id in applied_ids(doc)}


def latest_sent(runs: list[TapRun], stream: str) -> dict[int, dict[str, Any]]:
    """What downstream holds after these runs: the last version of each record sent."""
    return {record["id"]: record for run in runs for record in run.records(stream)}


def applied_by_sent(runs: list[TapRun], invoice_id: int) -> Decimal:
    """What the active payments and credit memos sent apply to `invoice_id`."""
    total = Decimal(0)
    for stream in ("payments", "credit_memos"):
        for doc in latest_sent(runs, stream).values():
            if doc.get("active") is not False:
                total += sum((Decimal(str(a["appliedAmount"])) for a in doc["appliedTo"] or []
                              if a["appliedTo"] == invoice_id), Decimal(0))
    return total


def reopen_by_refund(sandbox: RunningSandbox, invoice_id: int) -> dict[str, Any]:
    """Refund part of the invoice's largest earlier payment, today (after the start date)."""
    payment = max((p for p in documents_of(sandbox, "payments", invoice_id).values() if day(p["date"]) < START),
                  key=lambda p: Decimal(p["total"]))
    refunded = (Decimal(payment["total"]) / 2).quantize(Decimal("0.01"))
    return add_payment(sandbox, sandbox.ctx.clock.now(), [(invoice_id, -refunded)], "Partial refund",
                       refund_of=payment["id"])


def test_a_settled_old_invoice_changed_after_the_first_run_stays_out(sandbox: RunningSandbox) -> None:
    config = sandbox.tap_config(start_date=START)
    first = run_tap(config, streams=WINDOWED)
    settled = next(inv for inv in settled_before_start(sandbox) if documents_of(sandbox, "payments", inv["id"]))
    kept = kept_earlier_in_state(first)[0]
    assert settled["id"] not in ids(first, "invoices") and kept in ids(first, "invoices")

    # Both old invoices are edited (a summary, and marked exported as an accounting export would).
    sandbox.ctx.clock.advance(timedelta(days=1))
    repo = Repository(sandbox.ctx.store, sandbox.ctx.clock.now())
    repo.update("invoices", settled["id"], {"summary": "Reprinted for the customer", "syncStatus": "Exported"})
    repo.update("invoices", kept, {"summary": "Reprinted for the customer"})
    sandbox.ctx.st_stats.reset()

    second = run_tap(config, state=first.final_state, streams=WINDOWED)

    assert kept in ids(second, "invoices")  # the feed handed out the changes
    assert settled["id"] not in ids(second, "invoices")
    assert not ids(second, "payments") & set(documents_of(sandbox, "payments", settled["id"]))
    assert kept_earlier_in_state(second) == kept_earlier_in_state(first)
    # No call beyond the feeds: nothing looked up, nothing fetched by invoice.
    assert invoice_lookups(sandbox) == 0
    assert list_calls(sandbox, "payments") == 0
    assert list_calls(sandbox, "credit-memos") == 1  # the credit memo feed itself


def test_an_old_invoice_reopened_after_the_first_run_comes_back_with_all_its_documents(
    sandbox: RunningSandbox,
) -> None:
    settled = settled_before_start(sandbox)
    with_memo = next(inv for inv in settled if documents_of(sandbox, "credit_memos", inv["id"])
                     and documents_of(sandbox, "payments", inv["id"]))
    with_payments = next(inv for inv in settled if len(documents_of(sandbox, "payments", inv["id"])) >= 2
                         and inv["id"] != with_memo["id"])
    reopened = [with_memo["id"], with_payments["id"]]
    config = sandbox.tap_config(start_date=START)
    first = run_tap(config, streams=WINDOWED)
    for invoice_id in reopened:
        assert invoice_id not in ids(first, "invoices")
        assert not ids(first, "payments") & set(documents_of(sandbox, "payments", invoice_id))

    sandbox.ctx.clock.advance(timedelta(days=1))
    refunds = [reopen_by_refund(sandbox, invoice_id) for invoice_id in reopened]
    sandbox.ctx.st_stats.reset()

    second = run_tap(config, state=first.final_state, streams=WINDOWED)

    invoices = source(sandbox, "invoices")
    for invoice_id in reopened:
        assert Decimal(invoices[invoice_id]["balance"]) > 0  # ServiceTitan says it owes again
        assert invoice_id in ids(second, "invoices")
        for stream in ("payments", "credit_memos"):
            assert set(documents_of(sandbox, stream, invoice_id)) <= ids(first, stream) | ids(second, stream)
        # Downstream's balance matches ServiceTitan's.
        total = Decimal(invoices[invoice_id]["total"])
        assert total - applied_by_sent([first, second], invoice_id) == Decimal(invoices[invoice_id]["balance"])
    assert {r["id"] for r in refunds} <= ids(second, "payments")
    assert set(reopened) <= set(kept_earlier_in_state(second))
    # The earlier documents were fetched by invoice: one call per list for both invoices.
    assert list_calls(sandbox, "payments") == 1
    assert list_calls(sandbox, "credit-memos") == 2  # the feed, and the credit memos of the reopened invoices

    # The next run owes nothing more: no call beyond the feeds.
    sandbox.ctx.st_stats.reset()
    third = run_tap(config, state=second.final_state, streams=WINDOWED)
    assert list_calls(sandbox, "payments") == 0
    assert list_calls(sandbox, "credit-memos") == 1
    assert set(reopened) <= set(kept_earlier_in_state(third))


def test_a_reopened_invoices_documents_are_sent_by_the_next_run_that_reads_them(sandbox: RunningSandbox) -> None:
    """At least once: a run that stops after the invoices (here, one that reads only invoices) leaves the
    reopened invoice's earlier payments and credit memos to the next run."""
    with_memo = next(inv for inv in settled_before_start(sandbox) if documents_of(sandbox, "credit_memos", inv["id"])
                     and documents_of(sandbox, "payments", inv["id"]))
    config = sandbox.tap_config(start_date=START)
    first = run_tap(config, streams=WINDOWED)
    sandbox.ctx.clock.advance(timedelta(days=1))
    reopen_by_refund(sandbox, with_memo["id"])

    invoices_only = run_tap(config, state=first.final_state, streams=["invoices"])
    assert with_memo["id"] in ids(invoices_only, "invoices")
    resumed = run_tap(config, state=invoices_only.final_state, streams=WINDOWED)

    for stream in ("payments", "credit_memos"):
        assert set(documents_of(sandbox, stream, with_memo["id"])) <= ids(first, stream) | ids(resumed, stream)
    balance = Decimal(source(sandbox, "invoices")[with_memo["id"]]["balance"])
    assert Decimal(with_memo["total"]) - applied_by_sent([first, resumed], with_memo["id"]) == balance
