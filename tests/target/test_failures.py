"""Records FreshBooks refuses are dead-lettered (the run goes on, the exit code says so) and replayed once
fixed; records that need a person wait in the review queue until released."""

from __future__ import annotations

import json

from target_harness import Messages, TargetEnv, usd
from target_records import records


def lines(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def client_id(env: TargetEnv, email: str) -> int:
    return next(c["id"] for c in env.fb.records("clients", active_only=False) if c["email"] == email)


def test_refused_record_is_dead_lettered_and_the_run_goes_on(env: TargetEnv) -> None:
    data = records()
    bad = {"source_key": "test:customer:bad", "organization": "Typo Inc", "email": "not an email"}
    messages = Messages().record("clients", bad).record("clients", data["clients"][0])

    run = env.run(messages)

    assert run.exit_code == 1
    assert run.counts("clients") == {"failed": 1, "created": 1}
    [letter] = lines(env.command("audit", "--dead-letters", "--json").output)
    assert letter["source_key"] == "test:customer:bad"
    assert letter["errno"] == 1004 and letter["field"] == "email" and letter["status"] in (400, 422)
    assert "Invalid email address" in letter["error"]
    assert "test:customer:bad" in letter["error"] and "/users/clients" in letter["error"]
    trail = lines(env.command("audit", "--source-key", "test:customer:bad", "--json").output)
    assert [t["action"] for t in trail] == ["dead_letter"]


def test_dead_letter_is_replayed_once_fixed(env: TargetEnv) -> None:
    data = records()
    client = data["clients"][1]
    env.run(Messages().record("clients", client).record("items", data["items"][1]))
    # A bookkeeper deletes the client in FreshBooks: the next invoice for it is refused (client not found).
    env.fb.side.update("clients", client_id(env, client["email"]), {"vis_state": 1})
    payment = {**data["payments"][0], "applications": data["payments"][0]["applications"][1:]}
    run = env.run(Messages().record("invoices", data["invoices"][1]).record("payments", payment))

    assert run.exit_code == 1
    assert run.counts("invoices") == {"failed": 1}
    assert run.counts("payments") == {"parked": 1}  # waits on the dead-lettered invoice
    [letter] = lines(env.command("audit", "--dead-letters", "--json").output)
    assert letter["errno"] == 1012 and letter["field"] == "customerid"

    failed_again = env.command("replay")
    assert failed_again.exit_code == 1
    assert "dead letter: invoices test:invoice:101 → failed" in failed_again.output

    env.fb.side.update("clients", client_id(env, client["email"]), {"vis_state": 0})  # restored
    replayed = env.command("replay")

    assert replayed.exit_code == 0, replayed.output
    assert "dead letter: invoices test:invoice:101 → created" in replayed.output
    assert lines(env.command("audit", "--dead-letters", "--json").output) == []
    assert lines(env.command("audit", "--parked", "--json").output) == []
    [invoice] = env.fb.records("invoices")
    assert invoice["invoice_number"] == "ST-101" and invoice["v3_status"] == "paid"
    assert len(env.fb.records("payments")) == 1
    assert "Nothing to replay" in env.command("replay").output


def test_record_under_review_waits_with_its_reason_and_lands_after_release(env: TargetEnv) -> None:
    data = records()
    reason = "Customer marked tax-exempt in ServiceTitan; confirm before billing"
    flagged = {**data["clients"][1], "review_reason": reason}
    messages = (Messages().record("clients", flagged).record("items", data["items"][1])
                .record("invoices", data["invoices"][1]))

    run = env.run(messages)

    assert run.exit_code == 0
    assert run.counts("clients") == {"review": 1}
    assert run.counts("invoices") == {"parked": 1}
    assert env.fb.records("clients") == [] and env.fb.records("invoices") == []
    [item] = lines(env.command("audit", "--review", "--json").output)
    assert item["source_key"] == flagged["source_key"] and item["reason"] == reason and item["released"] is False

    env.fb.reset_stats()
    assert env.run(messages).counts("clients") == {"review": 1}  # still waiting: nothing written
    assert env.fb.writes() == 0

    released = env.command("audit", "--release", flagged["source_key"])
    assert released.exit_code == 0 and "Released" in released.output
    replayed = env.command("replay")

    assert replayed.exit_code == 0, replayed.output
    assert f"released review: clients {flagged['source_key']} → created" in replayed.output
    assert [c["email"] for c in env.fb.records("clients")] == [flagged["email"]]
    assert [i["invoice_number"] for i in env.fb.records("invoices")] == ["ST-101"]
    assert lines(env.command("audit", "--review", "--json").output) == []
    # The same record sent again later is simply known now.
    env.fb.reset_stats()
    assert env.run(messages).counts("clients") == {"unchanged": 1}
    assert env.fb.writes() == 0


def test_line_item_missing_with_on_missing_item_review(env: TargetEnv) -> None:
    data = records()
    invoice = data["invoices"][1]
    invoice["lines"][0].update({"item_source_key": "test:equipment:88", "on_missing_item": "review",
                                "item": {"name": "Tankless heater", "sku": "WH-TL-199", "unit_cost": usd("149.00")}})
    messages = Messages().record("clients", data["clients"][1]).record("invoices", invoice)

    run = env.run(messages)

    assert run.counts("invoices") == {"review": 1}
    [item] = lines(env.command("audit", "--review", "--json").output)
    assert "line 1" in item["reason"] and "WH-TL-199" in item["reason"]
    assert env.fb.records("items") == [] and env.fb.records("invoices") == []

    env.command("audit", "--release", invoice["source_key"])
    replayed = env.command("replay")
    assert replayed.exit_code == 0, replayed.output
    assert [i["sku"] for i in env.fb.records("items")] == ["WH-TL-199"]
    assert [i["invoice_number"] for i in env.fb.records("invoices")] == ["ST-101"]


def test_malformed_record_is_dead_lettered_without_a_call(env: TargetEnv) -> None:
    env.fb.reset_stats()
    run = env.run(Messages().record("invoices", {"source_key": "test:invoice:9", "create_date": "2024-01-01"}))
    assert run.exit_code == 1
    [letter] = lines(env.command("audit", "--dead-letters", "--json").output)
    assert "client_source_key" in letter["error"]
    assert env.fb.writes() == 0
