"""Closed periods for payables (`books_closed_through`): a bill or bill payment dated in the closed period is never
written again. A raise of a bill's total is posted as an adjustment bill dated on the day of the change; a cut, a
void or a change of a bill payment waits in the review queue, FreshBooks untouched, until a person releases it.

Expectations are arithmetic on the hand-written records (bill lines, payment amounts), never figures taken from
the target.
"""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

from target_harness import Messages, TargetEnv, authorize_target, usd
from test_purchases import BILL_TOTAL, CASH, VENDOR, bill, lines, money, purchase_bill, vendor_of, vendor_outstanding

CLOSED = "2024-06-30"  # the bill is dated 2024-05-02, its cash payment 2024-05-20: both in the closed period
BILL_KEY = "servicetitan:inventorybill:77"


def synced(env: TargetEnv) -> dict[str, Any]:
    """The vendor, the bill and a cash payment of 300.00 on it, written while the period was still open."""
    run = env.run(Messages().record("bill_vendors", VENDOR).record("bills", purchase_bill())
                  .record("bill_payments", cash()))
    assert run.exit_code == 0 and run.counts("bills") == {"created": 1}
    written = bill(env, "INV-7781")
    assert money(written["total_amount"]) == BILL_TOTAL
    return written


def cash(amount: str = "300.00", **changes: Any) -> dict[str, Any]:
    """The cash payment of the second test data, on the first bill only."""
    app = {**CASH["applications"][0], "amount": usd(amount)}
    return {**copy.deepcopy(CASH), "applications": [app], **changes}


def copper_bought(qty: str) -> dict[str, Any]:
    """The bill with another quantity of its first line (2 x 45.50 when synced)."""
    edited = purchase_bill()
    edited["lines"][0] = {**edited["lines"][0], "quantity": qty}
    return edited


def review_queue(env: TargetEnv) -> list[dict[str, Any]]:
    return lines(env.command("audit", "--review", "--json").output)


def rerun_writes_nothing(env: TargetEnv, messages: Messages, stream: str, outcome: str) -> None:
    env.fb.reset_stats()
    run = env.run(messages, books_closed_through=CLOSED)
    assert run.exit_code == 0 and run.counts(stream) == {outcome: 1}
    assert env.fb.writes() == 0


def test_bill_edited_then_voided_in_the_closed_period(seeded_env: TargetEnv) -> None:
    env = seeded_env
    original = synced(env)
    vendor = vendor_of(env, VENDOR["source_key"])
    owed = BILL_TOTAL - Decimal("300.00")
    assert vendor_outstanding(env, vendor["vendorid"]) == owed

    # One more copper line set (45.50): the closed bill stays, the difference is a bill of its own.
    raised = Messages().record("bills", {**copper_bought("3"), "change_date": "2024-07-15"})
    run = env.run(raised, books_closed_through=CLOSED)

    assert run.exit_code == 0 and run.counts("bills") == {"updated": 1, "created": 1}  # the bill; its adjustment
    assert bill(env, "INV-7781") == original
    adjustment = bill(env, "INV-7781-ADJ1")
    assert adjustment["vendorid"] == original["vendorid"] and adjustment["issue_date"] == "2024-07-15"
    assert money(adjustment["total_amount"]) == Decimal("45.50")
    assert [(line["description"], line["quantity"]) for line in adjustment["lines"]] == [
        ("CU-12 Copper line set 1/2in", "3"), ("CU-12 Copper line set 1/2in", "2")]
    assert vendor_outstanding(env, vendor["vendorid"]) == owed + Decimal("45.50")
    trail = lines(env.command("audit", "--source-key", BILL_KEY, "--json").output)
    [posted] = [row for row in trail if row["action"] == "closed_period_adjustment"]
    assert posted["freshbooks_id"] == str(adjustment["id"]) and "INV-7781-ADJ1" in posted["detail"]
    rerun_writes_nothing(env, raised, "bills", "unchanged")

    # Voided in ServiceTitan: nothing to post in the open period (no vendor credit), so it waits for a person.
    voided = Messages().record("bills", {"source_key": BILL_KEY, "active": False,
                                         "vendor_source_key": VENDOR["source_key"], "bill_number": "INV-7781"})
    run = env.run(voided, books_closed_through=CLOSED)

    assert run.exit_code == 0 and run.counts("bills") == {"review": 1}
    assert bill(env, "INV-7781") == original
    assert money(bill(env, "INV-7781-ADJ1")["total_amount"]) == Decimal("45.50")
    assert [money(p["amount"]) for p in env.fb.records("bill_payments")] == [Decimal("300.00")]
    assert vendor_outstanding(env, vendor["vendorid"]) == owed + Decimal("45.50")
    [item] = review_queue(env)
    assert item["source_key"] == BILL_KEY and item["released"] is False
    for part in ("bill INV-7781", f"closed through {CLOSED}", "voided", f"{BILL_TOTAL + Decimal('45.50')}",
                 "no vendor credit", f"audit --release {BILL_KEY}"):
        assert part in item["reason"], item["reason"]
    rerun_writes_nothing(env, voided, "bills", "review")

    # Released: the person wants it gone; the bill, its payment and its adjustment bill are deleted.
    assert env.command("audit", "--release", BILL_KEY).exit_code == 0
    replayed = env.command("replay", books_closed_through=CLOSED)

    assert replayed.exit_code == 0, replayed.output
    assert f"released review: bills {BILL_KEY} → deleted" in replayed.output
    assert [b for b in env.fb.records("bills") if b["bill_number"].startswith("INV-7781")] == []
    assert env.fb.records("bill_payments") == []
    assert vendor_outstanding(env, vendor["vendorid"]) == 0
    assert review_queue(env) == []
    rerun_writes_nothing(env, voided, "bills", "unchanged")


