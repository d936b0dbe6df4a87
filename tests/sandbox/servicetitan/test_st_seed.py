"""The seeded company: every case the end-to-end tests need exists, and the money adds up.

The rules are re-implemented here from FIDELITY.md (ServiceTitan, "Money rules"), independently of the
simulator's own `accounting` module, and checked on every seeded record (seed 42, 300 invoices).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import Any

import pytest
from sandbox.clock import DEFAULT_AS_OF
from sandbox.context import SandboxContext
from sandbox.servicetitan.data import iter_records
from sandbox.servicetitan.seed import seed_servicetitan
from sandbox.servicetitan.times import parse_time
from sandbox.store import Store
from st_harness import CENT, by_id, half_up, invoice_rule_violations, unrounded_tax

TYPICAL_START = "2026-05-01"


@pytest.fixture(scope="module")
def data(seeded_store: Store) -> dict[str, list[dict[str, Any]]]:
    kinds = ("customers", "contacts", "locations", "materials", "services", "equipment", "vendors", "invoices",
             "payments", "credit_memos", "inventory_bills", "tax_zones")
    return {kind: list(iter_records(seeded_store, kind)) for kind in kinds}


# ------------------------------------------------------------------ customers and pricebook


def test_customers_have_every_trait(data: dict[str, list[dict[str, Any]]]) -> None:
    customers = data["customers"]
    active = [c for c in customers if c["active"]]
    emails: dict[int, set[str]] = defaultdict(set)
    for contact in data["contacts"]:
        if contact["type"] == "Email" and contact["active"]:
            emails[contact["customerId"]].add(contact["value"])
    without = [c for c in active if not emails[c["id"]]]
    assert len(without) / len(active) >= 0.05
    assert max(Counter(c["name"] for c in customers).values()) >= 2, "some customers share a name"
    owners = Counter(e for values in emails.values() for e in values)
    assert any(n >= 2 for n in owners.values()), "some customers share an email"
    assert any(c["taxExempt"] for c in active)
    assert {c["type"] for c in active} == {"Residential", "Commercial"}
    assert any(len(v) >= 2 for v in emails.values()), "some customers have two emails"


def test_merged_duplicates_are_inactive_and_point_at_the_survivor(data: dict[str, list[dict[str, Any]]]) -> None:
    customers = by_id(data["customers"])
    merged = [c for c in customers.values() if not c["active"]]
    assert merged
    for duplicate in merged:
        survivor = customers[duplicate["mergedToId"]]
        assert survivor["active"] and survivor["name"] == duplicate["name"]
    assert any(not c["active"] for c in data["contacts"])


def test_every_customer_has_a_location_in_a_tax_zone(data: dict[str, list[dict[str, Any]]]) -> None:
    zones = by_id(data["tax_zones"])
    with_location = {loc["customerId"] for loc in data["locations"]}
    assert with_location == {c["id"] for c in data["customers"]}
    assert all(zones[loc["taxZoneId"]]["active"] for loc in data["locations"])


def test_pricebook_has_unique_sku_codes_and_inactive_items(data: dict[str, list[dict[str, Any]]]) -> None:
    for kind in ("materials", "services", "equipment"):
        codes = [row["code"] for row in data[kind]]
        assert all(codes) and len(codes) == len(set(codes)), kind
        assert any(not row["active"] for row in data[kind]), kind
    assert any(m["taxable"] is None for m in data["materials"]), "a material's taxable may be null"


# ------------------------------------------------------------------ invoices


def test_invoice_lines_cover_the_cases(data: dict[str, list[dict[str, Any]]]) -> None:
    invoices = data["invoices"]
    items = [i for inv in invoices for i in inv["items"]]
    assert max(len(inv["items"]) for inv in invoices) >= 4
    assert sum(len(inv["items"]) for inv in invoices) / len(invoices) > 2.5
    assert {True, False} <= {i["taxable"] for i in items}
    assert any(not i["isChargeable"] and Decimal(i["total"]) > 0 for i in items)
    assert any(i["type"] == "PriceModifier" and Decimal(i["total"]) < 0 for i in items)
    pricebook = {"Material": by_id(data["materials"]), "Service": by_id(data["services"]),
                 "Equipment": by_id(data["equipment"])}
    gone = [i for i in items if i["type"] in pricebook and i["skuId"] not in pricebook[i["type"]]]
    assert gone, "some lines name SKUs no longer in the pricebook"
    inactive = [i for i in items if i["type"] in pricebook and i["skuId"] in pricebook[i["type"]]
                and not pricebook[i["type"]][i["skuId"]]["active"]]
    assert inactive, "some lines name SKUs deactivated since"
    assert all(i["skuName"] == pricebook[i["type"]][i["skuId"]]["code"] for i in items
               if i["type"] in pricebook and i["skuId"] in pricebook[i["type"]])


def test_invoice_amounts_follow_the_rules(data: dict[str, list[dict[str, Any]]]) -> None:
    assert invoice_rule_violations(data) == []
    for invoice in data["invoices"]:
        for field in ("subTotal", "salesTax", "total", "balance"):
            assert isinstance(invoice[field], str) and len(invoice[field].split(".")[1]) == 2, invoice["id"]


def test_customer_balance_is_the_sum_of_active_invoice_balances(data: dict[str, list[dict[str, Any]]]) -> None:
    owed: dict[int, Decimal] = defaultdict(Decimal)
    for invoice in data["invoices"]:
        if invoice["active"]:
            owed[invoice["customer"]["id"]] += Decimal(invoice["balance"])
    for customer in data["customers"]:
        assert Decimal(str(customer["balance"])) == owed[customer["id"]], customer["id"]
    assert any(customer["balance"] > 0 for customer in data["customers"])


def test_tax_zones_include_multiple_and_separated_rates(data: dict[str, list[dict[str, Any]]]) -> None:
    zones = by_id(data["tax_zones"])
    multiple = [z for z in zones.values() if z["isMultipleTaxZone"] and len(z["rates"]) >= 2]
    separated = [z for z in zones.values() if z["isTaxRateSeparated"]]
    assert multiple and separated
    rates = {tuple(r["taxBaseType"]): r["taxRate"] for r in separated[0]["rates"]}
    assert rates[("Labor",)] != rates[("Material",)]
    customers = by_id(data["customers"])
    taxed_in = {inv["taxZoneId"] for inv in data["invoices"]
                if Decimal(inv["salesTax"]) > 0 and not customers[inv["customer"]["id"]]["taxExempt"]}
    assert multiple[0]["id"] in taxed_in and separated[0]["id"] in taxed_in
    mixed = [inv for inv in data["invoices"] if inv["taxZoneId"] == separated[0]["id"]
             and {"Service", "Material"} <= {i["type"] for i in inv["items"] if i["taxable"] and i["isChargeable"]}]
    assert mixed, "an invoice in the separated zone taxes labour and material at their own rates"


def test_some_taxes_end_in_half_a_cent(data: dict[str, list[dict[str, Any]]]) -> None:
    zones = by_id(data["tax_zones"])
    customers = by_id(data["customers"])
    halves = []
    for invoice in data["invoices"]:
        if customers[invoice["customer"]["id"]]["taxExempt"]:
            continue
        tax = unrounded_tax(invoice, zones[invoice["taxZoneId"]])
        if (tax * 1000) % 10 == 5:
            halves.append((tax, Decimal(invoice["salesTax"])))
    assert len(halves) >= 3
    assert all(stated == half_up(tax) for tax, stated in halves)
    assert any(half_up(tax) != tax.quantize(CENT, rounding=ROUND_HALF_EVEN) for tax, _ in halves)


def test_special_invoices_exist(data: dict[str, list[dict[str, Any]]]) -> None:
    invoices = by_id(data["invoices"])
    assert any(inv["total"] == "0.00" and inv["items"] for inv in invoices.values()), "$0 invoices"
    assert any(not inv["active"] for inv in invoices.values()), "voided invoices"
    adjustments = [inv for inv in invoices.values() if inv["adjustmentToId"] is not None]
    assert adjustments
    for adjustment in adjustments:
        original = invoices[adjustment["adjustmentToId"]]
        assert Decimal(adjustment["total"]) < 0
        assert adjustment["customer"]["id"] == original["customer"]["id"]
    old_open = [inv for inv in invoices.values() if inv["active"] and inv["invoiceDate"] < TYPICAL_START
                and Decimal(inv["balance"]) > 0]
    assert len(old_open) >= 3, "invoices before the typical start date still carry a balance"


def test_history_spans_about_two_years(data: dict[str, list[dict[str, Any]]]) -> None:
    dates = sorted(parse_time(inv["invoiceDate"]) for inv in data["invoices"])
    assert DEFAULT_AS_OF - timedelta(days=735) <= dates[0] <= DEFAULT_AS_OF - timedelta(days=700)
    assert dates[-1] <= DEFAULT_AS_OF
    latest = max(parse_time(row["modifiedOn"]) for rows in data.values() for row in rows if row.get("modifiedOn"))
    assert latest <= DEFAULT_AS_OF


# ------------------------------------------------------------------ payments, credits, bills


def test_payments_cover_the_cases(data: dict[str, list[dict[str, Any]]]) -> None:
    payments = by_id(data["payments"])
    invoices = by_id(data["invoices"])
    for payment in payments.values():
        applied = sum((Decimal(a["appliedAmount"]) for a in payment["appliedTo"]), Decimal(0))
        assert Decimal(payment["unappliedAmount"]) == Decimal(payment["total"]) - applied, payment["id"]
        assert isinstance(payment["typeId"], str)
        assert all(invoices[a["appliedTo"]]["customer"]["id"] == payment["customer"]["id"]
                   for a in payment["appliedTo"])
    paid_in_full = [i for i in invoices.values() if Decimal(i["total"]) > 0 and i["balance"] == "0.00"]
    partly = [i for i in invoices.values() if 0 < Decimal(i["balance"]) < Decimal(i["total"])]
    assert paid_in_full and partly
    assert any(len(p["appliedTo"]) >= 2 for p in payments.values()), "one payment across several invoices"
    assert any(Decimal(p["unappliedAmount"]) > 0 for p in payments.values()), "an unapplied remainder"
    refunds = [p for p in payments.values() if p["refundedPaymentId"] is not None]
    assert refunds
    for refund in refunds:
        original = payments[refund["refundedPaymentId"]]
        assert Decimal(refund["total"]) < 0 < Decimal(original["total"])
        assert refund["customer"]["id"] == original["customer"]["id"]
    assert any(r["appliedTo"] for r in refunds) and any(not r["appliedTo"] for r in refunds)


def test_credit_memos_apply_to_invoices(data: dict[str, list[dict[str, Any]]]) -> None:
    invoices = by_id(data["invoices"])
    memos = data["credit_memos"]
    assert memos
    for memo in memos:
        applied = sum((Decimal(str(a["appliedAmount"])) for a in memo["appliedTo"]), Decimal(0))
        assert Decimal(str(memo["balance"])) == Decimal(str(memo["total"])) - applied
        assert all(invoices[a["appliedTo"]]["customer"]["id"] == memo["customer"]["id"] for a in memo["appliedTo"])
    assert any(memo["balance"] > 0 for memo in memos), "a credit memo not fully applied"


def test_inventory_bills_add_up(data: dict[str, list[dict[str, Any]]]) -> None:
    vendors = by_id(data["vendors"])
    bills = data["inventory_bills"]
    assert bills
    for bill in bills:
        assert bill["vendor"]["id"] in vendors
        lines = sum((half_up(Decimal(i["quantity"]) * Decimal(i["cost"])) for i in bill["items"]), Decimal(0))
        assert Decimal(bill["billAmount"]) == lines + Decimal(bill["taxAmount"]) + Decimal(bill["shippingAmount"])
        assert sum(Decimal(i["allocatedTax"]) for i in bill["items"]) == Decimal(bill["taxAmount"])
        assert sum(Decimal(i["allocatedShipping"]) for i in bill["items"]) == Decimal(bill["shippingAmount"])


# ------------------------------------------------------------------ the seed itself


def seed_into(path: Path, **args: Any) -> tuple[dict[str, int], list[str], datetime]:
    ctx = SandboxContext.open(path, use_env=False)
    try:
        counts = seed_servicetitan(ctx, **{"customers": None, "as_of": None, **args})
        docs = [row[0] for row in ctx.store.conn.execute("SELECT doc FROM st_record ORDER BY kind, id")]
        return counts, docs, ctx.clock.now()
    finally:
        ctx.store.close()


def test_the_same_seed_gives_the_same_company(tmp_path: Path) -> None:
    first = seed_into(tmp_path / "a.db", seed=7, invoices=40)
    again = seed_into(tmp_path / "b.db", seed=7, invoices=40)
    other = seed_into(tmp_path / "c.db", seed=8, invoices=40)
    assert first == again
    assert first[1] != other[1]


def test_volume_options_and_as_of(tmp_path: Path) -> None:
    as_of = datetime(2025, 3, 15, 12, tzinfo=UTC)
    counts, _, now = seed_into(tmp_path / "d.db", seed=1, invoices=30, customers=25, as_of=as_of)
    assert counts["servicetitan invoices"] == 30
    assert counts["servicetitan customers"] == 25
    assert now == as_of
    store = Store(tmp_path / "d.db")
    try:
        assert max(inv["invoiceDate"] for inv in iter_records(store, "invoices")) <= "2025-03-15"
    finally:
        store.close()


def test_customers_default_to_a_third_of_invoices(data: dict[str, list[dict[str, Any]]]) -> None:
    assert len(data["invoices"]) == 300
    assert len(data["customers"]) == 100
