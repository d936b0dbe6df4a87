"""ServiceTitan's side: its records read live through the tap's own client, and what they say FreshBooks
should hold (issue 9's definitions).

Scope (the tap's `start_date`): an invoice dated on or after it, or earlier and still open on it (a balance
today, or `paidOn` on or after it; paid off without `paidOn`: kept); payments and credit memos dated in it or
applied to an invoice in it.

AR of a customer = balances of its active in-scope invoices - unapplied remainders of its payments - balances
of its credit memos. Timing: an invoice whose `syncStatus` is not synced is not in FreshBooks yet; a payment
or memo applied to one is held back whole (so is a refund of a held-back payment); timing = what they move.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from target_freshbooks.errors import ConfigError
from target_freshbooks.reconcile.model import TimingDifference
from target_freshbooks.reconcile.rules import ZERO, Rules, business_date, dec, month

logger = logging.getLogger("target-freshbooks.reconcile")

AR_STREAMS = ("customers", "invoices", "payments", "credit_memos")


def read_streams(tap_config: Mapping[str, Any], names: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
    """Every record of these tap streams, read in full (no state) with the tap's client: its auth, retries and
    throttle apply. Secrets come from TAP_SERVICETITAN_CLIENT_ID, _CLIENT_SECRET and _APP_KEY, as for the tap."""
    from singer_sdk.exceptions import ConfigValidationError
    from tap_servicetitan.tap import TapServiceTitan

    try:
        tap = TapServiceTitan(config=dict(tap_config), parse_env_config=False, validate_config=True)
    except ConfigValidationError as exc:
        problems = "; ".join(getattr(exc, "errors", None) or [str(exc)])
        raise ConfigError(f"ServiceTitan settings for reconcile: {problems} (reconcile reads "
                          "servicetitan_tenant_id, servicetitan_api_url, servicetitan_auth_url from its settings and "
                          "the secrets from TAP_SERVICETITAN_CLIENT_ID, TAP_SERVICETITAN_CLIENT_SECRET, "
                          "TAP_SERVICETITAN_APP_KEY)") from exc
    found: dict[str, list[dict[str, Any]]] = {}
    for name in dict.fromkeys(names):
        stream = tap.streams.get(name)
        if stream is None:
            logger.warning("reconcile: the tap has no stream %r; read as empty", name)
            found[name] = []
            continue
        stream._write_state_message = lambda: None  # type: ignore[method-assign]  # reading only: no STATE out
        found[name] = [record for record in stream.get_records(None) if isinstance(record, dict)]
        logger.info("reconcile: ServiceTitan %s: %d records", name, len(found[name]))
    return found


@dataclass
class StInvoice:
    key: str
    number: str
    customer_id: str
    total: Decimal
    balance: Decimal
    date: str          # business date
    due: str           # business date ('' if none)
    synced: bool
    record_id: str


@dataclass
class Expected:
    """A FreshBooks object ServiceTitan's records say should exist (found by its marker or number)."""

    source_key: str       # the record replay re-sends (e.g. servicetitan:payment:55)
    marker: str           # the object's own key/number (e.g. servicetitan:payment:55:invoice:7, or ST-1001)
    stream: str
    amount: Decimal
    customer_id: str


@dataclass
class ServiceTitanBooks:
    customers: dict[str, dict[str, Any]] = field(default_factory=dict)
    invoices: dict[str, StInvoice] = field(default_factory=dict)          # in scope, active, by id
    all_invoice_ids: dict[str, str] = field(default_factory=dict)          # number -> id, every invoice
    inactive_or_out: set[str] = field(default_factory=set)                # invoice ids voided or out of scope
    ar: dict[str, Decimal] = field(default_factory=lambda: defaultdict(lambda: ZERO))
    timing: dict[str, Decimal] = field(default_factory=lambda: defaultdict(lambda: ZERO))
    timing_items: list[TimingDifference] = field(default_factory=list)
    expected: list[Expected] = field(default_factory=list)                # payments, credit applications, notes
    held_keys: set[str] = field(default_factory=set)                      # held-back documents' source keys
    synced_keys: set[str] = field(default_factory=set)                    # in-scope documents FreshBooks has
    cash: dict[str, Decimal] = field(default_factory=lambda: defaultdict(lambda: ZERO))
    revenue: dict[str, Decimal] = field(default_factory=lambda: defaultdict(lambda: ZERO))


def _apps(document: Mapping[str, Any]) -> list[tuple[str, Decimal]]:
    return [(str(a.get("appliedTo")), dec(a.get("appliedAmount"))) for a in document.get("appliedTo") or []]


def _customer(document: Mapping[str, Any]) -> str:
    customer = document.get("customer")
    value = customer.get("id") if isinstance(customer, dict) else document.get("customerId")
    return str(value)


def _active(document: Mapping[str, Any]) -> bool:
    return document.get("active", True) is not False


def in_window(invoice: Mapping[str, Any], start: str | None) -> bool:
    if not start or str(invoice.get("invoiceDate") or "")[:10] >= start:
        return True
    if dec(invoice.get("balance")) != 0:
        return True
    paid_on = str(invoice.get("paidOn") or "")[:10]
    if paid_on:
        return paid_on >= start
    return dec(invoice.get("total")) != 0


def invoice_number(invoice: Mapping[str, Any], rules: Rules) -> str:
    reference = str(invoice.get("referenceNumber") or "").strip()
    return rules.invoice_number_prefix + (reference or str(invoice.get("id")))


