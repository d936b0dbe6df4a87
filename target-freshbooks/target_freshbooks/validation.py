"""Checks made before any call to FreshBooks: values it would refuse or misread are dead-lettered here.

`check_record` raises `InvalidValue` (a `RecordError`, so the loader dead-letters the record and the run goes
on) naming the record, the field and the fix. It checks:

- currency codes: `currency_code` on any record and `code` inside every Money value must be one of
  `CURRENCY_CODES` (ISO 4217 currencies in circulation, upper case; fund, metal and test codes left out);
- dates: `create_date`, `date`, `user_entered_date` and `change_date` must be real `YYYY-MM-DD` dates;
- decimals: quantities, Money amounts and percents must be decimal strings (or JSON numbers); percents
  between 0 and 100, as FreshBooks requires;
- text lengths, limits assumed (FreshBooks does not publish them; chosen conservatively):
  `SHORT_TEXT_LIMIT` (255) for names, numbers, phones and address parts, `LONG_TEXT_LIMIT` (5000) for
  notes, terms and descriptions (leaving room for the markers the target appends to notes);
- totals: an invoice whose lines total below zero is refused (FreshBooks would show it as paid, with
  nothing outstanding, and the credit would be lost): it must be sent as a `credit_notes` record (the
  mapper's `adjustment_mode: credit_note` does this for ServiceTitan adjustment invoices). A credit note
  whose lines total below zero is refused too (FreshBooks refuses it). Negative quantities and unit
  costs on single lines are fine (returned parts).

Bills and bill payments have fields of their own, checked the same way: `issue_date` and `paid_date` dates,
`due_offset_days` a whole number, `bill_number` and lines' `category` and tax names short text, lines'
`quantity` a decimal and `tax_percent1`/`tax_percent2` percents, `payment_type` one of `PAYMENT_TYPES`.

A record with `active: false` is only deleted (none of its values is sent), so only its shape is checked
by the loader. A line the target could not read at all is dead-lettered as `{"raw_line": ...}`; such a
dead letter cannot be replayed (`check_record` refuses it again, saying to fix the producer and rerun).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from target_freshbooks.errors import RecordError, RecordRef
from target_freshbooks.sinks.closed_periods import lines_total

RAW_LINE = "raw_line"
"""The field of a dead letter holding the start of an input line the target could not read."""
RAW_LINE_KEPT = 200
"""How much of such a line its dead letter keeps."""
RAW_LINE_FIX = (f"; its first {RAW_LINE_KEPT} characters are kept in the dead letter. It cannot be replayed: fix "
                "the producer and rerun the pipeline so that it sends the record again (STATE has moved past it)")

_ISO_4217 = """
AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD CAD
CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ
GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR
LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN
PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB
TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VED VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW
ZWG
"""
CURRENCY_CODES = frozenset(_ISO_4217.split())
"""ISO 4217 currencies in circulation (assumed to be what FreshBooks accepts; it lists no others)."""

SHORT_TEXT_LIMIT = 255
LONG_TEXT_LIMIT = 5000
SHORT_TEXT = frozenset({
    "name", "fname", "lname", "organization", "email", "bus_phone", "mob_phone", "home_phone", "p_street",
    "p_street2", "p_city", "p_province", "p_code", "p_country", "language", "invoice_number", "credit_number",
    "po_number", "discount_description", "street", "street2", "city", "province", "code", "country", "sku",
    "number", "type", "taxName1", "taxName2", "account",
})
LONG_TEXT = frozenset({"notes", "note", "terms", "description"})
DATES = ("create_date", "date", "user_entered_date", "change_date")
PERCENTS = frozenset({"taxAmount1", "taxAmount2", "discount_value"})
QUANTITIES = frozenset({"qty", "inventory", "debit", "credit"})
NESTED = ("lines", "applications", "details")
DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
DECIMAL_RE = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
SHOWN = 60
PAYMENT_TYPES = (
    "Check", "Credit", "Cash", "Bank Transfer", "Credit Card", "Debit", "PayPal", "2Checkout", "VISA", "MASTERCARD",
    "DISCOVER", "AMEX", "DINERS", "JCB", "ACH", "Other",
)
"""FreshBooks' payment types (bill payments take the same ones as payments)."""


