"""Do the books match? Accounts receivable and money per month, ServiceTitan against FreshBooks.

The ServiceTitan side is computed from ServiceTitan's own records only (the sandbox store, read with
`iter_records`), by the documented rules, never from the connector's code or its ledger; the FreshBooks
side from FreshBooks' own records (the simulator's side door), by FreshBooks' own fields.

Scope (tap-servicetitan README, `start_date`): an invoice dated on or after the start date, or earlier
and still open on it (a balance today, or `paidOn` on or after it; a paid-off invoice without `paidOn`
is kept, as the tap keeps it); payments and credit memos dated on or after it, or applied to an invoice
in scope.

ServiceTitan AR of a customer = balances of its active in-scope invoices (negative adjustment invoices
included) - `unappliedAmount` of its active in-scope payments (a refund of a remainder carries a negative
one, so it gives the credit back) - `balance` of its active in-scope credit memos.

Timing differences (never drift): an invoice whose `syncStatus` is not Posted/Exported is not synced yet;
a payment or credit memo with any application to an unsynced invoice is held back whole (parked), and so
is a refund of a held-back payment. timing = balances of unsynced in-scope invoices - what held-back
documents applied to synced invoices - their remainders (unapplied payment amounts, memo balances), so
that ServiceTitan AR - timing is what FreshBooks should show.

FreshBooks AR of a client = outstanding of the sent, non-deleted invoices the connector owns (invoice
number with the mapper's prefix, not pre-existing) - the credit that came from ServiceTitan: amounts of
the connector's credit notes (not deleted) - active payments of type Credit on its invoices + what cash
payments paid on its invoices beyond their amount. Objects the seed put in FreshBooks before the connector
(`/_sandbox/preexisting`) are listed apart.

Pairing: a client whose note carries `[servicetitan:customer:<id>]`, else the active client with the
customer's primary email (case-insensitive, lowest id). Several customers may share a client: AR is
compared per client.

Money per month (business dates, America/New_York; a midnight-UTC value is a plain date):
- cash: ServiceTitan's in-scope payment totals (refunds negative) by payment date; FreshBooks' cash
  payments (type not Credit) at their amount before refunds by payment date, each refund line in a
  payment's note (`Refunded X on DATE [...=X]`) negative at its date, plus prepayment credit notes (the
  remainders), their positive lines at the note's date and negative lines at the date they name.
- revenue: ServiceTitan's in-scope invoice totals (adjustments negative) by invoice date - credit memo
  totals by memo date; FreshBooks' owned invoice amounts by create date - owned non-prepayment credit note
  amounts by create date.
Timing documents (unsynced invoices, held-back payments and memos) are left out of the ServiceTitan side
and reported apart.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from itertools import combinations
from typing import Any
from zoneinfo import ZoneInfo

from e2e_truth import INVOICE_PREFIX, START_DATE, primary_emails
from sandbox.freshbooks.testing import SideDoor
from sandbox.servicetitan.data import iter_records
from sandbox.store import Store

BUSINESS_TZ = ZoneInfo("America/New_York")  # meltano.yml: the mapping's business_timezone
SYNCED_STATUSES = {"Posted", "Exported"}  # the mapper's invoice_sync_statuses
ZERO = Decimal("0.00")
CENT = Decimal("0.01")
CUSTOMER_MARKER = re.compile(r"\[servicetitan:customer:(\d+)\]")
SOURCE_MARKER = re.compile(r"\[(servicetitan:[^\]=\s]+)\]")
REFUND_LINE = re.compile(
    r"Refunded\s+(-?[\d,]+\.\d{2})\s+on\s+(\d{4}-\d{2}-\d{2})\s*\[(servicetitan:[^\]=]+)=([\d.]+)\]")
DATE_IN_TEXT = re.compile(r"\b(\d{4}-\d{2}-\d{2})\b")


def dec(value: Any) -> Decimal:
    """ServiceTitan money (a string, or a float in credit memos) or FreshBooks Money, to the cent."""
    if isinstance(value, dict):
        value = value.get("amount")
    if value in (None, ""):
        return ZERO
    return Decimal(str(value)).quantize(CENT)


def business_date(value: str) -> str:
    """The business's calendar date of a ServiceTitan date or date-time (midnight UTC keeps its own date)."""
    if len(value) == 10:
        return value
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    offset = moment.utcoffset()
    if offset is not None and not offset and moment.time() == datetime.min.time():
        return moment.date().isoformat()
    return moment.astimezone(BUSINESS_TZ).date().isoformat()


