"""The accounting resources the simulator serves, by URL path and by list name."""

from __future__ import annotations

from sandbox.context import SandboxContext
from sandbox.freshbooks.bill_payments import BillPayments
from sandbox.freshbooks.bills import Bills, BillVendors
from sandbox.freshbooks.catalog import Categories, Items, Taxes
from sandbox.freshbooks.clients import Clients
from sandbox.freshbooks.credit_notes import CreditNotes
from sandbox.freshbooks.invoices import Invoices
from sandbox.freshbooks.journal import JournalEntries, JournalEntryAccounts, JournalEntryDetails
from sandbox.freshbooks.payments import Payments
from sandbox.freshbooks.resource import Resource

RESOURCE_CLASSES: list[type[Resource]] = [
    Clients, Items, Taxes, Categories, Invoices, Payments, CreditNotes, BillVendors, Bills, BillPayments,
    JournalEntries, JournalEntryAccounts, JournalEntryDetails,
]


class Registry:
    """One instance of each resource for a sandbox context."""

    def __init__(self, ctx: SandboxContext) -> None:
        self.by_plural: dict[str, Resource] = {cls.plural: cls(ctx) for cls in RESOURCE_CLASSES}
        self.by_path: dict[str, Resource] = {r.path: r for r in self.by_plural.values()}

    def __getitem__(self, plural: str) -> Resource:
        return self.by_plural[plural]
