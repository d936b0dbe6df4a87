"""What clients owe, as FreshBooks' accounts receivable reports it.

Only sent invoices count (drafts are ignored by FreshBooks' accounting reports until sent); deleted
invoices do not count, archived ones do. A client's available credit reduces what it owes.

A client's credit is one pool (FreshBooks applies credit from the pool; an API caller cannot pick the
note): the amounts of its credit notes that are not deleted, plus overpayments (what non-Credit payments
paid on a sent invoice beyond its amount), minus the active payments of type `Credit` (credit applied to
invoices). `credits()` computes it; payments and credit notes refuse writes that would make it negative.
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
class Credit:
    """A client's credit pool."""

    notes: Decimal = ZERO
    """Amounts of the client's credit notes with vis_state 0 or 2."""
    overpaid: Decimal = ZERO
    """What non-Credit payments paid beyond the amounts of the client's sent invoices."""
    applied: Decimal = ZERO
    """Amounts of the client's active (vis_state 0) payments of type Credit."""

    @property
    def available(self) -> Decimal:
        return self.notes + self.overpaid - self.applied


def _client_filter(key: str, client_ids: list[int] | None) -> tuple[str, list[Any]]:
    if client_ids is None:
        return "", []
    return f" AND json_extract(data, '$.{key}') IN ({', '.join('?' * len(client_ids))})", list(client_ids)


def credits(conn: sqlite3.Connection, client_ids: list[int] | None = None) -> dict[int, Credit]:
    """The credit pools of the given clients (every client with any credit activity if None).

    An invoice's overpayment is `min(non-Credit paid, paid - amount)` when positive: the excess is the cash
    payments', so a Credit payment never makes an overpayment credit, yet a cash payment that lands after
    credit was applied makes one for what it paid beyond what was left.
    """
    if client_ids is not None and not client_ids:
        return {}
    result: dict[int, Credit] = {}
    if client_ids is not None:
        result = {int(cid): Credit() for cid in client_ids}
    wanted = None if client_ids is None else {int(cid) for cid in client_ids}
    credit_paid: dict[int, Decimal] = {}
    rows = conn.execute("SELECT data FROM fb_payments WHERE vis_state = 0 AND json_extract(data, '$.type') = 'Credit'")
    for (raw,) in rows:
        payment = orjson.loads(raw)
        amount = money_amount(payment.get("amount"))
        if payment.get("invoiceid") is not None:
            invoice_id = int(payment["invoiceid"])
            credit_paid[invoice_id] = credit_paid.get(invoice_id, ZERO) + amount
        client = payment.get("clientid")
        if client is not None and (wanted is None or int(client) in wanted):
            result.setdefault(int(client), Credit()).applied += amount
    where, params = _client_filter("customerid", client_ids)
    for (raw,) in conn.execute(f"SELECT data FROM fb_invoices WHERE vis_state IN (0, 2){where}", params):
        invoice = orjson.loads(raw)
        if not invoice.get("_sent"):
            continue
        paid = money_amount(invoice.get("paid"))
        cash = paid - credit_paid.get(int(invoice["id"]), ZERO)
        over = min(cash, paid - money_amount(invoice.get("amount")))
        if over > 0:
            result.setdefault(int(invoice["customerid"]), Credit()).overpaid += over
    where, params = _client_filter("clientid", client_ids)
    for (raw,) in conn.execute(f"SELECT data FROM fb_credit_notes WHERE vis_state IN (0, 2){where}", params):
        note = orjson.loads(raw)
        result.setdefault(int(note["clientid"]), Credit()).notes += money_amount(note.get("amount"))
    return result


def available_credit(conn: sqlite3.Connection, client_id: int) -> Decimal:
    """What a client can still apply to invoices (negative only after edits nothing refused)."""
    return credits(conn, [client_id])[client_id].available


@dataclass
class Balance:
    outstanding: Decimal = ZERO
    """Unpaid remainder of sent invoices."""
    draft: Decimal = ZERO
    """Total of draft invoices (not owed yet)."""
    overdue: Decimal = ZERO
    """Unpaid remainder of sent invoices past their due date."""
    credit: Decimal = ZERO
    """Available credit: the pool (see `Credit`)."""
    pool: Credit = field(default_factory=Credit)
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
            "credit_notes": str(cents(self.pool.notes)),
            "overpayments": str(cents(self.pool.overpaid)),
            "credit_applied": str(cents(self.pool.applied)),
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
        outstanding = money_amount(invoice.get("outstanding"))
        if not invoice.get("_sent"):
            balance.draft += amount
            continue
        balance.outstanding += outstanding
        if outstanding > 0:
            balance.open_invoices.append(int(invoice["id"]))
            if invoice.get("due_date") and invoice["due_date"] < today:
                balance.overdue += outstanding
    for client_id, pool in credits(conn, client_ids).items():
        if client_ids is None and not (pool.notes or pool.overpaid or pool.applied):
            continue
        balance = result.setdefault(client_id, Balance())
        balance.pool = pool
        balance.credit = pool.available
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
        if b.outstanding or b.credit or b.draft or b.pool.applied
    }
    total = Balance()
    for b in all_balances.values():
        total.outstanding += b.outstanding
        total.credit += b.credit
        total.pool.notes += b.pool.notes
        total.pool.overpaid += b.pool.overpaid
        total.pool.applied += b.pool.applied
        total.draft += b.draft
        total.overdue += b.overdue
    totals = total.as_json()
    totals.pop("open_invoices")
    return {"as_of": today, "clients": clients, "total": totals}
