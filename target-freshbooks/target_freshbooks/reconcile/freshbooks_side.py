"""FreshBooks' side: its records read live through the target's client (read-only: no lease, no lock, no
ledger fact), and what they hold, by FreshBooks' own fields.

What the connector owns: invoices numbered with the mapper's prefix; payments, credit notes and clients whose
note carries a `[servicetitan:...]` marker. Everything else was made in FreshBooks (a bookkeeper's history, a
payment taken there) and is listed apart, never counted as drift.

AR of a client = outstanding of its sent, live, owned invoices - the credit that came from ServiceTitan:
its owned credit notes' amounts - what was applied from them (Credit payments on owned invoices) + what cash
payments paid on owned invoices beyond their amount (FreshBooks' overpayment credit).
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from target_freshbooks.errors import RejectedError
from target_freshbooks.http import FreshBooksClient
from target_freshbooks.reconcile.rules import (
    CENT,
    DATE_IN_TEXT,
    REFUND_LINE,
    SOURCE_MARKER,
    ZERO,
    Rules,
    dec,
    month,
)
from target_freshbooks.sinks.base import Resource

logger = logging.getLogger("target-freshbooks.reconcile")

RESOURCES: dict[str, Resource] = {
    "clients": Resource("users", "clients", "client", "clients"),
    "invoices": Resource("invoices", "invoices", "invoice", "invoices"),
    "payments": Resource("payments", "payments", "payment", "payments"),
    "credit_notes": Resource("credit_notes", "credit_notes", "credit_note", "credit_notes"),
    "items": Resource("items", "items", "item", "items"),
    "taxes": Resource("taxes", "taxes", "tax", "taxes"),
    "bills": Resource("bills", "bills", "bill", "bills"),
    "bill_vendors": Resource("bill_vendors", "bill_vendors", "bill_vendor", "bill_vendors"),
    "bill_payments": Resource("bill_payments", "bill_payments", "bill_payment", "bill_payments"),
    "expense_categories": Resource("expenses", "categories", "category", "categories"),
    "journal_entries": Resource("journal_entries", "journal_entries", "journal_entry", "journal_entries"),
    "journal_entry_details": Resource("journal_entries", "journal_entry_details", "journal_entry_detail",
                                      "journal_entry_details"),
    "journal_entry_accounts": Resource("journal_entry_accounts", "journal_entry_accounts", "journal_entry_account",
                                       "journal_entry_accounts"),
}
AR_RESOURCES = ("clients", "invoices", "payments", "credit_notes")
INCLUDES: dict[str, list[tuple[str, str]]] = {"credit_notes": [("include[]", "lines")],
                                              "invoices": [("include[]", "lines")],
                                              "bills": [("include[]", "lines")]}
OPTIONAL = ("journal_entry_details",)
"""Read when FreshBooks lists them (a plan without journal entries may refuse): the journal-mode check."""
DELETED_TOO = ("payments",)
"""Listed with deleted ones as well: a payment refunded in full is deleted and its note keeps the refund."""


def read_resources(client: FreshBooksClient, account_id: str, names: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
    """Every object of these resources (live and archived; payments deleted too), page by page."""
    found: dict[str, list[dict[str, Any]]] = {}
    for name in dict.fromkeys(names):
        resource = RESOURCES.get(name)
        if resource is None:
            logger.warning("reconcile: no FreshBooks resource named %r; read as empty", name)
            found[name] = []
            continue
        path, params = resource.path(account_id), INCLUDES.get(name, [])
        try:
            rows = list(client.list_all(path, resource.plural, params))
        except RejectedError as exc:
            if name not in OPTIONAL:
                raise
            logger.warning("reconcile: FreshBooks refused to list %s (%s): read as empty", name, exc)
            rows = []
        if name in DELETED_TOO:
            rows += list(client.list_all(path, resource.plural, [*params, ("search[vis_state]", 1)]))
        found[name] = rows
        logger.info("reconcile: FreshBooks %s: %d objects", name, len(rows))
    return found


def live(obj: dict[str, Any]) -> bool:
    return int(obj.get("vis_state") or 0) in (0, 2)


def markers(text: Any) -> list[str]:
    return list(dict.fromkeys(SOURCE_MARKER.findall(str(text or ""))))


@dataclass
class FreshBooksBooks:
    clients: dict[str, dict[str, Any]] = field(default_factory=dict)
    owned_invoices: list[dict[str, Any]] = field(default_factory=list)     # live, numbered with the prefix
    foreign_invoices: list[dict[str, Any]] = field(default_factory=list)   # live, not the connector's
    owned_payments: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))  # by marker
    foreign_payments: list[dict[str, Any]] = field(default_factory=list)
    owned_notes: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))     # by marker
    foreign_notes: list[dict[str, Any]] = field(default_factory=list)
    outstanding: dict[str, Decimal] = field(default_factory=dict)          # owned invoice id -> outstanding
    ar: dict[str, Decimal] = field(default_factory=lambda: defaultdict(lambda: ZERO))   # client id -> AR
    cash: dict[str, Decimal] = field(default_factory=lambda: defaultdict(lambda: ZERO))
    revenue: dict[str, Decimal] = field(default_factory=lambda: defaultdict(lambda: ZERO))
    journal_entries: list[dict[str, Any]] = field(default_factory=list)    # the connector's (marker)


def _line_amount(line: dict[str, Any]) -> Decimal:
    if "amount" in line:
        return dec(line.get("amount"))
    return (dec(line.get("unit_cost")) * Decimal(str(line.get("qty") or "1"))).quantize(CENT)


def freshbooks_books(data: dict[str, list[dict[str, Any]]], rules: Rules) -> FreshBooksBooks:
    """What FreshBooks holds, by the rules above (pure: `data` is resource name -> objects)."""
    books = FreshBooksBooks()
    books.clients = {str(c["id"]): c for c in data.get("clients", [])}
    prefix = rules.invoice_number_prefix
    owned_ids: set[str] = set()
    counted: dict[str, dict[str, Any]] = {}
    for inv in data.get("invoices", []):
        if not live(inv):
            continue
        number = str(inv.get("invoice_number") or "")
        if prefix and number.startswith(prefix):
            books.owned_invoices.append(inv)
            owned_ids.add(str(inv["id"]))
            if inv.get("v3_status") != "draft":
                counted[str(inv["id"])] = inv
        else:
            books.foreign_invoices.append(inv)

    def client_of(inv: dict[str, Any]) -> str:
        return str(inv.get("customerid"))

    cash_paid: dict[str, Decimal] = defaultdict(lambda: ZERO)
    credit_applied: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for payment in data.get("payments", []):
        found = markers(payment.get("note"))
        alive = int(payment.get("vis_state") or 0) == 0
        invoice = str(payment.get("invoiceid"))
        if not found:
            if alive:
                books.foreign_payments.append(payment)
            continue
        if alive:
            for marker in found:
                books.owned_payments[marker].append(payment)
        if invoice not in owned_ids:
            continue
        amount = dec(payment.get("amount"))
        if payment.get("type") == "Credit":
            if alive and invoice in counted:
                credit_applied[client_of(counted[invoice])] += amount
            continue
        if alive:
            cash_paid[invoice] += amount
        refunds = REFUND_LINE.findall(payment.get("note") or "")
        refunded = sum((dec(r[3]) for r in refunds), ZERO)
        if alive:
            books.cash[month(str(payment.get("date")))] += amount + refunded
        elif refunds:
            books.cash[month(str(payment.get("date")))] += refunded
        for _, day, _, value in refunds:
            books.cash[month(day)] -= dec(value)

    notes_total: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for note in data.get("credit_notes", []):
        if not live(note):
            continue
        found = markers(note.get("notes"))
        if not found:
            books.foreign_notes.append(note)
            continue
        for marker in found:
            books.owned_notes[marker].append(note)
        notes_total[str(note.get("clientid"))] += dec(note.get("amount"))
        day = str(note.get("create_date") or "")
        if note.get("credit_type") == "prepayment":
            for line in note.get("lines") or []:
                amount = _line_amount(line)
                when = DATE_IN_TEXT.search(f"{line.get('name') or ''} {line.get('description') or ''}")
                books.cash[month(when.group(1) if amount < 0 and when else day)] += amount
        else:
            books.revenue[month(day)] -= dec(note.get("amount"))

    overpaid: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for i, inv in counted.items():
        client = client_of(inv)
        books.outstanding[i] = dec(inv.get("outstanding"))
        books.ar[client] += dec(inv.get("outstanding"))
        over = min(cash_paid[i], dec(inv.get("paid")) - dec(inv.get("amount")))
        if over > 0:
            overpaid[client] += over
        books.revenue[month(str(inv.get("create_date")))] += dec(inv.get("amount"))
    for client in set(notes_total) | set(credit_applied) | set(overpaid):
        books.ar[client] -= notes_total[client] - credit_applied[client] + overpaid[client]
    books.journal_entries = [e for e in data.get("journal_entry_details", [])
                             if any(markers(value) for value in e.values() if isinstance(value, str))]
    return books


CLIENT_NOTE_MARKER = re.compile(r"\[servicetitan:customer:(\d+)\]")


def pair_customers(clients: dict[str, dict[str, Any]], emails: dict[str, str]) -> dict[str, str | None]:
    """Customer id -> FreshBooks client id: the connector's marker in a live client's note, else the adoption rule
    (the live client with the customer's primary email, case-insensitive, lowest id)."""
    by_marker: dict[str, str] = {}
    by_email: dict[str, str] = {}
    for client_id in sorted(clients, key=lambda c: int(c) if c.isdigit() else 0):
        client = clients[client_id]
        if int(client.get("vis_state") or 0) != 0:
            continue
        for found in CLIENT_NOTE_MARKER.findall(client.get("note") or ""):
            by_marker.setdefault(found, client_id)
        if client.get("email"):
            by_email.setdefault(str(client["email"]).lower(), client_id)
    return {customer: by_marker.get(customer, by_email.get(email) if email else None)
            for customer, email in emails.items()}


def client_duplicates(clients: dict[str, dict[str, Any]]) -> dict[str, list[str]]:
    """Customer id -> the live clients carrying its marker, where more than one does."""
    holders: dict[str, list[str]] = defaultdict(list)
    for client_id, client in clients.items():
        if int(client.get("vis_state") or 0) == 0:
            for found in set(CLIENT_NOTE_MARKER.findall(client.get("note") or "")):
                holders[found].append(client_id)
    return {c: sorted(ids, key=int) for c, ids in holders.items() if len(ids) > 1}
