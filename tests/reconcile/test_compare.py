"""compare.py on small hand-built books: each kind of difference, timing apart, pairing, aging, months."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from target_freshbooks.reconcile.compare import reconcile
from target_freshbooks.reconcile.freshbooks_side import freshbooks_books, pair_customers
from target_freshbooks.reconcile.model import Reconciliation
from target_freshbooks.reconcile.rules import Rules
from target_freshbooks.reconcile.servicetitan_side import servicetitan_books

RULES = Rules(start_date="2026-05-01")
D = Decimal


def money(amount: str) -> dict[str, str]:
    return {"amount": amount, "code": "USD"}


def st_invoice(i: int, customer: int, total: str, balance: str, status: str = "Posted", day: str = "2026-05-10",
               **extra: Any) -> dict[str, Any]:
    return {"id": i, "referenceNumber": str(i), "customer": {"id": customer}, "total": total, "balance": balance,
            "invoiceDate": f"{day}T00:00:00Z", "dueDate": f"{day}T00:00:00Z", "syncStatus": status, "active": True,
            **extra}


def st_payment(p: int, customer: int, total: str, applied: dict[int, str], unapplied: str = "0.00",
               **extra: Any) -> dict[str, Any]:
    return {"id": p, "customer": {"id": customer}, "total": total, "unappliedAmount": unapplied, "active": True,
            "date": "2026-05-12T15:00:00Z",
            "appliedTo": [{"appliedTo": i, "appliedAmount": a} for i, a in applied.items()], **extra}


def fb_invoice(i: int, client: int, number: str, amount: str, outstanding: str, **extra: Any) -> dict[str, Any]:
    paid = str(D(amount) - D(outstanding))
    return {"id": i, "customerid": client, "invoice_number": number, "amount": money(amount),
            "outstanding": money(outstanding), "paid": money(paid), "create_date": "2026-05-10",
            "due_date": "2026-05-10", "v3_status": "sent", "vis_state": 0, **extra}


def fb_payment(p: int, invoice: int, amount: str, note: str, **extra: Any) -> dict[str, Any]:
    return {"id": p, "invoiceid": invoice, "amount": money(amount), "note": note, "type": "Check",
            "date": "2026-05-12", "vis_state": 0, **extra}


def client(c: int, customer: int | None, email: str = "", vis_state: int = 0) -> dict[str, Any]:
    note = f"[servicetitan:customer:{customer}]" if customer else ""
    return {"id": c, "note": note, "email": email, "organization": f"Org {c}", "vis_state": vis_state}


def books() -> tuple[dict[str, list[dict[str, Any]]], dict[str, list[dict[str, Any]]]]:
    """Customer 1: two invoices, one paid in full, synced and matching; customer 2: one invoice, Pending."""
    st = {"customers": [{"id": 1, "name": "Ada", "email": "ada@x.com"}, {"id": 2, "name": "Bo", "email": "bo@x.com"}],
          "invoices": [st_invoice(10, 1, "100.00", "0.00"), st_invoice(11, 1, "50.00", "50.00"),
                       st_invoice(20, 2, "80.00", "80.00", status="Pending")],
          "payments": [st_payment(30, 1, "100.00", {10: "100.00"})], "credit_memos": []}
    fb = {"clients": [client(500, 1), client(501, 2)],
          "invoices": [fb_invoice(900, 500, "ST-10", "100.00", "0.00"),
                       fb_invoice(901, 500, "ST-11", "50.00", "50.00")],
          "payments": [fb_payment(700, 900, "100.00", "ServiceTitan payment 30\n[servicetitan:payment:30:invoice:10]")],
          "credit_notes": []}
    return st, fb


def run(st: dict[str, Any], fb: dict[str, Any]) -> Reconciliation:
    report = Reconciliation(generated_at=datetime(2026, 6, 1, tzinfo=UTC), tenant="t", account_id="a")
    return reconcile(servicetitan_books(st, RULES), freshbooks_books(fb, RULES), RULES, report, date(2026, 6, 1))


def kinds(report: Reconciliation) -> set[tuple[str, str, str | None]]:
    return {(d.kind, d.stream, d.source_key) for d in report.differences}


def test_matching_books_with_a_pending_invoice_are_timing_not_drift() -> None:
    report = run(*books())
    assert kinds(report) == set()
    assert not report.drifted
    assert [(t.source_key, t.amount) for t in report.timing] == [("servicetitan:invoice:20", D("80.00"))]
    by_customer = {c.customer_id: c.status for c in report.customers}
    assert by_customer == {"1": "match", "2": "timing"}
    assert report.totals["accounts receivable"] == (D("130.00"), D("50.00"))
    assert report.totals["AR net of timing"] == (D("50.00"), D("50.00"))


def test_payment_taken_in_freshbooks_is_made_in_freshbooks_and_an_edit_is_amount() -> None:
    st, fb = books()
    fb["payments"][0]["amount"] = money("90.00")
    fb["invoices"][0]["outstanding"] = money("10.00")
    fb["payments"].append(fb_payment(701, 901, "50.00", "paid at the counter"))
    fb["invoices"][1]["outstanding"] = money("0.00")
    report = run(st, fb)
    assert kinds(report) == {("amount", "payments", "servicetitan:payment:30"),
                             ("made_in_freshbooks", "payments", None)}
    assert report.drifted
    edited = next(d for d in report.differences if d.kind == "amount")
    assert (edited.servicetitan_amount, edited.freshbooks_amount) == (D("100.00"), D("90.00"))
    made = next(d for d in report.differences if d.kind == "made_in_freshbooks")
    assert not made.repairable


def test_missing_duplicate_and_only_in_freshbooks_invoices() -> None:
    st, fb = books()
    fb["invoices"] = [fb["invoices"][0], fb_invoice(902, 500, "ST-10", "100.00", "100.00"),
                      fb_invoice(903, 500, "ST-77", "20.00", "20.00"), fb_invoice(904, 500, "FB-1", "5.00", "5.00")]
    report = run(st, fb)
    assert kinds(report) == {("missing_in_freshbooks", "invoices", "servicetitan:invoice:11"),
                             ("duplicate", "invoices", "servicetitan:invoice:10"),
                             ("only_in_freshbooks", "invoices", None),
                             ("made_in_freshbooks", "invoices", None)}
    duplicate = next(d for d in report.differences if d.kind == "duplicate")
    assert duplicate.freshbooks_id == "902"  # the younger copy


def test_duplicate_client_and_pairing_by_marker_then_lowest_id_email() -> None:
    st, fb = books()
    fb["clients"].append(client(502, 1))
    report = run(st, fb)
    assert kinds(report) == {("duplicate", "clients", "servicetitan:customer:1")}
    assert next(d for d in report.differences).freshbooks_id == "502"
    clients = {"7": client(7, None, "ADA@x.com"), "5": client(5, None, "ada@x.com", vis_state=1),
               "9": client(9, None, "ada@x.com"), "3": client(3, 2)}
    assert pair_customers(clients, {"1": "ada@x.com", "2": "bo@x.com", "4": ""}) == {"1": "7", "2": "3", "4": None}


def test_customers_sharing_a_client_are_compared_together() -> None:
    st, fb = books()
    st["customers"].append({"id": 3, "name": "Cy", "email": "ada@x.com"})
    st["invoices"].append(st_invoice(12, 3, "30.00", "30.00"))
    fb["clients"][0]["email"] = "ada@x.com"
    fb["clients"][0]["note"] = ""
    fb["invoices"].append(fb_invoice(905, 500, "ST-12", "30.00", "30.00"))
    report = run(st, fb)
    shared = next(c for c in report.customers if c.freshbooks_client_id == "500")
    assert shared.customer_id == "1,3" and shared.status == "match"
    assert (shared.servicetitan_ar, shared.freshbooks_ar) == (D("80.00"), D("80.00"))


def test_payment_waiting_on_a_pending_invoice_is_timing() -> None:
    st, fb = books()
    st["invoices"][2]["balance"] = "0.00"
    st["payments"].append(st_payment(31, 2, "80.00", {20: "80.00"}))
    report = run(st, fb)
    assert not report.drifted
    assert {t.source_key for t in report.timing} == {"servicetitan:invoice:20", "servicetitan:payment:31"}


def test_out_of_scope_invoice_is_left_out_and_aging_buckets_both_systems() -> None:
    st, fb = books()
    st["invoices"].append(st_invoice(5, 1, "40.00", "0.00", day="2026-01-10", paidOn="2026-02-01T00:00:00Z"))
    report = run(st, fb)
    assert kinds(report) == set()
    aging = {a.label: (a.servicetitan, a.freshbooks) for a in report.aging}
    assert aging["1-30"] == (D("130.00"), D("50.00"))  # due 2026-05-10, as of 2026-06-01: 22 days
    cash = [(p.period, p.servicetitan, p.freshbooks) for p in report.periods if p.measure == "cash"]
    assert cash == [("2026-05", D("100.00"), D("100.00"))]


def detail(entry: int, account: str, debit: str, credit: str, key: str) -> dict[str, Any]:
    return {"sub_account": {"account_sub_name": account}, "user_entered_date": "2026-05-12",
            "debit": money(debit), "credit": money(credit), "description": f"[{key}#1]", "entry": {"id": entry}}


def test_journal_entry_mode_compares_totals_per_month_and_account() -> None:
    st = {"customers": [{"id": 1, "name": "Ada"}], "invoices": [st_invoice(10, 1, "100.00", "40.00")],
          "payments": [st_payment(30, 1, "60.00", {10: "60.00"})], "credit_memos": []}
    details = [detail(1, "Accounts Receivable", "100.00", "0", "servicetitan:invoice:10"),
               detail(1, "Sales", "0", "100.00", "servicetitan:invoice:10"),
               detail(2, "Undeposited Funds", "60.00", "0", "servicetitan:payment:30"),
               detail(2, "Accounts Receivable", "0", "60.00", "servicetitan:payment:30")]
    fb = {"clients": [], "invoices": [], "payments": [], "credit_notes": [], "journal_entry_details": details}
    rules = Rules(start_date="2026-05-01", journal_accounts={"accounts_receivable": "accounts receivable",
                                                             "undeposited_funds": "Undeposited Funds"})

    def run_journal(fb_data: dict[str, Any]) -> Reconciliation:
        report = Reconciliation(generated_at=datetime(2026, 6, 1, tzinfo=UTC), tenant="t", account_id="a",
                                mode="journal_entry")
        return reconcile(servicetitan_books(st, rules), freshbooks_books(fb_data, rules), rules, report,
                         date(2026, 6, 1))

    report = run_journal(fb)
    assert {(p.measure, p.servicetitan, p.freshbooks) for p in report.periods} == {
        ("accounts_receivable", D("40.00"), D("40.00")), ("undeposited_funds", D("60.00"), D("60.00"))}
    assert not report.drifted and not report.customers

    details[2] = detail(2, "Undeposited Funds", "50.00", "0", "servicetitan:payment:30")
    report = run_journal(fb)
    assert report.drifted
    assert {p.measure for p in report.periods if p.servicetitan != p.freshbooks} == {
        "undeposited_funds", "balance (debits - credits)"}


def test_remainder_applied_later_keeps_its_prepayment_note_without_drift() -> None:
    st, fb = books()
    st["invoices"][1]["balance"] = "30.00"
    st["payments"].append(st_payment(31, 1, "20.00", {11: "20.00"}))  # its remainder, applied since
    fb["invoices"][1]["outstanding"], fb["invoices"][1]["paid"] = money("30.00"), money("20.00")
    fb["credit_notes"].append({"id": 800, "clientid": 500, "credit_number": "PP-31", "amount": money("20.00"),
                               "credit_type": "prepayment", "create_date": "2026-05-12", "vis_state": 0,
                               "notes": "Unapplied remainder\n[servicetitan:payment:31:unapplied]",
                               "lines": [{"name": "Prepayment", "qty": "1", "unit_cost": money("20.00")}]})
    fb["payments"].append(fb_payment(702, 901, "20.00", "Credit applied from PP-31\n"
                                     "[servicetitan:payment:31:invoice:11]", type="Credit"))
    report = run(st, fb)
    assert kinds(report) == set()
    assert not report.drifted
