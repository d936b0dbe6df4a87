"""Client credit as one pool: credit notes and overpayments, applied by payments of type Credit.

Available credit = notes not deleted + overpayments - active Credit payments; a client's balance =
outstanding of sent invoices - available credit. Expected figures are worked out by hand from these rules.
"""

from __future__ import annotations

from typing import Any

import requests
from sandbox.freshbooks.testing import FreshBooksApi, SideDoor

INVOICES = "invoices/invoices"
PAYMENTS = "payments/payments"
NOTES = "credit_notes/credit_notes"


def usd(amount: str) -> dict[str, str]:
    return {"amount": amount, "code": "USD"}


def line(amount: str, name: str = "Credit") -> dict[str, Any]:
    return {"name": name, "qty": "1", "unit_cost": usd(amount)}


def make_note(fb: FreshBooksApi, client_id: int, *amounts: str, credit_type: str = "goodwill",
              **fields: Any) -> dict[str, Any]:
    return fb.create(NOTES, "credit_note", {"clientid": client_id, "create_date": "2026-10-05",
                                            "credit_type": credit_type, "lines": [line(a) for a in amounts],
                                            **fields})


def payment_body(invoice_id: int, amount: str, kind: str) -> dict[str, Any]:
    return {"payment": {"invoiceid": invoice_id, "amount": usd(amount), "date": "2026-10-10", "type": kind}}


def pay(fb: FreshBooksApi, invoice_id: int, amount: str, kind: str = "Check") -> dict[str, Any]:
    return dict(fb.result(fb.post(PAYMENTS, payment_body(invoice_id, amount, kind)))["payment"])


def apply_credit(fb: FreshBooksApi, invoice_id: int, amount: str) -> requests.Response:
    return fb.post(PAYMENTS, payment_body(invoice_id, amount, "Credit"))


def refused(response: requests.Response, field: str, *phrases: str) -> None:
    assert response.status_code == 422, response.text
    error = response.json()["response"]["errors"][0]
    assert (error["errno"], error["field"]) == (1004, field), error
    for phrase in phrases:
        assert phrase in error["message"], error["message"]


def outstanding(fb: FreshBooksApi, invoice_id: int) -> str:
    return str(fb.fetch(INVOICES, "invoice", invoice_id)["outstanding"]["amount"])


def figures(side: SideDoor, client_id: int) -> tuple[str, str, str]:
    row = side.receivables()["clients"][str(client_id)]
    return row["outstanding"], row["credit"], row["balance"]


def credit_balance(fb: FreshBooksApi, client_id: int) -> list[dict[str, Any]]:
    client = fb.fetch("users/clients", "client", client_id, params={"include[]": "credit_balance"})
    return list(client["credit_balance"])


def test_credit_payment_reduces_outstanding_and_the_clients_credit(fb: FreshBooksApi, side: SideDoor,
                                                                    make_invoice: Any) -> None:
    invoice = make_invoice([line("400.00", "Install")], sent=True)
    client_id = invoice["customerid"]
    note = make_note(fb, client_id, "150.00", credit_number="CN-7")
    assert figures(side, client_id) == ("400.00", "150.00", "250.00")

    applied = apply_credit(fb, invoice["id"], "100.00")
    assert applied.status_code == 200, applied.text
    payment = applied.json()["response"]["result"]["payment"]
    assert (payment["type"], payment["from_credit"], payment["clientid"]) == ("Credit", True, client_id)
    after = fb.fetch(INVOICES, "invoice", invoice["id"])
    assert (after["paid"]["amount"], after["outstanding"]["amount"], after["v3_status"]) == (
        "100.00", "300.00", "partial")
    # 400 - 100 outstanding; credit 150 - 100 = 50; balance 300 - 50.
    assert figures(side, client_id) == ("300.00", "50.00", "250.00")
    assert credit_balance(fb, client_id) == [{"amount": usd("50.00")}]
    row = side.receivables()["clients"][str(client_id)]
    assert (row["credit_notes"], row["overpayments"], row["credit_applied"]) == ("150.00", "0.00", "100.00")

    # Raising it to the whole pool: available excluding itself is 150, the invoice owes 300 + 100.
    raised = fb.update(PAYMENTS, "payment", payment["id"], {"amount": usd("150.00")})
    assert raised["from_credit"] is True
    assert outstanding(fb, invoice["id"]) == "250.00"
    assert figures(side, client_id) == ("250.00", "0.00", "250.00")
    assert credit_balance(fb, client_id) == []
    assert fb.fetch(NOTES, "credit_note", note["id"])["amount"]["amount"] == "150.00"

    cash = pay(fb, invoice["id"], "50.00")
    assert cash["from_credit"] is False
    assert [p["id"] for p in fb.list(PAYMENTS, "payments", "search[from_credit]=true")] == [payment["id"]]
    assert [p["id"] for p in fb.list(PAYMENTS, "payments", "search[from_credit]=false")] == [cash["id"]]
    assert [p["id"] for p in fb.list(PAYMENTS, "payments", "search[type]=Credit")] == [payment["id"]]
    assert [p["id"] for p in fb.list(PAYMENTS, "payments", f"search[invoiceid]={invoice['id']}")] == [
        payment["id"], cash["id"]]
    assert [n["id"] for n in fb.list(NOTES, "credit_notes", "search[credit_number]=CN-7")] == [note["id"]]
    assert [n["id"] for n in fb.list(NOTES, "credit_notes", "search[credit_number]=CN")] == []
    assert [n["id"] for n in fb.list(NOTES, "credit_notes", f"search[clientid]={client_id}")] == [note["id"]]
    assert fb.list(NOTES, "credit_notes", f"search[clientid]={client_id + 1}") == []


