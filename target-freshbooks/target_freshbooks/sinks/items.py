"""`items` → FreshBooks items (`items/items`).

Natural keys: the SKU (`search[sku]`, exact match re-checked), then the exact name among all items
(FreshBooks has no name filter; the list is read once per run, `lookups`), skipping an item whose SKU is set and
different, and any item that belongs to another source key. A created item always carries a SKU: the
record's, else its source key, so that it can be found again without the ledger.
"""

from __future__ import annotations

from typing import Any

from target_freshbooks.errors import RecordRef
from target_freshbooks.sinks.base import Match, Resource, ResourceSink, as_fb_id, pick, require

FIELDS = ("name", "description", "sku", "unit_cost", "qty", "inventory")


class ItemsSink(ResourceSink):
    stream = "items"
    resource = Resource("items", "items", "item", "items")

    def build_payload(self, record: dict[str, Any], ref: RecordRef, *, released: bool) -> dict[str, Any]:
        require(record, ref, "name")
        payload = pick(record, FIELDS)
        payload["sku"] = self.sku_of(record, ref.source_key)
        for slot in ("tax1", "tax2"):
            tax_key = record.get(f"{slot}_source_key")
            if tax_key:
                payload[slot] = as_fb_id(self.ctx.resolve("taxes", tax_key, needed_by=ref))
        return payload

    @staticmethod
    def sku_of(record: dict[str, Any], source_key: str) -> str:
        return str(record.get("sku") or source_key)

    def find_existing(self, record: dict[str, Any], payload: dict[str, Any] | None, ref: RecordRef) -> Match | None:
        sku = self.sku_of(record, ref.source_key)
        rows = [row for row in self.search([("search[sku]", sku)], ref)
                if str(row.get("sku") or "") == sku and not self.claimed_by_other(row["id"], ref.source_key)]
        if rows:
            row = min(rows, key=lambda r: int(r["id"]))
            return Match(str(row["id"]), f"SKU {sku!r}", row)
        name = str(record.get("name") or "").strip()
        if not name:
            return None
        rows = [row for row in self.all_items(ref)
                if str(row.get("name") or "").strip() == name and str(row.get("sku") or "") in ("", sku)
                and not self.claimed_by_other(row["id"], ref.source_key)]
        if rows:
            row = min(rows, key=lambda r: int(r["id"]))
            return Match(str(row["id"]), f"name {name!r} (no item with SKU {sku!r})", row)
        return None

    def all_items(self, ref: RecordRef) -> list[dict[str, Any]]:
        """Every item: listed once per run, and kept current with the items the run creates (`lookups`)."""
        return self.search([], ref)

    def adopt_for_line(self, source_key: str, fallback: dict[str, Any], needed_by: RecordRef) -> str | None:
        """For an invoice line's item whose record is not in this run: find it by the line's SKU or name."""
        ref = RecordRef(self.stream, source_key)
        match = self.find_existing(fallback, None, ref)
        if match is None:
            return None
        self.adopt(source_key, match, ref, None)
        return match.freshbooks_id
