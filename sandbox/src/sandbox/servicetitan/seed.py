"""Seed the ServiceTitan simulator: two years of a plumbing and HVAC company's business, deterministically.

The plan fixes in advance how many customers and invoices fall into each special case (so even a small
seed holds every case the end-to-end tests look for), then `Business` plays the history day by day.
Shares and minimums are in `CUSTOMER_SHARES` and `INVOICE_CASES`; FIDELITY.md lists them.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sandbox.clock import DEFAULT_AS_OF
from sandbox.context import SandboxContext
from sandbox.servicetitan import db
from sandbox.servicetitan.business import (
    ONE,
    Business,
    Customer,
    CustomerTraits,
    InvoiceDraft,
    Line,
    day_time,
)
from sandbox.servicetitan.data import iter_records
from sandbox.servicetitan.purchases import AP_SHARES, ap_bill_moments, seed_purchases
from sandbox.servicetitan.repository import BulkWriter

HISTORY_DAYS = 730
SEED_META_KEY = "st_seed"

# trait: (share of customers, minimum)
CUSTOMER_SHARES = {
    "exempt": (0.03, 2),
    "commercial": (0.17, 2),
    "no_email": (0.07, 2),
    "two_emails": (0.04, 1),
    "email_changed": (0.02, 1),
    "shared_name": (0.02, 2),
    "shared_email": (0.02, 2),
    "merged": (0.01, 1),
}
# case: (share of invoices, minimum). Cases are exclusive; "normal" invoices take the rest.
INVOICE_CASES = {
    "void": (0.02, 2),
    "zero": (0.015, 2),
    "adjust": (0.015, 2),
    "batch": (0.015, 2),
    "overpay": (0.01, 2),
    "refund": (0.01, 3),
    "credit": (0.015, 3),
    "partial": (0.05, 2),
    "old_open": (0.03, 3),
}
# flag: (share of invoices, minimum). Flags combine with any case but "zero".
INVOICE_FLAGS = {
    "discount": (0.10, 2),
    "noncharge": (0.05, 2),
    "retired_sku": (0.02, 2),
    "inactive_sku": (0.02, 2),
    "half_cent": (0.03, 3),
}
FOLLOW_UP_CASES = {"adjust", "batch", "overpay", "refund", "credit", "void"}
BUSINESS_UNIT_WEIGHTS = {5001: 30, 5002: 12, 5003: 28, 5004: 10, 5005: 20}


def typical_start(as_of: datetime) -> date:
    """The first day of the month five months before `as_of`'s: 2026-05-01 for 2026-10-31."""
    month_index = as_of.year * 12 + (as_of.month - 1) - 5
    return date(month_index // 12, month_index % 12 + 1, 1)


def quota(total: int, share: float, minimum: int) -> int:
    return min(total, max(minimum, round(share * total)))


def day_weights(days: list[date]) -> list[float]:
    """Busier on weekdays, in summer and winter, and growing over the two years."""
    weights = []
    for n, day in enumerate(days):
        weekday = (1.0, 1.0, 1.0, 1.0, 1.0, 0.45, 0.15)[day.weekday()]
        season = 1 + 0.25 * math.cos(2 * math.pi * (day.timetuple().tm_yday - 200) / 182.5)
        growth = 0.8 + 0.4 * n / max(1, len(days) - 1)
        weights.append(weekday * season * growth)
    return weights


def spread(rng: random.Random, count: int, days: list[date], weights: list[float], latest: datetime) -> list[datetime]:
    """`count` moments over `days` in proportion to `weights`, in time order."""
    total = sum(weights)
    moments: list[datetime] = []
    cumulative = 0.0
    placed = 0
    for day, weight in zip(days, weights, strict=True):
        cumulative += weight
        upto = round(cumulative / total * count)
        moments.extend(sorted(day_time(rng, day, latest) for _ in range(upto - placed)))
        placed = upto
    return moments


@dataclass
class Plan:
    """What happens when: customers' traits and creation times, invoice events' cases and flags."""

    customer_times: list[datetime]
    customer_traits: list[dict[str, bool]]
    customer_kinds: list[str]
    event_times: list[datetime]
    cases: dict[int, str]
    flags: dict[int, set[str]]
    companions: dict[int, int]
    bill_times: list[datetime]
    bills_without_modified: set[int]
    cutoff: date
    extra_invoices: int = 0
    counts: dict[str, int] = field(default_factory=dict)


def make_plan(rng: random.Random, invoices: int, customers: int, as_of: datetime) -> Plan:
    start = (as_of - timedelta(days=HISTORY_DAYS)).date()
    days = [start + timedelta(days=n) for n in range((as_of.date() - start).days + 1)]
    weights = day_weights(days)
    cutoff = typical_start(as_of)

    # Customers: about a third existed before the history starts; the rest arrive over it.
    before = max(1, round(customers * 0.35))
    early_days = [start - timedelta(days=n) for n in range(HISTORY_DAYS, 0, -1)]
    customer_times = spread(rng, before, early_days, [1.0] * len(early_days), as_of)
    customer_times += spread(rng, customers - before, days, weights, as_of)
    kinds = ["residential"] * customers
    pool = list(range(customers))
    rng.shuffle(pool)
    n_exempt = quota(customers, *CUSTOMER_SHARES["exempt"])
    n_commercial = quota(customers, *CUSTOMER_SHARES["commercial"])
    for index in pool[:n_exempt]:
        kinds[index] = "exempt"
    for index in pool[n_exempt:n_exempt + n_commercial]:
        kinds[index] = "commercial"
    traits: list[dict[str, bool]] = [{} for _ in range(customers)]
    later = [i for i in range(customers) if i >= max(1, customers // 4)]
    taken: set[int] = set()
    for trait in ("merged", "no_email", "shared_name", "shared_email", "two_emails", "email_changed"):
        share, minimum = CUSTOMER_SHARES[trait]
        eligible = later if trait in ("shared_name", "shared_email", "merged") else list(range(customers))
        if trait in ("shared_name", "merged"):
            eligible = [i for i in eligible if kinds[i] == "residential"]
        eligible = [i for i in eligible if i not in taken]
        for index in rng.sample(eligible, k=min(len(eligible), quota(customers, share, minimum))):
            traits[index][trait] = True
            taken.add(index)

    # Invoice events: the special cases first, then the flags, each on eligible events only.
    cases_wanted = {case: quota(invoices, *spec) for case, spec in INVOICE_CASES.items()}
    companions_per_batch = [rng.choice((1, 2)) for _ in range(cases_wanted["batch"])]
    extra = sum(companions_per_batch) + cases_wanted["adjust"]
    primary = max(1, invoices - extra)
    while sum(cases_wanted.values()) > primary * 0.6 and any(cases_wanted.values()):
        largest = max(cases_wanted, key=lambda c: cases_wanted[c])
        cases_wanted[largest] -= 1
        if largest == "batch":
            extra -= companions_per_batch.pop()
        if largest == "adjust":
            extra -= 1
        primary = max(1, invoices - extra)
    event_times = spread(rng, primary, days, weights, as_of)
    follow_up_limit = as_of - timedelta(days=30)
    old_limit = datetime(cutoff.year, cutoff.month, cutoff.day, tzinfo=UTC)
    sku_limit = as_of - timedelta(days=210)
    cases: dict[int, str] = {}
    for case in ("old_open", *[c for c in INVOICE_CASES if c != "old_open"]):
        if case == "old_open":
            eligible = [i for i, t in enumerate(event_times) if t < old_limit]
        elif case in FOLLOW_UP_CASES:
            eligible = [i for i, t in enumerate(event_times) if t < follow_up_limit]
        else:
            eligible = list(range(primary))
        eligible = [i for i in eligible if i not in cases]
        for index in rng.sample(eligible, k=min(len(eligible), cases_wanted[case])):
            cases[index] = case
    companions = {}
    batch_events = sorted(i for i, c in cases.items() if c == "batch")
    for index, count in zip(batch_events, companions_per_batch, strict=False):
        companions[index] = count
    flags: dict[int, set[str]] = {}
    for flag, (share, minimum) in INVOICE_FLAGS.items():
        eligible = [i for i in range(primary) if cases.get(i) != "zero"]
        if flag in ("retired_sku", "inactive_sku"):
            eligible = [i for i in eligible if event_times[i] < sku_limit]
        for index in rng.sample(eligible, k=min(len(eligible), quota(invoices, share, minimum))):
            flags.setdefault(index, set()).add(flag)
    bill_times = spread(rng, max(3, invoices // 8), days, weights, as_of)
    old_bills = [i for i, t in enumerate(bill_times) if t < as_of - timedelta(days=365)] or [0]
    bills_without_modified = set(rng.sample(old_bills, k=min(len(old_bills), quota(len(bill_times), 0.04, 1))))
    return Plan(customer_times, traits, kinds, event_times, cases, flags, companions, bill_times,
                bills_without_modified, cutoff, extra)


def seed_servicetitan(
    ctx: SandboxContext, *, seed: int, invoices: int, customers: int | None, as_of: datetime | None
) -> dict[str, int]:
    """Seed two years of history ending at `as_of` (and set the simulated clock to it); counts by kind."""
    if invoices < 1:
        raise ValueError("invoices must be at least 1")
    as_of = (as_of or DEFAULT_AS_OF).astimezone(UTC)
    customers = customers if customers is not None else max(3, invoices // 3)
    if customers < 1:
        raise ValueError("customers must be at least 1")
    store = ctx.store
    db.ensure_schema(store)
    rng = random.Random(seed)
    writer = BulkWriter(store)
    business = Business(store, rng, as_of, writer)
    business.setup_reference()
    plan = make_plan(rng, invoices, customers, as_of)
    History(business, plan).play()
    writer.flush()
    # Accounts payable, from a generator of its own, so the rest of the history is the same as without it.
    ap_rng = random.Random(seed * 1_000_003 + 17)
    ap_count = quota(invoices, *AP_SHARES["ap_bills"])
    ap_cases = seed_purchases(business, ap_rng, ap_bill_moments(ap_rng, ap_count, as_of, HISTORY_DAYS),
                              list(iter_records(store, "inventory_bills")), business.ap_numbers)
    writer.flush()
    ctx.clock.set(as_of)
    store.set_meta(SEED_META_KEY, {
        "seed": seed, "invoices": invoices, "customers": customers, "as_of": as_of.isoformat(),
        "typical_start": plan.cutoff.isoformat(), "ap_cases": ap_cases, **business.state(),
    })
    return {f"servicetitan {kind}": n for kind, n in sorted(writer.counts.items())}


class History:
    """Plays a plan through a `Business`, in time order."""

    def __init__(self, business: Business, plan: Plan) -> None:
        self.b = business
        self.plan = plan
        self.rng = business.rng
        self.as_of = business.as_of
        self.available: list[Customer] = []
        self.commercial: list[Customer] = []
        self.half_cent_ready: list[Customer] = []
        self.overpay_seen = 0
        self.refund_seen = 0
        self.credit_seen = 0

    def play(self) -> None:
        customers = self.create_customers()
        bills = iter(enumerate(self.plan.bill_times))
        next_bill = next(bills, None)
        pointer = 0
        for index, when in enumerate(self.plan.event_times):
            while pointer < len(customers) and customers[pointer].created < when:
                self.arrive(customers[pointer])
                pointer += 1
            while next_bill is not None and next_bill[1] <= when:
                self.bill(*next_bill)
                next_bill = next(bills, None)
            if not self.available:
                self.arrive(customers[pointer])
                pointer += 1
            self.event(index, when)
        while next_bill is not None:
            self.bill(*next_bill)
            next_bill = next(bills, None)
        for customer in customers:
            self.b.writer.add("customers", self.b.customer_doc(customer))

    def bill(self, index: int, when: datetime) -> None:
        self.b.new_bill(when, no_modified_on=index in self.plan.bills_without_modified)

    def create_customers(self) -> list[Customer]:
        plan = self.plan
        made: list[Customer] = []
        for created, kind, traits in zip(plan.customer_times, plan.customer_kinds, plan.customer_traits, strict=True):
            wanted = CustomerTraits(kind=kind, no_email=traits.get("no_email", False),
                                    two_emails=traits.get("two_emails", False),
                                    email_changed=traits.get("email_changed", False))
            if traits.get("shared_name") or traits.get("merged"):
                earlier = [c for c in made if not c.commercial and c.active]
                chosen = self.rng.choice(earlier) if earlier else None
                if traits.get("merged"):
                    wanted.merge_into = chosen
                else:
                    wanted.shared_name_with = chosen
            if traits.get("shared_email"):
                earlier = [c for c in made if c.emails]
                wanted.shared_email = self.rng.choice(earlier).emails[0] if earlier else None
            made.append(self.b.new_customer(created, wanted))
        return made

    def arrive(self, customer: Customer) -> None:
        if not customer.active:
            return
        self.available.append(customer)
        if customer.commercial:
            self.commercial.append(customer)
        if not customer.exempt and any(p.zone_key == "nyc" for p in customer.places):
            self.half_cent_ready.append(customer)

    def pick_customer(self, case: str, flags: set[str]) -> Customer:
        rng = self.rng
        if "half_cent" in flags and self.half_cent_ready:
            return rng.choice(self.half_cent_ready)
        if (case == "batch" or rng.random() < 0.3) and self.commercial:
            return rng.choice(self.commercial)
        return rng.choice(self.available)

    def lag(self, when: datetime, *, least_days: int = 0) -> datetime:
        """When a customer pays: often on the spot, otherwise days or weeks later."""
        rng = self.rng
        if least_days == 0 and rng.random() < 0.45:
            return when + timedelta(minutes=rng.randint(5, 90))
        days = least_days + rng.choice((1, 2, 3, 5, 7, 10, 14, 21, 30, 45))
        return when + timedelta(days=days, minutes=rng.randint(0, 600))

    def clamp(self, moment: datetime, after: datetime) -> datetime:
        if moment < self.as_of:
            return moment
        return max(after + timedelta(minutes=1), self.as_of - timedelta(minutes=1))

    def event(self, index: int, when: datetime) -> None:
        b, rng = self.b, self.rng
        case = self.plan.cases.get(index, "normal")
        flags = self.plan.flags.get(index, set())
        customer = self.pick_customer(case, flags)
        place = customer.places[0] if rng.random() < 0.6 else rng.choice(customer.places)
        if "half_cent" in flags:
            nyc = [p for p in customer.places if p.zone_key == "nyc"]
            place = nyc[0] if nyc else place
        business_unit = rng.choices(list(BUSINESS_UNIT_WEIGHTS), weights=list(BUSINESS_UNIT_WEIGHTS.values()))[0]
        if case == "zero":
            business_unit = rng.choice((5001, 5003))
            job_type, lines = "Warranty Callback", self.warranty_lines(business_unit)
        else:
            job_type, lines = b.choose_lines(business_unit, when)
            self.apply_flags(lines, flags, business_unit, when, customer, place)
        draft = b.new_invoice(when, customer, place, business_unit, job_type, lines)
        drafts = [draft]
        handler = getattr(self, f"case_{case}")
        drafts += handler(index, draft) or []
        for each in drafts:
            b.write_invoice(each)

    def warranty_lines(self, business_unit: int) -> list[Line]:
        b = self.b
        lines = [b.line(b.services_by_code["SVC-WARRANTY"])]
        _, materials, _ = b.offer(business_unit)
        lines.append(b.line(self.rng.choice(materials), ONE, chargeable=False))
        return lines

    def apply_flags(self, lines: list[Line], flags: set[str], business_unit: int, when: datetime,
                    customer: Customer, place: Any) -> None:
        b, rng = self.b, self.rng
        _, materials, _ = b.offer(business_unit)
        if "noncharge" in flags and materials:
            lines.append(b.line(rng.choice(materials), ONE, chargeable=False))
        if "retired_sku" in flags:
            lines.append(b.line(rng.choice(b.retired)))
        if "inactive_sku" in flags:
            inactive = [s for kind in b.skus.values() for s in kind if s.inactive_since and s.inactive_since > when]
            if inactive:
                sku = rng.choice(inactive)
                lines.append(b.line(sku, b.material_quantity(sku) if sku.item_type == "Material" else ONE))
        if "discount" in flags:
            lines.append(b.discount_line(lines))
        if "half_cent" in flags and not customer.exempt:
            b.find_half_cent(lines, b.zones[place.zone_key])

    # --------------------------------------------------------------- what happens after the invoice

    def case_normal(self, index: int, draft: InvoiceDraft) -> None:
        if draft.total <= 0:
            return
        age = (self.as_of - draft.created).days
        unpaid = 0.5 if age < 15 else 0.2 if age < 45 else 0.06 if age < 180 else 0.015
        if self.rng.random() < unpaid:
            return
        paid = self.lag(draft.created)
        if paid < self.as_of:
            self.b.pay(paid, draft.customer, [(draft, draft.total)])

    def case_zero(self, index: int, draft: InvoiceDraft) -> None:
        return None

    def case_void(self, index: int, draft: InvoiceDraft) -> None:
        draft.active = False
        draft.voided_at = self.clamp(draft.created + timedelta(days=self.rng.randint(1, 10)), draft.created)

    def case_old_open(self, index: int, draft: InvoiceDraft) -> None:
        if draft.total > 2 and self.rng.random() < 0.3:
            part = Decimal(int(draft.total * Decimal("0.4")))
            self.b.pay(self.lag(draft.created, least_days=1), draft.customer, [(draft, part)])

    def case_partial(self, index: int, draft: InvoiceDraft) -> None:
        if draft.total <= 2:
            return
        part = Decimal(int(draft.total * Decimal(str(self.rng.uniform(0.3, 0.7)))))
        part = min(max(part, ONE), draft.total - ONE)
        self.b.pay(self.clamp(self.lag(draft.created), draft.created), draft.customer, [(draft, part)])

    def case_overpay(self, index: int, draft: InvoiceDraft) -> None:
        b, rng = self.b, self.rng
        if draft.total <= 0:
            return
        extra = Decimal(rng.choice((5, 10, 20, 25, 50, 100)))
        paid = self.clamp(self.lag(draft.created), draft.created)
        payment_id = b.pay(paid, draft.customer, [(draft, draft.total)], total=draft.total + extra,
                           memo="Paid more than the invoice total")
        self.overpay_seen += 1
        if self.overpay_seen % 2 == 1:
            refunded = self.clamp(paid + timedelta(days=rng.randint(2, 20)), paid)
            b.pay(refunded, draft.customer, [], total=-extra, type_name="Check", refund_of=payment_id,
                  memo="Refund of overpayment")

    def case_refund(self, index: int, draft: InvoiceDraft) -> None:
        b, rng = self.b, self.rng
        if draft.total <= 0:
            return
        paid = self.clamp(self.lag(draft.created), draft.created)
        payment_id = b.pay(paid, draft.customer, [(draft, draft.total)], type_name="Credit Card")
        refunded = self.clamp(paid + timedelta(days=rng.randint(1, 15)), paid)
        self.refund_seen += 1
        if self.refund_seen % 3 == 0:
            amount = max(ONE, Decimal(int(draft.total * Decimal("0.2"))))
            b.pay(refunded, draft.customer, [(draft, -amount)], type_name="Credit Card", refund_of=payment_id,
                  memo="Partial refund")
            return
        b.pay(refunded, draft.customer, [(draft, -draft.total)], type_name="Credit Card", refund_of=payment_id,
              memo="Card payment refunded")
        if self.refund_seen % 3 == 1:
            again = self.clamp(refunded + timedelta(days=rng.randint(1, 10)), refunded)
            b.pay(again, draft.customer, [(draft, draft.total)], type_name="Check", memo="Paid again by check")

    def case_credit(self, index: int, draft: InvoiceDraft) -> None:
        b, rng = self.b, self.rng
        if draft.total <= 2:
            return
        amount = min(draft.total - ONE, max(ONE, Decimal(int(draft.total * Decimal(str(rng.uniform(0.1, 0.25)))))))
        credited = self.clamp(draft.created + timedelta(days=rng.randint(1, 10)), draft.created)
        self.credit_seen += 1
        total = amount + (Decimal(20) if self.credit_seen % 3 == 0 else 0)
        b.credit(credited, draft, total, amount, "Service guarantee credit")
        if rng.random() < 0.7:
            paid = self.clamp(credited + timedelta(days=rng.randint(1, 20)), credited)
            b.pay(paid, draft.customer, [(draft, draft.balance)])

    def case_batch(self, index: int, draft: InvoiceDraft) -> list[InvoiceDraft]:
        b, rng = self.b, self.rng
        customer = draft.customer
        siblings = []
        for n in range(self.plan.companions.get(index, 1)):
            place = customer.places[(n + 1) % len(customer.places)]
            business_unit = draft.business_unit["id"]
            job_type, lines = b.choose_lines(business_unit, draft.created)
            siblings.append(b.new_invoice(draft.created + timedelta(minutes=rng.randint(5, 240)), customer, place,
                                          business_unit, job_type, lines))
        group = [draft, *siblings]
        latest = max(d.created for d in group)
        paid = self.clamp(latest + timedelta(days=rng.randint(3, 25)), latest)
        b.pay(paid, customer, [(d, d.total) for d in group if d.total > 0], type_name="Check",
              memo=f"One check for {len(group)} invoices")
        return siblings

    def case_adjust(self, index: int, draft: InvoiceDraft) -> list[InvoiceDraft]:
        b, rng = self.b, self.rng
        self.case_normal(index, draft)
        credit_lines = [i for i in draft.items if i["isChargeable"] and i["type"] != "PriceModifier"
                        and Decimal(i["total"]) > 0]
        if not credit_lines:
            return []
        source = rng.choice(credit_lines)
        line = Line(source["type"], source["skuId"], source["skuName"], f"Credit: {source['displayName']}",
                    -Decimal(source["quantity"]), Decimal(source["price"]), Decimal(source["cost"]),
                    source["taxable"], True, source["generalLedgerAccount"])
        when = self.clamp(draft.created + timedelta(days=rng.randint(3, 20)), draft.created)
        adjustment = b.new_invoice(when, draft.customer, draft.place, draft.business_unit["id"],
                                   draft.job["type"], [line], job=draft.job, reference=f"{draft.reference}-1",
                                   adjustment_to=draft.id)
        return [adjustment]