def test_credit_payment_limited_by_available_credit_and_by_what_the_invoice_owes(
        fb: FreshBooksApi, side: SideDoor, make_invoice: Any) -> None:
    small = make_invoice([line("100.00")], sent=True)
    client_id = small["customerid"]
    large = make_invoice([line("500.00")], sent=True, customerid=client_id)

    refused(apply_credit(fb, small["id"], "10.00"), "amount", "available credit (0.00)")
    make_note(fb, client_id, "300.00")
    refused(apply_credit(fb, small["id"], "120.00"), "amount", "outstanding amount (100.00)")
    refused(apply_credit(fb, large["id"], "350.00"), "amount", "available credit (300.00)")
    assert (outstanding(fb, small["id"]), outstanding(fb, large["id"])) == ("100.00", "500.00")
    assert fb.list(PAYMENTS, "payments") == []

    on_small = fb.result(apply_credit(fb, small["id"], "80.00"))["payment"]
    fb.update(PAYMENTS, "payment", on_small["id"], {"amount": usd("100.00")})  # owes 20 + its own 80
    refused(fb.put(f"{PAYMENTS}/{on_small['id']}", {"payment": {"amount": usd("100.01")}}), "amount",
            "outstanding amount (100.00)")
    on_large = fb.result(apply_credit(fb, large["id"], "200.00"))["payment"]  # 300 - 100 left
    refused(fb.put(f"{PAYMENTS}/{on_large['id']}", {"payment": {"amount": usd("200.01")}}), "amount",
            "available credit (200.00)")
    # A cash payment turned into a Credit one is checked like a new one.
    cash = pay(fb, large["id"], "10.00")
    refused(fb.put(f"{PAYMENTS}/{cash['id']}", {"payment": {"type": "Credit"}}), "amount", "available credit (0.00)")

    assert (outstanding(fb, small["id"]), outstanding(fb, large["id"])) == ("0.00", "290.00")
    assert figures(side, client_id) == ("290.00", "0.00", "290.00")

    # A deleted Credit payment gives its credit back; restoring it takes it again (refused if it is gone).
    fb.update(PAYMENTS, "payment", on_large["id"], {"vis_state": 1})
    assert figures(side, client_id) == ("490.00", "200.00", "290.00")
    fb.result(apply_credit(fb, large["id"], "150.00"))
    refused(fb.put(f"{PAYMENTS}/{on_large['id']}", {"payment": {"vis_state": 0}}), "vis_state",
            "available credit (50.00)")


