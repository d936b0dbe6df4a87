"""A payment's applications are reconciled as a set: one FreshBooks payment per listed application."""

from __future__ import annotations

import copy
from decimal import Decimal

from target_harness import Messages, TargetEnv, usd
from target_records import catalog, expected_total, records

INVOICE_100, INVOICE_101 = "ST-100", "ST-101"


def outstanding(env: TargetEnv, number: str) -> Decimal:
    invoice = next(i for i in env.fb.records("invoices") if i["invoice_number"] == number)
    return Decimal(invoice["outstanding"]["amount"])


def active_payments(env: TargetEnv) -> list[dict]:
    return env.fb.records("payments")


def test_dropped_application_removes_its_payment(env: TargetEnv) -> None:
    data = records()
    env.run(catalog(data))
    assert len(active_payments(env)) == 2
    total_101 = expected_total(data["invoices"][1])
    assert outstanding(env, INVOICE_101) == total_101 - Decimal("298.00")

    payment = copy.deepcopy(data["payments"][0])
    payment["applications"] = payment["applications"][:1]
    env.fb.reset_stats()
    run = env.run(Messages().record("payments", payment))

    assert run.counts("payments") == {"updated": 1}
    remaining = active_payments(env)
    assert len(remaining) == 1 and "[test:payment:500:invoice:100]" in remaining[0]["note"]
    assert outstanding(env, INVOICE_101) == total_101
    assert outstanding(env, INVOICE_100) == expected_total(data["invoices"][0]) - Decimal("100.00")
    assert env.fb.writes() == 1


def test_changed_amount_updates_the_payment_in_place(env: TargetEnv) -> None:
    data = records()
    env.run(catalog(data))
    ids = {p["id"] for p in active_payments(env)}
    payment = copy.deepcopy(data["payments"][0])
    payment["applications"][0]["amount"] = usd("120.00")

    run = env.run(Messages().record("payments", payment))

    assert run.counts("payments") == {"updated": 1}
    assert {p["id"] for p in active_payments(env)} == ids
    assert outstanding(env, INVOICE_100) == expected_total(data["invoices"][0]) - Decimal("120.00")


def test_inactive_payment_removes_every_application(env: TargetEnv) -> None:
    data = records()
    env.run(catalog(data))

    run = env.run(Messages().record("payments", {**data["payments"][0], "active": False}))

    assert run.counts("payments") == {"deleted": 1}
    assert active_payments(env) == []
    assert outstanding(env, INVOICE_100) == expected_total(data["invoices"][0])
    assert outstanding(env, INVOICE_101) == expected_total(data["invoices"][1])


def test_added_application_and_inline_single_application(env: TargetEnv) -> None:
    data = records()
    payment = data["payments"][0]
    added = payment["applications"].pop()
    env.run(catalog(data))
    assert len(active_payments(env)) == 1

    payment["applications"].append(added)
    inline = {"source_key": "test:payment:501", "date": "2024-05-11", "type": "Cash",
              "invoice_source_key": "test:invoice:100", "amount": usd("10.00")}
    run = env.run(Messages().record("payments", payment).record("payments", inline))

    assert run.counts("payments") == {"created": 2}
    notes = sorted(p["note"] for p in active_payments(env))
    assert len(notes) == 3
    assert any("[test:payment:501]" in note for note in notes)
    assert outstanding(env, INVOICE_101) == expected_total(data["invoices"][1]) - Decimal("298.00")
    assert outstanding(env, INVOICE_100) == expected_total(data["invoices"][0]) - Decimal("100.00") - Decimal("10.00")
