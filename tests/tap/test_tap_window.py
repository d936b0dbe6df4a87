"""The sync window set by `start_date`: the first run's invoices, and the payments and credit memos that go
with them, on the first run, on later runs and after a state reset.

Expectations come from the simulator's own records (`tap_window_truth`), never from the tap.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import requests
from sandbox.servicetitan.repository import Repository
from sandbox.testing import RunningSandbox
from tap_harness import run_tap
from tap_window_sandbox import (
    WINDOWED,
    add_payment,
    ids,
    invoice_lookups,
    kept_earlier_in_state,
    source,
)
from tap_window_truth import (
    START,
    applied_ids,
    day,
    is_earlier,
    open_on_start,
    window_documents,
    window_invoices,
)


def test_first_run_emits_the_window_and_nothing_that_points_outside_it(sandbox: RunningSandbox) -> None:
    run = run_tap(sandbox.tap_config(start_date=START), streams=WINDOWED)

    store = sandbox.ctx.store
    invoices = window_invoices(store)
    assert ids(run, "invoices") == set(invoices)
    payments = window_documents(store, "payments", invoices)
    memos = window_documents(store, "credit_memos", invoices)
    assert ids(run, "payments") == set(payments)
    assert ids(run, "credit_memos") == set(memos)
    # Every payment and credit memo emitted is dated in the window or lands on an invoice emitted.
    for stream in ("payments", "credit_memos"):
        for record in run.records(stream):
            assert day(record["date"]) >= START or applied_ids(record) & ids(run, "invoices"), (stream, record["id"])
    # The rule leaves real payments out (those of invoices settled before the start), and keeps old ones
    # that land on an opening invoice.
    all_payments = source(sandbox, "payments")
    assert len(all_payments) - len(payments) > 50
    assert any(day(p["date"]) < START for p in payments.values())
    # State lists the earlier invoices emitted.
    assert kept_earlier_in_state(run) == sorted(i for i, inv in invoices.items() if is_earlier(inv))
    assert invoice_lookups(sandbox) == 0  # the first run read every invoice itself


def test_an_old_invoice_paid_off_after_the_start_date_comes_with_all_its_payments(sandbox: RunningSandbox) -> None:
    # An old invoice paid in part before the start date and paid off after it.
    invoices = source(sandbox, "invoices")
    payments = source(sandbox, "payments")
    partly_paid_early = [
        inv for inv in invoices.values()
        if is_earlier(inv) and inv["active"] and Decimal(inv["balance"]) > 0
        and any(inv["id"] in applied_ids(p) and day(p["date"]) < START for p in payments.values())
    ]
    assert partly_paid_early, "the seed has old open invoices paid in part"
    invoice = partly_paid_early[0]
    paid = datetime.fromisoformat(START + "T15:00:00+00:00") + timedelta(days=20)
    payoff = add_payment(sandbox, paid, [(invoice["id"], Decimal(invoice["balance"]))], "Balance paid")
    refreshed = source(sandbox, "invoices")[invoice["id"]]
    assert Decimal(refreshed["balance"]) == 0 and day(refreshed["paidOn"]) >= START  # paid off in the window

    run = run_tap(sandbox.tap_config(start_date=START), streams=WINDOWED)

    assert invoice["id"] in ids(run, "invoices")
    its_payments = {p["id"] for p in source(sandbox, "payments").values() if invoice["id"] in applied_ids(p)}
    assert payoff["id"] in its_payments and len(its_payments) >= 2
    assert its_payments <= ids(run, "payments")
    # The seed's own old invoices paid off in the window (by one payment after the start) come too.
    seeded = [inv["id"] for inv in invoices.values() if is_earlier(inv) and Decimal(inv["balance"]) == 0
              and inv["paidOn"] and day(inv["paidOn"]) >= START]
    assert seeded and set(seeded) <= ids(run, "invoices")
    assert {p["id"] for p in payments.values() if applied_ids(p) & set(seeded)} <= ids(run, "payments")


def test_a_later_run_decides_an_old_payment_as_the_first_run_did(sandbox: RunningSandbox) -> None:
    config = sandbox.tap_config(start_date=START)
    first = run_tap(config, streams=WINDOWED)

    invoices = window_invoices(sandbox.ctx.store)
    payments = source(sandbox, "payments")
    old = [p for p in payments.values() if day(p["date"]) < START and p["appliedTo"]]
    kept = next(p for p in old if applied_ids(p) & {i for i, inv in invoices.items() if is_earlier(inv)})
    left_out = next(p for p in old if not applied_ids(p) & set(invoices))
    assert kept["id"] in ids(first, "payments") and left_out["id"] not in ids(first, "payments")

    # An old payment on an opening invoice changes: the list in state says it belongs.
    sandbox.ctx.clock.advance(timedelta(days=1))
    Repository(sandbox.ctx.store, sandbox.ctx.clock.now()).update("payments", kept["id"], {"memo": "Slip corrected"})
    sandbox.ctx.st_stats.reset()
    second = run_tap(config, state=first.final_state, streams=WINDOWED)

    changed = [r for r in second.records("payments") if r["id"] == kept["id"]]
    assert changed and changed[0]["memo"] == "Slip corrected"
    assert invoice_lookups(sandbox) == 0
    assert kept_earlier_in_state(second) == kept_earlier_in_state(first)

    # An old payment on an invoice settled before the start changes: its invoice is looked up, and it
    # stays out, as on the first run.
    sandbox.ctx.clock.advance(timedelta(days=1))
    Repository(sandbox.ctx.store, sandbox.ctx.clock.now()).update("payments", left_out["id"], {"memo": "Slip lost"})
    sandbox.ctx.st_stats.reset()
    third = run_tap(config, state=second.final_state, streams=WINDOWED)

    assert left_out["id"] not in ids(third, "payments")
    assert invoice_lookups(sandbox) == 1


def test_after_a_state_reset_the_window_is_rebuilt_from_todays_data(sandbox: RunningSandbox) -> None:
    config = sandbox.tap_config(start_date=START)
    first = run_tap(config, streams=WINDOWED)
    response = requests.post(f"{sandbox.st_url}/_sandbox/activity", json={"days": 5, "seed": 3}, timeout=120)
    response.raise_for_status()
    second = run_tap(config, state=first.final_state, streams=WINDOWED)

    reset = run_tap(config, streams=WINDOWED)

    store = sandbox.ctx.store
    invoices = window_invoices(store)
    assert ids(reset, "invoices") == set(invoices)
    assert ids(reset, "payments") == set(window_documents(store, "payments", invoices))
    assert ids(reset, "credit_memos") == set(window_documents(store, "credit_memos", invoices))
    assert kept_earlier_in_state(reset) == sorted(i for i, inv in invoices.items() if is_earlier(inv))
    # Nothing the incremental run emitted points outside what it and the first run sent.
    sent = ids(first, "invoices") | ids(second, "invoices")
    for record in second.records("payments"):
        assert day(record["date"]) >= START or applied_ids(record) & sent, record["id"]


def test_an_early_payment_on_a_recent_invoice_is_kept_on_every_run(sandbox: RunningSandbox) -> None:
    """A deposit dated before the start date, applied to an invoice dated after it: at least once, even
    on a later run whose state does not list that invoice (it is looked up)."""
    invoices = source(sandbox, "invoices")
    recent = next(inv for inv in invoices.values()
                  if not is_earlier(inv) and inv["active"] and Decimal(inv["balance"]) > 1)
    deposit_day = datetime.fromisoformat(START + "T15:00:00+00:00") - timedelta(days=10)
    deposit = add_payment(sandbox, deposit_day, [(recent["id"], Decimal(1))], "Deposit")
    config = sandbox.tap_config(start_date=START)
    # Exports repeat nothing at their tail, so the next run does not read the recent invoice again.
    requests.patch(f"{sandbox.st_url}/_sandbox/config", json={"export_recent_overlap": 0},
                   timeout=10).raise_for_status()

    first = run_tap(config, streams=WINDOWED)

    assert deposit["id"] in ids(first, "payments")
    sandbox.ctx.clock.advance(timedelta(days=1))
    Repository(sandbox.ctx.store, sandbox.ctx.clock.now()).update("payments", deposit["id"], {"memo": "Deposit, job 1"})
    sandbox.ctx.st_stats.reset()

    second = run_tap(config, state=first.final_state, streams=WINDOWED)

    assert deposit["id"] in ids(second, "payments")
    assert invoice_lookups(sandbox) == 1


def test_a_resumed_first_run_loses_no_payment_of_the_window(sandbox: RunningSandbox) -> None:
    """State from the middle of the first invoice export: the resumed run has not read the earlier pages'
    invoices, so it looks up those the old payments apply to, and sends exactly the window."""
    requests.patch(f"{sandbox.st_url}/_sandbox/config", json={"export_batch_size": 40}, timeout=10).raise_for_status()
    config = sandbox.tap_config(start_date=START)
    full = run_tap(config, streams=["invoices"])
    middle = next(state for state in full.states
                  if state["bookmarks"].get("invoices", {}).get("initialExportDone") is False
                  and state["bookmarks"]["invoices"].get("keptEarlierInvoiceIds"))

    resumed = run_tap(config, state=middle, streams=WINDOWED)

    store = sandbox.ctx.store
    invoices = window_invoices(store)
    assert ids(resumed, "payments") == set(window_documents(store, "payments", invoices))
    assert ids(resumed, "credit_memos") == set(window_documents(store, "credit_memos", invoices))
    assert kept_earlier_in_state(resumed) == sorted(i for i, inv in invoices.items() if is_earlier(inv))
    assert invoice_lookups(sandbox) > 0


def test_without_a_start_date_every_invoice_payment_and_credit_memo_is_emitted(sandbox: RunningSandbox) -> None:
    run = run_tap(sandbox.tap_config(), streams=WINDOWED)

    for stream in WINDOWED:
        assert ids(run, stream) == set(source(sandbox, stream)), stream
    assert "keptEarlierInvoiceIds" not in run.final_state["bookmarks"]["invoices"]


def test_an_old_paid_invoice_without_paid_on_is_kept_in_doubt(sandbox: RunningSandbox) -> None:
    """ServiceTitan's spec does not promise `paidOn`: an old settled invoice without it may have been open on
    the start date, so it is emitted (with its payments) rather than risk losing it."""
    invoices = source(sandbox, "invoices")
    settled_early = next(inv for inv in invoices.values() if is_earlier(inv) and inv["active"]
                         and Decimal(inv["balance"]) == 0 and Decimal(inv["total"]) > 0 and not open_on_start(inv))
    Repository(sandbox.ctx.store, sandbox.ctx.clock.now()).update("invoices", settled_early["id"], {"paidOn": None})

    run = run_tap(sandbox.tap_config(start_date=START), streams=WINDOWED)

    assert settled_early["id"] in ids(run, "invoices")
    its_payments = {p["id"] for p in source(sandbox, "payments").values() if settled_early["id"] in applied_ids(p)}
    assert its_payments and its_payments <= ids(run, "payments")