def servicetitan_books(data: Mapping[str, list[dict[str, Any]]], rules: Rules) -> ServiceTitanBooks:
    """What ServiceTitan's records say, by the rules above (pure: `data` is stream name -> records)."""
    books = ServiceTitanBooks()
    zone = rules.zone
    books.customers = {str(c["id"]): c for c in data.get("customers", [])}
    invoices = {str(i["id"]): i for i in data.get("invoices", [])}
    payments = {str(p["id"]): p for p in data.get("payments", [])}
    memos = {str(m["id"]): m for m in data.get("credit_memos", [])}
    start = rules.start_date

    window = {i for i, inv in invoices.items() if in_window(inv, start)}
    for i, inv in invoices.items():
        books.all_invoice_ids[invoice_number(inv, rules)] = i
        if not _active(inv) or i not in window:
            books.inactive_or_out.add(i)
    scoped = {i for i in window if _active(invoices[i])}
    synced = {i for i in scoped if rules.synced_status(invoices[i].get("syncStatus"))}
    for i in sorted(scoped, key=int):
        inv = invoices[i]
        due = business_date(inv.get("dueDate"), zone) if inv.get("dueDate") else ""
        books.invoices[i] = StInvoice(f"servicetitan:invoice:{i}", invoice_number(inv, rules), _customer(inv),
                                      dec(inv.get("total")), dec(inv.get("balance")),
                                      business_date(inv.get("invoiceDate"), zone), due, i in synced, i)

    def in_scope(document: Mapping[str, Any]) -> bool:
        return _active(document) and ((not start or business_date(document.get("date"), zone) >= start)
                                      or any(i in window for i, _ in _apps(document)))

    scoped_payments = {p for p, doc in payments.items() if in_scope(doc)}
    scoped_memos = {m for m, doc in memos.items() if in_scope(doc)}
    held_payments = {p for p in scoped_payments if any(i not in synced for i, _ in _apps(payments[p]))}
    for p in scoped_payments:  # a refund waits for its original
        if str(payments[p].get("refundedPaymentId") or "") in held_payments:
            held_payments.add(p)
    held_memos = {m for m in scoped_memos if any(i not in synced for i, _ in _apps(memos[m]))}
    books.held_keys = ({f"servicetitan:payment:{p}" for p in held_payments}
                       | {f"servicetitan:creditmemo:{m}" for m in held_memos})

    for i, scoped_inv in books.invoices.items():
        books.ar[scoped_inv.customer_id] += scoped_inv.balance
        if scoped_inv.synced:
            books.revenue[month(scoped_inv.date)] += scoped_inv.total
        else:
            books.timing[scoped_inv.customer_id] += scoped_inv.balance
            books.timing_items.append(TimingDifference(
                scoped_inv.customer_id, scoped_inv.key, scoped_inv.balance,
                f"invoice {scoped_inv.number} is {invoices[i].get('syncStatus')!s}: not synced until it is posted"))

    refunds_of: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)   # (payment, invoice) -> refunded
    remainder_refunds: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for p in scoped_payments:
        original = str(payments[p].get("refundedPaymentId") or "")
        if original and p not in held_payments:
            for i, amount in _apps(payments[p]):
                refunds_of[(original, i)] += amount
            remainder_refunds[original] += dec(payments[p].get("unappliedAmount"))

    for p in sorted(scoped_payments, key=int):
        doc = payments[p]
        customer, unapplied, key = _customer(doc), dec(doc.get("unappliedAmount")), f"servicetitan:payment:{p}"
        books.ar[customer] -= unapplied
        if p in held_payments:
            applied_synced = sum((a for i, a in _apps(doc) if i in synced), ZERO)
            books.timing[customer] -= applied_synced + unapplied
            books.timing_items.append(TimingDifference(
                customer, key, -(applied_synced + unapplied),
                "payment waits on an invoice not posted yet (held back whole, parked by the connector)"))
            continue
        books.cash[month(business_date(doc.get("date"), zone))] += dec(doc.get("total"))
        books.synced_keys.add(key)
        refund = bool(doc.get("refundedPaymentId"))
        if refund and rules.refund_mode == "reduce_payment":
            continue  # it lowers the payment it refunds
        for i, amount in _apps(doc):
            expected = amount if refund else amount + (refunds_of[(p, i)] if rules.refund_mode == "reduce_payment"
                                                       else ZERO)
            books.expected.append(Expected(key, f"{key}:invoice:{i}", "payments", expected, customer))
        if not refund and unapplied + remainder_refunds[p] > 0:
            books.expected.append(Expected(key, f"{key}:unapplied", "credit_notes", unapplied + remainder_refunds[p],
                                           customer))

    for m in sorted(scoped_memos, key=int):
        doc = memos[m]
        customer, balance, key = _customer(doc), dec(doc.get("balance")), f"servicetitan:creditmemo:{m}"
        books.ar[customer] -= balance
        if m in held_memos:
            applied_synced = sum((a for i, a in _apps(doc) if i in synced), ZERO)
            books.timing[customer] -= applied_synced + balance
            books.timing_items.append(TimingDifference(
                customer, key, -(applied_synced + balance),
                "credit memo waits on an invoice not posted yet (held back whole, parked by the connector)"))
            continue
        books.revenue[month(business_date(doc.get("date"), zone))] -= dec(doc.get("total"))
        books.expected.append(Expected(key, key, "credit_notes", dec(doc.get("total")), customer))
        for i, amount in _apps(doc):
            books.expected.append(Expected(key, f"{key}:invoice:{i}", "credit_notes", amount, customer))
    return books


def customer_email(customer: Mapping[str, Any]) -> str:
    """The customer's primary email as the tap folds it in (`email`: the lowest-id active Email contact)."""
    return str(customer.get("email") or "").strip().lower()
