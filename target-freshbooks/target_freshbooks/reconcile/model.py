"""What a reconciliation found: the one data model the summary table, the CSV and the HTML report render.

Amounts are Decimals to the cent. ServiceTitan's side is computed from ServiceTitan's records read live
through the tap's client; FreshBooks' side from FreshBooks' records read live through the target's client.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Literal

ZERO = Decimal("0.00")

DifferenceKind = Literal[
    "amount",                 # both systems have the record, with different amounts (total, outstanding)
    "missing_in_freshbooks",  # a synced ServiceTitan record with no FreshBooks object
    "only_in_freshbooks",     # a connector-owned FreshBooks object whose ServiceTitan record is gone or void
    "duplicate",              # two FreshBooks objects for one source record (clients, invoices, payments...)
    "bookkeeper_edit",        # a connector-owned object changed in FreshBooks since the connector wrote it
    "made_in_freshbooks",     # not the connector's (payments taken in FreshBooks, typed by hand): reported
]
CustomerStatus = Literal["match", "timing", "drift"]


@dataclass
class Difference:
    """One thing that disagrees. `source_key` names the record `replay --force` re-sends to repair it."""

    kind: DifferenceKind
    stream: str                      # the FreshBooks-shaped stream: clients, invoices, payments, credit_notes, bills...
    detail: str                      # one sentence a bookkeeper can act on
    source_key: str | None = None    # e.g. servicetitan:invoice:123 (None for made_in_freshbooks)
    freshbooks_id: str | None = None
    customer_id: str | None = None   # ServiceTitan customer id, when it concerns one
    servicetitan_amount: Decimal | None = None
    freshbooks_amount: Decimal | None = None

    @property
    def repairable(self) -> bool:
        """`replay --force` can repair it (the connector owns the record); made-in-FreshBooks never is."""
        return self.source_key is not None and self.kind != "made_in_freshbooks"


@dataclass
class TimingDifference:
    """Not drift: a record not in a synced status yet (Pending), or one waiting on it (parked)."""

    customer_id: str
    source_key: str
    amount: Decimal
    reason: str


@dataclass
class InvoiceLine:
    """An invoice of a customer whose AR differs, side by side."""

    source_key: str
    number: str
    servicetitan_balance: Decimal | None
    freshbooks_outstanding: Decimal | None


@dataclass
class CustomerBalance:
    """AR of one ServiceTitan customer against its paired FreshBooks client (several customers may share one)."""

    customer_id: str
    name: str
    freshbooks_client_id: str | None
    servicetitan_ar: Decimal
    freshbooks_ar: Decimal
    timing: Decimal = ZERO
    invoices: list[InvoiceLine] = field(default_factory=list)  # filled where they differ

    @property
    def drift(self) -> Decimal:
        return self.freshbooks_ar - (self.servicetitan_ar - self.timing)

    @property
    def status(self) -> CustomerStatus:
        if self.drift != ZERO:
            return "drift"
        return "timing" if self.timing != ZERO else "match"


@dataclass
class AgingBucket:
    """Open receivables by age (days past the invoice's due date), both systems."""

    label: str  # "current", "1-30", "31-60", "61-90", "90+"
    servicetitan: Decimal
    freshbooks: Decimal


@dataclass
class PeriodTotal:
    """A total per month (and account, in journal-entry mode): cash, revenue, or an account's balance."""

    period: str          # YYYY-MM
    measure: str         # "cash", "revenue", or a journal account name
    servicetitan: Decimal
    freshbooks: Decimal


@dataclass
class CostLine:
    """Purchase costs per month and account: ServiceTitan's GL account against FreshBooks' expense category."""

    period: str
    servicetitan_account: str
    freshbooks_category: str
    servicetitan: Decimal
    freshbooks: Decimal
    timing: Decimal = ZERO  # ServiceTitan's part waiting in review (bills of vendors not in FreshBooks): not drift


@dataclass
class JobMargin:
    """A job's revenue in FreshBooks beside its parts and labour cost in ServiceTitan (a report, not entries)."""

    job_id: str
    invoice_number: str
    customer_id: str
    revenue: Decimal
    parts_cost: Decimal
    labour_cost: Decimal

    @property
    def margin(self) -> Decimal:
        return self.revenue - self.parts_cost - self.labour_cost


@dataclass
class Reconciliation:
    """Everything `reconcile` found, at `generated_at`."""

    generated_at: datetime
    tenant: str
    account_id: str
    mode: Literal["invoice", "journal_entry"] = "invoice"
    customers: list[CustomerBalance] = field(default_factory=list)
    differences: list[Difference] = field(default_factory=list)
    timing: list[TimingDifference] = field(default_factory=list)
    aging: list[AgingBucket] = field(default_factory=list)
    periods: list[PeriodTotal] = field(default_factory=list)
    costs: list[CostLine] = field(default_factory=list)
    margins: list[JobMargin] = field(default_factory=list)
    totals: dict[str, tuple[Decimal, Decimal]] = field(default_factory=dict)  # name -> (ServiceTitan, FreshBooks)

    @property
    def drifted(self) -> bool:
        """Anything beyond timing differences (made-in-FreshBooks records are reported, not drift)."""
        return (any(d.kind != "made_in_freshbooks" for d in self.differences)
                or any(c.status == "drift" for c in self.customers)
                or any(p.servicetitan != p.freshbooks for p in self.periods)
                or any(c.servicetitan - c.timing != c.freshbooks for c in self.costs))
