"""Refunds, remainders, credit notes and skip records, as a user sees them in FreshBooks.

Every expectation is arithmetic on the hand-written records below (what ServiceTitan would say the
customer owes), never a figure taken from the target.
"""

from __future__ import annotations

import copy
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from target_freshbooks.errors import ConfigError
from target_freshbooks.settings import Settings
from target_harness import Messages, TargetEnv, authorized_env, usd
from target_records import catalog, expected_total, records

INVOICE_100 = expected_total(records()["invoices"][0])  # 6 x 3.40 taxed 7.25 % + 149.00
INVOICE_101 = expected_total(records()["invoices"][1])  # 298.00


def payment(key: str, date: str, *apps: tuple[str, str], **extra: Any) -> dict[str, Any]:
    return {"source_key": key, "date": date, "type": "Check", "note": f"payment {key}",
            "client_source_key": "test:customer:1",
            "applications": [{"source_key": f"{key}:invoice:{inv.rsplit(':', 1)[-1]}", "invoice_source_key": inv,
                              "amount": usd(amount)} for inv, amount in apps], **extra}


def refund(key: str, of: str, date: str, *apps: tuple[str, str], **extra: Any) -> dict[str, Any]:
    record = payment(key, date, *apps, **extra)
    record["refund_of_source_key"] = of
    for app in record["applications"]:
        app["refunds_source_key"] = f"{of}:invoice:{app['invoice_source_key'].rsplit(':', 1)[-1]}"
    return record


def credit_note(key: str, total: str, *apps: tuple[str, str], **extra: Any) -> dict[str, Any]:
    return {"source_key": key, "client_source_key": "test:customer:1", "credit_number": key.rsplit(":", 1)[-1],
            "create_date": "2024-05-20", "currency_code": "USD", "notes": "Service guarantee credit",
            "lines": [{"name": "Credit memo", "qty": "1", "unit_cost": usd(total)}],
            "applications": [{"source_key": f"{key}:invoice:{inv.rsplit(':', 1)[-1]}", "invoice_source_key": inv,
                              "amount": usd(amount)} for inv, amount in apps], **extra}


def base() -> Messages:
    data = records()
    data["payments"] = []
    return catalog(data)


def with_records(messages: Messages, *items: tuple[str, dict[str, Any]]) -> Messages:
    messages = copy.deepcopy(messages)
    for stream, record in items:
        messages.record(stream, record)
    return messages


def invoice_outstanding(env: TargetEnv, number: str) -> Decimal:
    rows = [r for r in env.fb.records("invoices") if r["invoice_number"] == number]
    assert len(rows) == 1, f"expected one invoice {number}, found {len(rows)}"
    return Decimal(rows[0]["outstanding"]["amount"])


def client_balance(env: TargetEnv, organization: str) -> dict[str, Decimal]:
    client = next(c for c in env.fb.records("clients") if c.get("organization") == organization)
    row = env.fb.side.receivables()["clients"].get(str(client["id"]), {"outstanding": "0", "credit": "0",
                                                                       "balance": "0"})
    return {name: Decimal(row[name]) for name in ("outstanding", "credit", "balance")}


def assert_rerun_writes_nothing(env: TargetEnv, messages: Messages) -> None:
    env.fb.reset_stats()
    again = env.run(messages)
    assert again.exit_code == 0
    assert env.fb.writes() == 0


def test_full_refund_reopens_the_invoice_and_keeps_the_refund_on_the_payment(env: TargetEnv, tmp_path: Path) -> None:
    paid = payment("test:payment:1", "2024-05-10", ("test:invoice:101", str(INVOICE_101)))
    refunded = refund("test:payment:2", "test:payment:1", "2024-06-03", ("test:invoice:101", str(INVOICE_101)))
    messages = with_records(base(), ("payments", paid), ("payments", refunded))
    assert env.run(messages).exit_code == 0
    assert invoice_outstanding(env, "ST-101") == INVOICE_101
    payments = env.fb.records("payments", active_only=False)
    assert len(payments) == 1 and payments[0]["vis_state"] == 1
    assert f"Refunded {INVOICE_101:.2f} on 2024-06-03" in payments[0]["note"]
    assert_rerun_writes_nothing(env, messages)
    # A lost ledger: a new one rebuilds from FreshBooks' markers and writes nothing.
    (tmp_path / "lost").mkdir()
    fresh = authorized_env(env.sandbox, tmp_path / "lost")
    fresh.fb.reset_stats()
    assert fresh.run(messages).exit_code == 0
    posts = [k for k in env.sandbox.ctx.fb_stats.snapshot()["calls"] if not k.startswith("GET")]
    assert env.sandbox.ctx.fb_stats.count("POST", "/accounting/") == 0, posts
    assert invoice_outstanding(env, "ST-101") == INVOICE_101


