"""Journal mode (`invoice_mode: journal_entry`): ServiceTitan invoices, payments (refunds, remainders) and credit
memos as balanced FreshBooks journal entries, in the stream `journal_entries`.

One record per ServiceTitan document, keyed by the document's own source key. Its `details` are one per
FreshBooks account, the document's amounts netted per account (a net debit is a `debit`, a net credit a
`credit`; a negative amount thus flips sides), each in cents:

- invoice: Dr accounts receivable (total) / Cr revenue per invoice item GL account (line totals) / Cr sales tax;
  any difference between ServiceTitan's total and its parts goes to the `rounding` role.
- payment: Dr the payment's deposit account (its GL account when mapped, else `undeposited_funds`) / Cr accounts
  receivable (applied to invoices) / Cr `customer_credit` (the remainder). A refund is the same with negative
  amounts, so every side flips.
- credit memo: Dr `credit_memos` (subtotal) and sales tax / Cr accounts receivable (applied) and
  `customer_credit` (the part not applied).

`journal_cutover_date` splits the modes by the document's date: in journal mode earlier documents, in invoice
mode later ones, are skip records (`filtered`), so no document is ever both an invoice and a journal entry.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from map_servicetitan_freshbooks.applications import applied_by_invoice
from map_servicetitan_freshbooks.freshbooks_math import round_cents
from map_servicetitan_freshbooks.invoices import PRICEBOOK_KINDS
from map_servicetitan_freshbooks.invoices import _invoice_total as invoice_total
from map_servicetitan_freshbooks.invoices import _skip as invoice_skip
from map_servicetitan_freshbooks.output import FILTERED, MapFunction, Output, Record, RunContext, skip_record
from map_servicetitan_freshbooks.payments import refunded_payment_id
from map_servicetitan_freshbooks.settings import MapperSettings
from map_servicetitan_freshbooks.values import SourceRecord, clean_text, decimal_text, is_active

JOURNAL_ENTRIES = "journal_entries"
ZERO = Decimal(0)

AR, CASH, REVENUE, TAX = "accounts_receivable", "undeposited_funds", "revenue_default", "sales_tax"
CREDIT, MEMOS, DISCOUNTS, ROUNDING = "customer_credit", "credit_memos", "discounts", "rounding"
ROLES = (AR, CASH, REVENUE, TAX, CREDIT, MEMOS, DISCOUNTS, ROUNDING,
         "revenue_service", "revenue_material", "revenue_equipment")
"""Role keys of `journal_account_map`; an optional role left out falls back to `ROLE_FALLBACK`."""
ROLE_FALLBACK = {CREDIT: AR, MEMOS: REVENUE, DISCOUNTS: REVENUE, ROUNDING: REVENUE,
                 "revenue_service": REVENUE, "revenue_material": REVENUE, "revenue_equipment": REVENUE}
BEFORE_CUTOVER = "before journal_cutover_date, kept in invoice mode"
FROM_CUTOVER = "on or after journal_cutover_date, posted in journal_entry mode"

DateFields = tuple[str, ...]


class UnbalancedEntry(RuntimeError):
    """A journal entry whose debits differ from its credits: a bug in this module, never a data problem."""


def by_mode(invoice_map: MapFunction, journal_map: MapFunction, stream: str, date_fields: DateFields) -> MapFunction:
    """The map function of a money document: `invoice_map` or `journal_map` by `invoice_mode`, and a skip record
    for a document on the other side of `journal_cutover_date`."""

    def map_document(source: SourceRecord, run: RunContext) -> list[Record | Output]:
        settings = run.settings
        journal = settings.invoice_mode == "journal_entry"
        cutover = settings.journal_cutover_date
        if cutover is not None:
            dated = document_date(source, settings, date_fields)
            if journal and dated < cutover:
                return [Output(JOURNAL_ENTRIES, skip_record(source.key(), BEFORE_CUTOVER, FILTERED))]
            if not journal and dated >= cutover:
                return [Output(stream, skip_record(source.key(), FROM_CUTOVER, FILTERED))]
        return journal_map(source, run) if journal else invoice_map(source, run)

    return map_document


def document_date(source: SourceRecord, settings: MapperSettings, fields: DateFields) -> date:
    for name in fields:
        found = source.local_date(name, settings.calendar)
        if found is not None:
            return found
    raise source.error(fields[0], f"the {source.kind} has none of {', '.join(fields)} to date it by")


class _Entry:
    """A journal entry being built: net debit per FreshBooks account, and what each account's amount is for."""

    def __init__(self, source: SourceRecord, settings: MapperSettings) -> None:
        self.source = source
        self.accounts = settings.journal_account_map
        self.net: dict[str, Decimal] = {}
        self.purposes: dict[str, list[str]] = {}

    def role(self, role: str) -> str:
        while role not in self.accounts and role in ROLE_FALLBACK:
            role = ROLE_FALLBACK[role]
        if role not in self.accounts:
            raise self.source.error("journal_account_map", f"no FreshBooks account for the role {role!r}; add it to "
                                    "the setting journal_account_map")
        return self.accounts[role]

    def gl(self, gl: Any, fallback: str) -> str:
        """The FreshBooks account of a ServiceTitan GL account (by number, then name), else the role's."""
        if isinstance(gl, dict):
            for key in (gl.get("number"), gl.get("name")):
                text = str(key or "").strip().lower()
                if text and text in self.accounts:
                    return self.accounts[text]
        return self.role(fallback)

    def post(self, account: str, debit: Decimal, purpose: str) -> None:
        """Add a debit (negative: a credit) to an account."""
        amount = round_cents(debit)
        if amount == 0:
            return
        self.net[account] = self.net.get(account, ZERO) + amount
        purposes = self.purposes.setdefault(account, [])
        if purpose not in purposes:
            purposes.append(purpose)

    def details(self) -> list[Record]:
        details: list[Record] = []
        for account, amount in self.net.items():
            if amount == 0:
                continue
            side = "debit" if amount > 0 else "credit"
            details.append({"account": account, side: decimal_text(abs(amount), min_places=2),
                            "description": "; ".join(self.purposes[account])[:250]})
        debits = sum((Decimal(d["debit"]) for d in details if "debit" in d), ZERO)
        credits = sum((Decimal(d["credit"]) for d in details if "credit" in d), ZERO)
        if debits != credits:
            raise UnbalancedEntry(f"{self.source.key()}: debits {debits} != credits {credits}")
        return details


