"""`taxes` → FreshBooks taxes (`taxes/taxes`). Natural key: the name (unique per account)."""

from __future__ import annotations

from typing import Any

from target_freshbooks.errors import RecordRef
from target_freshbooks.sinks.base import Match, Resource, ResourceSink, pick, require

FIELDS = ("name", "amount", "number", "compound")


class TaxesSink(ResourceSink):
    stream = "taxes"
    resource = Resource("taxes", "taxes", "tax", "taxes", delete_with="http_delete")
    restorable = False

    def build_payload(self, record: dict[str, Any], ref: RecordRef, *, released: bool) -> dict[str, Any]:
        require(record, ref, "name")
        return pick(record, FIELDS)

    def find_existing(self, record: dict[str, Any], payload: dict[str, Any] | None, ref: RecordRef) -> Match | None:
        name = str(record.get("name") or "").strip()
        if not name:
            return None
        rows = [row for row in self.search([("search[name]", name)], ref)
                if str(row.get("name") or "").strip().lower() == name.lower()
                and not self.claimed_by_other(row["id"], ref.source_key)]
        if not rows:
            return None
        row = min(rows, key=lambda r: int(r["id"]))
        return Match(str(row["id"]), f"name {name!r}", row)
