"""Accounts payable: AP bills, AP credits and AP payments, as served and as seeded.

Schemas are checked in test_st_schemas; here: paging and filters, markasexported, the seed's money
rules (re-implemented in `st_harness.ap_rule_violations`) and its special cases.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sandbox.servicetitan.data import iter_records
from sandbox.store import Store
from st_harness import StClient, ap_rule_violations

AP_LISTS = ("/ap-bills", "/ap-credits", "/ap-payments")
KINDS = ("inventory_bills", "ap_bills", "ap_credits", "ap_payments", "vendors", "gl_accounts")


@pytest.fixture(scope="module")
def data(seeded_store: Store) -> dict[str, list[dict[str, Any]]]:
    return {kind: list(iter_records(seeded_store, kind)) for kind in KINDS}


def test_seeded_accounts_payable_follow_the_money_rules(data: dict[str, list[dict[str, Any]]]) -> None:
    assert ap_rule_violations(data) == []


def test_seed_holds_every_accounts_payable_case(data: dict[str, list[dict[str, Any]]]) -> None:
    bills = {b["id"]: Decimal(b["billAmount"]) for k in ("inventory_bills", "ap_bills") for b in data[k]}
    paid: dict[int, Decimal] = {}
    for kind in ("ap_payments", "ap_credits"):
        for doc in data[kind]:
            for split in doc["splits"]:
                if doc["active"] and split["active"]:
                    paid[split["inventoryBillId"]] = paid.get(split["inventoryBillId"], Decimal(0)) + Decimal(
                        str(split["amount"]))
    ap = data["ap_bills"]
    assert len(ap) >= 6
    assert any(b["status"] == "Canceled" and b["dateCanceled"] for b in ap)
    assert any(b["items"] for b in ap) and any(not b["items"] for b in ap)
    assert all(b["expenseItems"] and b["billType"] == "ApBill" for b in ap)
    assert sum(1 for i, amount in bills.items() if paid.get(i, 0) == amount) > len(bills) / 2  # most paid in full
    assert any(0 < paid.get(i, 0) < amount for i, amount in bills.items())  # part paid
    assert any(i not in paid for i in bills)  # open
    payments, credits = data["ap_payments"], data["ap_credits"]
    assert any(p["active"] is False and p["status"] == "Cancelled" for p in payments)
    assert any(len(p["splits"]) > 1 for p in payments)
    assert {s["inventoryBillId"] for p in payments for s in p["splits"]} & {b["id"] for b in data["inventory_bills"]}
    assert {s["inventoryBillId"] for p in payments for s in p["splits"]} & {b["id"] for b in ap}
    assert any(c["active"] and 0 < c["appliedAmount"] < c["amount"] for c in credits)  # partly unapplied
    assert any(c["active"] is False and c["status"] == "Canceled" for c in credits)


def test_vendors_and_gl_accounts_are_the_tenants_own(data: dict[str, list[dict[str, Any]]]) -> None:
    vendors = {v["id"]: v["name"] for v in data["vendors"]}
    accounts = {g["id"]: g for g in data["gl_accounts"]}
    for kind in ("ap_bills", "ap_credits", "ap_payments"):
        for doc in data[kind]:
            assert vendors[doc["vendor"]["id"]] == doc["vendor"]["name"]
    for bill in data["ap_bills"]:
        for line in bill["expenseItems"]:
            gl = line["generalLedgerAccount"]
            assert accounts[gl["id"]]["type"] == "Expense"
            assert gl["number"] == accounts[gl["id"]]["number"]
    assert all(accounts[p["glAccount"]["id"]]["type"] == "Bank" for p in data["ap_payments"])


@pytest.mark.parametrize("path", AP_LISTS)
def test_pages_cover_the_list_once_with_total(st: StClient, path: str) -> None:
    everything = st.ok("accounting", path, {"pageSize": 1000, "includeTotal": "true"})
    ids: list[int] = []
    page = 1
    while True:
        body = st.ok("accounting", path, {"pageSize": 4, "page": page, "includeTotal": "true"})
        assert body["page"] == page and body["pageSize"] == 4
        assert body["totalCount"] == everything["totalCount"] == len(everything["data"])
        ids += [row["id"] for row in body["data"]]
        if not body["hasMore"]:
            break
        page += 1
    assert ids == [row["id"] for row in everything["data"]] == sorted(ids)


def test_ap_bills_take_no_sort_and_filter_by_the_specs_parameters(st: StClient) -> None:
    rows = st.ok("accounting", "/ap-bills", {"pageSize": 1000, "sort": "-ModifiedOn"})["data"]
    assert [r["id"] for r in rows] == sorted(r["id"] for r in rows)  # no sort parameter: ignored
    newest = sorted(r["modifiedOn"] for r in rows)[-3]
    changed = st.ok("accounting", "/ap-bills", {"pageSize": 1000, "modifiedOnOrAfter": newest})["data"]
    assert {r["id"] for r in changed} == {r["id"] for r in rows if r["modifiedOn"] >= newest}
    canceled = st.ok("accounting", "/ap-bills", {"statuses": "Canceled", "pageSize": 1000})["data"]
    assert canceled and all(r["status"] == "Canceled" for r in canceled)
    one = rows[0]
    assert [r["id"] for r in st.ok("accounting", "/ap-bills", {"billNumber": one["referenceNumber"]})["data"]] == [
        one["id"]]
    assert st.ok("accounting", f"/ap-bills/{one['id']}") == one
    assert st.get("accounting", "/ap-bills/1").status_code == 404


@pytest.mark.parametrize("path", ("/ap-credits", "/ap-payments"))
def test_ap_documents_sort_by_modified_on_and_filter_by_ids(st: StClient, path: str) -> None:
    rows = st.ok("accounting", path, {"pageSize": 1000, "sort": "+ModifiedOn"})["data"]
    stamps = [r["modifiedOn"] for r in rows]
    assert stamps == sorted(stamps)
    pick = [rows[0]["id"], rows[-1]["id"]]
    got = st.ok("accounting", path, {"ids": ",".join(map(str, pick))})["data"]
    assert sorted(r["id"] for r in got) == sorted(pick)


def test_mark_ap_documents_exported(st: StClient) -> None:
    bill = st.ok("accounting", "/ap-bills")["data"][0]
    answer = st.session.post(st.url("accounting", "/ap-bills/markasexported"), timeout=10,
                             json={"billIds": [bill["id"], 1]})
    assert answer.status_code == 200, answer.text
    assert [r["success"] for r in answer.json()] == [True, False]
    assert st.ok("accounting", f"/ap-bills/{bill['id']}")["syncStatus"] == "Exported"
    payment = st.ok("accounting", "/ap-payments")["data"][0]
    answer = st.session.post(st.url("accounting", "/ap-payments/markasexported"), timeout=10,
                             json=[{"apPaymentId": payment["id"], "externalId": "QB-9"}])
    assert answer.json() == [{"apPaymentId": payment["id"], "success": True, "errorMessage": None}]
    bad = st.session.post(st.url("accounting", "/ap-credits/markasexported"), timeout=10, json={"apCreditId": 1})
    assert bad.status_code == 400
