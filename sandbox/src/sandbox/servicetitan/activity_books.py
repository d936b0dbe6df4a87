"""The books as simulated activity sees them: open and recent invoices, recent payments, and the money rules.

`Books` loads once per run what the changes choose from (so a large seed is scanned once, not per
change) and keeps it current as the run changes things. `settle_invoice` and `settle_customer` restore
the money rules of `accounting.py` after a change, from what the database holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sandbox.servicetitan import db
from sandbox.servicetitan.accounting import ZERO, invoice_amounts, money
from sandbox.servicetitan.business import Business, Customer, InvoiceDraft, Place
from sandbox.servicetitan.data import get_record
from sandbox.servicetitan.repository import Repository, settled_on
from sandbox.servicetitan.times import column_time, parse_time
from sandbox.store import Store


@dataclass
class InvoiceFacts:
    id: int
    customer_id: int
    created: datetime
    total: Decimal
    balance: Decimal
    adjustment_to: int | None
    active: bool = True
    adjusted: bool = False
    """An adjustment invoice points at it."""


@dataclass
class PaymentFacts:
    id: int
    customer_id: int
    created: datetime
    total: Decimal
    unapplied: Decimal
    type_name: str
    applications: list[tuple[int, Decimal]] = field(default_factory=list)
    refunded: bool = False


class Books:
    """Invoices that are open or recent and payments that are recent, by id (in id order)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.invoices: dict[int, InvoiceFacts] = {}
        self.payments: dict[int, PaymentFacts] = {}
        self.pending: dict[int, datetime] = {}
        """Every invoice (active or not) whose `syncStatus` is Pending, with when it was created."""

    @classmethod
    def load(cls, store: Store, since: datetime) -> Books:
        books = cls(store)
        adjusted: list[int] = []
        with store.lock:
            rows = store.conn.execute(
                "SELECT id, parent_id, created_on, json_extract(doc, '$.total'), json_extract(doc, '$.balance'), "
                "json_extract(doc, '$.adjustmentToId') FROM st_record WHERE kind = 'invoices' AND active = 1 "
                "ORDER BY id").fetchall()
            payments = store.conn.execute(
                "SELECT doc FROM st_record WHERE kind = 'payments' AND active = 1 AND created_on >= ? ORDER BY id",
                (column_time(since),)).fetchall()
            pending = store.conn.execute(
                "SELECT id, created_on FROM st_record WHERE kind = 'invoices' "
                "AND json_extract(doc, '$.syncStatus') = 'Pending'").fetchall()
        books.pending = {invoice_id: parse_time(created) for invoice_id, created in pending}
        for invoice_id, customer_id, created, total, balance, adjustment_to in rows:
            if adjustment_to is not None:
                adjusted.append(int(adjustment_to))
            facts = InvoiceFacts(invoice_id, customer_id, parse_time(created), Decimal(total), Decimal(balance),
                                 adjustment_to)
            if facts.balance != 0 or facts.created >= since:
                books.invoices[invoice_id] = facts
        for invoice_id in adjusted:
            if invoice_id in books.invoices:
                books.invoices[invoice_id].adjusted = True
        refunded: list[int] = []
        for (text,) in payments:
            doc = db.loads(text)
            books.note_payment(doc)
            if doc["refundedPaymentId"] is not None:
                refunded.append(int(doc["refundedPaymentId"]))
        for payment_id in refunded:
            if payment_id in books.payments:
                books.payments[payment_id].refunded = True
        return books

    def note_invoice(self, doc: dict[str, Any]) -> InvoiceFacts:
        facts = InvoiceFacts(doc["id"], doc["customer"]["id"], parse_time(doc["createdOn"]), Decimal(doc["total"]),
                             Decimal(doc["balance"]), doc["adjustmentToId"], bool(doc["active"]))
        self.invoices[facts.id] = facts
        if doc["syncStatus"] == "Pending":
            self.pending[facts.id] = facts.created
        else:
            self.pending.pop(facts.id, None)
        if facts.adjustment_to in self.invoices:
            self.invoices[facts.adjustment_to].adjusted = True
        return facts

    def note_payment(self, doc: dict[str, Any]) -> PaymentFacts:
        facts = PaymentFacts(doc["id"], doc["customer"]["id"], parse_time(doc["createdOn"]), Decimal(doc["total"]),
                             Decimal(doc["unappliedAmount"]), doc["type"],
                             [(a["appliedTo"], Decimal(a["appliedAmount"])) for a in doc["appliedTo"]])
        self.payments[facts.id] = facts
        return facts

    def pending_before(self, cutoff: datetime) -> list[int]:
        """Pending invoices created before `cutoff`, oldest first."""
        due = [(created, invoice_id) for invoice_id, created in self.pending.items() if created < cutoff]
        return [invoice_id for _, invoice_id in sorted(due)]

    def open_invoices(self, least: Decimal = Decimal("0.01")) -> list[InvoiceFacts]:
        """Active invoices owing at least `least`."""
        return [f for f in self.invoices.values() if f.active and f.total > 0 and f.balance >= least]

    def recent_invoices(self, since: datetime, before: datetime) -> list[InvoiceFacts]:
        """Active, positive, original (not adjustment) invoices created in [since, before)."""
        return [f for f in self.invoices.values() if f.active and f.total > 0 and f.adjustment_to is None
                and since <= f.created < before]


