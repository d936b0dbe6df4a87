"""Comparing ServiceTitan's books with FreshBooks': pure functions over both sides' facts.

Per object: every FreshBooks object ServiceTitan's synced records call for (invoice by number, payment and
credit application by its marker, credit note by its marker) exists once, with the amount; a connector-owned
object no ServiceTitan record calls for is `only_in_freshbooks`; objects made in FreshBooks are listed as
`made_in_freshbooks`, never drift. Per customer: AR against the paired client, timing differences apart.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from target_freshbooks.reconcile.freshbooks_side import FreshBooksBooks, client_duplicates, pair_customers
from target_freshbooks.reconcile.model import (
    AgingBucket,
    CustomerBalance,
    Difference,
    InvoiceLine,
    PeriodTotal,
    Reconciliation,
)
from target_freshbooks.reconcile.rules import ZERO, Rules, dec
from target_freshbooks.reconcile.servicetitan_side import Expected, ServiceTitanBooks, customer_email

AGING = (("current", None, 0), ("1-30", 1, 30), ("31-60", 31, 60), ("61-90", 61, 90), ("90+", 91, None))


def _fid(obj: dict[str, Any]) -> str:
    return str(obj.get("id"))


def _base_key(marker: str) -> str:
    """`servicetitan:payment:55:invoice:7` -> `servicetitan:payment:55` (the record replay re-sends)."""
    return ":".join(marker.split(":")[:3])


def _is_application(marker: str) -> bool:
    """`servicetitan:<kind>:<id>:invoice:<id>`: an application (a FreshBooks payment), not a document."""
    return marker.split(":")[3:4] == ["invoice"]


def _extras(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """All but the oldest (lowest id): the ones a duplicate adds."""
    return sorted(objects, key=lambda o: int(_fid(o)) if _fid(o).isdigit() else 0)[1:]


def object_differences(st: ServiceTitanBooks, fb: FreshBooksBooks, rules: Rules) -> list[Difference]:
    found: list[Difference] = []
    # Clients --------------------------------------------------------------------------------------------
    for customer, ids in sorted(client_duplicates(fb.clients).items()):
        for extra_id in ids[1:]:
            found.append(Difference("duplicate", "clients", f"client {extra_id} carries the marker of customer "
                                    f"{customer}, as client {ids[0]} does: one customer, two clients",
                                    f"servicetitan:customer:{customer}", extra_id, customer))
    # Invoices -------------------------------------------------------------------------------------------
    by_number: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for obj in fb.owned_invoices:
        by_number[str(obj.get("invoice_number"))].append(obj)
    expected_numbers = set()
    for inv in st.invoices.values():
        if not inv.synced or inv.total < 0:
            continue
        expected_numbers.add(inv.number)
        have = by_number.get(inv.number, [])
        if not have:
            if inv.total != ZERO:
                found.append(Difference("missing_in_freshbooks", "invoices", f"invoice {inv.number} (total "
                                        f"{inv.total}) is not in FreshBooks", inv.key, None, inv.customer_id,
                                        inv.total, None))
            continue
        for extra in _extras(have):
            found.append(Difference("duplicate", "invoices", f"invoice number {inv.number} is held by "
                                    f"{len(have)} FreshBooks invoices", inv.key, _fid(extra), inv.customer_id,
                                    inv.total, dec(extra.get("amount"))))
        amount = dec(have[0].get("amount"))
        if amount != inv.total:
            found.append(Difference("amount", "invoices", f"invoice {inv.number}: total {inv.total} in ServiceTitan, "
                                    f"{amount} in FreshBooks", inv.key, _fid(have[0]), inv.customer_id, inv.total,
                                    amount))
    for number, objs in sorted(by_number.items()):
        if number in expected_numbers:
            continue
        st_id = st.all_invoice_ids.get(number)
        pending = st_id is not None and st_id in st.invoices and not st.invoices[st_id].synced
        why = ("is not posted in ServiceTitan" if pending else "is void or out of scope in ServiceTitan"
               if st_id is not None else "has no ServiceTitan invoice")
        for extra_obj in objs:
            found.append(Difference("only_in_freshbooks", "invoices", f"invoice {number} {why}",
                                    f"servicetitan:invoice:{st_id}" if st_id else None, _fid(extra_obj), None, None,
                                    dec(extra_obj.get("amount"))))
    for foreign in fb.foreign_invoices:
        found.append(Difference("made_in_freshbooks", "invoices", f"invoice {foreign.get('invoice_number')} was made "
                                "in FreshBooks (not the connector's number prefix)", None, _fid(foreign), None, None,
                                dec(foreign.get("amount"))))
    # Payments, credit applications and credit notes -------------------------------------------------------
    negative = {inv.key: inv for inv in st.invoices.values() if inv.synced and inv.total < 0}
    expected = list(st.expected)
    wanted: dict[str, Expected | None] = {}
    for wanted_item in expected:
        wanted[wanted_item.marker] = wanted_item
    for key in negative:
        wanted[key] = None  # an adjustment: a credit note of minus its total
    seen_markers = set()
    for marker_key, item in sorted(wanted.items()):
        pool = fb.owned_payments if _is_application(marker_key) else fb.owned_notes
        have = pool.get(marker_key, [])
        seen_markers.add(marker_key)
        if item is None:
            adjustment = negative[marker_key]
            stream, base, amount, customer = "credit_notes", marker_key, -adjustment.total, adjustment.customer_id
            what = f"adjustment {adjustment.number}"
        else:
            stream, base, amount, customer = item.stream, item.source_key, item.amount, item.customer_id
            what = marker_key
        if not have:
            if amount > ZERO:
                found.append(Difference("missing_in_freshbooks", stream, f"{what} ({amount}) is not in FreshBooks",
                                        base, None, customer, amount, None))
            continue
        if amount <= ZERO:
            for obj in have:
                found.append(Difference("only_in_freshbooks", stream, f"{what} is refunded or void in ServiceTitan "
                                        "but still in FreshBooks", base, _fid(obj), customer, amount,
                                        dec(obj.get("amount"))))
            continue
        for extra in _extras(have):
            found.append(Difference("duplicate", stream, f"{what} is held by {len(have)} FreshBooks objects", base,
                                    _fid(extra), customer, amount, dec(extra.get("amount"))))
        have_amount = dec(have[0].get("amount"))
        if have_amount != amount and not marker_key.endswith(":unapplied"):
            found.append(Difference("amount", stream, f"{what}: {amount} in ServiceTitan, {have_amount} in FreshBooks",
                                    base, _fid(have[0]), customer, amount, have_amount))
    for pool, stream in ((fb.owned_payments, "payments"), (fb.owned_notes, "credit_notes")):
        for marker_key, objs in sorted(pool.items()):
            kind = marker_key.split(":")[1] if marker_key.count(":") >= 2 else ""
            if marker_key in seen_markers or kind not in ("payment", "creditmemo", "invoice"):
                continue
            if (stream == "payments") != _is_application(marker_key):
                continue  # e.g. a Credit payment's note naming the credit note it applies ([...:unapplied])
            if kind == "invoice" and (stream == "payments" or marker_key in negative):
                continue  # an adjustment's applications: counted in AR, not checked one by one
            base = _base_key(marker_key)
            if marker_key.endswith(":unapplied") and base in st.synced_keys:
                continue  # a remainder's prepayment note stays once ServiceTitan applies the remainder: its credit
                # is applied from it (Credit payments), which AR counts
            why = ("waits on an invoice not posted in ServiceTitan" if base in st.held_keys
                   else "has no active, in-scope ServiceTitan record")
            for obj in objs:
                found.append(Difference("only_in_freshbooks", stream,
                                        f"{marker_key} {why}", base, _fid(obj), None, None, dec(obj.get("amount"))))
    for obj in fb.foreign_payments:
        found.append(Difference("made_in_freshbooks", "payments", f"payment {_fid(obj)} on invoice "
                                f"{obj.get('invoiceid')} was made in FreshBooks (no connector marker)", None,
                                _fid(obj), None, None, dec(obj.get("amount"))))
    for obj in fb.foreign_notes:
        found.append(Difference("made_in_freshbooks", "credit_notes", f"credit note {obj.get('credit_number')} was "
                                "made in FreshBooks (no connector marker)", None, _fid(obj), None, None,
                                dec(obj.get("amount"))))
    return found


def customer_balances(st: ServiceTitanBooks, fb: FreshBooksBooks) -> list[CustomerBalance]:
    """AR per ServiceTitan customer against its paired client; customers sharing a client are one row."""
    emails = {c: customer_email(st.customers.get(c, {})) for c in set(st.customers) | set(st.ar)}
    pairs = pair_customers(fb.clients, emails)
    groups: dict[str | None, list[str]] = defaultdict(list)
    for customer in sorted(emails, key=lambda c: int(c) if c.isdigit() else 0):
        groups[pairs.get(customer)].append(customer)
    rows: list[CustomerBalance] = []
    paired_clients = {c for c in groups if c is not None}
    for client, members in groups.items():
        sets = [[m] for m in members] if client is None else [members]
        for row in sets:
            st_ar = sum((st.ar.get(c, ZERO) for c in row), ZERO)
            timing = sum((st.timing.get(c, ZERO) for c in row), ZERO)
            fb_ar = fb.ar.get(client, ZERO) if client is not None else ZERO
            if not (st_ar or timing or fb_ar or any(i.customer_id in row for i in st.invoices.values())):
                continue
            name = ", ".join(str(st.customers.get(c, {}).get("name") or c) for c in row)
            rows.append(CustomerBalance(",".join(row), name, client, st_ar, fb_ar, timing))
    for client, ar in fb.ar.items():
        if client not in paired_clients and ar:
            org = fb.clients.get(client, {}).get("organization") or f"client {client}"
            rows.append(CustomerBalance("", f"{org} (no ServiceTitan customer pairs with it)", client, ZERO, ar))
    by_number = {str(i.get("invoice_number")): i for i in fb.owned_invoices}
    for balance in rows:
        if balance.status != "drift":
            continue
        group = set(balance.customer_id.split(","))
        for inv in st.invoices.values():
            if inv.customer_id in group and inv.synced:
                obj = by_number.get(inv.number)
                outstanding = fb.outstanding.get(_fid(obj)) if obj else None
                if outstanding != inv.balance:
                    balance.invoices.append(InvoiceLine(inv.key, inv.number, inv.balance, outstanding))
    rows.sort(key=lambda r: (r.status != "drift", r.status != "timing", r.name))
    return rows


def _bucket(days: int) -> str:
    for label, low, high in AGING:
        if (low is None or days >= low) and (high is None or days <= high):
            return label
    return "90+"


def aging(st: ServiceTitanBooks, fb: FreshBooksBooks, as_of: date) -> list[AgingBucket]:
    """Open receivables by days past due, both systems (ServiceTitan: in-scope invoices; FreshBooks: owned)."""
    st_b: dict[str, Decimal] = defaultdict(lambda: ZERO)
    fb_b: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for inv in st.invoices.values():
        if inv.balance:
            due = date.fromisoformat((inv.due or inv.date)[:10])
            st_b[_bucket((as_of - due).days)] += inv.balance
    for obj in fb.owned_invoices:
        outstanding = fb.outstanding.get(_fid(obj))
        if not outstanding:
            continue
        due_text = str(obj.get("due_date") or "")[:10]
        if due_text:
            due = date.fromisoformat(due_text)
        else:
            due = date.fromisoformat(str(obj.get("create_date"))[:10]) + timedelta(
                days=int(obj.get("due_offset_days") or 0))
        fb_b[_bucket((as_of - due).days)] += outstanding
    return [AgingBucket(label, st_b[label], fb_b[label]) for label, _, _ in AGING]


def periods(st: ServiceTitanBooks, fb: FreshBooksBooks) -> list[PeriodTotal]:
    rows = []
    for measure, a, b in (("cash", st.cash, fb.cash), ("revenue", st.revenue, fb.revenue)):
        for month in sorted(set(a) | set(b)):
            if a.get(month, ZERO) or b.get(month, ZERO):
                rows.append(PeriodTotal(month, measure, a.get(month, ZERO), b.get(month, ZERO)))
    return rows


def _detail_account(detail: dict[str, Any]) -> tuple[str, str]:
    sub = detail.get("sub_account") or {}
    account = detail.get("account") or {}
    name = str(sub.get("account_sub_name") or account.get("account_name") or "")
    return name, str(sub.get("account_sub_number") or account.get("account_number") or "")


def journal_periods(st: ServiceTitanBooks, fb: FreshBooksBooks, rules: Rules) -> list[PeriodTotal]:
    """Journal-entry mode: per month, the connector's entries on the receivable and cash accounts against what
    ServiceTitan's documents move there (AR: invoices - credits - payments; cash: payments), and the entries'
    balance (debits - credits, zero when every entry balances)."""
    roles = {role: str(rules.journal_accounts.get(role) or "").strip().lower()
             for role in ("accounts_receivable", "undeposited_funds")}
    net: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    for detail in fb.journal_entries:
        day = str(detail.get("user_entered_date") or detail.get("date") or "")[:7]
        movement = dec(detail.get("debit")) - dec(detail.get("credit"))
        net[(day, "balance (debits - credits)")] += movement
        names = {n.lower() for n in _detail_account(detail) if n}
        for role, wanted in roles.items():
            if wanted and wanted in names:
                net[(day, role)] += movement
    months = sorted({m for m, _ in net} | set(st.cash) | set(st.revenue))
    rows = []
    for month in months:
        expected = {"accounts_receivable": st.revenue.get(month, ZERO) - st.cash.get(month, ZERO),
                    "undeposited_funds": st.cash.get(month, ZERO), "balance (debits - credits)": ZERO}
        for measure, value in expected.items():
            if measure in roles and not roles[measure]:
                continue
            if value or net.get((month, measure), ZERO):
                rows.append(PeriodTotal(month, measure, value, net.get((month, measure), ZERO)))
    return rows


def reconcile(st: ServiceTitanBooks, fb: FreshBooksBooks, rules: Rules, report: Reconciliation,
              as_of: date) -> Reconciliation:
    """Fill `report` with the comparison of both sides (per client, or per period and account in journal mode)."""
    if report.mode == "journal_entry":
        report.timing = list(st.timing_items)
        report.periods = journal_periods(st, fb, rules)
        report.totals = {"journal balance": (ZERO, sum((p.freshbooks for p in report.periods
                                                         if p.measure.startswith("balance")), ZERO))}
        return report
    report.customers = customer_balances(st, fb)
    report.differences = object_differences(st, fb, rules)
    report.timing = list(st.timing_items)
    report.aging = aging(st, fb, as_of)
    report.periods = periods(st, fb)
    st_ar, timing, fb_ar = sum(st.ar.values(), ZERO), sum(st.timing.values(), ZERO), sum(fb.ar.values(), ZERO)
    report.totals = {
        "accounts receivable": (st_ar, fb_ar),
        "timing differences": (timing, ZERO),
        "AR net of timing": (st_ar - timing, fb_ar),
        "cash": (sum(st.cash.values(), ZERO), sum(fb.cash.values(), ZERO)),
        "revenue": (sum(st.revenue.values(), ZERO), sum(fb.revenue.values(), ZERO)),
    }
    return report
