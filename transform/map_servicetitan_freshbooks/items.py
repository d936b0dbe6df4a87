"""ServiceTitan pricebook items (materials, services, equipment) to FreshBooks items."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from map_servicetitan_freshbooks.settings import MapperSettings
from map_servicetitan_freshbooks.values import SourceRecord, clean_text, html_to_text, money

PRICEBOOK_STREAMS = {"materials": "material", "services": "service", "equipment": "equipment"}
"""Input stream → the kind in the item's source key."""


def map_pricebook_item(item: SourceRecord, settings: MapperSettings) -> dict[str, Any]:
    """One `items` record: `sku` is the pricebook code, `name` the display name (or the code)."""
    kind = PRICEBOOK_STREAMS[item.stream]
    item_id = item.id
    data = item.data
    code = clean_text(data.get("code"))
    price = item.decimal("price")
    return {
        "source_key": f"servicetitan:{kind}:{item_id}",
        "active": data.get("active", True) is not False,
        "name": clean_text(data.get("displayName")) or code or f"ServiceTitan {kind} {item_id}",
        "sku": code,
        "description": html_to_text(data.get("description")),
        "unit_cost": money(price if price is not None else Decimal(0), settings.currency_code),
    }