def test_partial_refund_lowers_the_payment_and_an_edit_of_the_payment_keeps_it(env: TargetEnv) -> None:
    paid = payment("test:payment:1", "2024-05-10", ("test:invoice:101", "298.00"))
    refunded = refund("test:payment:2", "test:payment:1", "2024-06-03", ("test:invoice:101", "50.00"))
    assert env.run(with_records(base(), ("payments", paid), ("payments", refunded))).exit_code == 0
    assert invoice_outstanding(env, "ST-101") == Decimal("50.00")
    edited = {**paid, "note": "payment test:payment:1, memo corrected"}
    assert env.run(with_records(base(), ("payments", edited), ("payments", refunded))).exit_code == 0
    assert invoice_outstanding(env, "ST-101") == Decimal("50.00")
    [live] = env.fb.records("payments")
    assert live["amount"]["amount"] == "248.00"
    assert "memo corrected" in live["note"] and "Refunded 50.00" in live["note"]


def test_voided_refund_gives_the_money_back(env: TargetEnv) -> None:
    paid = payment("test:payment:1", "2024-05-10", ("test:invoice:101", "298.00"))
    refunded = refund("test:payment:2", "test:payment:1", "2024-06-03", ("test:invoice:101", "298.00"))
    assert env.run(with_records(base(), ("payments", paid), ("payments", refunded))).exit_code == 0
    assert invoice_outstanding(env, "ST-101") == INVOICE_101
    voided = {**refunded, "active": False}
    assert env.run(with_records(base(), ("payments", paid), ("payments", voided))).exit_code == 0
    assert invoice_outstanding(env, "ST-101") == Decimal("0.00")


def test_refund_before_its_payment_is_parked_then_lands(env: TargetEnv) -> None:
    paid = payment("test:payment:1", "2024-05-10", ("test:invoice:101", "298.00"))
    refunded = refund("test:payment:2", "test:payment:1", "2024-06-03", ("test:invoice:101", "100.00"))
    run = env.run(with_records(base(), ("payments", refunded), ("payments", paid)))
    assert run.exit_code == 0
    assert invoice_outstanding(env, "ST-101") == Decimal("100.00")


def test_overpayment_becomes_prepayment_credit_and_its_refund_reduces_it(env: TargetEnv) -> None:
    over = payment("test:payment:1", "2024-05-10", ("test:invoice:101", "298.00"), unapplied=usd("25.00"))
    messages = with_records(base(), ("payments", over))
    assert env.run(messages).exit_code == 0
    assert invoice_outstanding(env, "ST-101") == Decimal("0.00")
    [note] = env.fb.records("credit_notes")
    assert note["credit_type"] == "prepayment" and note["amount"]["amount"] == "25.00"
    owed = client_balance(env, "Millbrook Dental")
    assert owed["balance"] == INVOICE_100 - Decimal("25.00")  # invoice 100 unpaid, 25.00 of credit
    assert_rerun_writes_nothing(env, messages)

    back = refund("test:payment:2", "test:payment:1", "2024-06-01", unapplied=usd("25.00"))
    assert env.run(with_records(messages, ("payments", back))).exit_code == 0
    [note] = env.fb.records("credit_notes")
    assert Decimal(note["amount"]["amount"]) == 0
    assert client_balance(env, "Millbrook Dental")["balance"] == INVOICE_100


def test_credit_memo_applied_partly_leaves_the_rest_as_client_credit(env: TargetEnv) -> None:
    memo = credit_note("test:creditmemo:CM-7", "60.00", ("test:invoice:100", "40.00"))
    messages = with_records(base(), ("credit_notes", memo))
    assert env.run(messages).exit_code == 0
    assert invoice_outstanding(env, "ST-100") == INVOICE_100 - Decimal("40.00")
    [applied] = env.fb.records("payments")
    assert applied["type"] == "Credit"
    assert client_balance(env, "Millbrook Dental")["balance"] == INVOICE_100 - Decimal("60.00")
    assert_rerun_writes_nothing(env, messages)


def test_credit_memo_edited_then_voided(env: TargetEnv) -> None:
    memo = credit_note("test:creditmemo:CM-8", "60.00", ("test:invoice:100", "60.00"))
    assert env.run(with_records(base(), ("credit_notes", memo))).exit_code == 0
    smaller = credit_note("test:creditmemo:CM-8", "30.00", ("test:invoice:100", "30.00"))
    assert env.run(with_records(base(), ("credit_notes", smaller))).exit_code == 0
    assert invoice_outstanding(env, "ST-100") == INVOICE_100 - Decimal("30.00")
    assert client_balance(env, "Millbrook Dental")["balance"] == INVOICE_100 - Decimal("30.00")
    voided = {**smaller, "active": False}
    assert env.run(with_records(base(), ("credit_notes", voided))).exit_code == 0
    assert invoice_outstanding(env, "ST-100") == INVOICE_100
    assert env.fb.records("credit_notes") == []
    assert client_balance(env, "Millbrook Dental")["balance"] == INVOICE_100


