"""Three days of activity at the default volume bring every kind of change, and the money rules still hold.

Everything is read back over HTTP: the export feeds resumed from the tokens saved before the activity,
and the lists for what has no export (credit memos, vendors).
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

import pytest
from activity_harness import created_after, feed_tails, modified, post_activity, resumed_feeds
from sandbox.servicetitan.activity_plan import PerDay
from sandbox.servicetitan.times import api_time, parse_time
from sandbox.testing import RunningSandbox
from st_harness import StClient, by_id, invoice_rule_violations


def list_all(st: StClient, module: str, path: str, **params: Any) -> list[dict[str, Any]]:
    body = st.ok(module, path, {**params, "pageSize": 5000})
    assert not body["hasMore"]
    return body["data"]  # type: ignore[no-any-return]


@pytest.fixture
def three_days(sandbox: RunningSandbox, st: StClient) -> dict[str, Any]:
    """Three days of default activity: the clock before, the feeds resumed, and new credit memos and vendors."""
    before = sandbox.ctx.clock.now()
    tails = feed_tails(st)
    post_activity(sandbox.st_url, {"days": 3})
    since = api_time(before)
    return {"before": before, **resumed_feeds(st, tails),
            "credit_memos": list_all(st, "accounting", "/credit-memos", modifiedOnOrAfter=since, active="Any"),
            "vendors": list_all(st, "inventory", "/vendors", modifiedOnOrAfter=since, active="Any")}


def test_every_kind_of_change_happens(three_days: dict[str, Any], st: StClient) -> None:
    changed, before = three_days, three_days["before"]
    # New customers with contacts, one at least without an email; emails of older contacts changed.
    new_customers = created_after(changed["customers"], before)
    contacts = changed["contacts"]
    emails = defaultdict(list)
    for contact in created_after(contacts, before):
        emails[contact["customerId"]].append(contact["type"])
    assert new_customers and emails
    assert any("Email" not in emails[c["id"]] for c in new_customers)
    assert any("Email" in emails[c["id"]] for c in new_customers)
    assert [c for c in contacts if c["type"] == "Email" and parse_time(c["createdOn"]) <= before]
    # New pricebook items, and a price change of an older one.
    pricebook = changed["materials"] + changed["services"] + changed["equipment"]
    assert created_after(pricebook, before)
    assert [d for d in pricebook if parse_time(d["createdOn"]) <= before]
    # New jobs invoiced with lines of every kind the seed makes.
    invoices = changed["invoices"]
    new_invoices = created_after(invoices, before)
    lines = [item for invoice in new_invoices for item in invoice["items"]]
    assert {"Service", "Material", "Equipment", "PriceModifier"} <= {item["type"] for item in lines}
    assert [item for item in lines if not item["isChargeable"]]
    assert [i for i in new_invoices if i["total"] == "0.00" and i["adjustmentToId"] is None]
    # Adjustment invoices (negative), voided invoices (their items inactive), invoices edited after the fact.
    adjustments = [i for i in new_invoices if i["adjustmentToId"] is not None]
    assert adjustments and all(Decimal(i["total"]) < 0 for i in adjustments)
    voided = [i for i in invoices if not i["active"]]
    assert voided
    voided_items = {item["id"] for invoice in voided for item in invoice["items"]}
    exported_items = by_id(changed["invoice_items"])
    assert voided_items and all(exported_items[i]["active"] is False for i in voided_items)
    edited = [i for i in invoices if i["active"]
              and any(modified(item) > parse_time(i["createdOn"]) for item in i["items"])]
    assert edited
    # Payments: full, partial, split across invoices, with unapplied remainders; refunds; credit memos.
    totals = {i["id"]: Decimal(i["total"]) for i in invoices}
    payments = created_after(changed["payments"], before)
    single = [p for p in payments if len(p["appliedTo"]) == 1 and Decimal(p["total"]) > 0]
    assert [p for p in single if Decimal(p["appliedTo"][0]["appliedAmount"]) == totals[p["appliedTo"][0]["appliedTo"]]]
    assert [p for p in single if Decimal(p["appliedTo"][0]["appliedAmount"]) < totals[p["appliedTo"][0]["appliedTo"]]]
    assert [p for p in payments if len(p["appliedTo"]) >= 2]
    assert [p for p in payments if Decimal(p["unappliedAmount"]) > 0]
    assert [p for p in payments if p["refundedPaymentId"] is not None and Decimal(p["total"]) < 0]
    assert created_after(changed["credit_memos"], before)
    # New inventory bills; suppliers' details changed.
    assert created_after(changed["inventory_bills"], before)
    assert changed["vendors"]


def test_money_rules_hold_after_activity(three_days: dict[str, Any], st: StClient) -> None:
    data = {
        "tax_zones": list_all(st, "accounting", "/tax-zones"),
        "customers": st.export_all("crm", "/export/customers")[0],
        "invoices": st.export_all("accounting", "/export/invoices")[0],
        "payments": st.export_all("accounting", "/export/payments")[0],
        "credit_memos": list_all(st, "accounting", "/credit-memos", active="Any"),
    }
    assert invoice_rule_violations(data) == []
    for payment in data["payments"]:
        applied = sum((Decimal(a["appliedAmount"]) for a in payment["appliedTo"]), Decimal(0))
        assert Decimal(payment["unappliedAmount"]) == Decimal(payment["total"]) - applied, payment["id"]
    for memo in data["credit_memos"]:
        applied = sum((Decimal(str(a["appliedAmount"])) for a in memo["appliedTo"]), Decimal(0))
        assert Decimal(str(memo["balance"])) == Decimal(str(memo["total"])) - applied, memo["id"]
    for invoice in data["invoices"]:
        paid_off = Decimal(invoice["balance"]) == 0 and Decimal(invoice["total"]) != 0 and invoice["active"]
        if parse_time(invoice["modifiedOn"]) > three_days["before"] and invoice["adjustmentToId"] is None:
            assert (invoice["paidOn"] is not None) == paid_off, invoice["id"]


ONLY_EMAILS = {kind: 0 for kind in PerDay.kinds()} | {"email_changes": 3}


@pytest.mark.parametrize("touches", [False, True])
def test_an_email_change_moves_the_customer_only_if_set_to(sandbox: RunningSandbox, st: StClient,
                                                           touches: bool) -> None:
    before = sandbox.ctx.clock.now()
    tails = feed_tails(st)
    summary = post_activity(sandbox.st_url, {"days": 1, "per_day": ONLY_EMAILS, "post_after_days": None,
                                             "email_change_touches_customer": touches})
    feeds = resumed_feeds(st, tails)
    contacts = feeds["contacts"]
    assert summary["changes"] == {"emails_changed": 3}
    assert len(contacts) == 3 and all(c["type"] == "Email" and modified(c) > before for c in contacts)
    owners = sorted({c["customerId"] for c in contacts})
    assert sorted(c["id"] for c in feeds["customers"]) == (owners if touches else [])
    assert not feeds["invoices"] and not feeds["payments"]