class InvalidValue(RecordError):
    """A value FreshBooks would refuse or misread; `field` is its path in the record (e.g. `lines[1].qty`)."""

    def __init__(self, ref: RecordRef, field: str, problem: str) -> None:
        self.field = field
        super().__init__(ref, f"field {field!r} {problem}")


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= SHOWN else text[:SHOWN] + "…"


def check_record(stream: str, record: dict[str, Any], ref: RecordRef) -> None:
    """Raise `InvalidValue` (or `RecordError`) for the first value FreshBooks would refuse or misread."""
    if RAW_LINE in record:
        raise RecordError(ref, f"{record.get('problem') or 'an input line was not a usable Singer RECORD'}"
                          f"{RAW_LINE_FIX}")
    if record.get("active") is False:
        return
    _check_fields(stream, record, ref, "")
    for name in NESTED:
        rows = record.get(name)
        if rows is None:
            continue
        if not isinstance(rows, list):
            raise InvalidValue(ref, name, f"must be a list, not {_shown(rows)}")
        for index, row in enumerate(rows):
            path = f"{name}[{index}]"
            if not isinstance(row, dict):
                raise InvalidValue(ref, path, f"must be an object, not {_shown(row)}")
            _check_fields(stream, row, ref, path + ".")
            if isinstance(row.get("item"), dict):
                _check_fields(stream, row["item"], ref, path + ".item.")
    if stream in ("invoices", "credit_notes") and isinstance(record.get("lines"), list):
        _check_total(stream, record["lines"], ref)
    if stream == "bills":
        _check_bill(record, ref)
    elif stream == "bill_payments":
        _check_bill_payment(record, ref)


def _check_fields(stream: str, fields: dict[str, Any], ref: RecordRef, prefix: str) -> None:
    for name, value in fields.items():
        path = prefix + name
        if value is None:
            continue
        if isinstance(value, dict) and "amount" in value:
            _money(value, ref, path)
        elif name == "currency_code":
            _currency(value, ref, path)
        elif name in DATES and not prefix:
            _date(value, ref, path)
        elif name in PERCENTS or (name == "amount" and stream == "taxes" and not prefix):
            _percent(value, ref, path)
        elif name in QUANTITIES or name == "amount":
            _decimal(value, ref, path, "a quantity or amount")
        elif name in SHORT_TEXT and isinstance(value, str):
            _length(value, SHORT_TEXT_LIMIT, ref, path)
        elif name in LONG_TEXT and isinstance(value, str):
            _length(value, LONG_TEXT_LIMIT, ref, path)


def _currency(value: Any, ref: RecordRef, path: str) -> None:
    if value in CURRENCY_CODES:
        return
    hint = ""
    if isinstance(value, str) and value.strip().upper() in CURRENCY_CODES:
        hint = f" (write it {value.strip().upper()!r}: FreshBooks' codes are upper case, without spaces)"
    raise InvalidValue(ref, path, f"is {_shown(value)}, not an ISO 4217 currency code FreshBooks accepts (such as "
                       f"USD, CAD, EUR, GBP){hint}; fix the currency in the producer (e.g. the mapper's "
                       "currency_code setting)")


def _date(value: Any, ref: RecordRef, path: str) -> None:
    if isinstance(value, str) and DATE_RE.fullmatch(value):
        try:
            dt.date.fromisoformat(value)
            return
        except ValueError:
            pass
    raise InvalidValue(ref, path, f"is {_shown(value)}, not a real date written YYYY-MM-DD (FreshBooks refuses or "
                       "misreads anything else); fix the date in the producer")


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | Decimal | float):
        number = Decimal(str(value))
    elif isinstance(value, str) and DECIMAL_RE.fullmatch(value.strip()):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
            return None
    else:
        return None
    return number if number.is_finite() else None