def test_skip_records_are_counted_by_reason_and_write_nothing(env: TargetEnv) -> None:
    messages = base()
    messages.record("invoices", {"source_key": "test:invoice:300", "skip_category": "timing",
                                 "skip_reason": "not posted yet: syncStatus 'Pending'"})
    messages.record("skipped", {"source_key": "test:location:9", "source_stream": "locations",
                                "skip_category": "unsupported", "skip_reason": "FreshBooks has no service locations"})
    run = env.run(messages)
    assert run.exit_code == 0
    assert run.counts("invoices")["skipped"] == 1
    assert run.counts("locations") == {"skipped": 1}
    text = run.target.run.summary_text()
    assert "not posted yet: syncStatus 'Pending'" in text and "FreshBooks has no service locations" in text
    assert "1 record(s) left behind as timing differences" in text
    assert not [r for r in env.fb.records("invoices") if r["invoice_number"] == "test:invoice:300"]


def test_a_skip_record_without_a_reason_is_dead_lettered_naming_the_field(env: TargetEnv) -> None:
    run = env.run(Messages().record("skipped", {"source_key": "test:location:9", "source_stream": "locations"}))
    assert run.exit_code == 1
    letters = env.command("audit", "--dead-letters").output
    assert "test:location:9" in letters and "skip_reason" in letters


def test_void_of_a_paid_invoice_keeps_its_money_as_client_credit(env: TargetEnv) -> None:
    paid = payment("test:payment:1", "2024-05-10", ("test:invoice:100", "100.00"))
    memo = credit_note("test:creditmemo:CM-9", "30.00", ("test:invoice:100", "30.00"))
    messages = with_records(base(), ("payments", paid), ("credit_notes", memo))
    assert env.run(messages).exit_code == 0
    assert invoice_outstanding(env, "ST-100") == INVOICE_100 - Decimal("130.00")
    data = records()
    data["payments"] = []
    data["invoices"][0]["active"] = False
    voided = with_records(catalog(data), ("payments", paid), ("credit_notes", memo))
    run = env.run(voided)
    assert run.exit_code == 0
    assert not [r for r in env.fb.records("invoices") if r["invoice_number"] == "ST-100"]
    # ServiceTitan keeps the 100.00 paid and the 30.00 memo as the customer's credit: so must FreshBooks.
    assert client_balance(env, "Millbrook Dental") == {"outstanding": Decimal("0.00"), "credit": Decimal("130.00"),
                                                         "balance": Decimal("-130.00")}
    # The payment re-sent as ServiceTitan shows it after the void: nothing applied, 100.00 unapplied.
    unapplied = payment("test:payment:1", "2024-05-10", unapplied=usd("100.00"))
    memo_after = credit_note("test:creditmemo:CM-9", "30.00")
    after = with_records(catalog(data), ("payments", unapplied), ("credit_notes", memo_after))
    assert env.run(after).exit_code == 0
    assert client_balance(env, "Millbrook Dental")["balance"] == Decimal("-130.00")
    assert_rerun_writes_nothing(env, after)


def test_merged_customer_moves_its_invoice_payments_and_credit_to_the_surviving_client(env: TargetEnv) -> None:
    paid = {**payment("test:payment:1", "2024-05-10", ("test:invoice:101", "100.00")),
            "client_source_key": "test:customer:2"}
    memo = {**credit_note("test:creditmemo:CM-10", "50.00", ("test:invoice:101", "20.00")),
            "client_source_key": "test:customer:2"}
    assert env.run(with_records(base(), ("payments", paid), ("credit_notes", memo))).exit_code == 0
    priya = "Priya"
    before = client_balance_by_name(env, priya)
    assert before["balance"] == INVOICE_101 - Decimal("100.00") - Decimal("50.00")
    # ServiceTitan merges customer 2 into customer 1: the invoice, payment and memo now name customer 1.
    data = records()
    data["payments"] = []
    data["invoices"][1]["client_source_key"] = "test:customer:1"
    moved = with_records(catalog(data), ("payments", {**paid, "client_source_key": "test:customer:1"}),
                         ("credit_notes", {**memo, "client_source_key": "test:customer:1"}))
    assert env.run(moved).exit_code == 0
    assert client_balance_by_name(env, priya)["balance"] == Decimal("0.00")
    assert client_balance(env, "Millbrook Dental")["balance"] == (
        INVOICE_100 + INVOICE_101 - Decimal("100.00") - Decimal("50.00"))
    assert_rerun_writes_nothing(env, moved)