def test_cut_of_a_closed_bill_waits_in_review_release_writes_it_in_place(seeded_env: TargetEnv) -> None:
    env = seeded_env
    original = synced(env)
    assert env.run(Messages().record("bills", copper_bought("3")), books_closed_through=CLOSED).exit_code == 0
    assert money(bill(env, "INV-7781-ADJ1")["total_amount"]) == Decimal("45.50")
    cut = Messages().record("bills", copper_bought("1"))  # two copper line sets fewer than now: 91.00 less

    run = env.run(cut, books_closed_through=CLOSED)

    assert run.counts("bills") == {"review": 1}
    assert bill(env, "INV-7781") == original
    assert money(bill(env, "INV-7781-ADJ1")["total_amount"]) == Decimal("45.50")
    [item] = review_queue(env)
    assert "the source lowered its total by 91.00" in item["reason"], item["reason"]
    rerun_writes_nothing(env, cut, "bills", "review")

    # Released: written into the bill itself, its adjustment bill deleted, so the bill alone is ServiceTitan's.
    assert env.command("audit", "--release", BILL_KEY).exit_code == 0
    replayed = env.command("replay", books_closed_through=CLOSED)

    assert replayed.exit_code == 0, replayed.output
    now = bill(env, "INV-7781")
    assert now["id"] == original["id"] and money(now["total_amount"]) == BILL_TOTAL - Decimal("45.50")
    assert [b for b in env.fb.records("bills") if b["bill_number"] == "INV-7781-ADJ1"] == []
    vendor = vendor_of(env, VENDOR["source_key"])
    assert vendor_outstanding(env, vendor["vendorid"]) == BILL_TOTAL - Decimal("45.50") - Decimal("300.00")
    assert review_queue(env) == []
    rerun_writes_nothing(env, cut, "bills", "unchanged")

    # A lost ledger: the bill is adopted as it is, nothing written.
    for path in env.tmp_path.glob("ledger.db*"):
        path.unlink()
    authorize_target(env.config, env.tmp_path)
    env.fb.reset_stats()
    lost = env.run(Messages().record("bill_vendors", VENDOR).record("bills", copper_bought("1")),
                   books_closed_through=CLOSED)
    assert lost.counts("bills") == {"adopted": 1} and env.fb.writes() == 0


def test_change_of_a_bill_payment_in_the_closed_period_waits_in_review(seeded_env: TargetEnv) -> None:
    env = seeded_env
    synced(env)
    before = env.fb.records("bill_payments")
    owed = money(bill(env, "INV-7781")["outstanding"])
    assert owed == BILL_TOTAL - Decimal("300.00")

    lowered = Messages().record("bill_payments", cash("250.00"))
    run = env.run(lowered, books_closed_through=CLOSED)

    assert run.counts("bill_payments") == {"review": 1}
    assert env.fb.records("bill_payments") == before
    assert money(bill(env, "INV-7781")["outstanding"]) == owed
    [item] = review_queue(env)
    assert item["source_key"] == CASH["source_key"]
    for part in (f"closed through {CLOSED}", "paid 2024-05-20", "300.00) changed"):
        assert part in item["reason"], item["reason"]
    rerun_writes_nothing(env, lowered, "bill_payments", "review")

    voided = Messages().record("bill_payments", cash(active=False))
    run = env.run(voided, books_closed_through=CLOSED)
    assert run.counts("bill_payments") == {"review": 1}
    assert env.fb.records("bill_payments") == before
    assert "300.00) removed" in review_queue(env)[0]["reason"]

    # Released: the bill payment goes, and the bill owes its whole total again.
    assert env.command("audit", "--release", CASH["source_key"]).exit_code == 0
    replayed = env.command("replay", books_closed_through=CLOSED)
    assert replayed.exit_code == 0, replayed.output
    assert env.fb.records("bill_payments") == []
    assert money(bill(env, "INV-7781")["outstanding"]) == BILL_TOTAL
    assert review_queue(env) == []
    rerun_writes_nothing(env, voided, "bill_payments", "unchanged")


def test_edit_of_a_bill_after_the_closed_period_updates_it_in_place(seeded_env: TargetEnv) -> None:
    env = seeded_env
    original = synced(env)

    run = env.run(Messages().record("bills", copper_bought("1")), books_closed_through="2024-05-01")

    assert run.counts("bills") == {"updated": 1}
    now = bill(env, "INV-7781")
    assert now["id"] == original["id"] and money(now["total_amount"]) == BILL_TOTAL - Decimal("45.50")
    assert [b for b in env.fb.records("bills") if b["bill_number"] == "INV-7781-ADJ1"] == []
