"""`clients` → FreshBooks clients (`users/clients`).

Natural keys: email (case-insensitive; several matches → the lowest id among active ones, skipping
clients that belong to another source key), then the `[source_key]` marker the target writes into the
note of every client it creates. Created clients never get late fees or reminders turned on.
"""

from __future__ import annotations

from typing import Any

from target_freshbooks.errors import RecordError, RecordRef
from target_freshbooks.ledger.models import IdMap
from target_freshbooks.sinks.base import (
    Match,
    Resource,
    ResourceSink,
    foreign_marker,
    marker,
    pick,
    with_marker,
)

FIELDS = (
    "email", "fname", "lname", "organization", "bus_phone", "mob_phone", "home_phone", "p_street", "p_street2",
    "p_city", "p_province", "p_code", "p_country", "currency_code", "language", "note",
)


class ClientsSink(ResourceSink):
    stream = "clients"
    resource = Resource("users", "clients", "client", "clients")

    def build_payload(self, record: dict[str, Any], ref: RecordRef, *, released: bool) -> dict[str, Any]:
        payload = pick(record, FIELDS)
        if not any(payload.get(name) for name in ("organization", "fname", "lname", "email")):
            raise RecordError(ref, "a client needs at least one of organization, fname, lname or email")
        return payload

    def create_body(self, record: dict[str, Any], payload: dict[str, Any], ref: RecordRef) -> dict[str, Any]:
        return {**payload, "note": with_marker(payload.get("note"), ref.source_key),
                "allow_late_fees": False, "allow_late_notifications": False}

    def update_body(self, record: dict[str, Any], payload: dict[str, Any], mapping: IdMap,
                    ref: RecordRef) -> dict[str, Any]:
        body = dict(payload)
        if "note" in body and mapping.origin == "created":
            body["note"] = with_marker(body["note"], ref.source_key)
        return body

    def find_existing(self, record: dict[str, Any], payload: dict[str, Any] | None, ref: RecordRef) -> Match | None:
        email = (record.get("email") or "").strip()
        if email:
            found = self.by_email(email, ref)
            if found is not None:
                return found
        return self.by_marker(ref.source_key, ref)

    def by_email(self, email: str, ref: RecordRef) -> Match | None:
        rows = [row for row in self.search([("search[email]", email)], ref)
                if (row.get("email") or "").strip().lower() == email.lower()]
        ours = [row for row in rows if marker(ref.source_key) in (row.get("note") or "")]
        if ours:
            row = min(ours, key=lambda r: int(r["id"]))
            return Match(str(row["id"]), f"email {email} and its source-key marker", row)
        free = [row for row in rows if not self.claimed_by_other(row["id"], ref.source_key)
                and not foreign_marker(row.get("note"), ref.source_key)]
        active = [row for row in free if int(row.get("vis_state") or 0) == 0]
        candidates = active or free
        if not candidates:
            return None
        row = min(candidates, key=lambda r: int(r["id"]))
        how = f"email {email} ({len(rows)} client(s) with this email; took the lowest{' active' if active else ''} id)"
        return Match(str(row["id"]), how, row)

    def by_marker(self, source_key: str, ref: RecordRef) -> Match | None:
        tag = marker(source_key)
        rows = [row for row in self.search([("search[note_like]", tag)], ref) if tag in (row.get("note") or "")]
        if not rows:
            return None
        row = min(rows, key=lambda r: int(r["id"]))
        return Match(str(row["id"]), f"source-key marker {tag} in its note", row)

    def adopt_by_marker(self, source_key: str, needed_by: RecordRef) -> str | None:
        """For a reference to a client whose record is not in this run: find the client we created."""
        match = self.by_marker(source_key, needed_by)
        if match is None:
            return None
        self.adopt(source_key, match, RecordRef(self.stream, source_key), None)
        return match.freshbooks_id