def client_balance_by_name(env: TargetEnv, fname: str) -> dict[str, Decimal]:
    client = next(c for c in env.fb.records("clients") if c.get("fname") == fname)
    row = env.fb.side.receivables()["clients"].get(str(client["id"]), {"outstanding": "0", "credit": "0",
                                                                       "balance": "0"})
    return {name: Decimal(row[name]) for name in ("outstanding", "credit", "balance")}


def test_refund_mode_negative_payment_posts_the_refund_on_its_own_day(env: TargetEnv) -> None:
    env.sandbox.ctx.fb.negative_payments = True  # unconfirmed in FreshBooks: the simulator refuses by default
    paid = payment("test:payment:1", "2024-05-10", ("test:invoice:101", "298.00"))
    refunded = refund("test:payment:2", "test:payment:1", "2024-06-03", ("test:invoice:101", "50.00"))
    messages = with_records(base(), ("payments", paid), ("payments", refunded))
    assert env.run(messages, refund_mode="negative_payment").exit_code == 0
    assert invoice_outstanding(env, "ST-101") == Decimal("50.00")
    amounts = sorted((p["date"], p["amount"]["amount"]) for p in env.fb.records("payments"))
    assert amounts == [("2024-05-10", "298.00"), ("2024-06-03", "-50.00")]
    env.fb.reset_stats()
    assert env.run(messages, refund_mode="negative_payment").exit_code == 0
    assert env.fb.writes() == 0


def test_refund_mode_is_validated(env: TargetEnv) -> None:
    with pytest.raises(ConfigError) as refused:
        Settings.from_config({**env.config, "refund_mode": "cash_back"})
    assert "refund_mode" in str(refused.value) and "reduce_payment" in str(refused.value)


def test_a_credit_memo_on_an_invoice_not_synced_yet_waits_whole(env: TargetEnv) -> None:
    data = records()
    data["payments"] = []
    pending_invoice = data["invoices"].pop(0)  # ServiceTitan has not posted it: the mapper sent a skip record
    memo = credit_note("test:creditmemo:CM-11", "40.00", ("test:invoice:100", "40.00"))
    run = env.run(with_records(catalog(data), ("credit_notes", memo)))
    assert run.counts("credit_notes") == {"parked": 1}
    assert env.fb.records("credit_notes") == []  # no spendable credit before it can be applied
    data["invoices"].insert(0, pending_invoice)
    assert env.run(with_records(catalog(data), ("credit_notes", memo))).exit_code == 0
    assert invoice_outstanding(env, "ST-100") == INVOICE_100 - Decimal("40.00")
    assert client_balance(env, "Millbrook Dental")["balance"] == INVOICE_100 - Decimal("40.00")


def test_an_overpayment_applied_later_moves_from_credit_to_the_invoice_once(env: TargetEnv) -> None:
    over = payment("test:payment:1", "2024-05-10", ("test:invoice:101", "298.00"), unapplied=usd("60.00"))
    assert env.run(with_records(base(), ("payments", over))).exit_code == 0
    assert client_balance(env, "Millbrook Dental")["balance"] == INVOICE_100 - Decimal("60.00")
    # ServiceTitan applies 60.00 of the remainder to invoice 100: same payment, one more application.
    applied = payment("test:payment:1", "2024-05-10", ("test:invoice:101", "298.00"), ("test:invoice:100", "60.00"))
    messages = with_records(base(), ("payments", applied))
    assert env.run(messages).exit_code == 0
    assert invoice_outstanding(env, "ST-100") == INVOICE_100 - Decimal("60.00")
    owed = client_balance(env, "Millbrook Dental")
    assert owed["credit"] == Decimal("0.00") and owed["balance"] == INVOICE_100 - Decimal("60.00")
    cash = sum(Decimal(p["amount"]["amount"]) for p in env.fb.records("payments") if p["type"] != "Credit")
    prepaid = sum(Decimal(n["amount"]["amount"]) for n in env.fb.records("credit_notes"))
    assert cash + prepaid == Decimal("358.00")  # the payment's cash, recorded once
    assert_rerun_writes_nothing(env, messages)


def test_the_summary_says_what_parked_records_wait_on(env: TargetEnv) -> None:
    data = records()
    data["payments"] = []
    held = {**data["invoices"][1], "review_reason": "a person must check this invoice"}
    data["invoices"] = [data["invoices"][0], held]
    waiting = payment("test:payment:1", "2024-05-10", ("test:invoice:101", "10.00"))
    run = env.run(with_records(catalog(data), ("payments", waiting)))
    text = run.target.run.summary_text()
    assert "review      payments" in text and "waiting on invoices which are in review" in text
    assert "1 record(s) left behind as waiting on a record held for a person" in text
