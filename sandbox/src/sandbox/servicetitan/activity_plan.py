"""What simulated activity does when: how many changes of each kind fall on each day, and at what moments.

Rates are per day and may be fractions: each kind's fractions accumulate from a random offset, so a
rate of 0.34 brings one change every three days or so, and any rate of at least 1/N brings at least
one change in N days. Job invoices get the seed's special lines by quota over the whole run, so a run
of a few days holds each of them at least once.
"""

from __future__ import annotations

import dataclasses
import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sandbox.servicetitan.business import CustomerTraits

BUSINESS_HOURS = (12, 22)
"""UTC hours of the working day (8 am to 6 pm in New York), as in the seed."""


@dataclass
class PerDay:
    """How many changes of each kind a simulated day brings on average (before `volume` scales them)."""

    customers: float = 2.0
    """New customers, with their locations and contacts (some without an email)."""
    pricebook_items: float = 0.5
    """New materials, services or equipment."""
    price_changes: float = 0.34
    """Pricebook items whose price goes up."""
    jobs: float = 8.0
    """Jobs invoiced (about 45% paid on the spot)."""
    payments_full: float = 3.0
    """An open invoice paid in full."""
    payments_partial: float = 0.5
    payments_split: float = 0.5
    """One payment across two or three open invoices of one customer."""
    payments_overpaid: float = 0.34
    """An invoice paid with more than its balance: the payment keeps an unapplied remainder."""
    refunds: float = 0.34
    credit_memos: float = 0.5
    invoice_edits: float = 0.5
    """A recent invoice gets a line added or a line's price changed."""
    voids: float = 0.34
    adjustments: float = 0.34
    """A negative adjustment invoice crediting a line of a recent invoice."""
    bills: float = 1.0
    """Inventory bills from suppliers."""
    email_changes: float = 0.5
    vendor_edits: float = 0.34
    ap_bills: float = 0.5
    """AP bills for expenses (subcontractors, rentals, supplies), some with stock lines."""
    ap_payments: float = 1.0
    """A vendor paid: an open bill (inventory or AP) in full or in part, sometimes with its other open bills."""
    ap_credits: float = 0.2
    """A vendor credit applied to an open bill (sometimes with an unapplied remainder)."""
    ap_edits: float = 0.2
    """A recent unpaid AP bill gets a line added or a line's amount changed."""
    ap_voids: float = 0.15
    """An unpaid AP bill canceled, or a recent AP payment voided (its bills open again)."""

    @classmethod
    def kinds(cls) -> list[str]:
        return [f.name for f in dataclasses.fields(cls)]


JOB_FLAG_SHARES = {
    # flag: share of the run's jobs (at least one each once the run has MIN_JOBS_FOR_EVERY_FLAG jobs)
    "zero": 0.015,
    "discount": 0.10,
    "noncharge": 0.05,
    "half_cent": 0.03,
}
MIN_JOBS_FOR_EVERY_FLAG = 10
AP_KINDS = ("ap_bills", "ap_payments", "ap_credits", "ap_edits", "ap_voids")
"""Accounts-payable kinds draw their timing from a generator of their own (`side`), so that adding them
left every other kind's changes as they were for a given seed."""
NO_EMAIL_SHARE = 0.07
TWO_EMAILS_SHARE = 0.04


def quota(total: int, share: float, minimum: int) -> int:
    return min(total, max(minimum, round(share * total)))


@dataclass
class Plan:
    """The run's schedule: counts per day and kind, flags per job, traits per new customer."""

    counts: list[dict[str, int]]
    job_flags: list[set[str]]
    customer_traits: list[CustomerTraits]