class Ledger:
    """Reads invoices as drafts for `Business` and restores the money rules after a change."""

    def __init__(self, business: Business, books: Books) -> None:
        self.business = business
        self.books = books
        self.store = business.store
        self.customers: dict[int, Customer] = {c.id: c for c in business.customers}
        self.zone_keys = {doc["id"]: key for key, doc in business.zones.items()}

    def invoice(self, invoice_id: int) -> dict[str, Any]:
        doc = get_record(self.store, "invoices", invoice_id)
        if doc is None:
            raise KeyError(f"no invoice {invoice_id}")
        return doc

    def draft(self, doc: dict[str, Any]) -> InvoiceDraft:
        """A stored invoice as the `Business` generators take it (to pay, credit or adjust it)."""
        customer = self.customers[doc["customer"]["id"]]
        zone = self.business.zones[self.zone_keys[doc["taxZoneId"]]]
        location = doc["location"] or {"id": customer.places[0].id, "name": customer.places[0].name}
        place = next((p for p in customer.places if p.id == location["id"]), None)
        if place is None:
            address = {**(doc["locationAddress"] or customer.addr), "latitude": None, "longitude": None}
            place = Place(location["id"], location["name"], address, self.zone_keys[doc["taxZoneId"]])
        return InvoiceDraft(
            doc["id"], doc["referenceNumber"], customer, place, doc["businessUnit"], doc["job"],
            parse_time(doc["createdOn"]), doc["items"], Decimal(doc["subTotal"]), Decimal(doc["salesTax"]),
            Decimal(doc["total"]), Decimal(doc["discountTotal"]), zone, doc["summary"], active=doc["active"],
            adjustment_to=doc["adjustmentToId"])

    def settle_invoice(self, repo: Repository, invoice_id: int, *, recompute: bool = False) -> dict[str, Any]:
        """Bring an invoice's balance (and, if `recompute`, its totals from its items) in line; modifiedOn moves.

        `paidOn` follows the balance (`settled_on`): the day it was paid off, cleared if it owes again.
        """
        doc = self.invoice(invoice_id)
        changes: dict[str, Any] = {}
        total = Decimal(doc["total"])
        if recompute:
            customer = self.customers[doc["customer"]["id"]]
            zone = self.business.zones[self.zone_keys[doc["taxZoneId"]]]
            sub_total, sales_tax, total = invoice_amounts(doc["items"], zone, customer.exempt)
            discount = -sum((Decimal(i["total"]) for i in doc["items"] if i["type"] == "PriceModifier"), ZERO)
            changes.update(subTotal=money(sub_total), salesTax=money(sales_tax), total=money(total),
                           discountTotal=money(discount))
        balance = total - repo.applied_to_invoice(invoice_id)
        changes["balance"] = money(balance)
        changes["paidOn"] = settled_on(doc["paidOn"], total, balance, repo.now)
        updated = repo.update("invoices", invoice_id, changes)
        updated["items"] = doc["items"]
        self.books.note_invoice(updated)
        return updated

    def settle_customer(self, repo: Repository, customer_id: int) -> None:
        """The customer's balance is the sum of their active invoices' balances.

        Any accounting change moves the customer's `modifiedOn`, as in the seed.
        """
        with self.store.lock:
            # `+active`: look the customer's invoices up by parent, not every active invoice by `active`.
            rows = self.store.conn.execute(
                "SELECT json_extract(doc, '$.balance') FROM st_record "
                "WHERE kind = 'invoices' AND parent_id = ? AND +active = 1", (customer_id,)).fetchall()
        balance = sum((Decimal(r[0]) for r in rows), ZERO)
        repo.update("customers", customer_id, {"balance": float(balance)})
