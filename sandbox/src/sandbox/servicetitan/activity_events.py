"""One simulated change of each kind: the company's day after the seed, change by change.

New documents come from the seed's own generators (`Business`), so they look like seeded ones; changes
to stored records go through `Repository`, which stamps `modifiedOn` from the change's moment. After
each change the money rules are restored (`Ledger`), so they hold between any two changes.
"""

from __future__ import annotations

import dataclasses
import random
import re
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sandbox.servicetitan import company, records
from sandbox.servicetitan.accounting import cents, line_total, money
from sandbox.servicetitan.activity_books import Books, InvoiceFacts, Ledger
from sandbox.servicetitan.activity_plan import Plan
from sandbox.servicetitan.business import ONE, Business, Customer, Line, Sku
from sandbox.servicetitan.data import get_record
from sandbox.servicetitan.purchases import (
    PurchaseBook,
    Purchases,
    activity_repo_update,
    canceled_bill,
    voided_payment,
)
from sandbox.servicetitan.repository import Repository
from sandbox.servicetitan.seed import BUSINESS_UNIT_WEIGHTS
from sandbox.servicetitan.times import api_time, column_time, parse_time

RECENT = timedelta(days=60)
"""How far back payments, edits, voids and adjustments look for invoices (older open ones are paid too)."""
EDITABLE = timedelta(days=45)
POSTING_BEFORE_CLOSE = timedelta(seconds=1)
"""The day's batch posting happens this long before the day ends (so never after the clock's new time)."""
VARIANTS = ("PRO", "PLUS", "ECO", "HD", "V2", "XL")
CATALOGUE_CODES = frozenset(spec.code for spec in (*company.MATERIALS, *company.SERVICES, *company.EQUIPMENT))
"""New pricebook items are variants of the company's catalogue items (not of earlier variants)."""


