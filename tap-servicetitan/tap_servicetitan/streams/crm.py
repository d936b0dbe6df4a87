"""CRM streams: customers (with their email and phone contacts folded in) and locations."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from singer_sdk.helpers.types import Context

from tap_servicetitan.contacts import ContactBook
from tap_servicetitan.records import LatestVersions
from tap_servicetitan.stream_types import TOKEN_KEY, ExportStream

CONTACTS_TOKEN_KEY = "contactsContinueFrom"
IDS_PER_LOOKUP = 50


class CustomersStream(ExportStream):
    """Customers from the customer export, each with `email`, `emails` and `phone` from its contacts.

    Two export feeds are followed, each with its own token in state: customers (`continueFrom`) and
    customer contacts (`contactsContinueFrom`). A run:

    1. reads the contacts feed from its token. On a first run that is every contact; later, only the
       contacts that changed, and every customer they belong to will be re-emitted;
    2. reads the customer feed from its token, page by page. On a first run the contacts are all in
       hand; later, the contacts of each page's customers are looked up (50 customers per call) and
       the changed contacts laid over them. The customer token is saved after every page;
    3. re-emits the customers whose contacts changed but who were not in the customer feed, looked up
       by id (50 per call), and only then saves the contacts token.

    The contacts token is saved at the end because step 3 depends on it, except on a first run, where
    step 2 covers every customer with every contact, so it is saved with the first customer page.
    """

    name = "customers"
    module = "crm"
    resource = "export/customers"
    contacts_resource = "export/customers/contacts"
    lookup_resource = "customers"
    contacts_lookup_resource = "customers/contacts"

    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        customer_token = self.bookmark(TOKEN_KEY)
        contacts_token = self.bookmark(CONTACTS_TOKEN_KEY)
        first_run = contacts_token is None

        changed, new_contacts_token = self._read_contacts(contacts_token, context)
        if first_run and customer_token is None:
            self.stream_state[CONTACTS_TOKEN_KEY] = new_contacts_token  # written with the first page below

        emitted = LatestVersions()
        for page in self.export_pages(self.resource, customer_token, context):
            customers = emitted.fresh(page.records)
            book = changed if first_run else self._current_contacts([c["id"] for c in customers], changed, context)
            for customer in customers:
                yield {**customer, **book.fields_for(customer["id"])}
            self.checkpoint(**self.page_state(page))

        missed = sorted(cid for cid in changed.customer_ids() if cid not in emitted)
        for batch in _chunks(missed, IDS_PER_LOOKUP):
            book = changed if first_run else self._current_contacts(batch, changed, context)
            for customer in self._lookup_customers(batch, context):
                yield {**customer, **book.fields_for(customer["id"])}
        self.checkpoint(**{CONTACTS_TOKEN_KEY: new_contacts_token})

    def _read_contacts(self, token: str | None, context: Context | None) -> tuple[ContactBook, str | None]:
        """The contacts changed since `token` (all of them if None), and the feed's new token."""
        book = ContactBook()
        for page in self.export_pages(self.contacts_resource, token, context):
            book.add_all(page.records)
            token = page.continue_from or token
        return book, token

    def _current_contacts(
        self, customer_ids: list[Any], changed: ContactBook, context: Context | None
    ) -> ContactBook:
        """These customers' contacts as ServiceTitan lists them now, overlaid with the changes read this run
        (the export rows carry `active`, which the list rows lack)."""
        book = ContactBook()
        for batch in _chunks(customer_ids, IDS_PER_LOOKUP):
            for body in self.list_pages(
                self.tenant_path(self.contacts_lookup_resource), {"customerIds": ",".join(map(str, batch))}, context
            ):
                book.add_all(body.get("data") or [])
        book.overlay(changed, customer_ids)
        return book

    def _lookup_customers(self, customer_ids: list[Any], context: Context | None) -> Iterator[dict[str, Any]]:
        for body in self.list_pages(
            self.tenant_path(self.lookup_resource),
            {"ids": ",".join(map(str, customer_ids)), "active": "Any"},
            context,
        ):
            yield from body.get("data") or []


class LocationsStream(ExportStream):
    """Service locations (each names its customer and tax zone)."""

    name = "locations"
    module = "crm"
    resource = "export/locations"


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
