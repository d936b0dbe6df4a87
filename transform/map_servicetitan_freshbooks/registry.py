"""What the mapper maps: one line per tap-servicetitan stream, naming its output stream, the kind in its
records' source keys and the function that maps one record. A new mapping is a module and a line here."""

from __future__ import annotations

from dataclasses import dataclass

from map_servicetitan_freshbooks.bill_payments import map_ap_credit, map_ap_payment
from map_servicetitan_freshbooks.bills import BILL_KIND, map_bill
from map_servicetitan_freshbooks.clients import map_customer
from map_servicetitan_freshbooks.credit_memos import map_credit_memo
from map_servicetitan_freshbooks.invoices import map_invoice
from map_servicetitan_freshbooks.items import map_pricebook_item
from map_servicetitan_freshbooks.journal_entries import (
    INVOICE_DATES,
    JOURNAL_ENTRIES,
    MEMO_DATES,
    PAYMENT_DATES,
    by_mode,
    journal_credit_memo,
    journal_invoice,
    journal_payment,
)
from map_servicetitan_freshbooks.output import UNSUPPORTED, MapFunction, Output, Record, RunContext, skip_record
from map_servicetitan_freshbooks.payment_types import remember_payment_type
from map_servicetitan_freshbooks.payments import map_payment
from map_servicetitan_freshbooks.taxes import map_tax_zone
from map_servicetitan_freshbooks.values import SourceRecord
from map_servicetitan_freshbooks.vendors import map_vendor

SKIPPED = "skipped"
"""The output stream of records whose kind has no FreshBooks stream."""


@dataclass(frozen=True)
class Mapping:
    """How one source stream maps.

    `output` is where its records go (None: a reference stream, read for lookups and written nowhere);
    `also` lists other output streams its map function may choose per record (with `Output`); `note` says
    why a stream is reference-only or unsupported.
    """

    source_stream: str
    kind: str
    output: str | None
    map: MapFunction
    also: tuple[str, ...] = ()
    note: str = ""

    @property
    def outputs(self) -> tuple[str, ...]:
        return (self.output, *self.also) if self.output else self.also

    @property
    def reference(self) -> bool:
        return self.output is None


def _nothing(source: SourceRecord, run: RunContext) -> list[Record | Output]:
    return []


def reference(source_stream: str, kind: str, note: str) -> Mapping:
    """A stream nothing in FreshBooks needs yet: read and written nowhere."""
    return Mapping(source_stream, kind, None, _nothing, note=note)


def unsupported(source_stream: str, kind: str, note: str) -> Mapping:
    """A stream the connector does not move yet: each record becomes a skip record in `skipped`."""
    reason = f"not moved to FreshBooks: {note}"

    def skip(source: SourceRecord, run: RunContext) -> list[Record | Output]:
        return [skip_record(source.key(), reason, UNSUPPORTED, source_stream=source.stream)]

    return Mapping(source_stream, kind, SKIPPED, skip, note=note)


REGISTRY: dict[str, Mapping] = {mapping.source_stream: mapping for mapping in (
    Mapping("tax_zones", "taxzone", "taxes", map_tax_zone),
    Mapping("payment_types", "paymenttype", None, remember_payment_type,
            note="remembered to name a payment's type when the payment lacks it"),
    reference("gl_accounts", "glaccount", "not needed by any FreshBooks record yet"),
    Mapping("customers", "customer", "clients", map_customer),
    Mapping("materials", "material", "items", map_pricebook_item),
    Mapping("services", "service", "items", map_pricebook_item),
    Mapping("equipment", "equipment", "items", map_pricebook_item),
    Mapping("invoices", "invoice", "invoices", by_mode(map_invoice, journal_invoice, "invoices", INVOICE_DATES),
            also=("credit_notes", JOURNAL_ENTRIES)),
    Mapping("payments", "payment", "payments", by_mode(map_payment, journal_payment, "payments", PAYMENT_DATES),
            also=(JOURNAL_ENTRIES,)),
    Mapping("credit_memos", "creditmemo", "credit_notes",
            by_mode(map_credit_memo, journal_credit_memo, "credit_notes", MEMO_DATES), also=(JOURNAL_ENTRIES,)),
    Mapping("vendors", "vendor", "bill_vendors", map_vendor),
    # AP bills and inventory bills are one ServiceTitan table, and AP splits name a bill by `inventoryBillId`:
    # one source key kind for both (see bills.py).
    Mapping("inventory_bills", BILL_KIND, "bills", map_bill),
    Mapping("ap_bills", BILL_KIND, "bills", map_bill),
    Mapping("ap_payments", "appayment", "bill_payments", map_ap_payment),
    Mapping("ap_credits", "apcredit", "bill_payments", map_ap_credit),
    unsupported("locations", "location",
                "FreshBooks has no service locations; invoices carry the customer's address"),
)}
"""Source stream → its mapping."""
