"""Accounting streams: invoices, payments, credit memos, inventory bills, accounts payable (AP bills,
credits and payments) and the reference lists."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

from singer_sdk.helpers.types import Context

from tap_servicetitan.client import ServiceTitanStream
from tap_servicetitan.records import LatestVersions
from tap_servicetitan.stream_types import (
    TOKEN_KEY,
    ExportPage,
    ExportStream,
    IncrementalListStream,
    ReferenceListStream,
    UnsortedIncrementalListStream,
)
from tap_servicetitan.window import LOOKUP_BATCH, opening_by_doubt

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
    the export from the beginning and keeps the invoices in the window (`InvoiceWindow.admit`): dated on
    or after `start_date`, plus the earlier active ones still open on `start_date`, the opening receivables
    that later payments land on. Until that first export reaches its end, state says so
    (`initialExportDone: false`), so that a resumed first run filters the same way. Later runs emit the
    changed invoices in that window, and every change to an earlier invoice already emitted (listed in
    `keptEarlierInvoiceIds`); an earlier invoice entering the window then (reopened by a refund, say) is
    added to that list, and its earlier payments and credit memos become due (`earlierDocumentsDue`).
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
            in_doubt = (start is not None and opening_by_doubt(record, start)
                        and (self._initial_export or record.get("id") not in window.kept_earlier))
            if window.admit(record, first_run=self._initial_export):
                self._paid_without_date += in_doubt
                selected.append(record)
        return selected

    def page_state(self, page: ExportPage) -> dict[str, Any]:
        state = super().page_state(page)
        if self._initial_export:
            state[INITIAL_EXPORT_DONE_KEY] = not page.has_more
        return state

    def checkpoint(self, **values: Any) -> None:
        self._st_tap.invoice_window.save(self.stream_state)
        super().checkpoint(**values)


class WindowedStream(ServiceTitanStream):
    """Payments and credit memos: those dated before `start_date` are emitted only when applied to at least
    one invoice in the window (see `window`); the others would point at invoices downstream never gets.

    Before its own feed, the stream emits the earlier documents of the invoices that entered the window on
    a later run (`InvoiceWindow.due_ids`), fetched by invoice from the list endpoint, since the feed only
    hands out what changed. Once they are emitted, the stream drops them from the due list and writes
    STATE; an interrupted run fetches them again.
    """

    date_field: ClassVar[str] = "date"
    list_resource: ClassVar[str]
    """The list endpoint that filters by `appliedToInvoiceIds`."""
    list_params: ClassVar[dict[str, str]]
    """Its parameters asking for inactive documents too."""

    def get_records(self, context: Context | None) -> Any:
        self._left_out = 0
        self._sent_by_invoice = LatestVersions()
        yield from self.earlier_documents_due(context)
        yield from super().get_records(context)
        if self._left_out:
            self.logger.info(
                "[%s] %d dated before start_date left out: applied to no invoice in the sync window.",
                self.name, self._left_out,
            )

    def earlier_documents_due(self, context: Context | None) -> Iterator[dict[str, Any]]:
        """The earlier documents of the invoices that entered the window, `LOOKUP_BATCH` invoices a call.
        No call at all when none are due (the usual case)."""
        window = self._st_tap.invoice_window
        invoice_ids = window.due_ids(self.name)
        if not invoice_ids:
            return
        for offset in range(0, len(invoice_ids), LOOKUP_BATCH):
            batch = invoice_ids[offset:offset + LOOKUP_BATCH]
            params = {**self.list_params, "appliedToInvoiceIds": ",".join(str(i) for i in batch)}
            for body in self.list_pages(self.tenant_path(self.list_resource), params, context):
                yield from self._sent_by_invoice.fresh(window.earlier(body.get("data") or [], self.date_field))
        self.logger.info(
            "[%s] %d dated before start_date emitted for %d earlier invoices that entered the sync window.",
            self.name, len(self._sent_by_invoice), len(invoice_ids),
        )
        window.documents_sent(self.name, invoice_ids)
        self._st_tap.save_invoice_window()
        self.checkpoint()

    def select(self, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if self._sent_by_invoice:
            records = self._sent_by_invoice.fresh(records)  # not again, unless changed since
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
    list_resource = "payments"  # Payments_GetList
    list_params: ClassVar[dict[str, str]] = {"activeState": "All"}


class CreditMemosStream(WindowedStream, IncrementalListStream):
    """Credit memos (no export exists), with `appliedTo`."""

    name = "credit_memos"
    module = "accounting"
    resource = "credit-memos"
    list_resource = "credit-memos"  # CreditMemos_GetCreditMemosList


class InventoryBillsStream(ExportStream):
    """Inventory (purchase) bills with their `items`."""

    name = "inventory_bills"
    module = "accounting"
    resource = "export/inventory-bills"


class ApBillsStream(UnsortedIncrementalListStream):
    """AP bills (`ApBills_GetListPaginated`) with their `items` and `expenseItems`.

    The list takes `modifiedOnOrAfter` but no `sort`. Like inventory bills, every bill is read, whatever
    its date: `start_date` does not bound this stream. Money (`billAmount`, line `amount`s) is strings.
    """

    name = "ap_bills"
    module = "accounting"
    resource = "ap-bills"


class ApCreditsStream(IncrementalListStream):
    """AP credits (vendor credits) with their `splits`, each naming the bill it applies to (`inventoryBillId`).

    Read by `modifiedOnOrAfter` sorted by `+ModifiedOn`, canceled ones too (`active` false); the list has no
    `active` parameter. Money is JSON numbers, parsed as Decimal. Not bounded by `start_date`.
    """

    name = "ap_credits"
    module = "accounting"
    resource = "ap-credits"
    list_params: ClassVar[dict[str, str]] = {}


class ApPaymentsStream(IncrementalListStream):
    """AP payments (vendor payments) with their `splits`, each naming the bill it pays (`inventoryBillId`).

    Read like AP credits; voided payments come with `active` false. Not bounded by `start_date`.
    """

    name = "ap_payments"
    module = "accounting"
    resource = "ap-payments"
    list_params: ClassVar[dict[str, str]] = {}
