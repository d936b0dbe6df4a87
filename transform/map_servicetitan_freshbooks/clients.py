"""ServiceTitan customers to FreshBooks clients."""

from __future__ import annotations

from map_servicetitan_freshbooks.output import Output, Record, RunContext
from map_servicetitan_freshbooks.values import SourceRecord, clean_text, source_key

NAME_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv", "v", "md", "phd", "esq"})


def split_person_name(name: str) -> tuple[str, str]:
    """First and last name of a residential customer: "Last, First", else the last word (plus any suffix)."""
    name = " ".join(name.split())
    if "," in name:
        last, first = (part.strip() for part in name.split(",", 1))
        if first and last and first.rstrip(".").lower() not in NAME_SUFFIXES:
            return first, last
    words = name.split(" ")
    if len(words) == 1:
        return words[0], ""
    last_words = 1
    if len(words) > 2 and words[-1].rstrip(".,").lower() in NAME_SUFFIXES:
        last_words = 2
    return " ".join(words[:-last_words]).rstrip(","), " ".join(words[-last_words:])


def customer_key(record: SourceRecord) -> str | None:
    """The `clients` source key of a document's `customer {id}`, or None when it names no customer."""
    customer = record.data.get("customer")
    customer_id = customer.get("id") if isinstance(customer, dict) else None
    return source_key("customer", customer_id) if customer_id not in (None, "") else None


def map_customer(customer: SourceRecord, run: RunContext) -> list[Record | Output]:
    """One `clients` record; residential names are split, commercial ones become the organization."""
    return [_client(customer, run)]


def _client(customer: SourceRecord, run: RunContext) -> Record:
    data = customer.data
    name = clean_text(data.get("name")) or ""
    fname = lname = organization = None
    if str(data.get("type") or "").lower() == "commercial":
        organization = name or None
    elif name:
        first, last = split_person_name(name)
        fname, lname = first or None, last or None
    email = clean_text(data.get("email"))
    address = data.get("address")
    if not isinstance(address, dict):
        address = {}
    return {
        "source_key": customer.key(),
        "active": customer.active,
        "review_reason": None if name or email else "the customer has neither a name nor an email address",
        "email": email,
        "fname": fname,
        "lname": lname,
        "organization": organization,
        "bus_phone": clean_text(data.get("phone")),
        "mob_phone": None,
        "home_phone": None,
        "p_street": clean_text(address.get("street")),
        "p_street2": clean_text(address.get("unit")),
        "p_city": clean_text(address.get("city")),
        "p_province": clean_text(address.get("state")),
        "p_code": clean_text(address.get("zip")),
        "p_country": clean_text(address.get("country")),
        "currency_code": run.settings.currency_code,
    }
