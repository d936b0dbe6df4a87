"""Invoices: drafts and sending, amounts from lines, payments, credit notes and receivables."""

from __future__ import annotations

from typing import Any

import pytest
from sandbox.freshbooks.testing import FreshBooksApi, SideDoor
from sandbox.testing import RunningSandbox

INVOICES = "invoices/invoices"


def usd(amount: str) -> dict[str, str]:
    return {"amount": amount, "code": "USD"}


def pay(fb: FreshBooksApi, invoice_id: int, amount: str, date: str = "2026-10-10") -> dict[str, Any]:
    return fb.create("payments/payments", "payment", {"invoiceid": invoice_id, "amount": usd(amount), "date": date,
                                                      "type": "Check"})


def state(invoice: dict[str, Any]) -> tuple[Any, ...]:
    return (invoice["status"], invoice["v3_status"], invoice["payment_status"], invoice["display_status"],
            invoice["paid"]["amount"], invoice["outstanding"]["amount"])


def test_new_invoices_are_drafts_outside_receivables(fb: FreshBooksApi, side: SideDoor, make_invoice: Any) -> None:
    draft = make_invoice([{"name": "Labour", "qty": "3", "unit_cost": usd("80.00")}])
    assert state(draft) == (1, "draft", "unpaid", "draft", "0.00", "240.00")
    report = side.receivables()
    assert report["total"]["outstanding"] == "0.00"
    assert report["clients"][str(draft["customerid"])]["draft"] == "240.00"

    sent = fb.update(INVOICES, "invoice", draft["id"], {"action_mark_as_sent": True})
    assert state(sent) == (2, "sent", "unpaid", "sent", "0.00", "240.00")
    report = side.receivables()
    assert report["clients"][str(draft["customerid"])]["outstanding"] == "240.00"
    assert report["total"]["outstanding"] == "240.00"


def test_action_in_a_put_ignores_the_other_fields(fb: FreshBooksApi, make_invoice: Any) -> None:
    draft = make_invoice(notes="original")
    sent = fb.update(INVOICES, "invoice", draft["id"], {"action_mark_as_sent": True, "notes": "changed"})
    assert sent["v3_status"] == "sent"
    assert sent["notes"] == "original"


def test_partial_payments_and_deleting_one(fb: FreshBooksApi, side: SideDoor, make_invoice: Any) -> None:
    invoice = make_invoice([{"name": "Repair", "qty": "1", "unit_cost": usd("500.00")}], sent=True)
    first = pay(fb, invoice["id"], "200.00", "2026-10-05")
    after_first = fb.fetch(INVOICES, "invoice", invoice["id"])
    assert state(after_first) == (8, "partial", "partial", "sent", "200.00", "300.00")
    second = pay(fb, invoice["id"], "300.00", "2026-10-09")
    paid = fb.fetch(INVOICES, "invoice", invoice["id"])
    assert state(paid) == (4, "paid", "paid", "sent", "500.00", "0.00")
    assert paid["date_paid"] == "2026-10-09"
    assert side.receivables()["total"]["outstanding"] == "0.00"

    fb.update("payments/payments", "payment", second["id"], {"vis_state": 1})
    walked_back = fb.fetch(INVOICES, "invoice", invoice["id"])
    assert state(walked_back) == (8, "partial", "partial", "sent", "200.00", "300.00")
    assert walked_back["date_paid"] is None
    assert side.receivables()["clients"][str(invoice["customerid"])]["outstanding"] == "300.00"

    fb.update("payments/payments", "payment", first["id"], {"vis_state": 1})
    unpaid = fb.fetch(INVOICES, "invoice", invoice["id"])
    assert state(unpaid) == (2, "sent", "unpaid", "sent", "0.00", "500.00")  # never a draft again


def test_a_payment_on_a_draft_sends_it(fb: FreshBooksApi, make_invoice: Any) -> None:
    draft = make_invoice([{"name": "Repair", "qty": "1", "unit_cost": usd("50.00")}])
    pay(fb, draft["id"], "20.00")
    assert fb.fetch(INVOICES, "invoice", draft["id"])["v3_status"] == "partial"


def test_amount_from_lines_with_taxes_rounded_per_line(fb: FreshBooksApi, make_invoice: Any) -> None:
    lines = [
        {"name": "Valve", "qty": "3", "unit_cost": usd("3.35"), "taxName1": "NYC", "taxAmount1": "8.875"},
        {"name": "Valve", "qty": "3", "unit_cost": usd("3.35"), "taxName1": "NYC", "taxAmount1": "8.875"},
        {"name": "Labour", "qty": "1.5", "unit_cost": usd("95.00"), "taxName1": "State", "taxAmount1": "4",
         "taxName2": "City", "taxAmount2": "4.5"},
    ]
    invoice = make_invoice(lines)
    # 10.05 x 8.875% = 0.8919 -> 0.89 per line; 142.50 x 4% = 5.70; 142.50 x 4.5% = 6.4125 -> 6.41.
    assert invoice["amount"]["amount"] == "176.49"  # 162.60 + 0.89 + 0.89 + 5.70 + 6.41
    shown = fb.fetch(INVOICES, "invoice", invoice["id"], params={"include[]": "lines"})
    assert [line["amount"]["amount"] for line in shown["lines"]] == ["10.05", "10.05", "142.50"]


