"""Customer contacts, folded into the customer record as `email`, `emails` and `phone`.

ServiceTitan keeps no email on the customer: emails and phones are contact rows (`type` Email, Phone,
MobilePhone, Fax). The tap adds to each customer:
- `email`: the value of the active Email contact with the lowest contact id, or null;
- `emails`: the values of all active Email contacts, ordered by contact id;
- `phone`: the value of the first active Phone or MobilePhone contact (by contact id), or null.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tap_servicetitan.records import modified_on

EMAIL_TYPES = frozenset({"Email"})
PHONE_TYPES = frozenset({"Phone", "MobilePhone"})


@dataclass(frozen=True, slots=True)
class Contact:
    id: int
    type: str
    value: str
    active: bool
    modified_on: datetime


class ContactBook:
    """The contacts known for each customer id, one (newest) version per contact id."""

    def __init__(self) -> None:
        self._by_customer: dict[Any, dict[Any, Contact]] = defaultdict(dict)

    def __len__(self) -> int:
        return sum(len(contacts) for contacts in self._by_customer.values())

    def customer_ids(self) -> set[Any]:
        return set(self._by_customer)

    def add(self, row: dict[str, Any], customer_id: Any = None) -> None:
        """Record a contact row (export rows carry `customerId` and `active`; list rows may lack both)."""
        owner = row.get("customerId", customer_id)
        if owner is None or row.get("id") is None:
            return
        contact = Contact(
            id=row["id"],
            type=str(row.get("type") or ""),
            value=str(row.get("value") or ""),
            active=row.get("active") is not False,
            modified_on=modified_on(row),
        )
        known = self._by_customer[owner].get(contact.id)
        if known is None or contact.modified_on >= known.modified_on:
            self._by_customer[owner][contact.id] = contact

    def add_all(self, rows: Iterable[dict[str, Any]]) -> None:
        for row in rows:
            self.add(row)

    def overlay(self, other: ContactBook, customer_ids: Iterable[Any]) -> None:
        """Take `other`'s versions of these customers' contacts where they are at least as new."""
        for customer_id in customer_ids:
            for contact in other._by_customer.get(customer_id, {}).values():
                known = self._by_customer[customer_id].get(contact.id)
                if known is None or contact.modified_on >= known.modified_on:
                    self._by_customer[customer_id][contact.id] = contact

    def fields_for(self, customer_id: Any) -> dict[str, Any]:
        """The `email`, `emails` and `phone` fields for one customer."""
        contacts = sorted(
            (c for c in self._by_customer.get(customer_id, {}).values() if c.active and c.value),
            key=lambda c: c.id,
        )
        emails = [c.value for c in contacts if c.type in EMAIL_TYPES]
        phones = [c.value for c in contacts if c.type in PHONE_TYPES]
        return {"email": emails[0] if emails else None, "emails": emails, "phone": phones[0] if phones else None}
