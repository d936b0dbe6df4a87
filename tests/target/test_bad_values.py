"""Values FreshBooks would refuse or misread are caught before any call: the record is dead-lettered with a
message naming it, the field and the fix; the records and STATE messages after it go on. Negative lines
(returned parts) are written; an invoice that totals below zero is written as the client's credit (a credit
note), never as an invoice FreshBooks would show as paid."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from target_freshbooks.ledger.store import Ledger
from target_freshbooks.settings import Settings
from target_harness import Messages, TargetEnv, TargetRun, usd
from target_records import records

BEFORE_STATE = {"bookmarks": {"invoices": "before"}}
AFTER_STATE = {"bookmarks": {"invoices": "after"}}
Change = Callable[[dict[str, Any]], None]


def run_around(env: TargetEnv, stream: str, bad: dict[str, Any]) -> TargetRun:
    """Tax, clients, items, STATE, the bad record, invoice ST-100, STATE."""
    data = records()
    messages = Messages().record("taxes", data["taxes"][0])
    for client in data["clients"]:
        messages.record("clients", client)
    for item in data["items"]:
        messages.record("items", item)
    messages.state(BEFORE_STATE).record(stream, bad).record("invoices", data["invoices"][0]).state(AFTER_STATE)
    return env.run(messages)


def open_letters(env: TargetEnv) -> list[Any]:
    ledger = Ledger(env.config["ledger_url"])
    try:
        return ledger.dead_letters(Settings.from_config(env.config).tenant)
    finally:
        ledger.close()


def assert_dead_lettered_and_run_went_on(env: TargetEnv, run: TargetRun, stream: str, key: str,
                                         *fragments: str) -> str:
    assert run.exit_code == 1
    assert run.states == [BEFORE_STATE, AFTER_STATE]
    assert "ST-100" in [i["invoice_number"] for i in env.fb.records("invoices")]
    [letter] = open_letters(env)
    assert (letter.stream, letter.source_key) == (stream, key)
    assert letter.error.startswith(f"{stream} record {key!r}: ")
    for fragment in fragments:
        assert fragment in letter.error
    audit = env.command("audit", "--dead-letters")
    assert key in audit.output and fragments[0] in audit.output
    return letter.error


def new_client(**fields: Any) -> dict[str, Any]:
    return {"source_key": "test:customer:3", "organization": "Harbor Vet", "currency_code": "USD", **fields}


def invoice_101(change: Change) -> dict[str, Any]:
    invoice = records()["invoices"][1]
    change(invoice)
    return invoice


def set_line(field: str, value: Any) -> Change:
    return lambda invoice: invoice["lines"][0].__setitem__(field, value)


def set_header(field: str, value: Any) -> Change:
    return lambda invoice: invoice.__setitem__(field, value)


def test_unknown_currency_code_on_a_record(env: TargetEnv) -> None:
    run = run_around(env, "clients", new_client(currency_code="XYZ"))

    assert_dead_lettered_and_run_went_on(env, run, "clients", "test:customer:3", "field 'currency_code'",
                                         "'XYZ', not an ISO 4217 currency code", "fix the currency in the producer")
    assert "Harbor Vet" not in [c["organization"] for c in env.fb.records("clients")]


def test_lower_case_currency_code_says_how_to_write_it(env: TargetEnv) -> None:
    run = run_around(env, "clients", new_client(currency_code="usd"))

    assert_dead_lettered_and_run_went_on(env, run, "clients", "test:customer:3", "field 'currency_code'",
                                         "write it 'USD'")


@pytest.mark.parametrize(("change", "fragments"), [
    (set_line("unit_cost", {"amount": "149.00", "code": "XYZ"}),
     ("field 'lines[0].unit_cost.code'", "'XYZ', not an ISO 4217 currency code")),
    (set_header("create_date", "2026-13-45"),
     ("field 'create_date'", "'2026-13-45', not a real date written YYYY-MM-DD")),
    (set_header("create_date", "05/03/2024"), ("field 'create_date'", "not a real date")),
    (set_line("qty", "two"), ("field 'lines[0].qty'", "'two', not a quantity or amount FreshBooks can read")),
    (set_line("qty", "1,000"), ("field 'lines[0].qty'", "no thousands separators")),
    (set_line("unit_cost", {"amount": "149,00", "code": "USD"}), ("field 'lines[0].unit_cost.amount'",)),
    (set_line("taxAmount1", "150"), ("field 'lines[0].taxAmount1'", "percents between 0 and 100")),
    (set_header("discount_value", "ten"), ("field 'discount_value'", "not a percent")),
    (set_line("name", "Drain cleaning " * 20), ("field 'lines[0].name'", "is 300 characters long",
                                                "at most 255 characters")),
    (set_header("notes", "n" * 5001), ("field 'notes'", "5001 characters long", "at most 5000 characters")),
], ids=["money-currency", "impossible-date", "us-date", "qty-word", "qty-thousands", "amount-comma",
        "percent-range", "discount-word", "long-line-name", "long-notes"])
def test_invoice_value_freshbooks_would_refuse_or_misread(env: TargetEnv, change: Change,
                                                          fragments: tuple[str, ...]) -> None:
    env.fb.reset_stats()

    run = run_around(env, "invoices", invoice_101(change))

    assert_dead_lettered_and_run_went_on(env, run, "invoices", "test:invoice:101", *fragments)
    assert [i["invoice_number"] for i in env.fb.records("invoices")] == ["ST-100"]


def test_over_long_client_name(env: TargetEnv) -> None:
    run = run_around(env, "clients", new_client(organization="Harbor Veterinary Clinic " * 12))

    assert_dead_lettered_and_run_went_on(env, run, "clients", "test:customer:3", "field 'organization'",
                                         "is 300 characters long", "shorten it in the producer")


def test_a_returned_part_is_written_as_a_negative_line_of_a_positive_invoice(env: TargetEnv) -> None:
    returned = {"name": "Drain cleaning (returned visit)", "qty": "-1", "unit_cost": usd("149.00")}
    invoice = invoice_101(lambda i: i["lines"].append(returned))

    run = run_around(env, "invoices", invoice)

    assert run.exit_code == 0
    assert run.states == [BEFORE_STATE, AFTER_STATE]
    written = next(i for i in env.fb.records("invoices") if i["invoice_number"] == "ST-101")
    assert Decimal(written["amount"]["amount"]) == Decimal("149.00")  # 2 x 149.00 - 1 x 149.00
    assert Decimal(written["outstanding"]["amount"]) == Decimal("149.00")
    assert written["v3_status"] != "paid"


def test_an_invoice_totalling_below_zero_is_written_as_the_clients_credit(env: TargetEnv) -> None:
    negative = invoice_101(set_line("unit_cost", usd("-50.00")))  # 2 x -50.00 = -100.00

    run = run_around(env, "invoices", negative)

    assert run.exit_code == 0 and run.states == [BEFORE_STATE, AFTER_STATE]
    assert [i["invoice_number"] for i in env.fb.records("invoices")] == ["ST-100"]  # never a "paid" -100.00 invoice
    [note] = env.fb.records("credit_notes")
    assert note["credit_number"] == "ST-101" and Decimal(note["amount"]["amount"]) == Decimal("100.00")
    priya = next(c for c in env.fb.records("clients") if c.get("fname") == "Priya")
    owed = env.fb.side.receivables()["clients"][str(priya["id"])]
    assert Decimal(owed["balance"]) == Decimal("-100.00")

    # Edited back above zero: the credit note goes, the invoice comes.
    positive = invoice_101(set_line("unit_cost", usd("50.00")))
    assert run_around(env, "invoices", positive).exit_code == 0
    assert env.fb.records("credit_notes") == []
    assert Decimal(env.fb.side.receivables()["clients"][str(priya["id"])]["balance"]) == Decimal("100.00")


def test_a_credit_note_totalling_below_zero_is_refused_before_the_call(env: TargetEnv) -> None:
    credit = {"source_key": "test:creditmemo:7", "client_source_key": "test:customer:2", "credit_number": "CM-7",
              "create_date": "2024-05-03", "currency_code": "USD",
              "lines": [{"name": "Goodwill", "qty": "1", "unit_cost": usd("-25.00")}], "applications": []}

    run = run_around(env, "credit_notes", credit)

    assert_dead_lettered_and_run_went_on(env, run, "credit_notes", "test:creditmemo:7",
                                         "field 'lines' total -25.00", "refuses a credit note with a negative total")
    assert env.fb.records("credit_notes") == []


def test_a_deletion_is_not_held_back_by_the_values_it_carries(env: TargetEnv) -> None:
    invoice = records()["invoices"][1]
    assert run_around(env, "invoices", invoice).exit_code == 0
    deleted = {**invoice, "active": False, "currency_code": "XYZ"}

    run = env.run(Messages().record("invoices", deleted))

    assert run.exit_code == 0
    assert [i["invoice_number"] for i in env.fb.records("invoices")] == ["ST-100"]
