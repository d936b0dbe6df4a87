"""Natural-key lookups answered from one listing of a resource instead of one search GET per record.

A sink finds an existing object with a filtered list call (`search[email]=...`). On a backfill that is one
or two GETs per record; listing the resource once (100 per page) answers them all. The switch is made per
resource as lookups come (a ski-rental rule, so an incremental run over a long history never lists it all
for a handful of records): after `PROBE_AFTER` searches, page 1 of the full listing says how many pages there
are, and the rest is read once as many searches as pages have been made. From then on searches are
answered from memory; every create, update and delete the process makes is applied to the listing, so it
stays what FreshBooks holds.

A search the listing cannot answer (an unknown filter), and every search made in `live()` (the check that
follows a create whose answer was lost) goes to FreshBooks.

Only the filters of `FILTERS` are answered, as the sinks use them: `search[x_like]` is a case-insensitive
substring, `search[email]` case-insensitive equality, the others equality of the text; `search[vis_state]`
picks the listing (default: active and archived, as FreshBooks lists them). Sinks re-check what they need of
every row. Any other resource or filter goes to FreshBooks as before.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

Params = list[tuple[str, Any]]
ListFn = Callable[[str, str, Params, Any, int], Iterator[dict[str, Any]]]
Page = Callable[[str, str, Params, Any], tuple[list[dict[str, Any]], int]]

PROBE_AFTER = 8
"""Searches of one resource after which its listing's size is looked at."""
DEFAULT_STATES = (0, 2)
"""What a list call without `search[vis_state]` returns: active and archived objects."""
ID_FIELDS = ("id", "logid", "billpaymentid", "vendorid", "itemid", "taxid", "creditid", "userid")
FOLDED = frozenset({"email"})
MARKER = re.compile(r"\[[^\[\]\s]+\]")
"""A `[source_key]` marker: what `_like` searches look for, indexed as such."""
FILTERS = {
    "/users/clients": frozenset({"email", "note_like"}),
    "/items/items": frozenset({"sku"}),
    "/invoices/invoices": frozenset({"invoice_number", "customerid"}),
    "/payments/payments": frozenset({"invoiceid"}),
}
"""The resources listed, and the filters answered from their listing (the row field of the same name)."""
KEPT = {
    "/users/clients": frozenset({"email", "note", "organization", "fname", "lname"}),
    "/items/items": frozenset({"sku", "name"}),
    "/invoices/invoices": frozenset({"invoice_number", "customerid", "status", "v3_status", "amount", "create_date"}),
    "/payments/payments": frozenset({"invoiceid", "note", "amount", "date", "type"}),
}
"""The fields a listing keeps of each row (with its ids and `vis_state`): what the sinks match on and read of a
row they adopt. A listing of 100,000 invoices then holds a few hundred bytes per invoice, not whole objects."""


def answerable(path: str) -> frozenset[str] | None:
    return next((names for suffix, names in FILTERS.items() if path.endswith(suffix)), None)


def kept_fields(path: str) -> frozenset[str]:
    fields = next((names for suffix, names in KEPT.items() if path.endswith(suffix)), frozenset())
    return fields | set(ID_FIELDS) | {"vis_state"}


def _filter_name(key: str) -> str | None:
    return key[len("search["):-1] if key.startswith("search[") and key.endswith("]") else None


def row_id(row: dict[str, Any]) -> str | None:
    for name in ID_FIELDS:
        if row.get(name) not in (None, ""):
            return str(row[name])
    return None


def _states(base: tuple[tuple[str, str], ...]) -> tuple[int, ...]:
    for key, value in base:
        if key == "search[vis_state]":
            return (int(value),)
    return DEFAULT_STATES


def _matches(row: dict[str, Any], name: str, value: Any) -> bool:
    wanted = str(value)
    if name.endswith("_like"):
        return wanted.lower() in str(row.get(name[:-5]) or "").lower()
    have = row.get(name)
    if isinstance(have, dict):  # money
        have = have.get("amount")
    if name in FOLDED:
        return str(have or "").strip().lower() == wanted.strip().lower()
    return str(have if have is not None else "") == wanted


def _index_keys(row: dict[str, Any], name: str) -> set[str]:
    """What a row is found under for filter `name`: its markers for `_like`, else its folded value."""
    if name.endswith("_like"):
        return {found.lower() for found in MARKER.findall(str(row.get(name[:-5]) or ""))}
    have = row.get(name)
    if isinstance(have, dict):
        have = have.get("amount")
    return {str(have if have is not None else "").strip().lower()}


def _wanted_key(name: str, value: Any) -> str | None:
    """The index key a search value is looked up under; None when only a scan can answer (a `_like` search
    for text that is not a whole marker)."""
    text = str(value).strip().lower()
    if name.endswith("_like"):
        return text if MARKER.fullmatch(text) else None
    return text


