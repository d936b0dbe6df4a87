"""Bill payments: they move their bill's paid/outstanding/status, vendors' balances and the payables view.

The simulated clock stands at 2026-10-31 (US/Eastern) in an empty sandbox.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests
from sandbox.freshbooks.testing import FreshBooksApi, SideDoor

BILLS = "bills/bills"
BILL_PAYMENTS = "bill_payments/bill_payments"
VENDORS = "bill_vendors/bill_vendors"


def usd(amount: str) -> dict[str, str]:
    return {"amount": amount, "code": "USD"}


@pytest.fixture
def category(side: SideDoor) -> int:
    return int(side.create("categories", {"category": "Materials & Parts", "is_cogs": True})["id"])


@pytest.fixture
def make_vendor(fb: FreshBooksApi) -> Any:
    def make(name: str = "Hajoca") -> int:
        return int(fb.create(VENDORS, "bill_vendor", {"vendor_name": name})["vendorid"])
    return make


@pytest.fixture
def make_bill(fb: FreshBooksApi, category: int, make_vendor: Any) -> Any:
    """A bill of one untaxed line for `total` (issued 2026-10-20, due in 30 days unless told)."""
    def make(total: str = "100.00", vendorid: int | None = None, **fields: Any) -> dict[str, Any]:
        fields.setdefault("issue_date", "2026-10-20")
        fields.setdefault("due_offset_days", 30)
        return fb.create(BILLS, "bill", {
            "vendorid": vendorid or make_vendor(), "bill_number": "B-1", **fields,
            "lines": [{"categoryid": category, "description": "Copper", "quantity": "1", "unit_cost": usd(total)}],
        })
    return make


def pay(fb: FreshBooksApi, bill_id: int, amount: str, payment_type: str = "Check", **fields: Any) -> dict[str, Any]:
    return fb.create(BILL_PAYMENTS, "bill_payment", {"billid": bill_id, "amount": usd(amount),
                                                     "paid_date": "2026-10-25", "payment_type": payment_type,
                                                     **fields})


def bill_of(fb: FreshBooksApi, bill_id: int) -> dict[str, Any]:
    return fb.fetch(BILLS, "bill", bill_id)


def state(bill: dict[str, Any]) -> tuple[str, str, str]:
    return bill["status"], bill["paid"]["amount"], bill["outstanding"]["amount"]


def error_of(response: requests.Response) -> dict[str, Any]:
    assert response.status_code == 422, response.text
    return dict(response.json()["response"]["errors"][0])


def payables(side: SideDoor) -> dict[str, Any]:
    response = requests.get(f"{side.fb_url}/_sandbox/accounts_payable", timeout=10)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_bill_payments_crud_and_bill_status(fb: FreshBooksApi, make_bill: Any) -> None:
    bill = make_bill("100.00")
    assert state(bill) == ("unpaid", "0.00", "100.00")
    assert bill["bill_payments"] == []

    first = pay(fb, bill["id"], "40", note="check 1001")
    assert (first["billid"], first["amount"], first["paid_date"], first["payment_type"], first["note"],
            first["vis_state"]) == (bill["id"], usd("40.00"), "2026-10-25", "Check", "check 1001", 0)
    assert fb.fetch(BILL_PAYMENTS, "bill_payment", first["id"]) == first
    partial = bill_of(fb, bill["id"])
    assert state(partial) == ("partial", "40.00", "60.00")
    assert partial["bill_payments"] == [first]

    second = pay(fb, bill["id"], "60.00", payment_type="bank transfer")
    assert second["payment_type"] == "Bank Transfer"
    assert state(bill_of(fb, bill["id"])) == ("paid", "100.00", "0.00")

    changed = fb.update(BILL_PAYMENTS, "bill_payment", first["id"], {"amount": usd("30.00"), "paid_date": "2026-10-26",
                                                                     "payment_type": "ACH", "note": "moved"})
    assert (changed["amount"], changed["paid_date"], changed["payment_type"], changed["note"]) == \
        (usd("30.00"), "2026-10-26", "ACH", "moved")
    assert state(bill_of(fb, bill["id"])) == ("partial", "90.00", "10.00")

    # Delete by PUT vis_state 1, then by HTTP DELETE: the bill walks back to unpaid.
    fb.update(BILL_PAYMENTS, "bill_payment", second["id"], {"vis_state": 1})
    back = bill_of(fb, bill["id"])
    assert state(back) == ("partial", "30.00", "70.00")
    assert [p["id"] for p in back["bill_payments"]] == [first["id"]]
    response = fb.delete(f"{BILL_PAYMENTS}/{first['id']}")
    assert (response.status_code, response.json()) == (200, {"response": {}})
    unpaid = bill_of(fb, bill["id"])
    assert state(unpaid) == ("unpaid", "0.00", "100.00")
    assert unpaid["bill_payments"] == []
    assert fb.fetch(BILL_PAYMENTS, "bill_payment", first["id"])["vis_state"] == 1
    assert fb.list(BILL_PAYMENTS, "bill_payments", f"search[billid]={bill['id']}") == []
    deleted = fb.list(BILL_PAYMENTS, "bill_payments", f"search[billid]={bill['id']}&search[vis_state]=1")
    assert sorted(p["id"] for p in deleted) == sorted([first["id"], second["id"]])

    # Restoring a bill payment pays the bill again.
    fb.update(BILL_PAYMENTS, "bill_payment", second["id"], {"vis_state": 0})
    assert state(bill_of(fb, bill["id"])) == ("partial", "60.00", "40.00")


def test_overdue_bill_goes_partial_and_back(fb: FreshBooksApi, make_bill: Any) -> None:
    bill = make_bill("80.00", issue_date="2026-09-01", due_offset_days=30)
    assert (bill["due_date"], bill["status"]) == ("2026-10-01", "overdue")
    payment = pay(fb, bill["id"], "20.00")
    assert state(bill_of(fb, bill["id"])) == ("partial", "20.00", "60.00")
    fb.update(BILL_PAYMENTS, "bill_payment", payment["id"], {"amount": usd("80.00")})
    assert state(bill_of(fb, bill["id"])) == ("paid", "80.00", "0.00")
    fb.delete(f"{BILL_PAYMENTS}/{payment['id']}")
    assert state(bill_of(fb, bill["id"])) == ("overdue", "0.00", "80.00")


def test_list_filters(fb: FreshBooksApi, make_bill: Any, make_vendor: Any) -> None:
    vendor_a, vendor_b = make_vendor("A Supply"), make_vendor("B Supply")
    bill_a1, bill_a2 = make_bill("10.00", vendorid=vendor_a), make_bill("20.00", vendorid=vendor_a)
    bill_b = make_bill("30.00", vendorid=vendor_b)
    p_a1, p_a2, p_b = pay(fb, bill_a1["id"], "5"), pay(fb, bill_a2["id"], "20"), pay(fb, bill_b["id"], "1")

    def ids(query: str) -> list[int]:
        return [p["id"] for p in fb.list(BILL_PAYMENTS, "bill_payments", query)]

    assert ids("") == [p_a1["id"], p_a2["id"], p_b["id"]]
    assert ids(f"search[billid]={bill_a2['id']}") == [p_a2["id"]]
    assert ids(f"search[vendorid]={vendor_a}") == [p_a1["id"], p_a2["id"]]
    assert ids(f"search[vendorid]={vendor_b}") == [p_b["id"]]
    assert ids(f"search[billids][]={bill_a1['id']}&search[billids][]={bill_b['id']}") == [p_a1["id"], p_b["id"]]
    assert [b["id"] for b in fb.list(BILLS, "bills", "search[statuses][]=paid")] == [bill_a2["id"]]
    assert [b["id"] for b in fb.list(BILLS, "bills", "search[statuses][]=partial")] == [bill_a1["id"], bill_b["id"]]


def test_refusals(fb: FreshBooksApi, make_bill: Any) -> None:
    bill = make_bill("50.00")
    over = error_of(fb.post(BILL_PAYMENTS, {"bill_payment": {"billid": bill["id"], "amount": usd("50.01")}}))
    assert (over["errno"], over["field"], over["object"]) == (1004, "amount", "bill_payment")
    assert "exceeds the bill's outstanding amount (50.00)" in over["message"]
    for amount in ("0", "-5.00", "0.001"):
        refused = error_of(fb.post(BILL_PAYMENTS, {"bill_payment": {"billid": bill["id"], "amount": usd(amount)}}))
        assert (refused["field"], refused["message"]) == ("amount", "Bill payment amount must be greater than zero.")
    kind = error_of(fb.post(BILL_PAYMENTS, {"bill_payment": {"billid": bill["id"], "amount": usd("1"),
                                                             "payment_type": "Barter"}}))
    assert (kind["errno"], kind["field"]) == (1004, "payment_type")
    assert error_of(fb.post(BILL_PAYMENTS, {"bill_payment": {"amount": usd("1")}}))["field"] == "billid"
    assert error_of(fb.post(BILL_PAYMENTS, {"bill_payment": {"billid": bill["id"]}}))["field"] == "amount"
    missing = error_of(fb.post(BILL_PAYMENTS, {"bill_payment": {"billid": 999, "amount": usd("1")}}))
    assert (missing["errno"], missing["field"], missing["message"]) == (1012, "billid", "Bill not found.")
    currency = error_of(fb.post(BILL_PAYMENTS, {"bill_payment": {"billid": bill["id"],
                                                                 "amount": {"amount": "1", "code": "CAD"}}}))
    assert currency["field"] == "amount.code"
    assert fb.get(f"{BILL_PAYMENTS}/999").status_code == 404
    assert fb.get(f"{BILL_PAYMENTS}/999").json()["response"]["errors"][0]["message"] == "Bill payment not found."

    first = pay(fb, bill["id"], "30.00")
    second = pay(fb, bill["id"], "20.00")
    # An update may use the payment's own amount, not more.
    too_much = fb.put(f"{BILL_PAYMENTS}/{second['id']}", {"bill_payment": {"amount": usd("20.01")}})
    assert error_of(too_much)["field"] == "amount"
    fb.update(BILL_PAYMENTS, "bill_payment", second["id"], {"amount": usd("10.00")})
    assert fb.update(BILL_PAYMENTS, "bill_payment", second["id"], {"amount": usd("20.00")})["amount"] == usd("20.00")
    other = make_bill("5.00")
    moved = error_of(fb.put(f"{BILL_PAYMENTS}/{first['id']}", {"bill_payment": {"billid": other["id"]}}))
    assert moved["field"] == "billid"

    # Restoring a deleted bill payment may not overpay its bill.
    fb.delete(f"{BILL_PAYMENTS}/{first['id']}")
    pay(fb, bill["id"], "25.00")
    restore = error_of(fb.put(f"{BILL_PAYMENTS}/{first['id']}", {"bill_payment": {"vis_state": 0}}))
    assert (restore["field"], restore["message"]) == \
        ("vis_state", "The amount (30.00) exceeds the bill's outstanding amount (5.00).")
    assert state(bill_of(fb, bill["id"])) == ("partial", "45.00", "5.00")
    # Deleted bill payments cannot be edited (restore first), as elsewhere.
    assert error_of(fb.put(f"{BILL_PAYMENTS}/{first['id']}", {"bill_payment": {"note": "x"}}))["errno"] == 1011


def test_a_bill_with_bill_payments_cannot_be_deleted(fb: FreshBooksApi, make_bill: Any) -> None:
    bill = make_bill("50.00")
    payment = pay(fb, bill["id"], "10.00")
    by_put = error_of(fb.put(f"{BILLS}/{bill['id']}", {"bill": {"vis_state": 1}}))
    assert (by_put["errno"], by_put["field"], by_put["object"]) == (1004, "vis_state", "bill")
    assert by_put["message"] == f"This bill has bill payments ({payment['id']}); delete the bill payments first."
    assert error_of(fb.delete(f"{BILLS}/{bill['id']}"))["field"] == "vis_state"
    assert bill_of(fb, bill["id"])["vis_state"] == 0
    # Archiving is not deleting.
    assert fb.update(BILLS, "bill", bill["id"], {"vis_state": 2})["vis_state"] == 2
    fb.update(BILLS, "bill", bill["id"], {"vis_state": 0})
    fb.update(BILL_PAYMENTS, "bill_payment", payment["id"], {"vis_state": 1})
    assert fb.delete(f"{BILLS}/{bill['id']}").status_code == 200
    assert bill_of(fb, bill["id"])["vis_state"] == 1
    # Nor can a bill payment be added to, or restored on, a deleted bill.
    assert error_of(fb.post(BILL_PAYMENTS, {"bill_payment": {"billid": bill["id"], "amount": usd("1")}}))[
        "errno"] == 1012
    restore = error_of(fb.put(f"{BILL_PAYMENTS}/{payment['id']}", {"bill_payment": {"vis_state": 0}}))
    assert restore["field"] == "vis_state"


def test_vendor_balances_follow_bills_and_bill_payments(fb: FreshBooksApi, make_bill: Any, make_vendor: Any) -> None:
    vendor = make_vendor("Ferguson")
    idle = make_vendor("Idle Supply")
    overdue = make_bill("100.00", vendorid=vendor, issue_date="2026-09-01", due_offset_days=10)
    current = make_bill("50.00", vendorid=vendor)
    archived = make_bill("7.00", vendorid=vendor)
    deleted = make_bill("1000.00", vendorid=vendor)
    fb.update(BILLS, "bill", archived["id"], {"vis_state": 2})
    fb.update(BILLS, "bill", deleted["id"], {"vis_state": 1})
    pay(fb, overdue["id"], "25.00")
    pay(fb, current["id"], "50.00", payment_type="Credit")

    shown = fb.fetch(VENDORS, "bill_vendor", vendor)
    assert shown["outstanding_balance"] == [{"amount": usd("82.00")}]  # 75 + 0 + 7
    assert shown["overdue_balance"] == [{"amount": usd("75.00")}]
    listed = {v["vendorid"]: v for v in fb.list(VENDORS, "bill_vendors")}
    assert listed[vendor]["outstanding_balance"] == [{"amount": usd("82.00")}]
    assert (listed[idle]["outstanding_balance"], listed[idle]["overdue_balance"]) == ([], [])


def test_payables_view_agrees_with_hand_computed_figures(fb: FreshBooksApi, side: SideDoor, make_bill: Any,
                                                         make_vendor: Any) -> None:
    ferguson, hajoca, paid_up = make_vendor("Ferguson"), make_vendor("Hajoca"), make_vendor("Paid Up Co")
    f_old = make_bill("120.00", vendorid=ferguson, issue_date="2026-08-01", due_offset_days=30)  # due 08-31
    f_new = make_bill("80.00", vendorid=ferguson)  # due 11-19
    h_old = make_bill("45.50", vendorid=hajoca, issue_date="2026-10-01", due_offset_days=15)  # due 10-16
    done = make_bill("10.00", vendorid=paid_up)
    gone = make_bill("999.00", vendorid=hajoca)
    fb.update(BILLS, "bill", gone["id"], {"vis_state": 1})
    pay(fb, f_old["id"], "20.00")
    pay(fb, f_old["id"], "30.00", payment_type="Credit")
    pay(fb, h_old["id"], "0.50", payment_type="Cash")
    pay(fb, done["id"], "10.00")
    cancelled = pay(fb, f_new["id"], "80.00")
    fb.delete(f"{BILL_PAYMENTS}/{cancelled['id']}")

    view = payables(side)
    assert view["as_of"] == "2026-10-31"
    assert view["vendors"] == {
        str(ferguson): {"vendor_name": "Ferguson", "outstanding": "150.00", "overdue": "70.00", "billed": "200.00",
                        "paid": "50.00", "credit_applied": "30.00", "open_bills": [f_old["id"], f_new["id"]]},
        str(hajoca): {"vendor_name": "Hajoca", "outstanding": "45.00", "overdue": "45.00", "billed": "45.50",
                      "paid": "0.50", "credit_applied": "0.00", "open_bills": [h_old["id"]]},
        str(paid_up): {"vendor_name": "Paid Up Co", "outstanding": "0.00", "overdue": "0.00", "billed": "10.00",
                       "paid": "10.00", "credit_applied": "0.00", "open_bills": []},
    }
    assert view["total"] == {"outstanding": "195.00", "overdue": "115.00", "billed": "255.50", "paid": "60.50",
                             "credit_applied": "30.00", "open_bills": 3}
    # The vendors' own balances say the same.
    for vendor_id in (ferguson, hajoca, paid_up):
        figures = view["vendors"][str(vendor_id)]
        shown = fb.fetch(VENDORS, "bill_vendor", vendor_id)
        assert [b["amount"]["amount"] for b in shown["outstanding_balance"]] == \
            ([figures["outstanding"]] if figures["outstanding"] != "0.00" else [])
        assert [b["amount"]["amount"] for b in shown["overdue_balance"]] == \
            ([figures["overdue"]] if figures["overdue"] != "0.00" else [])


def test_side_door_bill_payments_move_the_bill(side: SideDoor, make_bill: Any) -> None:
    bill = make_bill("40.00")
    payment = side.create("bill_payments", {"billid": bill["id"], "amount": usd("15.00"), "payment_type": "Cash"})
    assert side.record("bills", bill["id"])["status"] == "partial"
    side.delete("bill_payments", payment["id"])
    assert side.record("bills", bill["id"])["outstanding"] == usd("40.00")
