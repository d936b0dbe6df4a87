"""Taxes, expense categories, bill vendors, bills, journal entries, and the side door's direct edits."""

from __future__ import annotations

from typing import Any

import pytest
from sandbox.freshbooks.testing import FreshBooksApi, SideDoor


def usd(amount: str) -> dict[str, str]:
    return {"amount": amount, "code": "USD"}


def test_taxes_crud_and_http_delete(fb: FreshBooksApi) -> None:
    tax = fb.create("taxes/taxes", "tax", {"name": "NYC", "amount": "4.5", "number": "NY-1"})
    assert (tax["taxid"], tax["amount"], tax["compound"]) == (tax["id"], "4.5", False)
    assert [t["id"] for t in fb.list("taxes/taxes", "taxes", "search[name]=ny")] == [tax["id"]]
    response = fb.delete(f"taxes/taxes/{tax['id']}")
    assert (response.status_code, response.json()) == (200, {"response": {}})
    assert fb.get(f"taxes/taxes/{tax['id']}").status_code == 404
    assert fb.post("taxes/taxes", {"tax": {"amount": "5"}}).json()["response"]["errors"][0]["field"] == "name"


def test_items_refer_to_existing_taxes(fb: FreshBooksApi) -> None:
    refused = fb.post("items/items", {"item": {"name": "Pipe", "tax1": 999}})
    assert refused.json()["response"]["errors"][0]["field"] == "tax1"
    tax = fb.create("taxes/taxes", "tax", {"name": "State", "amount": "4"})
    item = fb.create("items/items", "item", {"name": "Pipe", "tax1": str(tax["id"]), "unit_cost": usd("3.2")})
    assert (item["tax1"], item["tax2"], item["unit_cost"]) == (tax["id"], 0, usd("3.20"))


def test_expense_categories_are_read_only(fb: FreshBooksApi, side: SideDoor) -> None:
    parent = side.create("categories", {"category": "Car & Truck Expenses"})
    child = side.create("categories", {"category": "Fuel", "parentid": parent["id"]})
    assert [c["id"] for c in fb.list("expenses/categories", "categories", "search[name]=fuel")] == [child["id"]]
    assert fb.fetch("expenses/categories", "category", child["id"])["parentid"] == parent["id"]
    assert fb.post("expenses/categories", {"category": {"category": "New"}}).status_code == 405
    assert fb.put(f"expenses/categories/{child['id']}", {"category": {"category": "X"}}).status_code == 405


def test_bill_vendors_are_keyed_by_vendorid(fb: FreshBooksApi) -> None:
    vendor = fb.create("bill_vendors/bill_vendors", "bill_vendor", {"vendor_name": "Ferguson Enterprises",
                                                                    "primary_contact_email": "ap@ferguson.example"})
    assert "id" not in vendor
    assert vendor["currency_code"] == "USD"
    got = fb.fetch("bill_vendors/bill_vendors", "bill_vendor", vendor["vendorid"])
    assert got["vendor_name"] == "Ferguson Enterprises"
    assert fb.post("bill_vendors/bill_vendors", {"bill_vendor": {"phone": "1"}}).json()["response"]["errors"][0][
        "field"] == "vendor_name"


def test_bills_compute_amounts_and_need_categories(fb: FreshBooksApi, side: SideDoor) -> None:
    category = side.create("categories", {"category": "Materials & Parts", "is_cogs": True})
    vendor = fb.create("bill_vendors/bill_vendors", "bill_vendor", {"vendor_name": "Hajoca"})
    bill = fb.create("bills/bills", "bill", {
        "vendorid": vendor["vendorid"], "issue_date": "2026-10-01", "due_offset_days": 30, "bill_number": "H-77",
        "lines": [{"categoryid": category["id"], "description": "Copper", "quantity": "10",
                   "unit_cost": usd("3.25"), "tax_name1": "NYC", "tax_percent1": "8.875"}],
    })
    assert (bill["amount"], bill["tax_amount"], bill["total_amount"]) == (usd("32.50"), usd("2.88"), usd("35.38"))
    assert (bill["due_date"], bill["status"], bill["outstanding"]) == ("2026-10-31", "unpaid", usd("35.38"))
    assert bill["lines"][0]["category"]["category"] == "Materials & Parts"
    assert [b["id"] for b in fb.list("bills/bills", "bills", f"search[vendorid]={vendor['vendorid']}")] == \
        [bill["id"]]
    no_category = fb.post("bills/bills", {"bill": {"vendorid": vendor["vendorid"], "lines": [{"quantity": "1"}]}})
    assert no_category.json()["response"]["errors"][0]["field"] == "categoryid"