class Listing:
    """One resource's rows (in one `vis_state` selection), by id, with an index per filter searched."""

    def __init__(self, states: tuple[int, ...], fields: frozenset[str] | None = None) -> None:
        self.states = states
        self.fields = fields
        self.rows: dict[str, dict[str, Any]] = {}
        self.indexes: dict[str, dict[str, set[str]]] = {}

    def put(self, row: dict[str, Any]) -> None:
        if self.fields is not None:
            row = {name: value for name, value in row.items() if name in self.fields}
        found = row_id(row)
        if found is None:
            return
        self._unindex(found)
        if int(row.get("vis_state") or 0) in self.states:
            self.rows[found] = row
            for name, index in self.indexes.items():
                for key in _index_keys(row, name):
                    index.setdefault(key, set()).add(found)
        else:
            self.rows.pop(found, None)

    def drop(self, object_id: str) -> None:
        self._unindex(object_id)
        self.rows.pop(object_id, None)

    def _unindex(self, object_id: str) -> None:
        old = self.rows.get(object_id)
        if old is None:
            return
        for name, index in self.indexes.items():
            for key in _index_keys(old, name):
                index.get(key, set()).discard(object_id)

    def search(self, keys: Params) -> list[dict[str, Any]]:
        candidates: Any = self.rows.values()
        for name, value in keys:
            wanted = _wanted_key(name, value)
            if wanted is not None:
                ids = self._index(name).get(wanted, set())
                candidates = [self.rows[i] for i in ids if i in self.rows]
                break
        return [row for row in candidates if all(_matches(row, name, value) for name, value in keys)]

    def _index(self, name: str) -> dict[str, set[str]]:
        if name not in self.indexes:
            index: dict[str, set[str]] = {}
            for object_id, row in self.rows.items():
                for key in _index_keys(row, name):
                    index.setdefault(key, set()).add(object_id)
            self.indexes[name] = index
        return self.indexes[name]


class Lookups:
    """Listings of the resources searched, per (path, vis_state selection); see the module docstring."""

    def __init__(self, list_pages: ListFn, first_page: Page, *, probe_after: int = PROBE_AFTER,
                 eager: bool = False, hold: Callable[[], AbstractContextManager[None]] = nullcontext) -> None:
        """`hold`: kept around a listing's reads (`StateLock.pinned`: other writers never see a listing half read)."""
        self.list_pages = list_pages
        self.first_page = first_page
        self.probe_after = probe_after
        self.eager = eager
        """List a resource at its first search (a dry run: reads are all it makes)."""
        self.listings: dict[tuple[str, tuple[tuple[str, str], ...]], Listing] = {}
        self.searches: dict[tuple[str, tuple[tuple[str, str], ...]], int] = {}
        self.next_probe: dict[tuple[str, tuple[tuple[str, str], ...]], int] = {}
        self._lock = threading.RLock()
        self._local = threading.local()
        self.hold = hold

    @contextmanager
    def live(self) -> Iterator[None]:
        """Searches in this block ask FreshBooks (what an unanswered create needs: the truth now)."""
        before = getattr(self._local, "live", False)
        self._local.live = True
        try:
            yield
        finally:
            self._local.live = before

    def search(self, path: str, plural: str, filters: Params, ref: Any) -> list[dict[str, Any]] | None:
        """The rows FreshBooks would list for these filters, from the listing; None: ask FreshBooks."""
        allowed = answerable(path)
        if allowed is None or getattr(self._local, "live", False):
            return None
        base: list[tuple[str, str]] = []
        keys: Params = []
        for key, value in filters:
            name = _filter_name(key)
            if name is None or (name != "vis_state" and name not in allowed):
                return None
            if name == "vis_state":
                base.append((key, str(value)))
            else:
                keys.append((name, value))
        slot = (path, tuple(base))
        with self.hold(), self._lock:
            listing = self.listings.get(slot) or self._maybe_list(slot, plural, ref, whole=not keys or self.eager)
            return None if listing is None else listing.search(keys)

    def _maybe_list(self, slot: tuple[str, tuple[tuple[str, str], ...]], plural: str, ref: Any,
                    whole: bool) -> Listing | None:
        count = self.searches[slot] = self.searches.get(slot, 0) + 1
        if not whole and count < self.next_probe.get(slot, self.probe_after):
            return None
        path, base = slot
        rows, pages = self.first_page(path, plural, list(base), ref)
        if not whole and pages > count:
            self.next_probe[slot] = pages  # come back when as many searches as pages have been made
            return None
        listing = Listing(_states(base), kept_fields(path))
        for row in rows:
            listing.put(row)
        if pages > 1:
            for row in self.list_pages(path, plural, list(base), ref, 2):
                listing.put(row)
        self.listings[slot] = listing
        return listing

    def written(self, path: str, obj: dict[str, Any], object_id: str | None = None) -> None:
        """A create (`path` is the collection) or an update (`path` ends with the id) answered `obj`."""
        if not obj:
            return
        with self._lock:
            if not self.listings:
                return
            collection = path
            if object_id is None and row_id(obj) is None:
                return
            if object_id is not None:
                collection = path.rsplit("/", 1)[0]
            for (listed_path, _), listing in self.listings.items():
                if listed_path != collection:
                    continue
                current = listing.rows.get(object_id or "") if object_id else None
                merged = {**(current or self._known(collection, object_id)), **obj}
                listing.put(merged)

    def _known(self, collection: str, object_id: str | None) -> dict[str, Any]:
        if object_id is None:
            return {}
        for (listed_path, _), listing in self.listings.items():
            if listed_path == collection and object_id in listing.rows:
                return listing.rows[object_id]
        return {}

    def deleted(self, path: str) -> None:
        """An HTTP DELETE of `{collection}/{id}`."""
        collection, _, object_id = path.rpartition("/")
        with self._lock:
            for (listed_path, _), listing in self.listings.items():
                if listed_path == collection:
                    listing.drop(object_id)