def _decimal(value: Any, ref: RecordRef, path: str, what: str) -> Decimal:
    if value == "" and not path.endswith("amount"):
        return Decimal(0)  # an empty quantity: FreshBooks' default
    number = _number(value)
    if number is None:
        raise InvalidValue(ref, path, f"is {_shown(value)}, not {what} FreshBooks can read: write it as a decimal "
                           'string such as "2", "-1" or "149.00" (no thousands separators, units or exponents)')
    return number


def _percent(value: Any, ref: RecordRef, path: str) -> None:
    if value == "":
        return
    number = _decimal(value, ref, path, "a percent")
    if not 0 <= number <= 100:
        raise InvalidValue(ref, path, f"is {_shown(value)}: FreshBooks takes percents between 0 and 100 (a rate "
                           'such as "7.25")')


def _money(value: dict[str, Any], ref: RecordRef, path: str) -> None:
    _decimal(value.get("amount"), ref, path + ".amount", "an amount")
    if value.get("code") is not None:
        _currency(value["code"], ref, path + ".code")


def _length(value: str, limit: int, ref: RecordRef, path: str) -> None:
    if len(value) > limit:
        raise InvalidValue(ref, path, f"is {len(value)} characters long ({_shown(value)}); the target sends at most "
                           f"{limit} characters in this field (FreshBooks would refuse or cut it): shorten it in the "
                           "producer")


def _check_total(stream: str, lines: list[dict[str, Any]], ref: RecordRef) -> None:
    total = lines_total(lines)
    if total >= 0:
        return
    if stream == "invoices":
        raise InvalidValue(ref, "lines", f"total {total:.2f}, below zero: FreshBooks would show a negative invoice "
                           "as paid, with nothing outstanding, and the credit would be lost. Send it as a "
                           "`credit_notes` record with the lines negated (for ServiceTitan adjustment invoices, "
                           "the mapper's adjustment_mode: credit_note does this); single negative lines (returned "
                           "parts) are fine as long as the invoice's total is not below zero")
    raise InvalidValue(ref, "lines", f"total {total:.2f}, below zero: FreshBooks refuses a credit note with a "
                       "negative total; send the credit with positive lines (a negative line is fine when the "
                       "total stays zero or more)")


def _check_bill(record: dict[str, Any], ref: RecordRef) -> None:
    """What the generic checks do not know of bills: their date, quantity, percent and text fields."""
    if record.get("issue_date") is not None:
        _date(record["issue_date"], ref, "issue_date")
    if record.get("due_offset_days") is not None and not str(record["due_offset_days"]).lstrip("-").isdigit():
        raise InvalidValue(ref, "due_offset_days", f"is {record['due_offset_days']!r}, not a whole number of days")
    if isinstance(record.get("bill_number"), str) and len(record["bill_number"]) > SHORT_TEXT_LIMIT:
        raise InvalidValue(ref, "bill_number", f"is longer than {SHORT_TEXT_LIMIT} characters: shorten it in the "
                           "producer")
    for index, line in enumerate(record.get("lines") or []):
        if not isinstance(line, dict):
            continue
        path = f"lines[{index}]."
        if line.get("quantity") is not None:
            _decimal(line["quantity"], ref, path + "quantity", "a quantity")
        for name in ("tax_percent1", "tax_percent2"):
            if line.get(name) is not None:
                _percent(line[name], ref, path + name)
        for name, limit in (("tax_name1", SHORT_TEXT_LIMIT), ("tax_name2", SHORT_TEXT_LIMIT),
                            ("category", SHORT_TEXT_LIMIT), ("description", LONG_TEXT_LIMIT)):
            value = line.get(name)
            if isinstance(value, str) and len(value) > limit:
                raise InvalidValue(ref, path + name, f"is {len(value)} characters long; the target sends at most "
                                   f"{limit}: shorten it in the producer")


def _check_bill_payment(record: dict[str, Any], ref: RecordRef) -> None:
    if record.get("paid_date") is not None:
        _date(record["paid_date"], ref, "paid_date")
    kind = record.get("payment_type")
    if kind is not None and kind not in PAYMENT_TYPES:
        raise RecordError(ref, f"payment_type {kind!r} is not one of FreshBooks' payment types "
                          f"({', '.join(PAYMENT_TYPES)}); fix it in the producer")