def test_a_note_whose_credit_is_applied_cannot_be_deleted_until_the_credit_payment_is(
        fb: FreshBooksApi, side: SideDoor, make_invoice: Any) -> None:
    invoice = make_invoice([line("100.00")], sent=True)
    client_id = invoice["customerid"]
    first = make_note(fb, client_id, "100.00")
    second = make_note(fb, client_id, "50.00")
    credit_payment = fb.result(apply_credit(fb, invoice["id"], "60.00"))["payment"]

    # The pool is what counts: 150 - 60 = 90 left, so the 50 note can go (40 left) but not the 100 one.
    fb.update(NOTES, "credit_note", second["id"], {"vis_state": 1})
    assert figures(side, client_id) == ("40.00", "40.00", "0.00")
    refused(fb.put(f"{NOTES}/{first['id']}", {"credit_note": {"vis_state": 1}}), "vis_state",
            "delete the Credit payments first")
    refused(fb.delete(f"{NOTES}/{first['id']}"), "vis_state", "delete the Credit payments first")
    refused(fb.put(f"{NOTES}/{first['id']}", {"credit_note": {"lines": [line("59.99")]}}), "lines",
            "delete the Credit payments first")
    assert fb.fetch(NOTES, "credit_note", first["id"])["vis_state"] == 0
    assert fb.fetch(NOTES, "credit_note", first["id"])["amount"]["amount"] == "100.00"
    fb.update(NOTES, "credit_note", first["id"], {"lines": [line("60.00")]})  # exactly what is applied
    assert figures(side, client_id) == ("40.00", "0.00", "40.00")
    archived = fb.update(NOTES, "credit_note", first["id"], {"vis_state": 2})  # archived notes still count
    assert archived["vis_state"] == 2
    assert figures(side, client_id) == ("40.00", "0.00", "40.00")

    fb.update(PAYMENTS, "payment", credit_payment["id"], {"vis_state": 1})
    assert outstanding(fb, invoice["id"]) == "100.00"
    fb.update(NOTES, "credit_note", first["id"], {"vis_state": 1})
    row = side.receivables()["clients"][str(client_id)]
    assert (row["outstanding"], row["credit"], row["balance"], row["credit_applied"]) == (
        "100.00", "0.00", "100.00", "0.00")


def test_refund_lines_on_a_prepayment_note(fb: FreshBooksApi, side: SideDoor, make_invoice: Any) -> None:
    invoice = make_invoice([line("300.00")], sent=True)
    client_id = invoice["customerid"]
    note = make_note(fb, client_id, "200.00", credit_type="prepayment")
    refunded = fb.update(NOTES, "credit_note", note["id"], {"lines": [line("200.00"), line("-50.00", "Refund")]},
                         params={"include[]": "lines"})
    assert refunded["credit_type"] == "prepayment"
    assert refunded["amount"]["amount"] == "150.00"
    assert [ln["amount"]["amount"] for ln in refunded["lines"]] == ["200.00", "-50.00"]
    assert figures(side, client_id) == ("300.00", "150.00", "150.00")

    fb.result(apply_credit(fb, invoice["id"], "150.00"))
    assert figures(side, client_id) == ("150.00", "0.00", "150.00")
    refused(fb.put(f"{NOTES}/{note['id']}", {"credit_note": {
        "lines": [line("200.00"), line("-50.00"), line("-10.00")]}}), "lines", "delete the Credit payments first")

    zero = make_note(fb, client_id, "80.00", "-80.00", credit_type="prepayment")  # refunded in full
    assert zero["amount"]["amount"] == "0.00"
    assert figures(side, client_id) == ("150.00", "0.00", "150.00")


def test_a_negative_credit_note_total_is_refused(fb: FreshBooksApi, make_client: Any) -> None:
    client = make_client()
    body = {"clientid": client["id"], "create_date": "2026-10-05", "lines": [line("20.00"), line("-20.01")]}
    refused(fb.post(NOTES, {"credit_note": body}), "lines", "negative")
    assert fb.list(NOTES, "credit_notes") == []
    note = make_note(fb, client["id"], "20.00")
    refused(fb.put(f"{NOTES}/{note['id']}", {"credit_note": {"lines": [line("-1.00")]}}), "lines", "negative")
    assert fb.fetch(NOTES, "credit_note", note["id"])["amount"]["amount"] == "20.00"
    refused(fb.post(NOTES, {"credit_note": {**body, "lines": [line("5.00")], "credit_type": "overpayment"}}),
            "credit_type")