def month(day: str) -> str:
    return date.fromisoformat(day[:10]).strftime("%Y-%m")


# ---------------------------------------------------------------------------------------------------- ServiceTitan


@dataclass
class Causes:
    """A customer's in-scope, synced documents by the kind of money they move (to explain a drift)."""

    refunds: Decimal = ZERO
    """What refunds applied back to invoices (raises AR)."""
    remainders: Decimal = ZERO
    """Unapplied remainders of payments (lowers AR)."""
    remainder_refunds: Decimal = ZERO
    """Refunds of remainders (raises AR)."""
    credit_memos: Decimal = ZERO
    """Credit memo totals (lowers AR by the whole memo: applied part and balance)."""
    adjustments: Decimal = ZERO
    """Adjustment invoices' balances (negative)."""
    held_back: Decimal = ZERO
    """Held-back documents' credit (memo totals, payment remainders): what FreshBooks shows too much of if
    one is written before its invoice is posted."""

    def as_dict(self) -> dict[str, Decimal]:
        """Each kind's effect on the AR FreshBooks should show; a drift of minus a sum of them is explained."""
        return {"refunds": self.refunds, "remainders": -self.remainders, "remainder_refunds": self.remainder_refunds,
                "credit_memos": -self.credit_memos, "adjustments": self.adjustments,
                "held_back_written": self.held_back}


@dataclass
class ServiceTitanBooks:
    ar: dict[int, Decimal] = field(default_factory=lambda: defaultdict(lambda: ZERO))
    timing: dict[int, Decimal] = field(default_factory=lambda: defaultdict(lambda: ZERO))
    timing_items: dict[int, list[str]] = field(default_factory=lambda: defaultdict(list))
    causes: dict[int, Causes] = field(default_factory=lambda: defaultdict(Causes))
    cash: dict[str, Decimal] = field(default_factory=lambda: defaultdict(lambda: ZERO))
    revenue: dict[str, Decimal] = field(default_factory=lambda: defaultdict(lambda: ZERO))
    timing_cash: dict[str, Decimal] = field(default_factory=lambda: defaultdict(lambda: ZERO))
    timing_revenue: dict[str, Decimal] = field(default_factory=lambda: defaultdict(lambda: ZERO))
    customers: dict[int, dict[str, Any]] = field(default_factory=dict)
    in_scope: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    held_back: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    notes: list[str] = field(default_factory=list)
    """Things the rules left out or the data does not explain (listed, not asserted)."""
    sanity: list[str] = field(default_factory=list)
    """ServiceTitan's own money rules that do not hold in the data (each is a finding)."""


def in_window(invoice: dict[str, Any]) -> bool:
    """Dated on or after the start date, or still open on it (tap-servicetitan README)."""
    if invoice["invoiceDate"][:10] >= START_DATE:
        return True
    if dec(invoice["balance"]) != 0:
        return True
    paid_on = (invoice.get("paidOn") or "")[:10]
    if paid_on:
        return paid_on >= START_DATE
    return dec(invoice["total"]) != 0  # paid off without paidOn: kept (it may have been open)


def applications(document: dict[str, Any]) -> list[tuple[int, Decimal]]:
    return [(int(a["appliedTo"]), dec(a["appliedAmount"])) for a in document.get("appliedTo") or []]


