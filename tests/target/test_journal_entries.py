"""`journal_entries`: balanced, create-only journal entries against the seeded FreshBooks chart of accounts;
reruns post nothing, corrections reverse and repost, a lost ledger is rebuilt from the details ledger, and a
document already written in invoice mode is refused."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from target_freshbooks.ledger.store import Ledger
from target_harness import Messages, TargetEnv, authorize_target

from sandbox import credentials

INVOICE = "servicetitan:invoice:1234"
PAYMENT = "servicetitan:payment:55"


def lines_of(output: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.splitlines() if line.strip().startswith("{")]


def detail(account: str, side: str, amount: str, description: str = "") -> dict[str, str]:
    return {"account": account, side: amount, "description": description}


def invoice_entry(total: str = "108.88", tax: str = "8.88", **fields: Any) -> dict[str, Any]:
    revenue = str(Decimal(total) - Decimal(tax))
    return {"source_key": INVOICE, "name": "ST-11234", "description": "ServiceTitan invoice 11234 (id 1234)",
            "currency_code": "USD", "user_entered_date": "2024-01-31",
            "details": [detail("1200-1", "debit", total, "Accounts receivable"),
                        detail("Service Revenue", "credit", revenue, "Service"),
                        detail("2200-1", "credit", tax, "Sales tax")], **fields}


def payment_entry() -> dict[str, Any]:
    return {"source_key": PAYMENT, "name": "ServiceTitan payment 55", "description": "ServiceTitan payment 55",
            "currency_code": "USD", "user_entered_date": "2024-02-10",
            "details": [detail("Undeposited Funds", "debit", "120.00"), detail("1200-1", "credit", "108.88"),
                        detail("Accounts Receivable", "credit", "11.12")]}


def chart(env: TargetEnv) -> dict[int, str]:
    """sub_accountid → sub-account number."""
    return {sub["sub_accountid"]: sub["account_sub_number"]
            for account in env.fb.records("journal_entry_accounts") for sub in account["sub_accounts"]}


def entries(env: TargetEnv, key: str | None = None) -> list[dict[str, Any]]:
    rows = sorted(env.fb.records("journal_entries"), key=lambda e: e["id"])
    return [e for e in rows if key is None or f"[{key}#" in e["description"]]


def net_by_account(env: TargetEnv, key: str) -> dict[str, Decimal]:
    numbers = chart(env)
    totals: dict[str, Decimal] = {}
    for entry in entries(env, key):
        for d in entry["details"]:
            number = numbers[d["sub_accountid"]]
            totals[number] = totals.get(number, Decimal(0)) + Decimal(d["debit"] or 0) - Decimal(d["credit"] or 0)
    return {number: amount for number, amount in totals.items() if amount}


def assert_balanced(entry: dict[str, Any]) -> None:
    debits = sum((Decimal(d["debit"]) for d in entry["details"] if d["debit"]), Decimal(0))
    credits = sum((Decimal(d["credit"]) for d in entry["details"] if d["credit"]), Decimal(0))
    assert debits == credits > 0


def test_a_run_posts_balanced_entries_and_a_rerun_posts_nothing(seeded_env: TargetEnv) -> None:
    messages = Messages().record("journal_entries", invoice_entry()).record("journal_entries", payment_entry())
    run = seeded_env.run(messages)
    assert run.exit_code == 0
    assert run.counts("journal_entries") == {"created": 2}
    posted = entries(seeded_env)
    assert len(posted) == 2
    for entry in posted:
        assert_balanced(entry)
    assert posted[0]["user_entered_date"] == "2024-01-31" and posted[0]["name"] == "ST-11234"
    assert posted[0]["description"].endswith(f"[{INVOICE}#1]")
    assert all(d["description"].endswith(f"[{INVOICE}#1]") for d in posted[0]["details"])
    assert net_by_account(seeded_env, INVOICE) == {"1200-1": Decimal("108.88"), "4000-1": Decimal("-100.00"),
                                                   "2200-1": Decimal("-8.88")}
    assert net_by_account(seeded_env, PAYMENT) == {"1000-2": Decimal("120.00"), "1200-1": Decimal("-120.00")}

    seeded_env.fb.reset_stats()
    again = seeded_env.run(messages)
    assert again.counts("journal_entries") == {"unchanged": 2}
    assert seeded_env.fb.writes() == 0
    # A new description alone posts nothing either: only what the entry posts counts.
    seeded_env.run(Messages().record("journal_entries", invoice_entry(description="edited text")))
    assert seeded_env.fb.writes() == 0


def test_a_correction_reverses_then_reposts_and_inactive_reverses(seeded_env: TargetEnv) -> None:
    seeded_env.run(Messages().record("journal_entries", invoice_entry()))
    changed = invoice_entry(total="217.76", tax="17.76", user_entered_date="2024-02-01")
    run = seeded_env.run(Messages().record("journal_entries", changed))
    assert run.counts("journal_entries") == {"updated": 1}
    first, reversal, second = entries(seeded_env, INVOICE)
    for entry in (first, reversal, second):
        assert_balanced(entry)
    assert reversal["description"].startswith(f"Reversal of journal entry {first['id']}")
    assert f"[{INVOICE}#1:reversal]" in reversal["description"]
    assert reversal["user_entered_date"] == first["user_entered_date"] == "2024-01-31"
    assert sorted((d["sub_accountid"], d["credit"], d["debit"]) for d in first["details"]) == sorted(
        (d["sub_accountid"], d["debit"], d["credit"]) for d in reversal["details"])
    assert second["description"].endswith(f"[{INVOICE}#2]") and second["user_entered_date"] == "2024-02-01"
    assert net_by_account(seeded_env, INVOICE) == {"1200-1": Decimal("217.76"), "4000-1": Decimal("-200.00"),
                                                   "2200-1": Decimal("-17.76")}
    seeded_env.fb.reset_stats()
    assert seeded_env.run(Messages().record("journal_entries", changed)).counts("journal_entries") == {
        "unchanged": 1}
    assert seeded_env.fb.writes() == 0

    voided = seeded_env.run(Messages().record("journal_entries", {**changed, "active": False}))
    assert voided.counts("journal_entries") == {"deleted": 1}
    assert len(entries(seeded_env, INVOICE)) == 4
    assert net_by_account(seeded_env, INVOICE) == {}
    seeded_env.fb.reset_stats()
    seeded_env.run(Messages().record("journal_entries", {**changed, "active": False}))
    assert seeded_env.fb.writes() == 0


def test_a_lost_ledger_is_rebuilt_from_journal_entry_details(seeded_env: TargetEnv) -> None:
    messages = Messages().record("journal_entries", invoice_entry()).record("journal_entries", payment_entry())
    seeded_env.run(messages)
    seeded_env.run(Messages().record("journal_entries", invoice_entry(total="54.44", tax="4.44")))
    assert len(entries(seeded_env)) == 4

    lost = {**seeded_env.config, "ledger_url": f"sqlite:///{seeded_env.tmp_path / 'new-ledger.db'}"}
    authorize_target(lost, seeded_env.tmp_path)
    seeded_env.fb.reset_stats()
    rerun = seeded_env.run(Messages().record("journal_entries", invoice_entry(total="54.44", tax="4.44"))
                           .record("journal_entries", payment_entry()), ledger_url=lost["ledger_url"])
    assert rerun.counts("journal_entries") == {"unchanged": 2}
    assert seeded_env.fb.writes() == 0

    # The rebuilt ledger knows what entry 2 posted, so a correction reverses exactly that.
    seeded_env.run(Messages().record("journal_entries", invoice_entry(total="10.88", tax="0.88")),
                   ledger_url=lost["ledger_url"])
    assert net_by_account(seeded_env, INVOICE) == {"1200-1": Decimal("10.88"), "4000-1": Decimal("-10.00"),
                                                   "2200-1": Decimal("-0.88")}
    assert entries(seeded_env, INVOICE)[-1]["description"].endswith(f"[{INVOICE}#3]")


def test_a_document_written_in_invoice_mode_is_refused(seeded_env: TargetEnv) -> None:
    ledger = Ledger(seeded_env.config["ledger_url"])
    try:
        ledger.account("default", credentials.FB_ACCOUNT_ID).save_mapping("invoices", INVOICE, "940001", "x",
                                                                          origin="created")
    finally:
        ledger.close()
    run = seeded_env.run(Messages().record("journal_entries", invoice_entry()))
    assert run.counts("journal_entries") == {"failed": 1}
    assert entries(seeded_env) == []
    [letter] = lines_of(seeded_env.command("audit", "--dead-letters", "--json").output)
    assert "invoice mode" in letter["error"] and "journal_cutover_date" in letter["error"]


def test_unknown_account_and_unbalanced_entry_are_dead_lettered(seeded_env: TargetEnv) -> None:
    unknown = invoice_entry()
    unknown["details"][1]["account"] = "Consulting Income"
    unbalanced = {**invoice_entry(), "source_key": "servicetitan:invoice:9"}
    unbalanced["details"][0]["debit"] = "108.87"
    run = seeded_env.run(Messages().record("journal_entries", unknown).record("journal_entries", unbalanced))
    assert run.counts("journal_entries") == {"failed": 2}
    letters = {row["source_key"]: row["error"]
               for row in lines_of(seeded_env.command("audit", "--dead-letters", "--json").output)}
    assert "'Consulting Income' is not in the FreshBooks chart of accounts" in letters[INVOICE]
    assert "does not balance" in letters["servicetitan:invoice:9"]
    assert entries(seeded_env) == []


def test_a_document_posted_as_a_journal_entry_is_refused_in_invoice_mode(seeded_env: TargetEnv) -> None:
    assert seeded_env.run(Messages().record("journal_entries", invoice_entry())).exit_code == 0
    invoice = {"source_key": INVOICE, "client_source_key": "servicetitan:customer:1", "invoice_number": "ST-11234",
               "create_date": "2024-01-31", "lines": [{"name": "Service", "qty": "1",
                                                        "unit_cost": {"amount": "100.00", "code": "USD"}}]}
    seeded_env.fb.reset_stats()
    run = seeded_env.run(Messages().record("invoices", invoice))
    assert run.counts("invoices") == {"failed": 1}
    assert seeded_env.fb.writes() == 0
    [letter] = lines_of(seeded_env.command("audit", "--dead-letters", "--json").output)
    assert "journal entry" in letter["error"] and "journal_cutover_date" in letter["error"]
