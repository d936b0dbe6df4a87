"""A record whose reference is not in FreshBooks yet is parked, then written when the reference lands:
later in the same run, or in a later run."""

from __future__ import annotations

import json

from target_harness import Messages, TargetEnv
from target_records import records


def parked(env: TargetEnv) -> list[dict]:
    result = env.command("audit", "--parked", "--json")
    return [json.loads(line) for line in result.output.splitlines()]


def test_records_wait_for_a_reference_later_in_the_same_run(env: TargetEnv) -> None:
    data = records()
    messages = Messages()
    messages.record("invoices", data["invoices"][1])  # its client and item come later
    messages.record("payments", {**data["payments"][0], "applications": data["payments"][0]["applications"][1:]})
    messages.record("clients", data["clients"][1])
    messages.record("items", data["items"][1])

    run = env.run(messages)

    assert run.exit_code == 0
    assert run.counts("invoices") == {"created": 1}
    assert run.counts("payments") == {"created": 1}
    assert parked(env) == []
    invoice = env.fb.records("invoices")[0]
    assert invoice["invoice_number"] == "ST-101" and invoice["v3_status"] == "paid"  # 298.00 of 298.00


def test_parked_records_land_in_a_later_run(env: TargetEnv) -> None:
    data = records()
    first = Messages()
    first.record("items", data["items"][1])
    first.record("invoices", data["invoices"][1])
    first.record("payments", {**data["payments"][0], "applications": data["payments"][0]["applications"][1:]})
    run = env.run(first)

    assert run.counts("invoices") == {"parked": 1}
    assert run.counts("payments") == {"parked": 1}
    assert env.fb.records("invoices") == [] and env.fb.records("payments") == []
    waiting = {row["source_key"]: row["waiting_on"] for row in parked(env)}
    assert waiting == {"test:invoice:101": "clients test:customer:2", "test:payment:500": "invoices test:invoice:101"}

    # A run without the client changes nothing...
    again = env.run(Messages().record("items", data["items"][1]))
    assert again.counts("invoices") == {"parked": 1}

    # ...the run that brings it lands everything waiting on it.
    later = env.run(Messages().record("clients", data["clients"][1]))
    assert later.counts("clients") == {"created": 1}
    assert later.counts("invoices") == {"created": 1}
    assert later.counts("payments") == {"created": 1}
    assert parked(env) == []
    assert len(env.fb.records("invoices")) == 1 and len(env.fb.records("payments")) == 1
