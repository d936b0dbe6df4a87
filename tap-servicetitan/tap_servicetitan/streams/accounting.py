"""Accounting streams: invoices, payments, credit memos, inventory bills and the reference lists."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from singer_sdk.helpers.types import Context

from tap_servicetitan.records import parse_timestamp
from tap_servicetitan.stream_types import (
    TOKEN_KEY,
    ExportPage,
    ExportStream,
    IncrementalListStream,
    ReferenceListStream,
)

INITIAL_EXPORT_DONE_KEY = "initialExportDone"


class TaxZonesStream(ReferenceListStream):
    name = "tax_zones"
    module = "accounting"
    resource = "tax-zones"


class PaymentTypesStream(ReferenceListStream):
    name = "payment_types"
    module = "accounting"
    resource = "payment-types"


class GLAccountsStream(ReferenceListStream):
    name = "gl_accounts"
    module = "accounting"
    resource = "gl-accounts"


class InvoicesStream(ExportStream):
    """Invoices with their `items`, from the invoice export.

    The first run (no token in state, e.g. after `meltano state clear` or with `--full-refresh`) reads
    the export from the beginning and keeps the invoices dated on or after `start_date`, plus every
    earlier active invoice that still has a balance: the opening receivables that later payments land
    on. Until that first export reaches its end, state says so (`initialExportDone: false`), so that a
    resumed first run filters the same way. Later runs emit every invoice that changed, however old.
    """

    name = "invoices"
    module = "accounting"
    resource = "export/invoices"

    def get_records(self, context: Context | None) -> Any:
        token = self.bookmark(TOKEN_KEY)
        done = self.bookmark(INITIAL_EXPORT_DONE_KEY)
        self._initial_export = token is None or done is False
        return super().get_records(context)

    def keep(self, record: dict[str, Any]) -> bool:
        start = self.settings.start_date
        if not self._initial_export or start is None:
            return True
        return is_opening_invoice(record, start)

    def page_state(self, page: ExportPage) -> dict[str, Any]:
        state = super().page_state(page)
        if self._initial_export:
            state[INITIAL_EXPORT_DONE_KEY] = not page.has_more
        return state


def is_opening_invoice(invoice: dict[str, Any], start: date) -> bool:
    """Dated on or after `start`, or earlier but active and with a balance left (or with no date to tell)."""
    invoiced = parse_timestamp(invoice.get("invoiceDate"))
    if invoiced is None or invoiced.date() >= start:
        return True
    if invoice.get("active") is False:
        return False
    return has_balance(invoice.get("balance"))


def has_balance(balance: Any) -> bool:
    """A non-zero balance (ServiceTitan sends money as decimal strings); unknown counts as open."""
    if balance is None or balance == "":
        return True
    try:
        return Decimal(str(balance).replace(",", "").replace("$", "")) != 0
    except InvalidOperation:
        return True


class PaymentsStream(ExportStream):
    """Payments with `appliedTo` (the invoices each payment settles)."""

    name = "payments"
    module = "accounting"
    resource = "export/payments"


class CreditMemosStream(IncrementalListStream):
    """Credit memos (no export exists), with `appliedTo`."""

    name = "credit_memos"
    module = "accounting"
    resource = "credit-memos"


class InventoryBillsStream(ExportStream):
    """Inventory (purchase) bills with their `items`."""

    name = "inventory_bills"
    module = "accounting"
    resource = "export/inventory-bills"
