"""Journal mode: invoices, payments, refunds and credit memos as balanced journal entries; the cutover date split.

Expected amounts are computed from the ServiceTitan input records (their totals, line totals, tax, applications),
never from the mapper's own output.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from map_servicetitan_freshbooks.mapper import ServiceTitanToFreshBooksMapper
from mapper_harness import run_mapper, st_credit_memo, st_invoice, st_line, st_payment, st_refund, stream_of
from singer_sdk.exceptions import ConfigValidationError
from test_mapper_seeded import company  # noqa: F401  (the seeded company fixture)

ACCOUNTS = {
    "accounts_receivable": "1200-1",
    "undeposited_funds": "1000-2",
    "revenue_default": "4000-1",
    "sales_tax": "2200-1",
    "customer_credit": "2300-1",
    "credit_memos": "4900-1",
    "4100": "4000-2",  # ServiceTitan "Material Sales" by number
    "equipment sales": "Equipment Sales",  # by name, case-insensitive
}
JOURNAL = {"invoice_mode": "journal_entry", "journal_account_map": ACCOUNTS, "journal_cutover_date": "2024-01-01"}
MATERIAL_GL = {"id": 7009, "name": "Material Sales", "number": "4100", "type": "Income"}
EQUIPMENT_GL = {"id": 7010, "name": "Equipment Sales", "number": "4200", "type": "Income"}
SERVICE_GL = {"id": 7007, "name": "Service Revenue", "number": "4000", "type": "Income"}  # not in the map


def entry(stream: str, source: dict[str, Any], **settings: Any) -> dict[str, Any]:
    return run_mapper(stream_of(stream, source), **{**JOURNAL, **settings}).one("journal_entries")


def net(record: dict[str, Any]) -> dict[str, Decimal]:
    """Net debit per account (credits negative)."""
    totals: dict[str, Decimal] = {}
    for detail in record["details"]:
        amount = Decimal(detail.get("debit") or 0) - Decimal(detail.get("credit") or 0)
        totals[detail["account"]] = totals.get(detail["account"], Decimal(0)) + amount
    return totals


def assert_balanced(record: dict[str, Any]) -> None:
    debits = sum((Decimal(d["debit"]) for d in record["details"] if d.get("debit")), Decimal(0))
    credits = sum((Decimal(d["credit"]) for d in record["details"] if d.get("credit")), Decimal(0))
    assert debits == credits
    for detail in record["details"]:
        assert ("debit" in detail) != ("credit" in detail)
        side = detail.get("debit") or detail.get("credit")
        assert Decimal(side) > 0 and Decimal(side) == Decimal(side).quantize(Decimal("0.01"))


def test_invoice_debits_receivable_and_credits_revenue_by_gl_account_and_tax() -> None:
    items = [st_line(1, "Material", price="120.00", generalLedgerAccount=MATERIAL_GL),
             st_line(2, "Equipment", sku_id=35, price="999.99", generalLedgerAccount=EQUIPMENT_GL),
             st_line(3, "Service", sku_id=36, quantity="2", price="85.50", generalLedgerAccount=SERVICE_GL)]
    source = st_invoice(1234, items)
    record = entry("invoices", source)
    assert_balanced(record)
    assert record["source_key"] == "servicetitan:invoice:1234"
    assert record["user_entered_date"] == "2024-01-31"
    assert record["currency_code"] == "USD"
    assert net(record) == {
        "1200-1": Decimal(source["total"]),
        "4000-2": -Decimal(items[0]["total"]),
        "Equipment Sales": -Decimal(items[1]["total"]),
        "4000-1": -Decimal(items[2]["total"]),  # unmapped GL: revenue_default
        "2200-1": -Decimal(source["salesTax"]),
    }


def test_discount_and_non_chargeable_lines_and_a_total_that_differs_from_its_parts() -> None:
    items = [st_line(1, "Material", price="200.00", taxable=False),
             st_line(2, "PriceModifier", sku_id=None, price="25.00", taxable=False),
             st_line(3, "Material", sku_id=37, price="50.00", chargeable=False)]
    source = st_invoice(1300, items, zone=None, total="175.01", subTotal="175.00")
    record = entry("invoices", source, journal_account_map={**ACCOUNTS, "discounts": "4950-1"})
    assert_balanced(record)
    assert net(record) == {"1200-1": Decimal("175.01"), "4000-1": Decimal("-200.01"), "4950-1": Decimal("25.00")}


def test_payment_with_remainder_and_mapped_deposit_account() -> None:
    source = st_payment(55, [(1234, "80.00"), (1235, "15.50")], total="120.00", unappliedAmount="24.50",
                        generalLedgerAccount={"id": 7002, "name": "Operating Checking", "number": "1020"})
    record = entry("payments", source, journal_account_map={**ACCOUNTS, "1020": "1000-1"})
    assert_balanced(record)
    assert record["source_key"] == "servicetitan:payment:55"
    assert record["user_entered_date"] == "2024-02-10"
    assert net(record) == {"1000-1": Decimal("120.00"), "1200-1": Decimal("-95.50"), "2300-1": Decimal("-24.50")}


def test_refund_is_the_payment_reversed() -> None:
    source = st_refund(99, 55, [(1234, "-30.00")], unapplied="-10.00")
    record = entry("payments", source)
    assert_balanced(record)
    assert record["source_key"] == "servicetitan:payment:99"
    assert net(record) == {"1000-2": Decimal("-40.00"), "1200-1": Decimal("30.00"), "2300-1": Decimal("10.00")}


def test_customer_credit_defaults_to_receivables() -> None:
    accounts = {k: v for k, v in ACCOUNTS.items() if k != "customer_credit"}
    source = st_payment(56, [(1234, "60.00")], total="100.00", unappliedAmount="40.00")
    record = entry("payments", source, journal_account_map=accounts)
    assert net(record) == {"1000-2": Decimal("100.00"), "1200-1": Decimal("-100.00")}


def test_credit_memo_debits_the_credit_account_and_tax_and_credits_receivables() -> None:
    source = st_credit_memo(7, [(1234, 30.0)], total=54.33, sales_tax=4.33)
    record = entry("credit_memos", source)
    assert_balanced(record)
    assert record["source_key"] == "servicetitan:creditmemo:7"
    assert net(record) == {"4900-1": Decimal("50.00"), "2200-1": Decimal("4.33"), "1200-1": Decimal("-30.00"),
                           "2300-1": Decimal("-24.33")}


def test_voided_invoice_is_sent_inactive() -> None:
    record = entry("invoices", st_invoice(1234, active=False))
    assert record["active"] is False


def test_pending_invoice_is_a_timing_skip_in_journal_entries() -> None:
    record = entry("invoices", st_invoice(1234, syncStatus="Pending"))
    assert record["skip_category"] == "timing"


def test_cutover_splits_the_modes() -> None:
    before = st_invoice(1, invoiceDate="2024-05-31T20:00:00Z")
    after = st_invoice(2, invoiceDate="2024-06-01T20:00:00Z")
    journal = run_mapper(stream_of("invoices", before, after), **{**JOURNAL, "journal_cutover_date": "2024-06-01"})
    records = journal.records("journal_entries")
    assert [r["source_key"] for r in records] == ["servicetitan:invoice:1", "servicetitan:invoice:2"]
    assert records[0]["skip_reason"] == "before journal_cutover_date, kept in invoice mode"
    assert records[0]["skip_category"] == "filtered"
    assert "skip_reason" not in records[1] and records[1]["details"]
    assert not journal.records("invoices")
    invoice_mode = run_mapper(stream_of("invoices", before, after), journal_cutover_date="2024-06-01")
    invoices = invoice_mode.records("invoices")
    assert invoices[0].get("skip_reason") is None and invoices[0]["lines"]
    assert invoices[1]["skip_reason"].startswith("on or after journal_cutover_date")
    assert not invoice_mode.records("journal_entries")


def test_default_mode_is_invoice() -> None:
    out = run_mapper(stream_of("invoices", st_invoice(1234)))
    assert out.streams == {"invoices"}


@pytest.mark.parametrize(("settings", "named"), [
    ({"invoice_mode": "journal_entry", "journal_account_map": ACCOUNTS}, "journal_cutover_date"),
    ({"invoice_mode": "journal_entry", "journal_cutover_date": "2024-01-01",
      "journal_account_map": {"accounts_receivable": "1200-1"}}, "undeposited_funds"),
    ({"journal_cutover_date": "June 1"}, "journal_cutover_date"),
])
def test_journal_mode_refuses_incomplete_settings(settings: dict[str, Any], named: str) -> None:
    with pytest.raises(ConfigValidationError, match=named):
        ServiceTitanToFreshBooksMapper(config={"business_timezone": "America/New_York", **settings})


@pytest.mark.parametrize("seed", range(25))
def test_random_invoices_balance(seed: int) -> None:
    import random

    rng = random.Random(seed)
    items = [st_line(n, rng.choice(["Material", "Service", "Equipment", "PriceModifier"]), sku_id=30 + n,
                     quantity=str(rng.randint(1, 4)), price=f"{rng.randint(1, 99999) / 100:.2f}",
                     taxable=rng.random() < 0.7,
                     generalLedgerAccount=rng.choice([MATERIAL_GL, EQUIPMENT_GL, SERVICE_GL, None]))
             for n in range(1, rng.randint(2, 8))]
    source = st_invoice(2000 + seed, items)
    record = entry("invoices", source)
    assert_balanced(record)
    assert net(record)["1200-1"] == Decimal(source["total"])


# The seeded company: per month and per account, the entries add up to ServiceTitan's documents -------------

SEEDED_ACCOUNTS = {"accounts_receivable": "AR", "undeposited_funds": "CASH", "revenue_default": "REV",
                   "sales_tax": "TAX", "customer_credit": "CREDIT", "credit_memos": "MEMOS"}


def test_seeded_company_totals_per_month_and_account(company) -> None:  # noqa: F811
    from collections import defaultdict
    from zoneinfo import ZoneInfo

    from map_servicetitan_freshbooks.values import BusinessCalendar
    from test_mapper_seeded import TAP_ORDER

    messages = [message for stream in TAP_ORDER for message in stream_of(stream, *company[stream])]
    out = run_mapper(messages, business_timezone="America/New_York", invoice_mode="journal_entry",
                     journal_cutover_date="2000-01-01", journal_account_map=SEEDED_ACCOUNTS,
                     invoice_sync_statuses=["Pending", "Posted", "Exported"])
    records = [r for r in out.records("journal_entries") if not r.get("skip_reason")]
    assert records and not out.records("invoices") and not out.records("payments")
    got: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for record in records:
        assert_balanced(record)
        if record["active"] is False:
            continue
        for account, amount in net(record).items():
            got[(record["user_entered_date"][:7], account)] += amount

    calendar = BusinessCalendar(ZoneInfo("America/New_York"))
    expected: dict[tuple[str, str], Decimal] = defaultdict(Decimal)

    def month(doc: dict[str, Any], *fields: str) -> str:
        return calendar.date_of(next(doc[f] for f in fields if doc.get(f))).isoformat()[:7]

    def applied(doc: dict[str, Any]) -> Decimal:
        return sum((Decimal(str(a["appliedAmount"])) for a in doc.get("appliedTo") or []), Decimal(0))

    for invoice in company["invoices"]:
        if invoice["active"] is False:
            continue
        period = month(invoice, "invoiceDate", "createdOn")
        expected[(period, "AR")] += Decimal(invoice["total"])
        expected[(period, "TAX")] -= Decimal(invoice["salesTax"])
    for payment in company["payments"]:
        if payment["active"] is False:
            continue
        period = month(payment, "date", "createdOn")
        expected[(period, "CASH")] += Decimal(payment["total"])
        expected[(period, "AR")] -= applied(payment)
        expected[(period, "CREDIT")] -= Decimal(payment["total"]) - applied(payment)
    for memo in company["credit_memos"]:
        if memo["active"] is False:
            continue
        period = month(memo, "date", "createdOn")
        total = Decimal(str(memo["total"]))
        expected[(period, "TAX")] += Decimal(str(memo["salesTax"]))
        expected[(period, "AR")] -= applied(memo)
        expected[(period, "CREDIT")] -= total - applied(memo)
    for account in ("AR", "TAX", "CASH", "CREDIT"):
        mine = {k: v for k, v in got.items() if k[1] == account and v}
        theirs = {k: v for k, v in expected.items() if k[1] == account and v}
        assert mine == theirs, account