def servicetitan_books(store: Store) -> ServiceTitanBooks:
    books = ServiceTitanBooks()
    invoices = {inv["id"]: inv for inv in iter_records(store, "invoices")}
    payments = {p["id"]: p for p in iter_records(store, "payments")}
    memos = {m["id"]: m for m in iter_records(store, "credit_memos")}
    books.customers = {c["id"]: c for c in iter_records(store, "customers")}

    window = {i for i, inv in invoices.items() if in_window(inv)}
    scoped_invoices = {i for i in window if invoices[i]["active"]}
    synced = {i for i in scoped_invoices if invoices[i]["syncStatus"] in SYNCED_STATUSES}

    def scoped(document: dict[str, Any]) -> bool:
        return bool(document["active"]) and (business_date(str(document["date"]))[:10] >= START_DATE
                                             or any(i in window for i, _ in applications(document)))

    scoped_payments = {p for p, doc in payments.items() if scoped(doc)}
    scoped_memos = {m for m, doc in memos.items() if scoped(doc)}
    held_payments = {p for p in scoped_payments if any(i not in synced for i, _ in applications(payments[p]))}
    for p in scoped_payments:  # a refund waits for its original
        if payments[p].get("refundedPaymentId") in held_payments:
            held_payments.add(p)
    held_memos = {m for m in scoped_memos if any(i not in synced for i, _ in applications(memos[m]))}
    books.in_scope.update(invoices=scoped_invoices, payments=scoped_payments, credit_memos=scoped_memos)
    books.held_back.update(invoices=scoped_invoices - synced, payments=held_payments, credit_memos=held_memos)

    for i in sorted(scoped_invoices):
        inv = invoices[i]
        customer, balance, total = inv["customer"]["id"], dec(inv["balance"]), dec(inv["total"])
        books.ar[customer] += balance
        day = month(business_date(inv["invoiceDate"]))
        if i in synced:
            books.revenue[day] += total
            if inv.get("adjustmentToId"):
                books.causes[customer].adjustments += balance
        else:
            books.timing[customer] += balance
            books.timing_revenue[day] += total
            books.timing_items[customer].append(f"invoice {i} {inv['syncStatus']} balance {balance}")
    for p in sorted(scoped_payments):
        doc = payments[p]
        customer, unapplied = doc["customer"]["id"], dec(doc["unappliedAmount"])
        books.ar[customer] -= unapplied
        day = month(business_date(doc["date"]))
        if p in held_payments:
            applied_synced = sum((a for i, a in applications(doc) if i in synced), ZERO)
            books.timing[customer] -= applied_synced + unapplied
            books.timing_cash[day] += dec(doc["total"])
            books.timing_items[customer].append(f"payment {p} held back: {applied_synced} on synced invoices, "
                                                f"{unapplied} unapplied")
            books.causes[customer].held_back += unapplied
            continue
        books.cash[day] += dec(doc["total"])
        causes = books.causes[customer]
        if doc.get("refundedPaymentId"):
            causes.refunds += -sum((a for _, a in applications(doc)), ZERO)
            causes.remainder_refunds += -unapplied
        else:
            causes.remainders += unapplied
    for m in sorted(scoped_memos):
        doc = memos[m]
        customer, balance = doc["customer"]["id"], dec(doc["balance"])
        books.ar[customer] -= balance
        day = month(business_date(str(doc["date"])))
        if m in held_memos:
            applied_synced = sum((a for i, a in applications(doc) if i in synced), ZERO)
            books.timing[customer] -= applied_synced + balance
            books.timing_revenue[day] -= dec(doc["total"])
            books.timing_items[customer].append(f"credit memo {m} held back: {applied_synced} on synced invoices, "
                                                f"{balance} unapplied")
            books.causes[customer].held_back += dec(doc["total"])
            continue
        books.revenue[day] -= dec(doc["total"])
        books.causes[customer].credit_memos += dec(doc["total"])

    check_servicetitan(books, invoices, payments, memos, window, scoped_payments)
    return books


