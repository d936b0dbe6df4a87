"""ServiceTitan pricebook items (materials, services, equipment) to FreshBooks items."""

from __future__ import annotations

from decimal import Decimal

from map_servicetitan_freshbooks.output import Output, Record, RunContext
from map_servicetitan_freshbooks.values import SourceRecord, clean_text, html_to_text, money


def map_pricebook_item(item: SourceRecord, run: RunContext) -> list[Record | Output]:
    """One `items` record: `sku` is the pricebook code, `name` the display name (or the code)."""
    item_id = item.id
    data = item.data
    code = clean_text(data.get("code"))
    price = item.decimal("price")
    return [{
        "source_key": item.key(),
        "active": item.active,
        "name": clean_text(data.get("displayName")) or code or f"ServiceTitan {item.kind} {item_id}",
        "sku": code,
        "description": html_to_text(data.get("description")),
        "unit_cost": money(price if price is not None else Decimal(0), run.settings.currency_code),
    }]
