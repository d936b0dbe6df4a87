"""What clients owe, as FreshBooks' accounts receivable reports it.

Only sent invoices count (drafts are ignored by FreshBooks' accounting reports until sent); deleted
invoices do not count, archived ones do. A client's credit (active credit notes, plus what payments
paid beyond an invoice's amount) reduces what it owes.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import orjson

from sandbox.freshbooks.values import cents, money, money_amount

ZERO = Decimal("0")


@dataclass
class Balance:
    outstanding: Decimal = ZERO
    """Unpaid remainder of sent invoices."""
    draft: Decimal = ZERO
    """Total of draft invoices (not owed yet)."""
    overdue: Decimal = ZERO
    """Unpaid remainder of sent invoices past their due date."""
    credit: Decimal = ZERO
    """Active credit notes plus overpayments."""
    open_invoices: list[int] = field(default_factory=list)

    @property
    def owed(self) -> Decimal:
        return self.outstanding - self.credit

    def as_json(self) -> dict[str, Any]:
        return {
            "outstanding": str(cents(self.outstanding)),
            "credit": str(cents(self.credit)),
            "balance": str(cents(self.owed)),
            "draft": str(cents(self.draft)),
            "overdue": str(cents(self.overdue)),
            "open_invoices": self.open_invoices,
        }


def balances(conn: sqlite3.Connection, today: str, client_ids: list[int] | None = None) -> dict[int, Balance]:
    """Balances of the given clients (all clients with any invoice or credit if None)."""
    where, params = "", []
    if client_ids is not None:
        if not client_ids:
            return {}
        where = f" AND json_extract(data, '$.customerid') IN ({', '.join('?' * len(client_ids))})"
        params = list(client_ids)
    result: dict[int, Balance] = {}
    rows = conn.execute(f"SELECT data FROM fb_invoices WHERE vis_state IN (0, 2){where}", params)
    for (raw,) in rows:
        invoice = orjson.loads(raw)
        balance = result.setdefault(int(invoice["customerid"]), Balance())
        amount = money_amount(invoice.get("amount"))
        paid = money_amount(invoice.get("paid"))
        outstanding = money_amount(invoice.get("outstanding"))
        if not invoice.get("_sent"):
            balance.draft += amount
            continue
        balance.outstanding += outstanding
        if paid > amount:
            balance.credit += paid - amount
        if outstanding > 0:
            balance.open_invoices.append(int(invoice["id"]))
            if invoice.get("due_date") and invoice["due_date"] < today:
                balance.overdue += outstanding
    where = where.replace("customerid", "clientid")
    for (raw,) in conn.execute(f"SELECT data FROM fb_credit_notes WHERE vis_state IN (0, 2){where}", params):
        note = orjson.loads(raw)
        balance = result.setdefault(int(note["clientid"]), Balance())
        balance.credit += money_amount(note.get("amount"))
    return result


def balance_lists(balance: Balance | None, code: str) -> dict[str, list[dict[str, Any]]]:
    """A client's `include[]` balances: lists of `{"amount": Money}`, empty when nothing is due."""
    balance = balance or Balance()

    def listed(amount: Decimal) -> list[dict[str, Any]]:
        return [{"amount": money(amount, code)}] if amount else []

    return {
        "outstanding_balance": listed(balance.outstanding),
        "credit_balance": listed(balance.credit),
        "draft_balance": listed(balance.draft),
        "overdue_balance": listed(balance.overdue),
        "grand_total_balance": listed(balance.outstanding + balance.draft),
    }


def report(conn: sqlite3.Connection, today: str) -> dict[str, Any]:
    """The `/_sandbox/accounts_receivable` view: per client and in total."""
    all_balances = balances(conn, today)
    clients = {
        str(cid): b.as_json()
        for cid, b in sorted(all_balances.items())
        if b.outstanding or b.credit or b.draft
    }
    total = Balance()
    for b in all_balances.values():
        total.outstanding += b.outstanding
        total.credit += b.credit
        total.draft += b.draft
        total.overdue += b.overdue
    totals = total.as_json()
    totals.pop("open_invoices")
    return {"as_of": today, "clients": clients, "total": totals}