def check_servicetitan(books: ServiceTitanBooks, invoices: dict[int, dict[str, Any]],
                       payments: dict[int, dict[str, Any]], memos: dict[int, dict[str, Any]], window: set[int],
                       scoped_payments: set[int]) -> None:
    """ServiceTitan's own rules, so the truth rests on consistent data: every customer's `balance` is the
    sum of its active invoices' balances, and only in-scope invoices can have one (an invoice outside the
    window is paid off), so it equals the in-scope sum; an invoice's balance is its total minus the active
    applications; a payment's total is its applications plus its remainder; a memo's balance likewise."""
    applied: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for doc in (*payments.values(), *memos.values()):
        if doc["active"]:
            for i, amount in applications(doc):
                applied[i] += amount
    owed: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for i, inv in invoices.items():
        if not inv["active"]:
            continue
        owed[inv["customer"]["id"]] += dec(inv["balance"])
        if dec(inv["total"]) - applied[i] != dec(inv["balance"]):
            books.sanity.append(f"invoice {i}: total {inv['total']} - applied {applied[i]} != balance {inv['balance']}")
        if i not in window and dec(inv["balance"]):
            books.sanity.append(f"invoice {i} outside the window with balance {inv['balance']}")
    scoped_owed: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for i in books.in_scope["invoices"]:
        scoped_owed[invoices[i]["customer"]["id"]] += dec(invoices[i]["balance"])
    for customer_id, customer in books.customers.items():
        stated = dec(customer.get("balance"))
        if stated != owed[customer_id] or stated != scoped_owed[customer_id]:
            books.sanity.append(f"customer {customer_id}: balance {stated} != active invoices {owed[customer_id]} "
                                f"(in scope {scoped_owed[customer_id]})")
    for p, doc in payments.items():
        if doc["active"] and dec(doc["total"]) != sum((a for _, a in applications(doc)), ZERO) + dec(
                doc["unappliedAmount"]):
            books.sanity.append(f"payment {p}: total {doc['total']} != applied + unapplied {doc['unappliedAmount']}")
        if doc["active"] and p not in scoped_payments and dec(doc["unappliedAmount"]):
            books.notes.append(f"payment {p} out of scope (dated {doc['date'][:10]}) with unapplied "
                               f"{doc['unappliedAmount']}: not in ServiceTitan AR by the scope rule")
    for m, doc in memos.items():
        if doc["active"] and dec(doc["balance"]) != dec(doc["total"]) - sum((a for _, a in applications(doc)), ZERO):
            books.sanity.append(f"credit memo {m}: balance {doc['balance']} != total - applied")


# ---------------------------------------------------------------------------------------------------- FreshBooks


@dataclass
class FreshBooksBooks:
    ar: dict[int, Decimal] = field(default_factory=lambda: defaultdict(lambda: ZERO))
    parts: dict[int, dict[str, Decimal]] = field(default_factory=dict)
    """Per client: outstanding, notes, credit_applied, overpaid."""
    cash: dict[str, Decimal] = field(default_factory=lambda: defaultdict(lambda: ZERO))
    revenue: dict[str, Decimal] = field(default_factory=lambda: defaultdict(lambda: ZERO))
    clients: dict[int, dict[str, Any]] = field(default_factory=dict)
    preexisting: dict[str, list[int]] = field(default_factory=dict)
    preexisting_ar: dict[int, Decimal] = field(default_factory=dict)
    """Pre-existing invoices' outstanding per client (listed apart, never compared)."""
    simulator_ar: dict[int, dict[str, Any]] = field(default_factory=dict)
    """`/_sandbox/accounts_receivable` per client (every object, pre-existing ones included)."""
    duplicates: list[str] = field(default_factory=list)
    credit_numbers: Counter[str] = field(default_factory=Counter)
    """Kinds of the connector's credit notes by number prefix (what the target creates)."""
    unparsed: list[str] = field(default_factory=list)


