"""`bill_vendors` → FreshBooks bill vendors (`bill_vendors/bill_vendors`, id `vendorid`).

FreshBooks has no search filter on vendors: the account's vendors are listed once per run (kept in the
loader's `cache`) and matched in memory: the `[source_key]` marker the target writes into the note of the
vendors it creates, then the normalised `vendor_name` (case, punctuation and spaces ignored, a trailing
Inc/LLC/Ltd/Co/Corp/Company dropped), then `primary_contact_email` (case-insensitive), then
`account_number`. The rule that matched is the `adopt` entry's detail in the audit. The connector's own
lease vendor (`lease.LEASE_NAME`) is never matched, nor a vendor that belongs to another source key.

No match: created (with the marker) when the record says `on_missing: create`, else held for review with a
reason naming the vendor and the fix; a released review creates it unless a match has appeared since.
Vendors are never deleted (the customer's own, and bills refer to them): `active: false` never creates one,
keeps one already mapped, and adopts a match so that the vendor's bills can still be written.
"""

from __future__ import annotations

import re
from typing import Any

from target_freshbooks.errors import RecordError, RecordRef
from target_freshbooks.lease import LEASE_NAME
from target_freshbooks.ledger.models import IdMap
from target_freshbooks.sinks.base import (
    INACTIVE,
    Match,
    Outcome,
    Resource,
    ResourceSink,
    Review,
    foreign_marker,
    marker,
    pick,
    require,
    with_marker,
)
from target_freshbooks.validation import SHORT_TEXT_LIMIT, InvalidValue

FIELDS = (
    "vendor_name", "primary_contact_first_name", "primary_contact_last_name", "primary_contact_email", "phone",
    "website", "account_number", "street", "street2", "city", "province", "postal_code", "country",
    "currency_code", "language", "note", "is_1099",
)
SHORT_FIELDS = tuple(name for name in FIELDS if name not in ("note", "is_1099", "currency_code"))
ON_MISSING = ("review", "create")
ALL_VENDORS_CACHE = "bill_vendors:all"
SUFFIXES = frozenset({"inc", "llc", "ltd", "co", "corp", "company"})
"""Trailing words a vendor name is compared without ("ACME Supply, Inc." is "Acme Supply")."""


def normalised_name(name: Any) -> str:
    words = re.findall(r"[a-z0-9]+", str(name or "").lower())
    while len(words) > 1 and words[-1] in SUFFIXES:
        words.pop()
    return "".join(words)