@pytest.fixture
def accounts(side: SideDoor) -> dict[str, int]:
    def account(name: str, kind: str, sub_id: int) -> int:
        side.create("journal_entry_accounts", {"account_name": name, "account_type": kind, "sub_accounts": [
            {"id": sub_id, "sub_accountid": sub_id, "account_sub_name": name, "balance": "0.00"}]})
        return sub_id
    return {"inventory": account("Inventory Asset", "asset", 2260001),
            "cogs": account("Cost of Materials", "cost_of_goods_sold", 2260002),
            "equity": account("Owner Investment", "equity", 2260003)}


def test_journal_entries_must_balance(fb: FreshBooksApi, accounts: dict[str, int]) -> None:
    body: dict[str, Any] = {"name": "Inventory adjustment", "currency_code": "USD", "user_entered_date": "2026-10-31",
                            "details": [{"sub_accountid": str(accounts["cogs"]), "debit": "125.40"},
                                        {"sub_accountid": accounts["inventory"], "credit": "125.40"}]}
    entry = fb.create("journal_entries/journal_entries", "journal_entry", body)
    assert entry["entryid"] == entry["id"]
    assert [(d["sub_accountid"], d["debit"], d["credit"]) for d in entry["details"]] == [
        (accounts["cogs"], "125.4", None), (accounts["inventory"], None, "125.4")]
    balances = {a["sub_accounts"][0]["sub_accountid"]: a["balance"]
                for a in fb.list("journal_entry_accounts/journal_entry_accounts", "journal_entry_accounts")}
    assert balances == {accounts["inventory"]: "-125.40", accounts["cogs"]: "125.40", accounts["equity"]: "0.00"}

    body["details"][1]["credit"] = "125.00"
    unbalanced = fb.post("journal_entries/journal_entries", {"journal_entry": body})
    assert unbalanced.status_code == 422
    assert unbalanced.json()["response"]["errors"][0]["message"] == "Debits (125.4) must equal credits (125)."
    body["details"][1] = {"sub_accountid": 1, "credit": "125.40"}
    assert fb.post("journal_entries/journal_entries", {"journal_entry": body}).json()["response"]["errors"][0][
        "field"] == "sub_accountid"


def test_journal_entries_are_create_only(fb: FreshBooksApi, accounts: dict[str, int]) -> None:
    assert fb.get("journal_entries/journal_entries").status_code == 405
    assert fb.get("journal_entries/journal_entries/1").status_code == 405


def test_side_door_edits_bypass_the_api_rules(fb: FreshBooksApi, side: SideDoor, make_invoice: Any) -> None:
    invoice = make_invoice([{"name": "Job", "qty": "1", "unit_cost": usd("100.00")}], sent=True)
    fb.update("invoices/invoices", "invoice", invoice["id"], {"vis_state": 1})
    # A bookkeeper edits a deleted invoice by hand; amounts still follow the lines.
    edited = side.update("invoices", invoice["id"], {"notes": "fixed by hand",
                                                     "lines": [{"name": "Job", "qty": 2, "unit_cost": usd("60")}]})
    assert (edited["notes"], edited["amount"]["amount"], edited["vis_state"]) == ("fixed by hand", "120.00", 1)
    assert side.record("invoices", invoice["id"])["lines"][0]["amount"] == usd("120.00")
    assert fb.list("invoices/invoices", "invoices") == []

    client = side.create("clients", {"organization": "No email, no rules", "email": "not an email"})
    assert fb.fetch("users/clients", "client", client["id"])["email"] == "not an email"
    side.delete("clients", client["id"])
    assert fb.get(f"users/clients/{client['id']}").status_code == 404