def live(record: dict[str, Any]) -> bool:
    return record.get("vis_state", 0) in (0, 2)


def freshbooks_books(fb: SideDoor) -> FreshBooksBooks:
    books = FreshBooksBooks()
    books.preexisting = {k: list(v) for k, v in fb.preexisting()["records"].items()}
    old = {kind: set(ids) for kind, ids in books.preexisting.items()}
    books.clients = {c["id"]: c for c in fb.records("clients")}
    invoices = fb.records("invoices")
    payments = fb.records("payments")
    notes = fb.records("credit_notes")

    owned_invoices = {inv["id"]: inv for inv in invoices if inv["id"] not in old.get("invoices", set())
                      and str(inv.get("invoice_number") or "").startswith(INVOICE_PREFIX)}
    counted = {i: inv for i, inv in owned_invoices.items() if live(inv) and inv.get("v3_status") != "draft"}
    for inv in invoices:
        if inv["id"] in old.get("invoices", set()) and live(inv):
            books.preexisting_ar[inv["customerid"]] = books.preexisting_ar.get(inv["customerid"], ZERO) + dec(
                inv.get("outstanding"))

    def part(client: int) -> dict[str, Decimal]:
        return books.parts.setdefault(client, {"outstanding": ZERO, "notes": ZERO, "credit_applied": ZERO,
                                               "overpaid": ZERO})

    cash_paid: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for payment in payments:
        if payment.get("invoiceid") not in owned_invoices or payment["id"] in old.get("payments", set()):
            continue
        amount = dec(payment.get("amount"))
        if payment.get("type") == "Credit":
            if payment.get("vis_state", 0) == 0 and payment["invoiceid"] in counted:
                part(counted[payment["invoiceid"]]["customerid"])["credit_applied"] += amount
            continue
        if payment.get("vis_state", 0) == 0:
            cash_paid[payment["invoiceid"]] += amount
        refunds = REFUND_LINE.findall(payment.get("note") or "")
        refunded = sum((dec(r[3]) for r in refunds), ZERO)
        if payment.get("vis_state", 0) == 0:
            books.cash[month(payment["date"])] += amount + refunded
        elif refunds:  # refunded in full: deleted, its note keeps the refund lines
            books.cash[month(payment["date"])] += refunded
        for _, day, _, value in refunds:
            books.cash[month(day)] -= dec(value)
    for i, inv in counted.items():
        client = part(inv["customerid"])
        client["outstanding"] += dec(inv.get("outstanding"))
        over = min(cash_paid[i], dec(inv.get("paid")) - dec(inv.get("amount")))
        if over > 0:
            client["overpaid"] += over
        books.revenue[month(inv["create_date"])] += dec(inv.get("amount"))

    for note in notes:
        if note["id"] in old.get("credit_notes", set()) or not live(note):
            continue
        number = str(note.get("credit_number") or "")
        kind = re.split(r"[-0-9]", number, maxsplit=1)[0] or number[:3]
        books.credit_numbers[f"{kind}-... {note.get('credit_type')}"] += 1
        part(note["clientid"])["notes"] += dec(note.get("amount"))
        if note.get("credit_type") == "prepayment":
            for line in note.get("lines") or []:
                amount = dec(line.get("amount") or line.get("unit_cost")) if "amount" in line else (
                    dec(line.get("unit_cost")) * Decimal(str(line.get("qty") or "1"))).quantize(CENT)
                if amount >= 0:
                    books.cash[month(note["create_date"])] += amount
                else:
                    text = f"{line.get('name') or ''} {line.get('description') or ''}"
                    when = DATE_IN_TEXT.search(text)
                    if when is None:
                        books.unparsed.append(f"credit note {note['id']} line without a date: {text!r}")
                    books.cash[month(when.group(1) if when else note["create_date"])] += amount
        else:
            books.revenue[month(note["create_date"])] -= dec(note.get("amount"))

    for client, p in books.parts.items():
        books.ar[client] = p["outstanding"] - (p["notes"] - p["credit_applied"] + p["overpaid"])
    books.simulator_ar = {int(k): v for k, v in fb.receivables()["clients"].items()}
    books.duplicates = duplicates(owned_invoices.values(), notes, payments, old)
    return books


