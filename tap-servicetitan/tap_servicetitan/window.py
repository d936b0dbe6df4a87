"""The sync window set by `start_date`: which invoices, payments and credit memos reach downstream.

- Invoices: dated on or after `start_date`, or earlier but still open on `start_date` (see
  `is_opening_invoice`), or earlier and already emitted (later runs send their changes, voids included).
- Payments and credit memos, every run: dated on or after `start_date`, or earlier but applied to at least
  one invoice that is in the window. Others only point at invoices downstream never receives.

The invoices stream records here every invoice it reads (emitted or not), and keeps in its state the ids
of the earlier invoices it has emitted, so that later runs judge an old payment the same way. An invoice
this run has not read and that state does not list is looked up (`Invoices_GetList` by `ids`) and judged
by the same rule: in doubt (not found), the document is emitted, as Singer promises at least once.

An earlier invoice that enters the window on a later run (reopened by a refund, say) brings its earlier
payments and credit memos, which the document feeds will not hand out again: its id is due to each of
those streams (state `earlierDocumentsDue`) until that stream has fetched them by invoice and emitted them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from tap_servicetitan.records import parse_timestamp

KEPT_EARLIER_KEY = "keptEarlierInvoiceIds"
"""Invoices stream state: sorted ids of the invoices dated before `start_date` that the tap has emitted."""

DUE_KEY = "earlierDocumentsDue"
"""Invoices stream state: for each document stream, the sorted ids of the earlier invoices that entered the
window on a later run and whose earlier documents that stream has not emitted yet. Absent when none are due."""

DOCUMENT_STREAMS = ("payments", "credit_memos")
"""The streams whose documents apply to invoices."""

LOOKUP_BATCH = 50
"""Invoice ids per `Invoices_GetList` call (the most `ids` ServiceTitan accepts)."""

InvoiceLookup = Callable[[list[int]], Iterable[dict[str, Any]]]
"""Fetches the invoices with the given ids (at most `LOOKUP_BATCH`), those that exist, active or not."""

logger = logging.getLogger(__name__)


def dated(record: dict[str, Any], field: str) -> date | None:
    """The calendar date (UTC) of a date or date-time field, or None if absent or unreadable."""
    moment = parse_timestamp(record.get(field))
    return None if moment is None else moment.date()


def money(value: Any) -> Decimal | None:
    """An amount sent as a decimal string (or number); None if absent or unreadable."""
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value).replace(",", "").replace("$", ""))
    except InvalidOperation:
        return None


def has_balance(balance: Any) -> bool:
    """A non-zero balance; unknown counts as open."""
    amount = money(balance)
    return amount is None or amount != 0


def opening_by_doubt(invoice: dict[str, Any], start: date) -> bool:
    """An earlier active invoice in the window only because it is paid off without the `paidOn` saying when."""
    invoiced = dated(invoice, "invoiceDate")
    return (invoiced is not None and invoiced < start and invoice.get("active") is not False
            and not has_balance(invoice.get("balance")) and dated(invoice, "paidOn") is None
            and money(invoice.get("total")) != 0)


def was_open_on(invoice: dict[str, Any], start: date) -> bool:
    """Whether an active invoice still owed money on `start`: it has a balance today, or was paid off on or
    after `start` (`paidOn`, the day its balance reached zero). Paid off on an unknown day counts as open."""
    if has_balance(invoice.get("balance")):
        return True
    paid_on = dated(invoice, "paidOn")
    if paid_on is not None:
        return paid_on >= start
    return money(invoice.get("total")) != 0  # a $0 invoice never owed anything


def is_opening_invoice(invoice: dict[str, Any], start: date) -> bool:
    """Dated on or after `start` (or with no date to tell), or earlier, active and open on `start`."""
    invoiced = dated(invoice, "invoiceDate")
    if invoiced is None or invoiced >= start:
        return True
    if invoice.get("active") is False:
        return False
    return was_open_on(invoice, start)


def applied_invoice_ids(document: dict[str, Any]) -> list[int]:
    """The invoice ids a payment's or credit memo's `appliedTo` names, in order, once each."""
    ids: list[int] = []
    for application in document.get("appliedTo") or []:
        invoice_id = application.get("appliedTo") if isinstance(application, dict) else None
        if isinstance(invoice_id, int) and invoice_id not in ids:
            ids.append(invoice_id)
    return ids


class InvoiceWindow:
    """What one run knows about which invoices are in the window; shared by the tap's streams."""

    def __init__(self, start: date | None, kept_earlier: Iterable[Any] = (),
                 due: dict[str, Iterable[Any]] | None = None) -> None:
        self.start = start
        self.kept_earlier: set[int] = {i for i in kept_earlier if isinstance(i, int)}
        self.in_window: dict[int, bool] = {}  # invoice id -> in the window, for invoices read or looked up
        self.due: dict[str, set[int]] = {
            stream: {i for i in (due or {}).get(stream) or () if isinstance(i, int)} for stream in DOCUMENT_STREAMS
        }

    @classmethod
    def from_state(cls, start: date | None, bookmark: dict[str, Any]) -> InvoiceWindow:
        """The window as the invoices stream's state left it (anything unreadable there is ignored)."""
        kept = bookmark.get(KEPT_EARLIER_KEY)
        due = bookmark.get(DUE_KEY)
        return cls(start, kept if isinstance(kept, list) else (),
                   {k: v for k, v in due.items() if isinstance(v, list)} if isinstance(due, dict) else None)

    def save(self, bookmark: dict[str, Any]) -> None:
        """Write what later runs need into the invoices stream's state (nothing without a `start_date`)."""
        if self.start is None:
            return
        bookmark[KEPT_EARLIER_KEY] = self.kept_earlier_ids()
        due = {stream: sorted(ids) for stream, ids in self.due.items() if ids}
        if due:
            bookmark[DUE_KEY] = due
        else:
            bookmark.pop(DUE_KEY, None)

    def admit(self, invoice: dict[str, Any], *, first_run: bool) -> bool:
        """Whether the invoices stream emits `invoice`, noted for the payments and credit memos.

        First run: the invoices dated in the window or open on `start_date`. Later runs: those too, and
        every earlier invoice already emitted. An earlier invoice emitted for the first time on a later run
        has entered the window: its earlier payments and credit memos become due.
        """
        start = self.start
        invoice_id = invoice.get("id")
        if start is None or (not first_run and invoice_id in self.kept_earlier):
            emit = True
        else:
            emit = is_opening_invoice(invoice, start)
            invoiced = dated(invoice, "invoiceDate")
            if emit and not first_run and isinstance(invoice_id, int) and invoiced is not None and invoiced < start:
                for ids in self.due.values():
                    ids.add(invoice_id)
        self.note_invoice(invoice, emit)
        return emit

    def note_invoice(self, invoice: dict[str, Any], emitted: bool) -> None:
        """The invoices stream read `invoice` and emitted it or not. An emitted invoice stays in the window."""
        invoice_id = invoice.get("id")
        if not isinstance(invoice_id, int):
            return
        self.in_window[invoice_id] = emitted or self.in_window.get(invoice_id, False)
        invoiced = dated(invoice, "invoiceDate")
        if emitted and self.start is not None and invoiced is not None and invoiced < self.start:
            self.kept_earlier.add(invoice_id)

    def due_ids(self, stream: str) -> list[int]:
        """The earlier invoices whose earlier documents `stream` still owes, sorted."""
        return sorted(self.due.get(stream, ()))

    def documents_sent(self, stream: str, invoice_ids: Iterable[int]) -> None:
        """`stream` has emitted the earlier documents of these invoices."""
        self.due.get(stream, set()).difference_update(invoice_ids)

    def earlier(self, documents: Iterable[dict[str, Any]], date_field: str) -> list[dict[str, Any]]:
        """The documents dated before `start_date`: the others are in the window by their date."""
        start = self.start
        if start is None:
            return []
        return [doc for doc in documents if (when := dated(doc, date_field)) is not None and when < start]

    def kept_earlier_ids(self) -> list[int]:
        return sorted(self.kept_earlier)

    def select(self, documents: list[dict[str, Any]], date_field: str, look_up: InvoiceLookup) -> list[dict[str, Any]]:
        """The payments or credit memos of one page that are in the window, in their order.

        Invoices neither read this run nor listed in state are looked up, `LOOKUP_BATCH` ids a call.
        """
        start = self.start
        if start is None:
            return documents
        undecided: dict[int, list[int]] = {}  # position in `documents` -> the invoices it applies to
        for position, document in enumerate(documents):
            when = dated(document, date_field)
            if when is None or when >= start:
                continue
            ids = applied_invoice_ids(document)
            if not self._any_in_window(ids):
                undecided[position] = ids
        self._look_up(sorted({i for ids in undecided.values() for i in ids if i not in self.in_window}), look_up)
        return [document for position, document in enumerate(documents)
                if position not in undecided or self._any_in_window(undecided[position])]

    def _any_in_window(self, invoice_ids: list[int]) -> bool:
        return any(i in self.kept_earlier or self.in_window.get(i, False) for i in invoice_ids)

    def _look_up(self, invoice_ids: list[int], look_up: InvoiceLookup) -> None:
        assert self.start is not None
        for offset in range(0, len(invoice_ids), LOOKUP_BATCH):
            batch = invoice_ids[offset:offset + LOOKUP_BATCH]
            found = {doc.get("id"): doc for doc in look_up(batch)}
            for invoice_id in batch:
                invoice = found.get(invoice_id)
                if invoice is None:
                    logger.warning("Invoice %s, which a payment or credit memo applies to, was not found in "
                                   "ServiceTitan; the document is emitted in case it belongs.", invoice_id)
                self.in_window[invoice_id] = invoice is None or is_opening_invoice(invoice, self.start)
