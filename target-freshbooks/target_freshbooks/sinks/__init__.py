"""One sink per FreshBooks resource. A new stream is one module here plus one line in `SINKS`."""

from __future__ import annotations

from target_freshbooks.sinks.base import Outcome, ResourceSink
from target_freshbooks.sinks.bill_payments import BillPaymentsSink
from target_freshbooks.sinks.bill_vendors import BillVendorsSink
from target_freshbooks.sinks.bills import BillsSink
from target_freshbooks.sinks.clients import ClientsSink
from target_freshbooks.sinks.credit_notes import CreditNotesSink
from target_freshbooks.sinks.invoices import InvoicesSink
from target_freshbooks.sinks.items import ItemsSink
from target_freshbooks.sinks.journal_entries import JournalEntriesSink
from target_freshbooks.sinks.payments import PaymentsSink
from target_freshbooks.sinks.taxes import TaxesSink

SINKS: dict[str, type[ResourceSink]] = {
    sink.stream: sink for sink in (ClientsSink, TaxesSink, ItemsSink, InvoicesSink, PaymentsSink, CreditNotesSink,
                                   JournalEntriesSink, BillVendorsSink, BillsSink, BillPaymentsSink)
}

__all__ = ["SINKS", "Outcome", "ResourceSink"]