def duplicates(invoices: Iterable[dict[str, Any]], notes: list[dict[str, Any]], payments: list[dict[str, Any]],
               old: dict[str, set[int]]) -> list[str]:
    """Invoice numbers, credit numbers and payment markers held by more than one live object."""
    found = []
    numbers = Counter(inv["invoice_number"] for inv in invoices if live(inv))
    found += [f"invoice number {n} x{c}" for n, c in sorted(numbers.items()) if c > 1]
    credits = Counter(n["credit_number"] for n in notes if live(n) and n["id"] not in old.get("credit_notes", set()))
    found += [f"credit number {n} x{c}" for n, c in sorted(credits.items()) if c > 1]
    markers = Counter(m for p in payments if p.get("vis_state", 0) == 0
                      for m in set(SOURCE_MARKER.findall(p.get("note") or "")))
    found += [f"payment marker {m} x{c}" for m, c in sorted(markers.items()) if c > 1]
    return found


# ---------------------------------------------------------------------------------------------------- comparison


def pair_customers(store: Store, clients: dict[int, dict[str, Any]],
                   customer_ids: Iterable[int]) -> dict[int, int | None]:
    """Customer id -> FreshBooks client id: the connector's marker in the note, else adoption by email."""
    by_marker: dict[int, int] = {}
    for client_id in sorted(clients):
        if clients[client_id].get("vis_state", 0) == 0:
            for found in CUSTOMER_MARKER.findall(clients[client_id].get("note") or ""):
                by_marker.setdefault(int(found), client_id)
    by_email: dict[str, int] = {}
    for client_id in sorted(clients):
        client = clients[client_id]
        if client.get("vis_state", 0) == 0 and client.get("email"):
            by_email.setdefault(client["email"].lower(), client_id)
    emails = primary_emails(store)
    pairs: dict[int, int | None] = {}
    for customer in customer_ids:
        email = (emails.get(customer) or "").lower()
        pairs[customer] = by_marker.get(customer, by_email.get(email) if email else None)
    return pairs


@dataclass
class Drift:
    customer_ids: list[int]
    client_id: int | None
    st_ar: Decimal
    timing: Decimal
    fb_ar: Decimal
    causes: dict[str, Decimal]

    @property
    def expected(self) -> Decimal:
        return self.st_ar - self.timing

    @property
    def difference(self) -> Decimal:
        return self.fb_ar - self.expected

    def explained_by(self) -> str:
        """The smallest set of the customers' kinds of documents whose money, missing, makes the difference."""
        kinds = [(k, v) for k, v in self.causes.items() if v]
        for size in range(1, len(kinds) + 1):
            for combo in combinations(kinds, size):
                if -sum((v for _, v in combo), ZERO) == self.difference:
                    return "+".join(k for k, _ in combo)
        return "unexplained"


