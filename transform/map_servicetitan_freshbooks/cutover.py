"""Cutover onto a FreshBooks account that already holds the company's history.

With `pre_cutover_invoices: list`, an invoice dated before `cutover_date` is not sent: the bookkeeper already
has it in FreshBooks (entered by hand, or in an opening accounts-receivable balance). It becomes a skip record
(category `filtered`) with one reason for all of them, so the summaries count them together, and a `detail`
naming the invoice's number, date and ServiceTitan balance, which the mapper also logs for the bookkeeper.

The payments and credit memos applied to such invoices are already in those balances: their applications to
listed invoices are dropped, and a record applied only to listed invoices becomes a skip record likewise. A
payment or memo knows the invoice from this run's invoices (the tap sends invoices first); an application to
a pre-cutover invoice the run did not see is sent as it is.
"""

from __future__ import annotations

import logging
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from map_servicetitan_freshbooks.output import FILTERED, Output, Record, RunContext, skip_record
from map_servicetitan_freshbooks.values import SourceRecord, decimal_text, money

logger = logging.getLogger(__name__)

INVOICE_REASON = ("dated before cutover_date and pre_cutover_invoices is 'list': listed for the bookkeeper, whose "
                  "FreshBooks account already holds it (number and balance in `detail`)")
APPLIED_REASON = ("applied only to invoices dated before cutover_date, which pre_cutover_invoices 'list' leaves to "
                  "the bookkeeper (their balances already count it; see `detail`)")
PRE_CUTOVER_LINE = "Applied before the cutover"


def listing(invoice: SourceRecord, number: str, created: str, run: RunContext) -> Record | None:
    """The skip record of an invoice dated before `cutover_date` when such invoices are listed, else None."""
    settings = run.settings
    if settings.pre_cutover_invoices != "list" or settings.cutover_date is None:
        return None
    if date.fromisoformat(created) >= settings.cutover_date:
        return None
    run.listed_invoices[invoice.key()] = number
    balance = invoice.decimal("balance")
    if balance is None:
        balance = invoice.decimal("total") or Decimal(0)
    state = "" if invoice.active else " (voided in ServiceTitan)"
    detail = f"invoice {number} dated {created}, balance {decimal_text(balance, min_places=2)}{state}"
    logger.info("Listed for the bookkeeper, not sent (pre_cutover_invoices 'list'): %s", detail)
    return skip_record(invoice.key(), INVOICE_REASON, FILTERED, detail=detail)


def _amount(application: dict[str, Any]) -> Decimal:
    try:
        return Decimal(str((application.get("amount") or {}).get("amount")))
    except (InvalidOperation, ValueError):
        return Decimal(0)


def without_listed(source: SourceRecord, record: Record, run: RunContext) -> list[Record | Output]:
    """A payment or credit note record without its applications to listed invoices: a skip record if nothing
    else is left of it, else the record and one skip record per dropped application."""
    if not run.listed_invoices or record.get("skip_reason") or not isinstance(record.get("applications"), list):
        return [record]
    dropped = [app for app in record["applications"] if app.get("invoice_source_key") in run.listed_invoices]
    if not dropped:
        return [record]
    kept = [app for app in record["applications"] if app not in dropped]
    what = "credit memo" if "credit_number" in record else ("refund" if record.get("refund_of_source_key")
                                                           else "payment")
    details = [f"{decimal_text(_amount(app), min_places=2)} to invoice {run.listed_invoices[app['invoice_source_key']]}"
               for app in dropped]
    applied = sum((_amount(app) for app in dropped), Decimal(0))
    if not kept and not _left_over(record, applied):
        detail = f"{what} {source.id} applied {', '.join(details)}"
        logger.info("Listed for the bookkeeper, not sent (pre_cutover_invoices 'list'): %s", detail)
        return [skip_record(record["source_key"], APPLIED_REASON, FILTERED, detail=detail)]
    trimmed = {**record, "applications": kept}
    if "credit_number" in record:  # what was applied before the cutover is no credit left to the client
        code = run.settings.currency_code
        trimmed["lines"] = [*record.get("lines", []), {
            "name": PRE_CUTOVER_LINE, "description": f"Applied {', '.join(details)} (listed for the bookkeeper).",
            "qty": "1", "unit_cost": money(-applied, code),
            "taxName1": None, "taxAmount1": None, "taxName2": None, "taxAmount2": None}]
    skips: list[Record | Output] = []
    for app, text in zip(dropped, details, strict=True):
        detail = f"{what} {source.id} applied {text}"
        logger.info("Listed for the bookkeeper, not sent (pre_cutover_invoices 'list'): %s", detail)
        skips.append(skip_record(app["source_key"], APPLIED_REASON, FILTERED, detail=detail))
    return [trimmed, *skips]


def _left_over(record: Record, applied: Decimal) -> bool:
    """Whether the record holds money beyond what it applied to listed invoices (a remainder, a memo's rest)."""
    if "credit_number" in record:
        total = Decimal(0)
        for line in record.get("lines") or []:
            try:
                total += Decimal(str(line.get("qty") or 1)) * Decimal(str((line.get("unit_cost") or {}).get("amount")))
            except (InvalidOperation, ValueError):
                return True
        return total != applied
    return _amount({"amount": record.get("unapplied")}) != 0
