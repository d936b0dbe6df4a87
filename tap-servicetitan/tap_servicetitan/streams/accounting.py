"""Accounting streams: invoices, payments, credit memos, inventory bills and the reference lists."""

from __future__ import annotations

from typing import Any, ClassVar

from singer_sdk.helpers.types import Context

from tap_servicetitan.client import ServiceTitanStream
from tap_servicetitan.stream_types import (
    TOKEN_KEY,
    ExportPage,
    ExportStream,
    IncrementalListStream,
    ReferenceListStream,
)
from tap_servicetitan.window import KEPT_EARLIER_KEY, is_opening_invoice, opening_by_doubt

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
    the export from the beginning and keeps the invoices in the window (`window.is_opening_invoice`):
    dated on or after `start_date`, plus the earlier active ones still open on `start_date`, the opening
    receivables that later payments land on. Until that first export reaches its end, state says so
    (`initialExportDone: false`), so that a resumed first run filters the same way. Later runs emit every
    invoice that changed, however old. State also lists the earlier invoices emitted so far
    (`keptEarlierInvoiceIds`), which decides which old payments and credit memos are emitted.
    """

    name = "invoices"
    module = "accounting"
    resource = "export/invoices"

    def get_records(self, context: Context | None) -> Any:
        token = self.bookmark(TOKEN_KEY)
        done = self.bookmark(INITIAL_EXPORT_DONE_KEY)
        self._initial_export = token is None or done is False
        self._paid_without_date = 0
        yield from super().get_records(context)
        if self._paid_without_date:
            self.logger.warning(
                "[invoices] %d invoices dated before start_date are paid off but have no paidOn, so whether they "
                "were still open on start_date is unknown: they were emitted.",
                self._paid_without_date,
            )

    def select(self, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        window = self._st_tap.invoice_window
        start = window.start
        selected = []
        for record in records:
            emit = not self._initial_export or start is None or is_opening_invoice(record, start)
            if emit and self._initial_export and start is not None and opening_by_doubt(record, start):
                self._paid_without_date += 1
            window.note_invoice(record, emit)
            if emit:
                selected.append(record)
        return selected

    def page_state(self, page: ExportPage) -> dict[str, Any]:
        state = super().page_state(page)
        if self._initial_export:
            state[INITIAL_EXPORT_DONE_KEY] = not page.has_more
        window = self._st_tap.invoice_window
        if window.start is not None:
            state[KEPT_EARLIER_KEY] = window.kept_earlier_ids()
        return state


class WindowedStream(ServiceTitanStream):
    """Payments and credit memos: those dated before `start_date` are emitted only when applied to at least
    one invoice in the window (see `window`); the others would point at invoices downstream never gets."""

    date_field: ClassVar[str] = "date"

    def get_records(self, context: Context | None) -> Any:
        self._left_out = 0
        yield from super().get_records(context)
        if self._left_out:
            self.logger.info(
                "[%s] %d dated before start_date left out: applied to no invoice in the sync window.",
                self.name, self._left_out,
            )

    def select(self, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        selected = self._st_tap.invoice_window.select(records, self.date_field, self.look_up_invoices)
        self._left_out += len(records) - len(selected)
        return selected

    def look_up_invoices(self, invoice_ids: list[int]) -> list[dict[str, Any]]:
        """The invoices with these ids (active or not) that exist, in one `Invoices_GetList` call."""
        _, body = self.fetch(
            self.tenant_path("invoices"),
            {"ids": ",".join(str(i) for i in invoice_ids), "activeState": "All", "pageSize": len(invoice_ids)},
        )
        return list(body.get("data") or [])


class PaymentsStream(WindowedStream, ExportStream):
    """Payments with `appliedTo` (the invoices each payment settles)."""

    name = "payments"
    module = "accounting"
    resource = "export/payments"


class CreditMemosStream(WindowedStream, IncrementalListStream):
    """Credit memos (no export exists), with `appliedTo`."""

    name = "credit_memos"
    module = "accounting"
    resource = "credit-memos"


class InventoryBillsStream(ExportStream):
    """Inventory (purchase) bills with their `items`."""

    name = "inventory_bills"
    module = "accounting"
    resource = "export/inventory-bills"