@dataclass
class Comparison:
    drift: list[Drift]
    matched: int
    timing: dict[int, Decimal]
    months: list[tuple[str, Decimal, Decimal, Decimal, Decimal, Decimal, Decimal]]
    """(month, ST cash, FB cash, ST revenue, FB revenue, timing cash, timing revenue) where they differ."""
    st: ServiceTitanBooks
    fb: FreshBooksBooks

    def drift_table(self, limit: int = 60) -> str:
        rows = [f"{'customers':<24} {'client':>8} {'ST AR':>11} {'timing':>10} {'FB AR':>11} {'diff':>10}  cause"]
        for d in sorted(self.drift, key=lambda d: (-abs(d.difference), d.customer_ids))[:limit]:
            rows.append(f"{','.join(map(str, d.customer_ids)) or '-':<24} {d.client_id or '-':>8} {d.st_ar:>11} "
                        f"{d.timing:>10} {d.fb_ar:>11} {d.difference:>10}  {d.explained_by()}")
        if len(self.drift) > limit:
            rows.append(f"... {len(self.drift) - limit} more")
        causes = Counter(d.explained_by() for d in self.drift)
        rows.append(f"{len(self.drift)} drifting clients ({self.matched} matched); by cause: {dict(causes)}")
        return "\n".join(rows)

    def month_table(self) -> str:
        rows = [f"{'month':<8} {'ST cash':>12} {'FB cash':>12} {'ST revenue':>12} {'FB revenue':>12} "
                f"{'timing cash':>12} {'timing rev':>12}"]
        rows += [f"{m:<8} {a:>12} {b:>12} {c:>12} {d:>12} {e:>12} {f:>12}" for m, a, b, c, d, e, f in self.months]
        return "\n".join(rows)

    def simulator_disagreements(self) -> list[str]:
        """Clients whose balance in `/_sandbox/accounts_receivable` differs from the one computed here from the
        records (clients holding pre-existing objects left out: the simulator counts those too)."""
        found = []
        for client in sorted(set(self.fb.ar) | set(self.fb.simulator_ar)):
            if client in self.fb.preexisting_ar:
                continue
            reported = dec(self.fb.simulator_ar.get(client, {}).get("balance"))
            if reported != self.fb.ar.get(client, ZERO):
                found.append(f"client {client}: simulator {reported} != records {self.fb.ar.get(client, ZERO)}")
        return found

    def timing_table(self) -> str:
        rows = [f"customer {c}: timing {t}: " + "; ".join(self.st.timing_items[c])
                for c, t in sorted(self.timing.items()) if t]
        waiting = sum(1 for items in self.st.timing_items.values() if items)
        rows.append(f"{len(rows)} customers with a timing difference, total {sum(self.timing.values(), ZERO)}; "
                    f"{waiting} with documents waiting on posting")
        return "\n".join(rows)


def compare(store: Store, fb: SideDoor) -> Comparison:
    st = servicetitan_books(store)
    fbb = freshbooks_books(fb)
    customers = set(st.customers) | set(st.ar)
    pairs = pair_customers(store, fbb.clients, sorted(customers))
    groups: dict[int | None, list[int]] = defaultdict(list)
    for customer in sorted(customers):
        groups[pairs[customer]].append(customer)
    drift, matched = [], 0
    for client in sorted(set(groups) | set(fbb.ar), key=lambda c: (c is None, c or 0)):
        members = groups.get(client, [])
        rows = [[c] for c in members] if client is None else [members]  # unpaired: each on its own
        for row in rows:
            causes: dict[str, Decimal] = defaultdict(lambda: ZERO)
            for c in row:
                for kind, value in st.causes[c].as_dict().items():
                    causes[kind] += value
            d = Drift(row, client, sum((st.ar[c] for c in row), ZERO), sum((st.timing[c] for c in row), ZERO),
                      fbb.ar.get(client, ZERO) if client is not None else ZERO, dict(causes))
            if d.difference:
                drift.append(d)
            elif row:
                matched += 1
    months = []
    for m in sorted(set(st.cash) | set(fbb.cash) | set(st.revenue) | set(fbb.revenue)):
        row = (m, st.cash[m], fbb.cash[m], st.revenue[m], fbb.revenue[m], st.timing_cash[m], st.timing_revenue[m])
        if row[1] != row[2] or row[3] != row[4]:
            months.append(row)
    return Comparison(drift, matched, dict(st.timing), months, st, fbb)