def make_plan(rng: random.Random, per_day: PerDay, volume: float, days: int,
              side: random.Random | None = None) -> Plan:
    side = side or rng
    offsets = {kind: rng.random() for kind in PerDay.kinds() if kind not in AP_KINDS}
    offsets.update({kind: side.random() for kind in AP_KINDS})
    counts: list[dict[str, int]] = []
    for day in range(days):
        today: dict[str, int] = {}
        for kind in PerDay.kinds():
            rate = max(0.0, float(getattr(per_day, kind)) * volume)
            offset = offsets[kind]
            today[kind] = math.floor(offset + (day + 1) * rate) - math.floor(offset + day * rate)
        counts.append(today)
    total_jobs = sum(day["jobs"] for day in counts)
    total_customers = sum(day["customers"] for day in counts)
    return Plan(counts, job_flags(rng, total_jobs), customer_traits(rng, total_customers))


def job_flags(rng: random.Random, total: int) -> list[set[str]]:
    """Which special lines each job gets: `zero` (a warranty call, $0) excludes the others."""
    flags: list[set[str]] = [set() for _ in range(total)]
    minimum = 1 if total >= MIN_JOBS_FOR_EVERY_FLAG else 0
    zero = set(rng.sample(range(total), k=quota(total, JOB_FLAG_SHARES["zero"], minimum))) if total else set()
    for index in sorted(zero):
        flags[index].add("zero")
    others = [i for i in range(total) if i not in zero]
    for flag, share in JOB_FLAG_SHARES.items():
        if flag == "zero" or not others:
            continue
        for index in rng.sample(others, k=min(len(others), quota(total, share, minimum))):
            flags[index].add(flag)
    return flags


def customer_traits(rng: random.Random, total: int) -> list[CustomerTraits]:
    """New customers: 17% commercial, 3% tax-exempt, 7% without an email (at least one in three), 4% with two."""
    traits = []
    for _ in range(total):
        draw = rng.random()
        kind = "exempt" if draw < 0.03 else "commercial" if draw < 0.20 else "residential"
        traits.append(CustomerTraits(kind=kind))
    pool = list(range(total))
    rng.shuffle(pool)
    no_email = quota(total, NO_EMAIL_SHARE, 1 if total >= 3 else 0)
    two_emails = quota(total - no_email, TWO_EMAILS_SHARE, 0)
    for index in pool[:no_email]:
        traits[index].no_email = True
    for index in pool[no_email:no_email + two_emails]:
        traits[index].two_emails = True
    return traits


def business_moments(rng: random.Random, start: datetime, end: datetime, count: int) -> list[datetime]:
    """`count` moments in business hours within (start, end), in time order."""
    windows: list[tuple[datetime, datetime]] = []
    day = start.astimezone(UTC).date()
    while datetime(day.year, day.month, day.day, tzinfo=UTC) < end:
        opens = max(start, datetime(day.year, day.month, day.day, BUSINESS_HOURS[0], tzinfo=UTC))
        closes = min(end, datetime(day.year, day.month, day.day, BUSINESS_HOURS[1], tzinfo=UTC))
        if opens < closes:
            windows.append((opens, closes))
        day += timedelta(days=1)
    if not windows:  # a span shorter than a day outside business hours: any moment of it
        windows = [(start, end)]
    spans = [int((closes - opens) / timedelta(microseconds=1)) for opens, closes in windows]
    total = sum(spans)
    moments = []
    for _ in range(count):
        offset = rng.randint(1, max(1, total - 1))
        for (opens, _closes), span in zip(windows, spans, strict=True):
            if offset < span:
                moments.append(opens + timedelta(microseconds=offset))
                break
            offset -= span
    return sorted(moments)


def day_schedule(rng: random.Random, counts: dict[str, int], start: datetime,
                 end: datetime, side: random.Random | None = None) -> list[tuple[datetime, str]]:
    """The day's changes as (moment, kind) in time order; kinds at the same moment in `PerDay` order."""
    order = {kind: n for n, kind in enumerate(PerDay.kinds())}
    events = []
    for kind in PerDay.kinds():
        source = (side or rng) if kind in AP_KINDS else rng
        events += [(when, kind) for when in business_moments(source, start, end, counts.get(kind, 0))]
    return sorted(events, key=lambda e: (e[0], order[e[1]]))