class Events:
    """Applies the run's changes; `counts` tells what happened, by kind of change."""

    def __init__(self, business: Business, books: Books, plan: Plan, *, email_change_touches_customer: bool,
                 side: random.Random | None = None) -> None:
        self.b = business
        self.rng: random.Random = business.rng
        self.store = business.store
        self.books = books
        self.ledger = Ledger(business, books)
        self.job_flags = iter(plan.job_flags)
        self.customer_traits = iter(plan.customer_traits)
        self.email_change_touches_customer = email_change_touches_customer
        self.counts: Counter[str] = Counter()
        self.day_end = business.as_of
        self.new_customers: list[Customer] = []
        self.serviceable: list[Customer] = []
        """Customers a job may be for (active, with a location); new ones join as they come."""
        for customer in self.ledger.customers.values():
            self.add_serviceable(customer)
        self.handlers: dict[str, Callable[[datetime], None]] = {
            "customers": self.new_customer, "pricebook_items": self.new_pricebook_item,
            "price_changes": self.price_change, "jobs": self.job, "payments_full": self.payment_full,
            "payments_partial": self.payment_partial, "payments_split": self.payment_split,
            "payments_overpaid": self.payment_overpaid, "refunds": self.refund, "credit_memos": self.credit_memo,
            "invoice_edits": self.invoice_edit, "voids": self.void, "adjustments": self.adjustment,
            "bills": self.bill, "email_changes": self.email_change, "vendor_edits": self.vendor_edit,
            "ap_bills": self.ap_bill, "ap_payments": self.ap_payment, "ap_credits": self.ap_credit,
            "ap_edits": self.ap_edit, "ap_voids": self.ap_void,
        }
        self.purchases = Purchases(business, side or self.rng, PurchaseBook.load(self.store), business.ap_numbers)

    def apply(self, kind: str, when: datetime, day_end: datetime) -> None:
        self.day_end = day_end
        self.handlers[kind](when)
        self.b.writer.flush()

    # ------------------------------------------------------------------ helpers

    def repo(self, when: datetime) -> Repository:
        return Repository(self.store, when)

    def later(self, when: datetime, minutes: int) -> datetime:
        """`minutes` after `when`, but within the day."""
        return max(when + timedelta(microseconds=1), min(when + timedelta(minutes=minutes),
                                                         self.day_end - timedelta(seconds=1)))

    def pick(self, candidates: list[InvoiceFacts], when: datetime) -> InvoiceFacts | None:
        """Mostly an invoice of the last weeks; sometimes an older one."""
        candidates = [f for f in candidates if f.created < when]
        recent = [f for f in candidates if f.created >= when - RECENT]
        pool = recent if recent and self.rng.random() < 0.85 else candidates
        return self.rng.choice(pool) if pool else None

    def add_serviceable(self, customer: Customer) -> None:
        if customer.active and customer.places:
            self.serviceable.append(customer)

    def settle(self, when: datetime, invoice_ids: list[int], customer_id: int) -> None:
        repo = self.repo(when)
        for invoice_id in invoice_ids:
            self.ledger.settle_invoice(repo, invoice_id)
        self.ledger.settle_customer(repo, customer_id)

    def note_payment(self, payment_id: int) -> None:
        doc = get_record(self.store, "payments", payment_id)
        assert doc is not None
        self.books.note_payment(doc)

    # ------------------------------------------------------------------ customers and the pricebook

    def new_customer(self, when: datetime) -> None:
        traits = next(self.customer_traits)
        customer = self.b.new_customer(when, traits)
        self.b.writer.add("customers", self.b.customer_doc(customer))
        self.ledger.customers[customer.id] = customer
        self.new_customers.append(customer)
        self.add_serviceable(customer)
        self.counts["customers_created"] += 1
        if traits.no_email:
            self.counts["customers_without_email"] += 1

    def new_pricebook_item(self, when: datetime) -> None:
        """A new model, size or grade of an existing item, priced near it."""
        rng = self.rng
        kind = rng.choice(("materials", "materials", "services", "equipment"))
        templates = [s for s in self.b.skus[kind] if s.active and s.spec.price > 0 and s.spec.business_units
                     and s.spec.code in CATALOGUE_CODES]
        if not templates:
            return
        template = rng.choice(templates)
        doc = get_record(self.store, kind, template.id)
        assert doc is not None
        taken = {s.spec.code for skus in self.b.skus.values() for s in skus}
        last = template.spec.code.rsplit("-", 1)[-1]
        variant = next((v for v in VARIANTS if v != last and f"{template.spec.code}-{v}" not in taken), None)
        variant = variant or f"N{sum(1 for code in taken if code.startswith(template.spec.code))}"
        code = f"{template.spec.code}-{variant}"
        name = f"{template.spec.name} ({variant})"
        factor = Decimal(rng.choice(("0.85", "1.1", "1.15", "1.25", "1.4")))
        price, cost = cents(template.spec.price * factor), cents(template.spec.cost * factor)
        member = cents(price * Decimal("0.9"))
        repo = self.repo(when)
        stamp = repo.stamp(kind)
        doc.update(id=self.b.ids(), code=code, displayName=name, description=f"<p>{name}</p>", active=True,
                   price=float(price), memberPrice=float(member), addOnPrice=float(price),
                   addOnMemberPrice=float(member), cost=float(cost), createdOn=stamp, modifiedOn=stamp)
        if doc.get("primaryVendor"):
            doc["primaryVendor"] = {**doc["primaryVendor"], "id": self.b.ids(), "cost": float(cost),
                                    "vendorPart": f"{code}-V"}
        if kind == "equipment":
            doc["model"] = code.removeprefix("EQ-")
        repo.create(kind, doc)
        spec = dataclasses.replace(template.spec, code=code, name=name, price=price, cost=cost)
        self.b.add_sku(kind, Sku(spec, doc["id"], True, template.item_type, template.gl))
        self.counts["pricebook_items_created"] += 1

    def price_change(self, when: datetime) -> None:
        rng = self.rng
        kind = rng.choice(("materials", "services", "equipment"))
        skus = [s for s in self.b.skus[kind] if s.active and s.spec.price > 0]
        if not skus:
            return
        sku = rng.choice(skus)
        price = cents(sku.spec.price * Decimal(rng.choice(("1.03", "1.05", "1.08", "1.10"))))
        member = float(cents(price * Decimal("0.9")))
        self.repo(when).update(kind, sku.id, {"price": float(price), "memberPrice": member,
                                              "addOnPrice": float(price), "addOnMemberPrice": member})
        sku.spec = dataclasses.replace(sku.spec, price=price)
        self.counts["pricebook_items_repriced"] += 1

    # ------------------------------------------------------------------ jobs

    def pick_customer(self, flags: set[str]) -> Customer:
        rng = self.rng
        customers = self.serviceable
        if "half_cent" in flags:
            ready = [c for c in customers if not c.exempt and any(p.zone_key == "nyc" for p in c.places)]
            if ready:
                return rng.choice(ready)
        if self.new_customers and rng.random() < 0.25:
            return rng.choice(self.new_customers)
        commercial = [c for c in customers if c.commercial]
        if commercial and rng.random() < 0.3:
            return rng.choice(commercial)
        return rng.choice(customers)

    def job(self, when: datetime) -> None:
        b, rng = self.b, self.rng
        flags = next(self.job_flags)
        customer = self.pick_customer(flags)
        place = customer.places[0] if rng.random() < 0.6 else rng.choice(customer.places)
        if "half_cent" in flags:
            place = next((p for p in customer.places if p.zone_key == "nyc"), place)
        units = list(BUSINESS_UNIT_WEIGHTS)
        business_unit = rng.choices(units, weights=list(BUSINESS_UNIT_WEIGHTS.values()))[0]
        if "zero" in flags:
            business_unit = rng.choice((5001, 5003))
            _, materials, _ = b.offer(business_unit)
            job_type = "Warranty Callback"
            lines = [b.line(b.services_by_code["SVC-WARRANTY"]), b.line(rng.choice(materials), ONE, chargeable=False)]
        else:
            job_type, lines = b.choose_lines(business_unit, when)
            _, materials, _ = b.offer(business_unit)
            if "noncharge" in flags and materials:
                lines.append(b.line(rng.choice(materials), ONE, chargeable=False))
            if "discount" in flags:
                lines.append(b.discount_line(lines))
            if "half_cent" in flags and not customer.exempt:
                b.find_half_cent(lines, b.zones[place.zone_key])
        draft = b.new_invoice(when, customer, place, business_unit, job_type, lines)
        paid = draft.total > 0 and rng.random() < 0.45
        payment_id = None
        if paid:
            payment_id = b.pay(self.later(when, rng.randint(5, 90)), customer, [(draft, draft.total)])
        b.write_invoice(draft)
        b.writer.flush()
        self.counts["invoices_created"] += 1
        if paid:
            self.counts["payments_full"] += 1
            assert payment_id is not None
            self.note_payment(payment_id)
        doc = self.ledger.invoice(draft.id)
        self.books.note_invoice(doc)
        self.ledger.settle_customer(self.repo(parse_time(doc["modifiedOn"])), customer.id)

    # ------------------------------------------------------------------ payments, refunds, credits

    def pay_invoices(self, when: datetime, invoices: list[InvoiceFacts], amounts: list[Decimal], *,
                     overpay: Decimal | None = None, **options: Any) -> None:
        drafts = [self.ledger.draft(self.ledger.invoice(f.id)) for f in invoices]
        customer = drafts[0].customer
        total = None if overpay is None else sum(amounts, Decimal(0)) + overpay
        payment_id = self.b.pay(when, customer, list(zip(drafts, amounts, strict=True)), total=total, **options)
        self.b.writer.flush()
        self.note_payment(payment_id)
        self.settle(when, [f.id for f in invoices], customer.id)

    def payment_full(self, when: datetime) -> None:
        invoice = self.pick(self.books.open_invoices(), when)
        if invoice is not None:
            self.pay_invoices(when, [invoice], [invoice.balance])
            self.counts["payments_full"] += 1

    def payment_partial(self, when: datetime) -> None:
        invoice = self.pick(self.books.open_invoices(Decimal(3)), when)
        if invoice is None:
            return
        part = Decimal(int(invoice.balance * Decimal(str(self.rng.uniform(0.3, 0.7)))))
        self.pay_invoices(when, [invoice], [min(max(part, ONE), invoice.balance - ONE)])
        self.counts["payments_partial"] += 1

    def payment_split(self, when: datetime) -> None:
        """One check paying two or three open invoices of a customer."""
        owing: dict[int, list[InvoiceFacts]] = {}
        for facts in self.books.open_invoices():
            if facts.created < when:
                owing.setdefault(facts.customer_id, []).append(facts)
        several = [invoices for invoices in owing.values() if len(invoices) >= 2]
        if not several:
            return
        invoices = sorted(self.rng.choice(several), key=lambda f: f.created)[:3]
        self.pay_invoices(when, invoices, [f.balance for f in invoices], type_name="Check",
                          memo=f"One check for {len(invoices)} invoices")
        self.counts["payments_split"] += 1

    def payment_overpaid(self, when: datetime) -> None:
        invoice = self.pick(self.books.open_invoices(), when)
        if invoice is None:
            return
        extra = Decimal(self.rng.choice((5, 10, 20, 25, 50, 100)))
        self.pay_invoices(when, [invoice], [invoice.balance], overpay=extra, memo="Paid more than the invoice total")
        self.counts["payments_overpaid"] += 1

    def refund(self, when: datetime) -> None:
        """A payment refunded: its unapplied remainder, or what it paid on invoices (in full or in part)."""
        rng = self.rng
        candidates = [p for p in self.books.payments.values()
                      if not p.refunded and p.total > 0 and p.created < when
                      and all(self.books.invoices.get(i) is None or self.books.invoices[i].active
                              for i, _ in p.applications)]
        if not candidates:
            return
        payment = rng.choice(candidates)
        payment.refunded = True
        customer = self.ledger.customers[payment.customer_id]
        type_name = payment.type_name if payment.type_name in self.b.payment_types else "Check"
        if payment.unapplied > 0:
            refund_id = self.b.pay(when, customer, [], total=-payment.unapplied, type_name="Check",
                                   refund_of=payment.id, memo="Refund of overpayment")
            self.b.writer.flush()
            self.note_payment(refund_id)
            self.ledger.settle_customer(self.repo(when), customer.id)
            self.counts["refunds"] += 1
            return
        applications = [(i, amount) for i, amount in payment.applications if amount > 0]
        if not applications:
            return
        amounts = [-amount for _, amount in applications]
        memo = "Payment refunded"
        if len(applications) == 1 and rng.random() < 0.3:
            amounts = [-max(ONE, Decimal(int(applications[0][1] * Decimal("0.2"))))]
            memo = "Partial refund"
        drafts = [self.ledger.draft(self.ledger.invoice(i)) for i, _ in applications]
        refund_id = self.b.pay(when, customer, list(zip(drafts, amounts, strict=True)), type_name=type_name,
                               refund_of=payment.id, memo=memo)
        self.b.writer.flush()
        self.note_payment(refund_id)
        self.settle(when, [i for i, _ in applications], customer.id)
        self.counts["refunds"] += 1

    def credit_memo(self, when: datetime) -> None:
        invoice = self.pick(self.books.open_invoices(Decimal(3)), when)
        if invoice is None:
            return
        share = Decimal(str(self.rng.uniform(0.1, 0.25)))
        amount = min(invoice.balance - ONE, max(ONE, Decimal(int(invoice.balance * share))))
        total = amount + (Decimal(20) if self.rng.random() < 0.3 else 0)
        draft = self.ledger.draft(self.ledger.invoice(invoice.id))
        self.b.credit(when, draft, total, amount, "Service guarantee credit")
        self.b.writer.flush()
        self.settle(when, [invoice.id], invoice.customer_id)
        self.counts["credit_memos"] += 1

    # ------------------------------------------------------------------ invoices changed after the fact

    def invoice_edit(self, when: datetime) -> None:
        """A line added to a recent invoice, or a line's price corrected; totals, tax and balance follow."""
        rng = self.rng
        candidates = self.books.recent_invoices(when - EDITABLE, when)
        if not candidates:
            return
        facts = rng.choice(candidates)
        doc = self.ledger.invoice(facts.id)
        repo = self.repo(when)
        priced = [i for i in doc["items"] if i["isChargeable"] and i["type"] in ("Service", "Material", "Equipment")
                  and Decimal(i["quantity"]) > 0 and Decimal(i["price"]) > 0]
        if priced and rng.random() < 0.5:
            item = rng.choice(priced)
            price = cents(Decimal(item["price"]) * Decimal(rng.choice(("0.85", "0.9", "1.1", "1.15", "1.2"))))
            repo.update("invoice_items", item["id"], {
                "price": money(price), "memberPrice": money(price),
                "total": money(line_total(Decimal(item["quantity"]), price))})
            self.counts["invoices_edited_price_changed"] += 1
        else:
            services, materials, _ = self.b.offer(doc["businessUnit"]["id"])
            sku = rng.choice(materials or services)
            line = self.b.line(sku, self.b.material_quantity(sku) if sku.item_type == "Material" else ONE)
            stamp = repo.stamp("invoice_items")
            order = max((i["order"] for i in doc["items"]), default=0) + 1
            repo.create("invoice_items", added_item(self.b, line, doc, order, stamp), parent_id=doc["id"], active=True)
            self.counts["invoices_edited_line_added"] += 1
        self.ledger.settle_invoice(repo, facts.id, recompute=True)
        self.ledger.settle_customer(repo, facts.customer_id)

    def void(self, when: datetime) -> None:
        """A recent unpaid invoice voided: it and its items become inactive; the customer owes less."""
        candidates = [f for f in self.books.recent_invoices(when - RECENT, when) if not f.adjusted
                      and f.balance == f.total and not self.has_applications(f.id)]
        if not candidates:
            return
        facts = self.rng.choice(candidates)
        doc = self.ledger.invoice(facts.id)
        repo = self.repo(when)
        repo.update("invoices", facts.id, {"active": False})
        for item in doc["items"]:
            repo.update("invoice_items", item["id"], {}, active=False)
        facts.active = False
        self.ledger.settle_customer(repo, facts.customer_id)
        self.counts["invoices_voided"] += 1

    def has_applications(self, invoice_id: int) -> bool:
        with self.store.lock:
            row = self.store.conn.execute("SELECT 1 FROM st_application WHERE invoice_id = ? LIMIT 1",
                                          (invoice_id,)).fetchone()
        return row is not None

    def adjustment(self, when: datetime) -> None:
        """A negative invoice on the same job crediting one line of a recent invoice."""
        rng = self.rng
        candidates = [f for f in self.books.recent_invoices(when - RECENT, when) if not f.adjusted]
        if not candidates:
            return
        facts = rng.choice(candidates)
        draft = self.ledger.draft(self.ledger.invoice(facts.id))
        credited = [i for i in draft.items if i["isChargeable"] and i["type"] != "PriceModifier"
                    and Decimal(i["total"]) > 0]
        if not credited or draft.job is None:
            return
        source = rng.choice(credited)
        line = Line(source["type"], source["skuId"], source["skuName"], f"Credit: {source['displayName']}",
                    -Decimal(source["quantity"]), Decimal(source["price"]), Decimal(source["cost"]),
                    source["taxable"], True, source["generalLedgerAccount"])
        adjustment = self.b.new_invoice(when, draft.customer, draft.place, draft.business_unit["id"],
                                        draft.job["type"], [line], job=draft.job, reference=f"{draft.reference}-1",
                                        adjustment_to=draft.id)
        self.b.write_invoice(adjustment)
        self.b.writer.flush()
        self.books.note_invoice(self.ledger.invoice(adjustment.id))
        self.ledger.settle_customer(self.repo(when), facts.customer_id)
        self.counts["adjustment_invoices"] += 1

    def post_invoices(self, day_end: datetime, delay: timedelta) -> None:
        """The office's batch posting as the day closes: Pending invoices created more than `delay` before
        the day's end become Posted (`modifiedOn` moves), oldest first."""
        due = self.books.pending_before(day_end - delay)
        if not due:
            return
        repo = self.repo(day_end - POSTING_BEFORE_CLOSE)
        for invoice_id in due:
            repo.update("invoices", invoice_id, {"syncStatus": "Posted"})
            del self.books.pending[invoice_id]
        self.counts["invoices_posted"] += len(due)

    # ------------------------------------------------------------------ suppliers and contacts

    def bill(self, when: datetime) -> None:
        self.purchases.book.add_bill("inventory_bills", self.b.new_bill(when))
        self.counts["bills_created"] += 1

    # ------------------------------------------------------------------ accounts payable

    def ap_bill(self, when: datetime) -> None:
        maker = self.purchases
        self.b.writer.add("ap_bills", maker.new_ap_bill(when, with_items=maker.rng.random() < 0.2))
        self.counts["ap_bills_created"] += 1

    def ap_payment(self, when: datetime) -> None:
        """Mostly the oldest open bills first; a third of the time the vendor's other open bills too."""
        maker = self.purchases
        rng = maker.rng
        open_bills = sorted(maker.book.open_bills(when - timedelta(hours=1)), key=lambda b: (b.date, b.id))
        if not open_bills:
            return
        bill = rng.choice(open_bills[:5])
        allocations = [(bill, bill.open if rng.random() < 0.85 else cents(bill.open * Decimal("0.5")))]
        if rng.random() < 0.33:
            others = [b for b in open_bills if b.vendor_id == bill.vendor_id and b.id != bill.id]
            allocations += [(b, b.open) for b in others[:2]]
        allocations = [(b, amount) for b, amount in allocations if amount > 0]
        if not allocations:
            return
        self.b.writer.add("ap_payments", maker.payment(when, allocations))
        self.counts["ap_payments_created"] += 1

    def ap_credit(self, when: datetime) -> None:
        maker = self.purchases
        rng = maker.rng
        open_bills = [b for b in maker.book.open_bills(when - timedelta(hours=1)) if b.open >= 20]
        if not open_bills:
            return
        bill = rng.choice(open_bills)
        applied = cents(bill.open * Decimal(str(rng.uniform(0.05, 0.3))))
        extra = Decimal(rng.choice((25, 50))) if rng.random() < 0.25 else Decimal("0")
        self.b.writer.add("ap_credits", maker.credit(when, bill, applied + extra, [(bill, applied)],
                                                     "Returned stock credited" if extra else "Price correction"))
        self.counts["ap_credits_created"] += 1

    def recent_unpaid_ap_bills(self, when: datetime) -> list[int]:
        book = self.purchases.book
        return sorted(b.id for b in book.bills.values() if b.kind == "ap_bills" and not b.canceled and not b.applied
                      and when - RECENT <= b.date < when)

    def ap_edit(self, when: datetime) -> None:
        """A line's amount corrected, or a freight line added; `billAmount` follows."""
        maker = self.purchases
        rng = maker.rng
        candidates = self.recent_unpaid_ap_bills(when)
        if not candidates:
            return
        self.b.writer.flush()
        bill_id = rng.choice(candidates)
        doc = get_record(self.store, "ap_bills", bill_id)
        assert doc is not None
        lines = [dict(e) for e in doc["expenseItems"]]
        if rng.random() < 0.5 or not lines:
            lines.append(records.ap_bill_expense_item(
                id=self.b.ids(), amount=Decimal(rng.randint(2500, 18000)) / 100, description="Freight and delivery",
                gl=records.gl_ref(self.b.gl[7019]), business_unit=doc["businessUnit"]))
        else:
            lines[0]["amount"] = money(Decimal(lines[0]["amount"]) * Decimal(str(rng.choice((0.9, 1.1, 1.25)))))
        total = (sum((Decimal(e["amount"]) for e in lines), Decimal("0"))
                 + sum((cents(Decimal(i["quantity"]) * Decimal(i["cost"])) for i in doc["items"]), Decimal("0"))
                 + Decimal(doc["taxAmount"]))
        self.repo(when).update("ap_bills", bill_id, {"expenseItems": lines, "billAmount": money(total),
                                                    "vendorInvoiceTotal": money(total)})
        maker.book.bills[bill_id].amount = total
        self.counts["ap_bills_edited"] += 1

    def ap_void(self, when: datetime) -> None:
        """Half the time an unpaid AP bill is canceled; otherwise a payment of the last 30 days is voided."""
        maker = self.purchases
        rng = maker.rng
        self.b.writer.flush()
        stamp = api_time(when)
        if rng.random() < 0.5:
            candidates = self.recent_unpaid_ap_bills(when)
            if candidates:
                bill_id = rng.choice(candidates)
                activity_repo_update(self.repo(when), "ap_bills", bill_id, canceled_bill(stamp), active=False)
                maker.book.bills[bill_id].canceled = True
                self.counts["ap_bills_canceled"] += 1
                return
        since = api_time(when - timedelta(days=30))
        with self.store.lock:
            rows = self.store.conn.execute(
                "SELECT id FROM st_record WHERE kind = 'ap_payments' AND active = 1 AND created_on >= ? "
                "AND created_on < ? ORDER BY id", (column_time(parse_time(since)), column_time(when))).fetchall()
        if not rows:
            return
        doc = get_record(self.store, "ap_payments", rng.choice(rows)[0])
        assert doc is not None
        activity_repo_update(self.repo(when), "ap_payments", doc["id"], voided_payment(doc, stamp))
        maker.unapply("ap_payments", doc)
        self.counts["ap_payments_voided"] += 1

    def email_change(self, when: datetime) -> None:
        """A customer's email contact gets a new address (the contact's `modifiedOn` moves)."""
        with self.store.lock:
            rows = self.store.conn.execute(
                "SELECT id, parent_id, json_extract(doc, '$.value') FROM st_record WHERE kind = 'contacts' "
                "AND active = 1 AND json_extract(doc, '$.type') = 'Email' ORDER BY id").fetchall()
        customers = self.ledger.customers
        candidates = [(r[0], customers[r[1]], r[2]) for r in rows if r[1] in customers and customers[r[1]].active]
        if not candidates:
            return
        contact_id, customer, old = self.rng.choice(candidates)
        first, _, last = customer.name.partition(" ")
        new = self.b.make_email(customer, first, last or first)
        repo = self.repo(when)
        repo.update("contacts", contact_id, {"value": new})
        customer.emails = [new if e == old else e for e in customer.emails]
        if self.email_change_touches_customer:
            repo.update("customers", customer.id, {})
        self.counts["emails_changed"] += 1

    def vendor_edit(self, when: datetime) -> None:
        """A supplier's details change: its phone, its orders email, or a memo."""
        rng = self.rng
        vendors = [v for v in self.b.vendors if v["active"]]
        if not vendors:
            return
        vendor = rng.choice(vendors)
        what = rng.choice(("phone", "email", "memo"))
        if what == "memo":
            changes: dict[str, Any] = {"memo": rng.choice(("New remittance address", "Net 45 terms agreed",
                                                           "Ask for the commercial desk"))}
        else:
            contact = dict(vendor["contactInfo"])
            if what == "phone":
                contact["phone"] = f"{contact['phone'][:6]}{rng.randint(1000, 9999)}"
            else:
                slug = re.sub(r"[^a-z]", "", vendor["name"].lower())[:14]
                contact["email"] = f"{rng.choice(('ar', 'sales', 'accounts'))}@{slug}.example.com"
            changes = {"contactInfo": contact}
        vendor.update(self.repo(when).update("vendors", vendor["id"], changes))
        self.counts["vendors_edited"] += 1


def added_item(business: Business, line: Line, invoice: dict[str, Any], order: int, stamp: str) -> dict[str, Any]:
    """The item document of a line added to a stored invoice."""
    return records.invoice_item(
        id=business.ids(), order=order, type=line.type, sku_id=line.sku_id, sku_code=line.code,
        display_name=line.name, quantity=line.quantity, price=line.price, total=line_total(line.quantity, line.price),
        cost=line.cost, taxable=line.taxable, chargeable=True, gl=line.gl, business_unit=invoice["businessUnit"],
        service_date=invoice["invoiceDate"], created_on=stamp, modified_on=stamp, hours=line.hours,
        inventory=line.inventory)