def _record(source: SourceRecord, settings: MapperSettings, entry: _Entry, name: str, description: str,
            dated: date) -> Record:
    return {
        "source_key": source.key(),
        "active": source.active,
        "review_reason": None,
        "name": name[:100],
        "description": description,
        "currency_code": settings.currency_code,
        "user_entered_date": dated.isoformat(),
        "details": entry.details(),
    }


def _customer(data: dict[str, Any]) -> str:
    customer = data.get("customer")
    if not isinstance(customer, dict) or customer.get("id") is None:
        return "no customer"
    name = clean_text(customer.get("name"))
    return f"customer {name} ({customer['id']})" if name else f"customer {customer['id']}"


# Invoices -----------------------------------------------------------------------------------------------------

INVOICE_DATES = ("invoiceDate", "createdOn")


def journal_invoice(invoice: SourceRecord, run: RunContext) -> list[Record | Output]:
    settings = run.settings
    total = invoice_total(invoice)
    skip = invoice_skip(invoice, total, settings)
    if skip is not None:
        return [Output(JOURNAL_ENTRIES, skip)]
    entry = _Entry(invoice, settings)
    reference = clean_text(invoice.data.get("referenceNumber")) or str(invoice.id)
    parts = ZERO
    items = invoice.data.get("items") or []
    if not isinstance(items, list):
        raise invoice.error("items", f"expected a list of invoice items, got {type(items).__name__}")
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise invoice.error(f"items[{index}]", "expected an invoice item object")
        if not is_active(item) or item.get("isChargeable", True) is False:
            continue
        amount = _item_total(invoice, item, f"items[{index}]")
        item_type = item.get("type")
        if item_type == "PriceModifier" and settings.price_modifiers_as_discounts:
            amount = -abs(amount)
        role = DISCOUNTS if item_type == "PriceModifier" else (
            f"revenue_{PRICEBOOK_KINDS[item_type]}" if item_type in PRICEBOOK_KINDS else REVENUE)
        account = entry.gl(item.get("generalLedgerAccount"), role)
        gl = item.get("generalLedgerAccount")
        label = clean_text(gl.get("name")) if isinstance(gl, dict) else None
        entry.post(account, -amount, f"{label or item_type or 'items'} (ServiceTitan invoice items)")
        parts += round_cents(amount)
    sales_tax = round_cents(invoice.decimal("salesTax") or ZERO)
    entry.post(entry.role(TAX), -sales_tax, "Sales tax")
    total = round_cents(total if total is not None else parts + sales_tax)
    entry.post(entry.role(AR), total, "Accounts receivable")
    entry.post(entry.role(ROUNDING), -(total - parts - sales_tax),
               "Difference between the ServiceTitan total and its items and tax")
    dated = document_date(invoice, settings, INVOICE_DATES)
    adjustment = invoice.data.get("adjustmentToId")
    what = f"adjustment to invoice {adjustment}" if adjustment is not None else "invoice"
    description = (f"ServiceTitan {what} {reference} (id {invoice.id}), {_customer(invoice.data)}, total "
                   f"{decimal_text(total, min_places=2)}")
    return [Output(JOURNAL_ENTRIES, _record(invoice, settings, entry,
                                            f"{settings.invoice_number_prefix}{reference}", description, dated))]


