"""Closed periods (`books_closed_through`): a change to an invoice dated in the closed period is posted as an
adjustment dated on the day of the change, and the closed invoice is never written again.

Every expectation is arithmetic on the hand-written records (what the invoice's lines add up to), never a
figure taken from the target.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from target_freshbooks.errors import ConfigError
from target_harness import Messages, TargetEnv, authorized_env, usd
from target_records import catalog, expected_total, records

CLOSED = "2024-06-30"  # invoice ST-100 is dated 2024-05-01, ST-101 2024-05-03: both in the closed period
INVOICE_100 = expected_total(records()["invoices"][0])  # 6 x 3.40 taxed 7.25 % + 149.00


def data_with(invoice: dict[str, Any] | None = None) -> dict[str, list[dict[str, Any]]]:
    data = records()
    data["payments"] = []
    if invoice is not None:
        data["invoices"] = [invoice if r["source_key"] == invoice["source_key"] else r for r in data["invoices"]]
    return data


def invoice_100(**changes: Any) -> dict[str, Any]:
    return {**copy.deepcopy(records()["invoices"][0]), **changes}


def drain_cleaning(qty: str) -> dict[str, Any]:
    return {"name": "Drain cleaning", "qty": qty, "unit_cost": usd("149.00"), "item_source_key": "test:service:20"}


def copper(qty: str) -> dict[str, Any]:
    return {"name": "1/2in copper elbow", "qty": qty, "unit_cost": usd("3.40"), "taxName1": "County Sales Tax",
            "taxAmount1": "7.25", "item_source_key": "test:material:10"}


def invoices_numbered(env: TargetEnv, number: str) -> list[dict[str, Any]]:
    return [r for r in env.fb.records("invoices") if r["invoice_number"] == number]


def credit_notes_numbered(env: TargetEnv, number: str) -> list[dict[str, Any]]:
    return [r for r in env.fb.records("credit_notes") if r["credit_number"] == number]


def client_balance(env: TargetEnv, organization: str) -> Decimal:
    client = next(c for c in env.fb.records("clients") if c.get("organization") == organization)
    row = env.fb.side.receivables()["clients"].get(str(client["id"]), {"balance": "0"})
    return Decimal(row["balance"])


def trail(env: TargetEnv, source_key: str) -> list[dict[str, Any]]:
    result = env.command("audit", "--source-key", source_key, "--json")
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.output.splitlines() if line.strip()]


def first_run(env: TargetEnv) -> dict[str, Any]:
    """ST-100 and ST-101 written as they were when the period was still open."""
    assert env.run(catalog(data_with())).exit_code == 0
    [original] = invoices_numbered(env, "ST-100")
    assert Decimal(original["amount"]["amount"]) == INVOICE_100
    return original


def assert_untouched(env: TargetEnv, before: dict[str, Any]) -> None:
    [now] = invoices_numbered(env, "ST-100")
    assert now["id"] == before["id"]
    assert Decimal(now["amount"]["amount"]) == INVOICE_100
    assert now["updated"] == before["updated"]
    assert len(env.fb.invoice(now["id"])["lines"]) == 2


def rerun_writes_nothing(env: TargetEnv, messages: Messages, **extra: Any) -> None:
    env.fb.reset_stats()
    assert env.run(messages, **extra).exit_code == 0
    assert env.fb.writes() == 0


def test_edit_raising_the_total_posts_an_extra_invoice_dated_the_change(env: TargetEnv, tmp_path: Path) -> None:
    original = first_run(env)
    edited = invoice_100(change_date="2024-07-15", lines=[copper("6"), drain_cleaning("2")])
    new_total = expected_total(edited)  # one more drain cleaning: 149.00 more
    assert new_total - INVOICE_100 == Decimal("149.00")
    messages = catalog(data_with(edited))
    run = env.run(messages, books_closed_through=CLOSED)
    assert run.exit_code == 0

    assert_untouched(env, original)
    [extra] = invoices_numbered(env, "ST-100-ADJ1")
    assert extra["create_date"] == "2024-07-15"
    assert Decimal(extra["amount"]["amount"]) == new_total - INVOICE_100
    assert extra["v3_status"] != "draft"  # counted in accounts receivable
    assert extra["customerid"] == original["customerid"]
    assert "[test:invoice:100:adjustment:1]" in extra["notes"]
    assert env.fb.records("credit_notes") == []
    assert client_balance(env, "Millbrook Dental") == new_total

    entries = trail(env, "test:invoice:100")
    [posted] = [e for e in entries if e["action"] == "closed_period_adjustment"]
    assert posted["source_key"] == "test:invoice:100" and posted["freshbooks_id"] == str(extra["id"])
    assert "ST-100-ADJ1" in posted["detail"] and "test:invoice:100:adjustment:1" in posted["detail"]
    [adjusts] = [e for e in entries if e["action"] == "adjusts"]
    assert adjusts["source_key"] == "test:invoice:100:adjustment:1"
    assert adjusts["freshbooks_id"] == str(original["id"]) and "test:invoice:100" in adjusts["detail"]

    rerun_writes_nothing(env, messages, books_closed_through=CLOSED)

    # A lost ledger: the invoice is adopted as it is, nothing is created.
    (tmp_path / "lost").mkdir()
    fresh = authorized_env(env.sandbox, tmp_path / "lost")
    fresh.fb.reset_stats()
    assert fresh.run(messages, books_closed_through=CLOSED).exit_code == 0
    assert env.sandbox.ctx.fb_stats.count("POST", "/accounting/") == 0
    assert len(invoices_numbered(env, "ST-100-ADJ1")) == 1

    # A further edit with that new ledger: the earlier adjustment is found in FreshBooks (number and marker),
    # so only the new difference is posted.
    again = invoice_100(change_date="2024-08-01", lines=[copper("6"), drain_cleaning("3")])
    assert fresh.run(catalog(data_with(again)), books_closed_through=CLOSED).exit_code == 0
    [second] = invoices_numbered(env, "ST-100-ADJ2")
    assert Decimal(second["amount"]["amount"]) == expected_total(again) - new_total
    assert second["create_date"] == "2024-08-01"
    assert_untouched(env, original)
    assert client_balance(env, "Millbrook Dental") == expected_total(again)


def test_edit_lowering_the_total_posts_a_credit_note(env: TargetEnv) -> None:
    original = first_run(env)
    edited = invoice_100(lines=[copper("2"), drain_cleaning("1")])  # four copper elbows fewer
    new_total = expected_total(edited)
    messages = catalog(data_with(edited))
    today_before = dt.datetime.now(dt.UTC).date()
    assert env.run(messages, books_closed_through=CLOSED).exit_code == 0
    today_after = dt.datetime.now(dt.UTC).date()

    assert_untouched(env, original)
    assert invoices_numbered(env, "ST-100-ADJ1") == []
    [note] = credit_notes_numbered(env, "ST-100-ADJ1")
    assert note["credit_type"] == "goodwill"
    assert Decimal(note["amount"]["amount"]) == INVOICE_100 - new_total
    assert note["create_date"] in (today_before.isoformat(), today_after.isoformat())  # no change_date: today
    assert note["clientid"] == original["customerid"]
    assert client_balance(env, "Millbrook Dental") == new_total
    rerun_writes_nothing(env, messages, books_closed_through=CLOSED)


def test_delete_in_the_closed_period_credits_the_whole_invoice(env: TargetEnv, tmp_path: Path) -> None:
    original = first_run(env)
    deleted = invoice_100(active=False, change_date="2024-07-20")
    messages = catalog(data_with(deleted))
    assert env.run(messages, books_closed_through=CLOSED).exit_code == 0

    assert_untouched(env, original)  # still there, not deleted
    [note] = credit_notes_numbered(env, "ST-100-ADJ1")
    assert Decimal(note["amount"]["amount"]) == INVOICE_100
    assert note["create_date"] == "2024-07-20"
    assert client_balance(env, "Millbrook Dental") == Decimal("0")
    rerun_writes_nothing(env, messages, books_closed_through=CLOSED)

    (tmp_path / "lost").mkdir()
    fresh = authorized_env(env.sandbox, tmp_path / "lost")
    fresh.fb.reset_stats()
    assert fresh.run(messages, books_closed_through=CLOSED).exit_code == 0
    assert fresh.fb.writes() == 0
    assert len(credit_notes_numbered(env, "ST-100-ADJ1")) == 1


def test_change_date_inside_the_closed_period_posts_on_its_first_open_day(env: TargetEnv) -> None:
    first_run(env)
    edited = invoice_100(change_date="2024-06-10", lines=[copper("6"), drain_cleaning("2")])
    assert env.run(catalog(data_with(edited)), books_closed_through=CLOSED).exit_code == 0
    [extra] = invoices_numbered(env, "ST-100-ADJ1")
    assert extra["create_date"] == "2024-07-01"


def test_change_outside_the_closed_period_updates_in_place(env: TargetEnv) -> None:
    original = first_run(env)
    edited = invoice_100(lines=[copper("6"), drain_cleaning("2")])
    assert env.run(catalog(data_with(edited)), books_closed_through="2024-04-30").exit_code == 0
    [now] = invoices_numbered(env, "ST-100")
    assert now["id"] == original["id"]
    assert Decimal(now["amount"]["amount"]) == expected_total(edited)
    assert invoices_numbered(env, "ST-100-ADJ1") == [] and env.fb.records("credit_notes") == []
    assert client_balance(env, "Millbrook Dental") == expected_total(edited)


@pytest.mark.parametrize("value", ["2024-13-01", "June 30 2024", "2024-6-30"])
def test_invalid_setting_is_refused_naming_it(env: TargetEnv, value: str) -> None:
    with pytest.raises(ConfigError, match="books_closed_through must be a date YYYY-MM-DD"):
        env.run(catalog(data_with()), books_closed_through=value)
    assert env.fb.records("invoices") == []