def test_tax_rounded_once_per_invoice_when_configured(fb: FreshBooksApi, empty_sandbox: RunningSandbox,
                                                      make_invoice: Any) -> None:
    empty_sandbox.ctx.fb.tax_rounding = "invoice"
    valve = {"name": "Valve", "qty": "3", "unit_cost": usd("3.35"), "taxName1": "NYC", "taxAmount1": "8.875"}
    lines = [valve, valve, valve]
    # Each line's tax is 10.05 x 8.875% = 0.8919375: 3 x 0.89 = 2.67 per line, 2.6758125 -> 2.68 per invoice.
    assert make_invoice(lines)["amount"]["amount"] == "32.83"
    empty_sandbox.ctx.fb.tax_rounding = "line"
    assert make_invoice(lines)["amount"]["amount"] == "32.82"


def test_compound_tax_and_discount(make_invoice: Any) -> None:
    invoice = make_invoice([{"name": "Job", "qty": "1", "unit_cost": usd("200.00"), "taxName1": "A",
                             "taxAmount1": "10", "taxName2": "B", "taxAmount2": "5", "compounded_tax": True}],
                           discount_value="10")
    # 200 less 10% = 180 taxable; A = 18.00; B = 5% of 198 = 9.90; total 180 + 27.90.
    assert invoice["discount_total"]["amount"] == "20.00"
    assert invoice["amount"]["amount"] == "207.90"


def test_lines_only_with_include_lines(fb: FreshBooksApi, make_invoice: Any) -> None:
    invoice = make_invoice()
    assert "lines" not in invoice
    assert "lines" not in fb.fetch(INVOICES, "invoice", invoice["id"])
    assert "lines" not in fb.list(INVOICES, "invoices")[0]
    listed = fb.list(INVOICES, "invoices", "include[]=lines")[0]
    assert [line["name"] for line in listed["lines"]] == ["Labour"]


def test_put_changes_only_the_keys_sent_and_lines_are_replaced(fb: FreshBooksApi, make_invoice: Any) -> None:
    invoice = make_invoice(po_number="PO-7", notes="keep me")
    updated = fb.update(INVOICES, "invoice", invoice["id"], {"po_number": "PO-8",
                                                             "lines": [{"name": "New", "unit_cost": usd("5")}]},
                        params={"include[]": "lines"})
    assert (updated["po_number"], updated["notes"]) == ("PO-8", "keep me")
    assert [line["name"] for line in updated["lines"]] == ["New"]
    assert updated["amount"]["amount"] == "5.00"


def test_vis_state_put_changes_only_vis_state(fb: FreshBooksApi, make_client: Any) -> None:
    client = make_client(organization="Before", email="before@example.com")
    deleted = fb.update("users/clients", "client", client["id"], {"vis_state": 1, "organization": "After"})
    assert (deleted["vis_state"], deleted["organization"]) == (1, "Before")
    restored = fb.update("users/clients", "client", client["id"], {"vis_state": 0, "email": "after@example.com"})
    assert (restored["vis_state"], restored["email"]) == (0, "before@example.com")
    edited = fb.update("users/clients", "client", client["id"], {"email": "after@example.com"})
    assert edited["email"] == "after@example.com"


def test_editing_a_deleted_object_is_refused(fb: FreshBooksApi, make_client: Any) -> None:
    client = make_client()
    fb.update("users/clients", "client", client["id"], {"vis_state": 1})
    refused = fb.put(f"users/clients/{client['id']}", {"client": {"organization": "Zombie"}})
    assert refused.status_code == 422
    assert refused.json()["response"]["errors"][0]["errno"] == 1011


def test_http_delete_of_an_invoice_is_soft_by_default(fb: FreshBooksApi, empty_sandbox: RunningSandbox,
                                                      make_invoice: Any) -> None:
    invoice = make_invoice(sent=True)
    response = fb.delete(f"{INVOICES}/{invoice['id']}")
    assert (response.status_code, response.json()) == (200, {"response": {}})
    assert fb.fetch(INVOICES, "invoice", invoice["id"])["vis_state"] == 1
    assert fb.list(INVOICES, "invoices") == []
    assert [i["id"] for i in fb.list(INVOICES, "invoices", "search[vis_state]=1")] == [invoice["id"]]

    empty_sandbox.ctx.fb.invoice_delete = "hard"
    other = make_invoice()
    fb.delete(f"{INVOICES}/{other['id']}")
    assert fb.get(f"{INVOICES}/{other['id']}").status_code == 404