def _item_total(invoice: SourceRecord, item: dict[str, Any], path: str) -> Decimal:
    total = invoice.parse_decimal(item.get("total"), f"{path}.total")
    if total is not None:
        return total
    qty = invoice.parse_decimal(item.get("quantity"), f"{path}.quantity")
    price = invoice.parse_decimal(item.get("price"), f"{path}.price")
    return round_cents((qty if qty is not None else Decimal(1)) * (price or ZERO))


# Payments and refunds -----------------------------------------------------------------------------------------

PAYMENT_DATES = ("date", "createdOn")


def journal_payment(payment: SourceRecord, run: RunContext) -> list[Record | Output]:
    settings = run.settings
    entry = _Entry(payment, settings)
    applied = sum((round_cents(amount) for amount in applied_by_invoice(payment).values()), ZERO)
    total = payment.decimal("total")
    unapplied = payment.decimal("unappliedAmount") or ZERO
    total = round_cents(total if total is not None else applied + unapplied)
    refunded = refunded_payment_id(payment)
    entry.post(entry.gl(payment.data.get("generalLedgerAccount"), CASH), total,
               "Refund paid out" if refunded is not None else "Payment received")
    entry.post(entry.role(AR), -applied, "Applied to ServiceTitan invoices")
    entry.post(entry.role(CREDIT), -(total - applied), "Not applied to an invoice (customer credit)")
    reference = clean_text(payment.data.get("referenceNumber"))
    what = f"refund {payment.id} of payment {refunded}" if refunded is not None else f"payment {payment.id}"
    type_name = clean_text(payment.data.get("type"))
    description = "; ".join(part for part in (
        f"ServiceTitan {what}, {_customer(payment.data)}, total {decimal_text(total, min_places=2)}",
        f"reference {reference}" if reference else None, f"type {type_name}" if type_name else None) if part)
    name = f"ServiceTitan {'refund' if refunded is not None else 'payment'} {payment.id}"
    return [Output(JOURNAL_ENTRIES, _record(payment, settings, entry, name, description,
                                            document_date(payment, settings, PAYMENT_DATES)))]


# Credit memos -------------------------------------------------------------------------------------------------

MEMO_DATES = ("date", "createdOn")


def journal_credit_memo(memo: SourceRecord, run: RunContext) -> list[Record | Output]:
    settings = run.settings
    entry = _Entry(memo, settings)
    sales_tax = round_cents(memo.decimal("salesTax") or ZERO)
    total = memo.decimal("total")
    sub_total = memo.decimal("subTotal")
    if sub_total is None:
        sub_total = (total if total is not None else ZERO) - sales_tax
    sub_total = round_cents(sub_total)
    total = round_cents(total if total is not None else sub_total + sales_tax)
    applied = sum((round_cents(amount) for amount in applied_by_invoice(memo).values()), ZERO)
    entry.post(entry.role(MEMOS), sub_total, "Credit memo")
    entry.post(entry.role(TAX), sales_tax, "Sales tax credited")
    entry.post(entry.role(ROUNDING), total - sub_total - sales_tax,
               "Difference between the ServiceTitan total and its subtotal and tax")
    entry.post(entry.role(AR), -applied, "Applied to ServiceTitan invoices")
    entry.post(entry.role(CREDIT), -(total - applied), "Not applied to an invoice (customer credit)")
    reference = clean_text(memo.data.get("referenceNumber")) or str(memo.id)
    description = (f"ServiceTitan credit memo {reference} (id {memo.id}), {_customer(memo.data)}, total "
                   f"{decimal_text(total, min_places=2)}")
    return [Output(JOURNAL_ENTRIES, _record(memo, settings, entry, f"ServiceTitan credit memo {reference}",
                                            description, document_date(memo, settings, MEMO_DATES)))]
