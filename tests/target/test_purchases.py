"""Purchases: bill vendors matched against one listing per run (name variant, email, account number) or
held for review, bills with expense categories (parked on a vendor in review, edited, voided), and bill
payments (cash and vendor credit) lowering what is owed; reruns and a lost ledger write nothing."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from target_freshbooks.lease import LEASE_NAME
from target_harness import Messages, TargetEnv, authorize_target, usd

from sandbox import credentials

VENDORS_LIST = f"GET /accounting/account/{credentials.FB_ACCOUNT_ID}/bill_vendors/bill_vendors"


def lines(output: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def vendor_listings(env: TargetEnv) -> int:
    return int(env.sandbox.ctx.fb_stats.snapshot()["calls"].get(VENDORS_LIST, 0))


def money(value: dict[str, Any] | None) -> Decimal:
    return Decimal(str((value or {}).get("amount") or "0"))


def bill(env: TargetEnv, number: str, *, active_only: bool = True) -> dict[str, Any]:
    [found] = [b for b in env.fb.records("bills", active_only=active_only) if b["bill_number"] == number]
    return found


def vendor_outstanding(env: TargetEnv, vendor_id: int) -> Decimal:
    vendor = env.fb.api.fetch("bill_vendors/bill_vendors", "bill_vendor", vendor_id)
    return sum((money(row["amount"]) for row in vendor["outstanding_balance"]), Decimal(0))


def vendor_of(env: TargetEnv, source_key: str) -> dict[str, Any]:
    [found] = [v for v in env.fb.records("bill_vendors") if f"[{source_key}]" in (v.get("note") or "")]
    return found


VENDOR = {"source_key": "servicetitan:vendor:9", "vendor_name": "Brightline HVAC Supply", "on_missing": "create",
          "primary_contact_email": "orders@brightline-hvac.example", "currency_code": "USD"}


def purchase_bill(number: str = "INV-7781", **extra: Any) -> dict[str, Any]:
    return {
        "source_key": "servicetitan:inventorybill:77", "vendor_source_key": VENDOR["source_key"],
        "bill_number": number, "issue_date": "2024-05-02", "due_offset_days": 30, "currency_code": "USD",
        "lines": [
            {"description": "CU-12 Copper line set 1/2in", "quantity": "2", "unit_cost": usd("45.50"),
             "category": "Materials & Parts"},
            {"description": "CMP-3T Condenser 3 ton", "quantity": "1", "unit_cost": usd("310.00"),
             "category": "Equipment Purchases", "tax_name1": "Sales Tax", "tax_percent1": "8.875"},
            {"description": "Delivery fuel surcharge", "quantity": "3", "unit_cost": usd("12.25"), "category": "Fuel"},
        ],
        **extra,
    }


# 2 x 45.50 + 310.00 + 8.875% of 310.00 (27.5125 → 27.51) + 3 x 12.25
BILL_TOTAL = Decimal("91.00") + Decimal("310.00") + Decimal("27.51") + Decimal("36.75")
SECOND_BILL = {"source_key": "servicetitan:inventorybill:78", "vendor_source_key": VENDOR["source_key"],
               "bill_number": "INV-7790", "issue_date": "2024-05-06", "due_offset_days": 30,
               "lines": [{"description": "Duct crew, 1 day", "quantity": "1", "unit_cost": usd("200.00"),
                          "category": "Subcontractors"}]}
CASH = {"source_key": "servicetitan:appayment:80", "paid_date": "2024-05-20", "payment_type": "Check",
        "note": "AP payment 80", "applications": [
            {"source_key": "servicetitan:appayment:80:bill:inventorybill:77",
             "bill_source_key": "servicetitan:inventorybill:77", "amount": usd("300.00")},
            {"source_key": "servicetitan:appayment:80:bill:inventorybill:78",
             "bill_source_key": "servicetitan:inventorybill:78", "amount": usd("50.00")}]}
CREDIT = {"source_key": "servicetitan:apcredit:81", "paid_date": "2024-05-22", "payment_type": "Credit",
          "note": "AP credit 81 (returned parts)", "applications": [
              {"source_key": "servicetitan:apcredit:81:bill:inventorybill:77",
               "bill_source_key": "servicetitan:inventorybill:77", "amount": usd("40.00")}]}


def purchases(second_bill: dict[str, Any] = SECOND_BILL) -> Messages:
    return (Messages().record("bill_vendors", VENDOR).record("bills", purchase_bill()).record("bills", second_bill)
            .record("bill_payments", CASH).record("bill_payments", CREDIT))


def test_vendors_match_by_name_variant_email_and_account_number_from_one_listing(seeded_env: TargetEnv) -> None:
    fb = seeded_env.fb
    acme = fb.side.create("bill_vendors", {"vendor_name": "ACME Supply, Inc.", "currency_code": "USD"})
    northside = fb.side.create("bill_vendors", {"vendor_name": "Northside Electrical Distributors",
                                                "primary_contact_email": "AP@Northside-Elec.example"})
    ferguson = fb.side.create("bill_vendors", {"vendor_name": "Ferguson #1123", "account_number": "FG-5521"})
    pinnacle = next(v for v in fb.records("bill_vendors") if v["vendor_name"] == "Pinnacle Fleet Leasing")
    messages = (Messages()
                .record("bill_vendors", {"source_key": "st:vendor:1", "vendor_name": "Acme Supply"})
                .record("bill_vendors", {"source_key": "st:vendor:2", "vendor_name": "Northside Electric",
                                         "primary_contact_email": "ap@northside-elec.example"})
                .record("bill_vendors", {"source_key": "st:vendor:3", "vendor_name": "Ferguson Enterprises",
                                         "account_number": "FG-5521"})
                .record("bill_vendors", {"source_key": "st:vendor:4", "vendor_name": "PINNACLE FLEET LEASING CO."}))
    vendors_before = fb.records("bill_vendors", active_only=False)
    fb.reset_stats()

    run = seeded_env.run(messages)

    assert run.exit_code == 0
    assert run.counts("bill_vendors") == {"adopted": 4}
    assert fb.writes() == 0  # adoption writes nothing
    assert vendor_listings(seeded_env) == 1  # four vendors, one listing
    assert fb.records("bill_vendors", active_only=False) == vendors_before
    expected = {"st:vendor:1": (acme, "normalised name 'acmesupply'"),
                "st:vendor:2": (northside, "email ap@northside-elec.example"),
                "st:vendor:3": (ferguson, "account number 'FG-5521'"),
                "st:vendor:4": (pinnacle, "normalised name 'pinnaclefleetleasing'")}
    for key, (vendor, rule) in expected.items():
        trail = lines(seeded_env.command("audit", "--source-key", key, "--json").output)
        [adopt] = [row for row in trail if row["action"] == "adopt"]
        assert adopt["freshbooks_id"] == str(vendor["vendorid"]) and rule in adopt["detail"], adopt

    fb.reset_stats()
    again = seeded_env.run(messages)
    assert again.counts("bill_vendors") == {"unchanged": 4}
    assert fb.writes() == 0 and vendor_listings(seeded_env) == 0  # all known from the ledger


def test_unknown_vendor_is_held_its_bill_parked_and_release_then_replay_lands_both(seeded_env: TargetEnv) -> None:
    fb = seeded_env.fb
    vendor = {**VENDOR, "on_missing": "review"}
    messages = Messages().record("bill_vendors", vendor).record("bills", purchase_bill())
    bills_before = fb.records("bills")

    run = seeded_env.run(messages)

    assert run.exit_code == 0
    assert run.counts("bill_vendors") == {"review": 1}
    assert run.counts("bills") == {"parked": 1}
    assert not [v for v in fb.records("bill_vendors") if v["vendor_name"] == vendor["vendor_name"]]
    [item] = lines(seeded_env.command("audit", "--review", "--json").output)
    assert item["source_key"] == vendor["source_key"] and item["released"] is False
    reason = item["reason"]
    for part in ("'Brightline HVAC Supply' is not in FreshBooks", "email orders@brightline-hvac.example",
                 "with the name 'Brightline HVAC Supply'", f"audit --release {vendor['source_key']}",
                 "target-freshbooks replay", "missing_vendor_policy to create"):
        assert part in reason, reason
    [parked] = lines(seeded_env.command("audit", "--parked", "--json").output)
    assert parked["source_key"] == "servicetitan:inventorybill:77"
    assert parked["waiting_on"] == f"bill_vendors {vendor['source_key']}" and reason in parked["reason"]

    fb.reset_stats()
    rerun = seeded_env.run(messages)  # still waiting for a person: nothing written
    assert rerun.counts("bill_vendors") == {"review": 1} and rerun.counts("bills") == {"parked": 1}
    assert fb.writes() == 0

    assert seeded_env.command("audit", "--release", vendor["source_key"]).exit_code == 0
    replayed = seeded_env.command("replay")

    assert replayed.exit_code == 0, replayed.output
    assert f"released review: bill_vendors {vendor['source_key']} → created" in replayed.output
    created = vendor_of(seeded_env, vendor["source_key"])
    assert created["vendor_name"] == "Brightline HVAC Supply"
    [new_bill] = [b for b in fb.records("bills") if b not in bills_before]
    assert new_bill["vendorid"] == created["vendorid"] and new_bill["bill_number"] == "INV-7781"
    assert lines(seeded_env.command("audit", "--review", "--json").output) == []
    assert lines(seeded_env.command("audit", "--parked", "--json").output) == []

    fb.reset_stats()
    after = seeded_env.run(messages)  # the same records later: known now
    assert after.counts("bill_vendors") == {"unchanged": 1} and after.counts("bills") == {"unchanged": 1}
    assert fb.writes() == 0


def test_bill_lines_with_categories_total_then_edit_and_void(seeded_env: TargetEnv) -> None:
    fb = seeded_env.fb
    categories = {c["category"]: c["id"] for c in fb.records("categories")}

    run = seeded_env.run(Messages().record("bill_vendors", VENDOR).record("bills", purchase_bill()))

    assert run.counts("bill_vendors") == {"created": 1} and run.counts("bills") == {"created": 1}
    vendor = vendor_of(seeded_env, VENDOR["source_key"])
    written = bill(seeded_env, "INV-7781")
    assert written["vendorid"] == vendor["vendorid"]
    assert money(written["total_amount"]) == BILL_TOTAL
    assert [line["categoryid"] for line in written["lines"]] == [
        categories["Materials & Parts"], categories["Equipment Purchases"], categories["Fuel"]]
    assert vendor_outstanding(seeded_env, vendor["vendorid"]) == BILL_TOTAL

    edited = purchase_bill()
    edited["lines"] = edited["lines"][:2]
    edited["lines"][0] = {**edited["lines"][0], "quantity": "3"}
    run = seeded_env.run(Messages().record("bills", edited))

    assert run.counts("bills") == {"updated": 1}
    after = bill(seeded_env, "INV-7781")
    assert after["id"] == written["id"] and len(after["lines"]) == 2
    assert money(after["total_amount"]) == Decimal("136.50") + Decimal("310.00") + Decimal("27.51")

    fb.reset_stats()
    run = seeded_env.run(Messages().record("bills", {"source_key": edited["source_key"], "active": False}))

    assert run.counts("bills") == {"deleted": 1}
    assert [b for b in fb.records("bills") if b["bill_number"] == "INV-7781"] == []
    assert bill(seeded_env, "INV-7781", active_only=False)["vis_state"] == 1
    assert vendor_outstanding(seeded_env, vendor["vendorid"]) == 0


def test_unknown_category_dead_letters_the_bill_naming_the_categories(seeded_env: TargetEnv) -> None:
    wrong = purchase_bill()
    wrong["lines"][2] = {**wrong["lines"][2], "category": "Shipping & Delivery"}

    run = seeded_env.run(Messages().record("bill_vendors", VENDOR).record("bills", wrong))

    assert run.counts("bills") == {"failed": 1}
    [letter] = lines(seeded_env.command("audit", "--dead-letters", "--json").output)
    assert "line 3: expense category 'Shipping & Delivery' is not in FreshBooks" in letter["error"]
    assert "Materials & Parts" in letter["error"] and "Subcontractors" in letter["error"]
    assert [b for b in seeded_env.fb.records("bills") if b["bill_number"] == "INV-7781"] == []


def test_bill_payments_cash_and_credit_lower_what_is_owed_reruns_and_lost_ledger_write_nothing(
        seeded_env: TargetEnv) -> None:
    fb = seeded_env.fb

    run = seeded_env.run(purchases())

    assert run.exit_code == 0
    assert run.counts("bill_payments") == {"created": 2}
    payments = fb.records("bill_payments")
    assert sorted((p["payment_type"], money(p["amount"])) for p in payments) == [
        ("Check", Decimal("50.00")), ("Check", Decimal("300.00")), ("Credit", Decimal("40.00"))]
    assert all(f"[{CASH['source_key']}:" in p["note"] or f"[{CREDIT['source_key']}:" in p["note"] for p in payments)
    first, second = bill(seeded_env, "INV-7781"), bill(seeded_env, "INV-7790")
    assert money(first["outstanding"]) == BILL_TOTAL - Decimal("300.00") - Decimal("40.00")
    assert money(second["outstanding"]) == Decimal("150.00")
    vendor = vendor_of(seeded_env, VENDOR["source_key"])
    owed = BILL_TOTAL - Decimal("340.00") + Decimal("150.00")
    assert vendor_outstanding(seeded_env, vendor["vendorid"]) == owed

    fb.reset_stats()
    rerun = seeded_env.run(purchases())
    assert fb.writes() == 0
    for stream in ("bill_vendors", "bills", "bill_payments"):
        assert set(rerun.counts(stream)) == {"unchanged"}, stream

    # The second bill is voided: its bill payment goes first, then the bill; the cash record then leaves it out.
    voided = Messages().record("bills", {"source_key": SECOND_BILL["source_key"], "active": False})
    assert seeded_env.run(voided).counts("bills") == {"deleted": 1}
    assert sorted(money(p["amount"]) for p in fb.records("bill_payments")) == [Decimal("40.00"), Decimal("300.00")]
    assert vendor_outstanding(seeded_env, vendor["vendorid"]) == BILL_TOTAL - Decimal("340.00")
    everything = purchases({"source_key": SECOND_BILL["source_key"], "active": False})
    fb.reset_stats()
    seeded_env.run(everything)
    assert fb.writes() == 0

    # A lost ledger: everything is found again in FreshBooks (vendor marker, bill numbers, payment markers).
    counts = {r: len(fb.records(r)) for r in ("bill_vendors", "bills", "bill_payments")}
    for path in seeded_env.tmp_path.glob("ledger.db*"):
        path.unlink()
    authorize_target(seeded_env.config, seeded_env.tmp_path)
    fb.reset_stats()
    lost = seeded_env.run(everything)

    assert lost.exit_code == 0
    assert fb.writes() == 0
    assert {r: len(fb.records(r)) for r in counts} == counts
    assert lost.counts("bill_vendors") == {"adopted": 1}
    assert lost.counts("bills") == {"adopted": 1, "unchanged": 1}  # the voided one: nothing to delete
    assert lost.counts("bill_payments") == {"adopted": 2}
    assert vendor_outstanding(seeded_env, vendor["vendorid"]) == BILL_TOTAL - Decimal("340.00")


def test_inactive_bill_payment_gives_the_amount_back_and_the_lease_vendor_is_never_matched(
        seeded_env: TargetEnv) -> None:
    fb = seeded_env.fb
    seeded_env.run(purchases())  # a writing run: the account's lease vendor exists now
    assert [v for v in fb.records("bill_vendors") if v["vendor_name"] == LEASE_NAME]

    run = seeded_env.run(Messages().record("bill_payments", {**CREDIT, "active": False}))

    assert run.counts("bill_payments") == {"deleted": 1}
    assert money(bill(seeded_env, "INV-7781")["outstanding"]) == BILL_TOTAL - Decimal("300.00")

    lease_like = {"source_key": "st:vendor:lease", "vendor_name": LEASE_NAME.upper(), "on_missing": "review"}
    fb.reset_stats()
    held = seeded_env.run(Messages().record("bill_vendors", lease_like))
    assert held.counts("bill_vendors") == {"review": 1}  # not the lease, even by its normalised name
    assert fb.writes() == 0


def bad_tax_line() -> dict[str, Any]:
    wrong = purchase_bill()
    wrong["lines"][1] = {**wrong["lines"][1], "tax_percent1": "108"}
    return wrong


@pytest.mark.parametrize(("stream", "record", "problem"), [
    ("bills", purchase_bill(issue_date="2024-02-30"), "field 'issue_date' is '2024-02-30', not a real date"),
    ("bills", purchase_bill(due_offset_days="thirty"), "field 'due_offset_days' is 'thirty', not a whole number"),
    ("bills", bad_tax_line(), "field 'lines[1].tax_percent1' is '108': FreshBooks takes percents between 0 and 100"),
    ("bill_payments", {**CASH, "paid_date": "20/05/2024"}, "field 'paid_date' is '20/05/2024', not a real date"),
    ("bill_payments", {**CASH, "payment_type": "Wire"}, "payment_type 'Wire' is not one of FreshBooks' payment types"),
])
def test_bill_values_freshbooks_would_refuse_are_dead_lettered_before_any_write(
        seeded_env: TargetEnv, stream: str, record: dict[str, Any], problem: str) -> None:
    messages = Messages().record("bill_vendors", VENDOR)
    if stream == "bill_payments":
        messages.record("bills", purchase_bill())
    before = seeded_env.fb.records(stream)

    run = seeded_env.run(messages.record(stream, record))

    assert run.counts(stream) == {"failed": 1}
    [letter] = lines(seeded_env.command("audit", "--dead-letters", "--json").output)
    assert letter["source_key"] == record["source_key"] and problem in letter["error"], letter
    assert seeded_env.fb.records(stream) == before


def test_a_bill_payment_behind_a_bill_behind_a_vendor_in_review_is_left_behind_for_review(
        seeded_env: TargetEnv, capsys: pytest.CaptureFixture[str]) -> None:
    """The summary follows the chain: the payment waits on a parked bill, which waits on a person."""
    vendor = {**VENDOR, "on_missing": "review"}
    cash = {**CASH, "applications": CASH["applications"][:1]}
    messages = (Messages().record("bill_vendors", vendor).record("bills", purchase_bill())
                .record("bill_payments", cash))

    run = seeded_env.run(messages)

    assert run.counts("bills") == {"parked": 1} and run.counts("bill_payments") == {"parked": 1}
    summary = capsys.readouterr().err
    [payment_row] = [line for line in summary.splitlines() if line.lstrip().startswith("review") and
                     "bill_payments" in line]
    assert "waiting on bills which are parked, waiting in turn on records in review" in payment_row, summary
    assert not [line for line in summary.splitlines() if line.lstrip().startswith("timing")], summary
