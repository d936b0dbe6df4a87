"""ServiceTitan payment type names to FreshBooks' payment type enumeration."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from map_servicetitan_freshbooks.output import Output, Record, RunContext
    from map_servicetitan_freshbooks.values import SourceRecord

FRESHBOOKS_PAYMENT_TYPES: tuple[str, ...] = (
    "Check",
    "Credit",
    "Cash",
    "Bank Transfer",
    "Credit Card",
    "Debit",
    "PayPal",
    "2Checkout",
    "VISA",
    "MASTERCARD",
    "DISCOVER",
    "AMEX",
    "DINERS",
    "JCB",
    "ACH",
    "Other",
)
FALLBACK_PAYMENT_TYPE = "Other"

DEFAULT_PAYMENT_TYPE_MAP: dict[str, str] = {
    "Cash": "Cash",
    "Check": "Check",
    "Cheque": "Check",
    "Credit Card": "Credit Card",
    "Card": "Credit Card",
    "Visa": "VISA",
    "MasterCard": "MASTERCARD",
    "Master Card": "MASTERCARD",
    "MC": "MASTERCARD",
    "American Express": "AMEX",
    "AmEx": "AMEX",
    "Discover": "DISCOVER",
    "Diners Club": "DINERS",
    "JCB": "JCB",
    "ACH": "ACH",
    "eCheck": "ACH",
    "E-Check": "ACH",
    "Electronic Check": "ACH",
    "Bank Transfer": "Bank Transfer",
    "Wire": "Bank Transfer",
    "Wire Transfer": "Bank Transfer",
    "Debit": "Debit",
    "Debit Card": "Debit",
    "PayPal": "PayPal",
    "Financing": "Other",
    "Other": "Other",
}
"""Built-in table (keys compared case-insensitively); `payment_type_map` entries override it."""


def freshbooks_payment_type(name: str | None, table: Mapping[str, str]) -> str:
    """The FreshBooks type for a ServiceTitan payment type name: the table, else a FreshBooks name, else Other."""
    if not name:
        return FALLBACK_PAYMENT_TYPE
    key = " ".join(name.split()).lower()
    if key in table:
        return table[key]
    for fb_type in FRESHBOOKS_PAYMENT_TYPES:
        if fb_type.lower() == key:
            return fb_type
    return FALLBACK_PAYMENT_TYPE


def remember_payment_type(payment_type: SourceRecord, run: RunContext) -> list[Record | Output]:
    """Nothing to write: the name is remembered for payments that carry only a `typeId`."""
    run.payment_type_names[str(payment_type.id)] = str(payment_type.data.get("name") or "")
    return []
