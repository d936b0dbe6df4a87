"""Accounts payable: AP bills (non-inventory expenses), AP payments and AP credits (vendor credits).

Money rules (FIDELITY.md):

- an AP bill's `billAmount` = its expense lines' `amount`s + its item lines' quantity x cost + `taxAmount`;
- a payment's or credit's split names the bill it settles in `inventoryBillId`: an AP bill or an
  inventory bill (one id sequence serves both);
- a bill's open balance = `billAmount` - the active splits of active payments - the active splits of
  active credits, never below zero; a canceled AP bill has no active split;
- an AP payment's `amount` = its splits' sum (no unapplied part); an AP credit's `appliedAmount` = its
  active splits' sum, at most its `amount` (the rest is unapplied);
- voiding a payment or credit sets `active` false (status Cancelled / Canceled) and its splits' `active`
  false, so the bills it paid are open again.

`PurchaseBook` keeps every bill's amount and what is applied to it; the seed fills it as it goes, and
simulated activity loads it from the stored records.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sandbox.servicetitan import company, records
from sandbox.servicetitan.accounting import ZERO, cents
from sandbox.servicetitan.business import Business
from sandbox.servicetitan.data import iter_records
from sandbox.servicetitan.repository import Repository
from sandbox.servicetitan.times import api_date, api_time, parse_time

AP_PAYMENT_METHODS = ("ServiceTitan", "ServiceTitan", "ServiceTitan", "AccountingSystem")
CANCELED_BY = records.named(40001, "office.manager")


@dataclass
class BillFacts:
    id: int
    kind: str  # inventory_bills | ap_bills
    vendor_id: int
    vendor_name: str
    amount: Decimal
    date: datetime
    canceled: bool = False
    applied: dict[tuple[str, int], Decimal] = field(default_factory=dict)
    """(ap_payments | ap_credits, document id) -> amount applied by its active split."""

    @property
    def open(self) -> Decimal:
        return self.amount - sum(self.applied.values(), ZERO)


class PurchaseBook:
    """Every bill and what active payments and credits apply to it."""

    def __init__(self) -> None:
        self.bills: dict[int, BillFacts] = {}

    def add_bill(self, kind: str, doc: dict[str, Any]) -> BillFacts:
        when = parse_time(doc.get("createdOn") or doc["billDate"])
        facts = BillFacts(doc["id"], kind, doc["vendor"]["id"], doc["vendor"]["name"], Decimal(doc["billAmount"]),
                          when, canceled=doc.get("status") == "Canceled")
        self.bills[facts.id] = facts
        return facts

    def note_document(self, kind: str, doc: dict[str, Any]) -> None:
        for split in doc["splits"]:
            bill = self.bills.get(split.get("inventoryBillId") or 0)
            if bill is None:
                continue
            key = (kind, doc["id"])
            if doc.get("active") is not False and split.get("active") is not False:
                bill.applied[key] = bill.applied.get(key, ZERO) + Decimal(str(split["amount"]))

    @classmethod
    def load(cls, store: Any) -> PurchaseBook:
        book = cls()
        for kind in ("inventory_bills", "ap_bills"):
            for doc in iter_records(store, kind):
                book.add_bill(kind, doc)
        for kind in ("ap_payments", "ap_credits"):
            for doc in iter_records(store, kind):
                book.note_document(kind, doc)
        return book

    def open_bills(self, before: datetime, least: Decimal = Decimal("0.01")) -> list[BillFacts]:
        return [b for b in self.bills.values() if not b.canceled and b.date < before and b.open >= least]


class Purchases:
    """Makes AP bills, payments and credits as documents (the caller writes them)."""

    def __init__(self, business: Business, rng: random.Random, book: PurchaseBook, next_number: dict[str, int]):
        self.b = business
        self.rng = rng
        self.book = book
        self.numbers = next_number
        """`ap_bill` and `ap_credit` counters (kept in the seed's state)."""

    def number(self, key: str) -> int:
        value = self.numbers[key]
        self.numbers[key] = value + 1
        return value

    def vendor_for(self, allowed: tuple[str, ...]) -> dict[str, Any]:
        active = [v for v in self.b.vendors if v["active"]]
        named = [v for v in active if v["name"] in allowed]
        return self.rng.choice(named or active)

    def new_ap_bill(self, when: datetime, *, with_items: bool = False) -> dict[str, Any]:
        """A vendor's bill for expenses (1 to 3 lines, each with its GL account); some also carry stock items."""
        b, rng = self.b, self.rng
        first = rng.choice(company.AP_EXPENSES)
        vendor = self.vendor_for(first[4])
        fitting = [e for e in company.AP_EXPENSES if not e[4] or vendor["name"] in e[4]]
        chosen = [first, *rng.sample(fitting, k=min(len(fitting), rng.choice((0, 0, 1, 2))))]
        bu = records.named(*rng.choice(company.BUSINESS_UNITS))
        expense_items = []
        for description, gl_id, low, high, _ in dict.fromkeys(chosen):
            amount = Decimal(rng.randint(low * 100, high * 100)) / 100
            expense_items.append(records.ap_bill_expense_item(
                id=b.ids(), amount=amount, description=description, gl=records.gl_ref(b.gl[gl_id]),
                business_unit=bu))
        items: list[dict[str, Any]] = []
        tax = ZERO
        if with_items:
            stock = [s for s in (*b.skus["materials"], *b.skus["equipment"]) if s.active and s.spec.cost > 0]
            picks = rng.sample(stock, k=min(len(stock), rng.randint(1, 3)))
            quantities = [Decimal(rng.choice((1, 2, 4, 10))) for _ in picks]
            values = [cents(q * s.spec.cost) for q, s in zip(quantities, picks, strict=True)]
            sub_total = sum(values, ZERO)
            tax = cents(sub_total * Decimal(str(vendor["defaultTaxRate"])))
            left = tax
            for n, (sku, quantity, value) in enumerate(zip(picks, quantities, values, strict=True), start=1):
                share = left if n == len(picks) else cents(tax * value / sub_total)
                left -= share
                items.append(records.ap_bill_item(
                    id=b.ids(), order=n, sku_id=sku.id, sku_code=sku.spec.code, sku_type=sku.item_type,
                    name=sku.spec.name, quantity=quantity, cost=sku.spec.cost, allocated_tax=share,
                    gl=records.gl_ref(b.gl[company.GL_BY_ROLE["inventory"]])))
        total = (sum((Decimal(e["amount"]) for e in expense_items), ZERO)
                 + sum((cents(Decimal(i["quantity"]) * Decimal(i["cost"])) for i in items), ZERO) + tax)
        stamp = api_time(when)
        doc = records.ap_bill(
            id=b.ids(), reference_number=f"AP-{self.number('ap_bill')}",
            vendor_number=f"INV-{rng.randint(100000, 999999)}", bill_date=api_date(when.date()),
            due_date=api_date(when.date() + timedelta(days=30)), bill_amount=total, tax_amount=tax,
            vendor_ref=records.named(vendor["id"], vendor["name"]), business_unit=bu, created_on=stamp,
            modified_on=stamp, sync_status=b.sync_status(when), items=items, expense_items=expense_items,
            summary=expense_items[0]["description"])
        self.book.add_bill("ap_bills", doc)
        return doc

    def payment(self, when: datetime, allocations: list[tuple[BillFacts, Decimal]]) -> dict[str, Any]:
        """One payment to one vendor, split across its bills."""
        b, rng = self.b, self.rng
        payment_id = b.ids()
        stamp = api_time(when)
        splits = []
        for bill, amount in allocations:
            splits.append(records.ap_payment_split(id=b.ids(), bill_id=bill.id, amount=amount, created_on=stamp))
            bill.applied[("ap_payments", payment_id)] = amount
        method = rng.choice(AP_PAYMENT_METHODS)
        check = rng.random() < 0.6
        vendor = allocations[0][0]
        return records.ap_payment(
            id=payment_id, date=api_date(when.date()), method=method,
            name=f"Check {rng.randint(2001, 9999)}" if check else "ACH transfer", print_check=check,
            splits=splits, vendor_ref=records.named(vendor.vendor_id, vendor.vendor_name), business_unit=None,
            gl=records.gl_ref(b.gl[company.GL_BY_ROLE["checking"]]), created_on=stamp, modified_on=stamp,
            sync_status=b.sync_status(when))

    def credit(self, when: datetime, vendor: BillFacts, amount: Decimal,
               allocations: list[tuple[BillFacts, Decimal]], memo: str) -> dict[str, Any]:
        """A vendor credit of `amount` (a return, a price correction), applied to bills as allocated."""
        b, rng = self.b, self.rng
        credit_id = b.ids()
        stamp = api_time(when)
        splits = []
        for bill, part in allocations:
            splits.append(records.ap_credit_split(id=b.ids(), credit_id=credit_id, bill_id=bill.id, amount=part,
                                                  created_on=stamp))
            bill.applied[("ap_credits", credit_id)] = part
        return records.ap_credit(
            id=credit_id, number=f"VC-{self.number('ap_credit')}", reference_number=f"CM{rng.randint(10000, 99999)}",
            date=api_date(when.date()), amount=amount, splits=splits,
            vendor_ref=records.named(vendor.vendor_id, vendor.vendor_name), business_unit=None, created_on=stamp,
            modified_on=stamp, sync_status=b.sync_status(when), memo=memo)

    def unapply(self, kind: str, doc: dict[str, Any]) -> None:
        for split in doc["splits"]:
            bill = self.book.bills.get(split["inventoryBillId"])
            if bill is not None:
                bill.applied.pop((kind, doc["id"]), None)


def voided_payment(doc: dict[str, Any], stamp: str) -> dict[str, Any]:
    """The changes that void an AP payment."""
    return {"active": False, "status": "Cancelled", "modifiedOn": stamp,
            "splits": [{**s, "active": False} for s in doc["splits"]]}


def canceled_credit(doc: dict[str, Any], stamp: str) -> dict[str, Any]:
    return {"active": False, "status": "Canceled", "canceledOn": stamp, "appliedAmount": 0.0, "paymentStatus": "Unpaid",
            "modifiedOn": stamp, "splits": [{**s, "active": False} for s in doc["splits"]]}


def canceled_bill(stamp: str) -> dict[str, Any]:
    return {"status": "Canceled", "dateCanceled": stamp, "canceledBy": dict(CANCELED_BY), "modifiedOn": stamp}


# ---------------------------------------------------------------------------------------------- the seed

AP_SHARES = {
    # (share, minimum)
    "ap_bills": (0.10, 6),            # AP bills per invoice
    "with_items": (0.2, 1),           # of AP bills: also carry stock item lines
    "canceled": (0.03, 1),            # of AP bills: canceled, never paid
    "credited": (0.08, 3),            # of bills (both kinds): get a vendor credit before payment
    "partial": (0.08, 2),             # of bills paid: paid in part only
    "voided_payment": (0.02, 1),      # of payments: voided, the bill paid again later
}
MULTI_BILL_MINIMUM = 2
"""At least this many payments pay several bills of one vendor (when the seed has such bills close together)."""
UNPAID_AFTER = {15: 0.9, 45: 0.35, 120: 0.08}
"""Share of bills still unpaid at `as_of` by age in days (older: 2%)."""


def quota(total: int, share: float, minimum: int) -> int:
    return min(total, max(minimum, round(share * total)))


def seed_purchases(business: Business, rng: random.Random, ap_times: list[datetime],
                   inventory_bills: list[dict[str, Any]], numbers: dict[str, int]) -> dict[str, int]:
    """AP bills at `ap_times`, then payments and credits for them and for the inventory bills; written via
    the business's writer with their final state. Returns the counts of special cases."""
    as_of = business.as_of
    book = PurchaseBook()
    maker = Purchases(business, rng, book, numbers)
    for doc in inventory_bills:
        book.add_bill("inventory_bills", doc)
    ap_docs: dict[int, dict[str, Any]] = {}
    with_items = set(rng.sample(range(len(ap_times)), k=quota(len(ap_times), *AP_SHARES["with_items"])))
    for n, when in enumerate(ap_times):
        doc = maker.new_ap_bill(when, with_items=n in with_items)
        ap_docs[doc["id"]] = doc
    cases: dict[str, int] = {}
    old_ap = [i for i, d in ap_docs.items() if parse_time(d["createdOn"]) < as_of - timedelta(days=20)]
    for bill_id in rng.sample(old_ap, k=min(len(old_ap), quota(len(ap_docs), *AP_SHARES["canceled"]))):
        bill = book.bills[bill_id]
        bill.canceled = True
        when = bill.date + timedelta(days=rng.randint(1, 10), minutes=rng.randint(0, 300))
        ap_docs[bill_id].update(canceled_bill(api_time(when)))
        cases["ap_bills_canceled"] = cases.get("ap_bills_canceled", 0) + 1

    bills = sorted((b for b in book.bills.values() if not b.canceled), key=lambda b: (b.date, b.id))
    credit_docs: list[dict[str, Any]] = []
    credit_times: dict[int, datetime] = {}
    credit_ok = [b for b in bills if b.date < as_of - timedelta(days=25) and b.amount >= 20]
    credited = sorted(rng.sample(credit_ok, k=min(len(credit_ok), quota(len(bills), *AP_SHARES["credited"]))),
                      key=lambda b: (b.date, b.id))
    for n, bill in enumerate(credited):
        when = bill.date + timedelta(days=rng.randint(2, 12), minutes=rng.randint(0, 300))
        credit_times[bill.id] = when
        amount = cents(bill.amount * Decimal(str(rng.uniform(0.05, 0.25))))
        if n % 3 == 1:  # more credit than this bill takes: part stays unapplied
            doc = maker.credit(when, bill, amount + Decimal(rng.choice((25, 40, 75))), [(bill, amount)],
                               "Returned stock credited")
            cases["ap_credits_partly_unapplied"] = cases.get("ap_credits_partly_unapplied", 0) + 1
        elif n % 3 == 2 and n == 2:  # one credit not applied to any bill yet
            doc = maker.credit(when, bill, amount, [], "Credit on account")
            cases["ap_credits_unapplied"] = 1
        else:
            doc = maker.credit(when, bill, amount, [(bill, amount)], "Price correction")
        credit_docs.append(doc)
    if credit_docs:  # the last applied credit of the oldest half is canceled later: its bill owes in full again
        old = [d for d in credit_docs if d["splits"]][: max(1, len(credit_docs) // 2)]
        victim = old[-1]
        when = parse_time(victim["createdOn"]) + timedelta(days=rng.randint(1, 4))
        maker.unapply("ap_credits", victim)
        victim.update(canceled_credit(victim, api_time(when)))
        cases["ap_credits_canceled"] = 1

    # Payments: each bill is paid (in full or in part) some days after it, unless it is still too young.
    due: list[tuple[datetime, BillFacts, Decimal]] = []
    partial_pool = [b for b in bills if b.date < as_of - timedelta(days=60)]
    partial = set(b.id for b in rng.sample(partial_pool, k=min(len(partial_pool),
                                                              quota(len(bills), *AP_SHARES["partial"]))))
    for bill in bills:
        age = (as_of - bill.date).days
        unpaid = next((share for limit, share in sorted(UNPAID_AFTER.items()) if age < limit), 0.02)
        if bill.id not in partial and rng.random() < unpaid:
            continue
        when = bill.date + timedelta(days=rng.choice((7, 10, 14, 21, 25, 28, 30, 35, 40)), minutes=rng.randint(0, 400))
        if bill.id in credit_times:
            when = max(when, credit_times[bill.id] + timedelta(days=1))
        if when >= as_of - timedelta(hours=1):
            continue
        amount = bill.open
        if bill.id in partial:
            amount = cents(amount * Decimal(str(rng.uniform(0.3, 0.7))))
        if amount > 0:
            due.append((when, bill, amount))
    due.sort(key=lambda d: (d[0], d[1].id))
    payment_docs: list[dict[str, Any]] = []
    grouped: dict[int, tuple[datetime, list[tuple[BillFacts, Decimal]]]] = {}
    batches: list[tuple[datetime, list[tuple[BillFacts, Decimal]]]] = []
    multi = 0
    for when, bill, amount in due:
        last = grouped.get(bill.vendor_id)
        close = last is not None and when - last[0] < timedelta(days=21)
        if last is not None and close and len(last[1]) < 3 and (rng.random() < 0.6 or multi < MULTI_BILL_MINIMUM):
            # one check for several bills of a vendor, dated when the last of them was due to be paid
            multi += len(last[1]) == 1
            batches.remove(last)
            last = (when, [*last[1], (bill, amount)])
            grouped[bill.vendor_id] = last
            batches.append(last)
            continue
        batch = (when, [(bill, amount)])
        grouped[bill.vendor_id] = batch
        batches.append(batch)
    batches.sort(key=lambda b: (b[0], b[1][0][0].id))
    for when, allocations in batches:
        payment_docs.append(maker.payment(when, allocations))
    voidable = [d for d in payment_docs if parse_time(d["createdOn"]) < as_of - timedelta(days=30)]
    for doc in rng.sample(voidable, k=min(len(voidable), quota(len(payment_docs), *AP_SHARES["voided_payment"]))):
        made = parse_time(doc["createdOn"])
        voided = made + timedelta(days=rng.randint(1, 5))
        maker.unapply("ap_payments", doc)
        doc.update(voided_payment(doc, api_time(voided)))
        bills_paid = [(book.bills[s["inventoryBillId"]], Decimal(str(s["amount"]))) for s in doc["splits"]]
        again_on = min(voided + timedelta(days=rng.randint(1, 7), minutes=1), as_of - timedelta(hours=1))
        again = maker.payment(again_on, bills_paid)
        payment_docs.append(again)
        cases["ap_payments_voided"] = cases.get("ap_payments_voided", 0) + 1
    for doc in ap_docs.values():
        business.writer.add("ap_bills", doc, active=doc["status"] != "Canceled")
    for doc in credit_docs:
        business.writer.add("ap_credits", doc)
    for doc in payment_docs:
        business.writer.add("ap_payments", doc)
    cases["ap_payments_multi_bill"] = sum(1 for d in payment_docs if len(d["splits"]) > 1)
    cases["bills_part_paid"] = sum(1 for b in bills if b.id in partial)
    return cases


def ap_bill_moments(rng: random.Random, count: int, as_of: datetime, days: int) -> list[datetime]:
    """`count` weekday business-hours moments over the `days` before `as_of`, in time order."""
    moments = []
    for _ in range(count):
        day = as_of - timedelta(days=rng.randint(1, days))
        while day.weekday() >= 5:
            day -= timedelta(days=1)
        moments.append(day.replace(hour=12, minute=0, second=0, microsecond=0)
                       + timedelta(seconds=rng.randint(0, 10 * 3600)))
    return sorted(moments)


def activity_repo_update(repo: Repository, kind: str, record_id: int, changes: dict[str, Any],
                         active: bool | None = None) -> dict[str, Any]:
    """Apply `changes` (without their own `modifiedOn`: the repository stamps it)."""
    changes = {k: v for k, v in changes.items() if k != "modifiedOn"}
    return repo.update(kind, record_id, changes, active=active)