class BillVendorsSink(ResourceSink):
    stream = "bill_vendors"
    resource = Resource("bill_vendors", "bill_vendors", "bill_vendor", "bill_vendors", id_field="vendorid")

    def __init__(self, ctx: Any) -> None:
        super().__init__(ctx)
        self.released = False

    def upsert(self, record: dict[str, Any], ref: RecordRef, *, released: bool = False) -> Outcome:
        self.released = released
        return super().upsert(record, ref, released=released)

    # ResourceSink hooks ---------------------------------------------------------------------------------

    def build_payload(self, record: dict[str, Any], ref: RecordRef, *, released: bool) -> dict[str, Any]:
        require(record, ref, "vendor_name")
        on_missing = record.get("on_missing") or "review"
        if on_missing not in ON_MISSING:
            raise RecordError(ref, f"on_missing must be one of {', '.join(ON_MISSING)}, not {on_missing!r}")
        for name in SHORT_FIELDS:
            value = record.get(name)
            if isinstance(value, str) and len(value) > SHORT_TEXT_LIMIT:
                raise InvalidValue(ref, name, f"is {len(value)} characters long; the target sends at most "
                                   f"{SHORT_TEXT_LIMIT} characters in this field: shorten it in the producer")
        if str(record["vendor_name"]).strip() == LEASE_NAME:
            raise RecordError(ref, f"vendor_name {LEASE_NAME!r} is the connector's own lease vendor; rename the vendor")
        return pick(record, FIELDS)

    def create_body(self, record: dict[str, Any], payload: dict[str, Any], ref: RecordRef) -> dict[str, Any]:
        return {"currency_code": "USD", "language": "en", **payload,
                "note": with_marker(payload.get("note"), ref.source_key)}

    def update_body(self, record: dict[str, Any], payload: dict[str, Any], mapping: IdMap,
                    ref: RecordRef) -> dict[str, Any]:
        body = dict(payload)
        if mapping.origin == "created":
            body["note"] = with_marker(body.get("note"), ref.source_key)
        else:
            body.pop("vendor_name", None)  # a vendor that was already in FreshBooks keeps the name given there
        return body

    def create(self, record: dict[str, Any], payload: dict[str, Any], ref: RecordRef) -> tuple[str, dict[str, Any]]:
        if (record.get("on_missing") or "review") != "create" and not self.released:
            raise Review(self.missing_reason(record, ref))
        freshbooks_id, obj = super().create(record, payload, ref)
        self.all_vendors(ref).append({**obj, "vendorid": freshbooks_id})
        return freshbooks_id, obj

    def find_existing(self, record: dict[str, Any], payload: dict[str, Any] | None, ref: RecordRef) -> Match | None:
        rows = [row for row in self.all_vendors(ref)
                if not self.claimed_by_other(self.id_of(row), ref.source_key)
                and not foreign_marker(row.get("note"), ref.source_key)]
        tag = marker(ref.source_key)
        found = self.best([row for row in rows if tag in str(row.get("note") or "")])
        if found is not None:
            return Match(self.id_of(found), f"source-key marker {tag} in its note", found)
        name = normalised_name(record.get("vendor_name"))
        email = str(record.get("primary_contact_email") or "").strip().lower()
        account = str(record.get("account_number") or "").strip()
        rules = (
            (name, lambda row: normalised_name(row.get("vendor_name")) == name,
             lambda row: f"normalised name {name!r} (FreshBooks: {row.get('vendor_name')!r})"),
            (email, lambda row: str(row.get("primary_contact_email") or "").strip().lower() == email,
             lambda row: f"email {email} (FreshBooks vendor {row.get('vendor_name')!r})"),
            (account, lambda row: str(row.get("account_number") or "").strip() == account,
             lambda row: f"account number {account!r} (FreshBooks vendor {row.get('vendor_name')!r})"),
        )
        for value, matches, how in rules:
            if not value:
                continue
            candidates = [row for row in rows if matches(row)]
            found = self.best(candidates)
            if found is not None:
                many = f"; {len(candidates)} vendors matched, took the lowest active id" if len(candidates) > 1 else ""
                return Match(self.id_of(found), how(found) + many, found)
        return None

    def deactivate(self, record: dict[str, Any], ref: RecordRef, mapping: IdMap | None) -> Outcome:
        """Never deleted, never created: kept (or adopted) so that its bills can still be written."""
        if mapping is not None and mapping.freshbooks_id:
            self.ctx.audit(ref, "unchanged", freshbooks_id=mapping.freshbooks_id,
                           detail="inactive in the source: the FreshBooks vendor is kept (bills refer to it)")
            return Outcome.UNCHANGED
        match = self.find_existing(record, None, ref)
        if match is not None:
            self.adopt(ref.source_key, match, ref, None)
            return Outcome.ADOPTED
        self.ctx.ledger.save_mapping(self.stream, ref.source_key, None, INACTIVE, state="deleted", origin="none")
        self.ctx.audit(ref, "skip", detail="inactive and not in FreshBooks: not created")
        return Outcome.UNCHANGED

    # Helpers ------------------------------------------------------------------------------------------

    def all_vendors(self, ref: RecordRef) -> list[dict[str, Any]]:
        """The account's vendors (the lease vendor and deleted ones left out), listed once per run."""
        cached = self.ctx.cache.get(ALL_VENDORS_CACHE)
        if cached is None:
            cached = [row for row in self.search([], ref)
                      if row.get("vendor_name") != LEASE_NAME and int(row.get("vis_state") or 0) != 1]
            self.ctx.cache[ALL_VENDORS_CACHE] = cached
        return cached

    def best(self, rows: list[dict[str, Any]]) -> dict[str, Any] | None:
        if not rows:
            return None
        active = [row for row in rows if int(row.get("vis_state") or 0) == 0]
        return min(active or rows, key=lambda row: int(self.id_of(row)))

    @staticmethod
    def missing_reason(record: dict[str, Any], ref: RecordRef) -> str:
        name = str(record.get("vendor_name") or "").strip()
        tried = ["name"]
        if record.get("primary_contact_email"):
            tried.append(f"email {record['primary_contact_email']}")
        if record.get("account_number"):
            tried.append(f"account number {record['account_number']!r}")
        tried_text = ", ".join(tried[:-1]) + " or " + tried[-1] if len(tried) > 1 else tried[0]
        return (f"bill vendor {name!r} is not in FreshBooks: no vendor there matches its {tried_text}. Fix: add "
                f"the vendor in FreshBooks with the name {name!r} (it is then matched), or let the connector create "
                f"it; either way release this record (`target-freshbooks audit --release {ref.source_key}`) and run "
                "`target-freshbooks replay`, which matches or creates the vendor and then writes the bills waiting "
                "on it. To have missing vendors created without review, set the mapper's missing_vendor_policy to "
                "create.")

    def adopt_by_marker(self, source_key: str, needed_by: RecordRef) -> str | None:
        """For a bill whose vendor record is not in this run: find a vendor the target created by its marker."""
        tag = marker(source_key)
        found = self.best([row for row in self.all_vendors(needed_by) if tag in str(row.get("note") or "")])
        if found is None:
            return None
        match = Match(self.id_of(found), f"source-key marker {tag} in its note", found)
        self.adopt(source_key, match, RecordRef(self.stream, source_key), None)
        return match.freshbooks_id