def test_a_cash_overpayment_is_credit_for_another_invoice(fb: FreshBooksApi, side: SideDoor,
                                                          make_invoice: Any) -> None:
    first = make_invoice([line("100.00")], sent=True)
    client_id = first["customerid"]
    second = make_invoice([line("80.00")], sent=True, customerid=client_id)
    cash = pay(fb, first["id"], "130.00")
    assert outstanding(fb, first["id"]) == "0.00"
    # outstanding 80; credit 30 overpaid; balance 50.
    assert figures(side, client_id) == ("80.00", "30.00", "50.00")
    assert [c["id"] for c in fb.list("users/clients", "clients", "search[has_credit]=")] == [client_id]

    refused(apply_credit(fb, second["id"], "30.01"), "amount", "available credit (30.00)")
    credit_payment = fb.result(apply_credit(fb, second["id"], "30.00"))["payment"]
    assert outstanding(fb, second["id"]) == "50.00"
    row = side.receivables()["clients"][str(client_id)]
    assert (row["outstanding"], row["credit"], row["balance"], row["overpayments"], row["credit_applied"]) == (
        "50.00", "0.00", "50.00", "30.00", "30.00")
    assert fb.list("users/clients", "clients", "search[has_credit]=") == []

    # The overpayment is applied: the cash payment cannot shrink below it until the Credit payment goes.
    refused(fb.put(f"{PAYMENTS}/{cash['id']}", {"payment": {"amount": usd("120.00")}}), "amount",
            "delete the Credit payments first")
    refused(fb.put(f"{PAYMENTS}/{cash['id']}", {"payment": {"vis_state": 1}}), "vis_state",
            "delete the Credit payments first")
    fb.update(PAYMENTS, "payment", credit_payment["id"], {"vis_state": 1})
    fb.update(PAYMENTS, "payment", cash["id"], {"amount": usd("100.00")})
    assert figures(side, client_id) == ("80.00", "0.00", "80.00")


def test_a_credit_payment_never_makes_an_overpayment(fb: FreshBooksApi, side: SideDoor, make_invoice: Any) -> None:
    invoice = make_invoice([line("100.00")], sent=True)
    client_id = invoice["customerid"]
    make_note(fb, client_id, "60.00")
    fb.result(apply_credit(fb, invoice["id"], "60.00"))
    # Cash landing after the credit: what it pays beyond the 40 left is an overpayment (25).
    pay(fb, invoice["id"], "65.00")
    row = side.receivables()["clients"][str(client_id)]
    assert (row["outstanding"], row["credit"], row["overpayments"], row["credit_applied"]) == (
        "0.00", "25.00", "25.00", "60.00")
    # The invoice shrinking below the credit applied to it: only the cash part comes back as credit.
    fb.update(INVOICES, "invoice", invoice["id"], {"lines": [line("30.00")]})
    row = side.receivables()["clients"][str(client_id)]
    assert (row["outstanding"], row["credit"], row["overpayments"]) == ("0.00", "65.00", "65.00")


def test_receivables_and_credit_balance_agree_with_hand_figures(fb: FreshBooksApi, side: SideDoor,
                                                                make_client: Any, make_invoice: Any) -> None:
    x = make_client(organization="X Corp")["id"]
    y = make_client(organization="Y Corp")["id"]
    big = make_invoice([line("500.00")], sent=True, customerid=x)
    make_invoice([line("200.00")], customerid=x)  # a draft: reported apart
    make_note(fb, x, "120.00")
    make_note(fb, x, "80.00", credit_type="prepayment")
    pay(fb, big["id"], "100.00")
    fb.result(apply_credit(fb, big["id"], "150.00"))
    y_invoice = make_invoice([line("300.00")], sent=True, customerid=y)
    pay(fb, y_invoice["id"], "350.00")
    gone = make_note(fb, y, "40.00")
    fb.update(NOTES, "credit_note", gone["id"], {"vis_state": 1})

    report = side.receivables()
    # X: outstanding 500 - 100 - 150 = 250; credit 120 + 80 - 150 = 50; balance 200; draft 200.
    x_row = report["clients"][str(x)]
    assert (x_row["outstanding"], x_row["credit"], x_row["balance"], x_row["draft"]) == (
        "250.00", "50.00", "200.00", "200.00")
    # Y: outstanding 0; credit 350 - 300 = 50 overpaid (the deleted note does not count); balance -50.
    y_row = report["clients"][str(y)]
    assert (y_row["outstanding"], y_row["credit"], y_row["balance"]) == ("0.00", "50.00", "-50.00")
    total = report["total"]
    assert (total["outstanding"], total["credit"], total["balance"], total["draft"]) == (
        "250.00", "100.00", "150.00", "200.00")

    clients = {c["id"]: c for c in fb.list("users/clients", "clients",
                                           "include[]=credit_balance&include[]=outstanding_balance")}
    assert clients[x]["credit_balance"] == [{"amount": usd("50.00")}]
    assert clients[x]["outstanding_balance"] == [{"amount": usd("250.00")}]
    assert clients[y]["credit_balance"] == [{"amount": usd("50.00")}]
    assert clients[y]["outstanding_balance"] == []
