"""ServiceTitan vendors to FreshBooks bill vendors.

The target matches a vendor to the account's bill vendors (normalised name, then email) and, when none
matches, creates it or holds it for review as `on_missing` says (setting `missing_vendor_policy`, default
`review`: bills flow only for vendors registered in FreshBooks).

A vendor is always sent `active: true`: ServiceTitan deactivates vendors, it does not delete them, and the bills
of a vendor deactivated since still need it in FreshBooks (an inactive one would never be created, and its bills
would wait on it for ever). The ServiceTitan state is kept in `note`.
"""

from __future__ import annotations

from typing import Any

from map_servicetitan_freshbooks.output import Output, Record, RunContext
from map_servicetitan_freshbooks.values import SourceRecord, clean_text, source_key


def vendor_key(document: SourceRecord) -> str | None:
    """The `bill_vendors` source key of a document's `vendor {id}`, or None when it names no vendor."""
    vendor = document.data.get("vendor")
    vendor_id = vendor.get("id") if isinstance(vendor, dict) else None
    return source_key("vendor", vendor_id) if vendor_id not in (None, "") else None


def vendor_name(document: SourceRecord) -> str | None:
    vendor = document.data.get("vendor")
    return clean_text(vendor.get("name")) if isinstance(vendor, dict) else None


def map_vendor(vendor: SourceRecord, run: RunContext) -> list[Record | Output]:
    """One `bill_vendors` record."""
    data = vendor.data
    name = clean_text(data.get("name"))
    contact = _object(data.get("contactInfo"))
    address = _object(data.get("address"))
    notes = [part for part in (clean_text(data.get("memo")),
                               None if vendor.active else "Inactive in ServiceTitan.") if part]
    return [{
        "source_key": vendor.key(),
        "active": True,
        "review_reason": None if name else "the ServiceTitan vendor has no name (field 'name'): name it there",
        "vendor_name": name,
        "primary_contact_first_name": clean_text(contact.get("firstName")),
        "primary_contact_last_name": clean_text(contact.get("lastName")),
        "primary_contact_email": clean_text(contact.get("email")),
        "phone": clean_text(contact.get("phone")),
        "street": clean_text(address.get("street")),
        "street2": clean_text(address.get("unit")),
        "city": clean_text(address.get("city")),
        "province": clean_text(address.get("state")),
        "postal_code": clean_text(address.get("zip")),
        "country": clean_text(address.get("country")),
        "currency_code": run.settings.currency_code,
        "note": "\n".join(notes) or None,
        "on_missing": run.settings.missing_vendor_policy,
    }]


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