def test_credit_notes_reduce_what_the_client_owes(fb: FreshBooksApi, side: SideDoor, make_invoice: Any) -> None:
    invoice = make_invoice([{"name": "Install", "qty": "1", "unit_cost": usd("400.00")}], sent=True)
    client_key = str(invoice["customerid"])
    note = fb.create("credit_notes/credit_notes", "credit_note", {
        "clientid": invoice["customerid"], "create_date": "2026-10-12",
        "lines": [{"name": "Goodwill", "qty": "1", "unit_cost": usd("75.00")}]})
    assert note["amount"]["amount"] == "75.00"
    assert note["creditid"] == note["id"]
    balance = side.receivables()["clients"][client_key]
    assert (balance["outstanding"], balance["credit"], balance["balance"]) == ("400.00", "75.00", "325.00")
    assert fb.fetch(INVOICES, "invoice", invoice["id"])["outstanding"]["amount"] == "400.00"

    clients = fb.list("users/clients", "clients", "include[]=credit_balance&include[]=outstanding_balance")
    assert clients[0]["credit_balance"] == [{"amount": usd("75.00")}]
    assert clients[0]["outstanding_balance"] == [{"amount": usd("400.00")}]

    fb.update("credit_notes/credit_notes", "credit_note", note["id"], {"vis_state": 1})
    assert side.receivables()["clients"][client_key]["balance"] == "400.00"


@pytest.mark.parametrize(("mode", "query", "expected"), [
    ("partial", "search[invoice_number]=1001", ["ST-1001", "ST-10010"]),
    ("exact", "search[invoice_number]=ST-1001", ["ST-1001"]),
    ("exact", "search[invoice_number]=1001", []),
])
def test_invoice_number_search(fb: FreshBooksApi, empty_sandbox: RunningSandbox, make_client: Any, mode: str,
                               query: str, expected: list[str]) -> None:
    client = make_client()
    for number in ("ST-1001", "ST-10010", "ST-2002"):
        fb.create(INVOICES, "invoice", {"customerid": client["id"], "create_date": "2026-10-01",
                                        "invoice_number": number})
    empty_sandbox.ctx.fb.invoice_number_search = mode
    assert sorted(i["invoice_number"] for i in fb.list(INVOICES, "invoices", query)) == expected


def test_invoices_need_a_live_client_and_a_date(fb: FreshBooksApi, make_client: Any) -> None:
    client = make_client()
    missing_date = fb.post(INVOICES, {"invoice": {"customerid": client["id"]}})
    assert missing_date.status_code == 422
    assert missing_date.json()["response"]["errors"][0]["field"] == "create_date"
    fb.update("users/clients", "client", client["id"], {"vis_state": 1})
    gone_client = fb.post(INVOICES, {"invoice": {"customerid": client["id"], "create_date": "2026-10-01"}})
    assert gone_client.json()["response"]["errors"][0] == {
        "errno": 1012, "field": "customerid", "message": "Client not found.", "object": "invoice",
        "value": str(client["id"])}
    bad_percent = fb.post(INVOICES, {"invoice": {"customerid": make_client()["id"], "create_date": "2026-10-01",
                                                 "lines": [{"name": "x", "taxAmount1": "ten"}]}})
    assert bad_percent.json()["response"]["errors"][0]["errno"] == 1018


def test_validation_errors_can_be_400(fb: FreshBooksApi, empty_sandbox: RunningSandbox) -> None:
    empty_sandbox.ctx.fb.validation_status = 400
    response = fb.post(INVOICES, {"invoice": {"create_date": "2026-10-01"}})
    assert response.status_code == 400
    assert response.json()["response"]["errors"][0]["errno"] == 1001


def test_payments_are_refused_for_unknown_invoices_and_non_positive_amounts(fb: FreshBooksApi,
                                                                            make_invoice: Any) -> None:
    unknown = fb.post("payments/payments", {"payment": {"invoiceid": 1, "amount": usd("5.00")}})
    assert unknown.json()["response"]["errors"][0]["field"] == "invoiceid"
    invoice = make_invoice()
    zero = fb.post("payments/payments", {"payment": {"invoiceid": invoice["id"], "amount": usd("0")}})
    assert zero.json()["response"]["errors"][0]["errno"] == 1004
    bad_type = fb.post("payments/payments", {"payment": {"invoiceid": invoice["id"], "amount": usd("1"),
                                                         "type": "Bitcoin"}})
    assert bad_type.json()["response"]["errors"][0]["field"] == "type"
