"""ServiceTitan pricebook materials, services and equipment become FreshBooks items."""

from __future__ import annotations

import pytest
from mapper_harness import run_mapper, st_pricebook_item, stream_of


@pytest.mark.parametrize(("stream", "kind"), [("materials", "material"), ("services", "service"),
                                              ("equipment", "equipment")])
def test_item_fields(stream: str, kind: str) -> None:
    source = st_pricebook_item(34)
    item = run_mapper(stream_of(stream, source)).one("items")
    assert item == {
        "source_key": f"servicetitan:{kind}:34",
        "active": True,
        "name": source["displayName"],
        "sku": source["code"],
        "description": "MERV 11 pleated filter & frame",
        "unit_cost": {"amount": "24.50", "code": "USD"},
    }


def test_name_falls_back_to_the_code_and_is_never_empty() -> None:
    out = run_mapper(stream_of(
        "materials",
        st_pricebook_item(1, displayName=None, code="PLB-TRAP-15"),
        st_pricebook_item(2, displayName="  ", code=None),
    ))
    assert [item["name"] for item in out.records("items")] == ["PLB-TRAP-15", "ServiceTitan material 2"]


def test_html_description_becomes_plain_text() -> None:
    html = ("<div><p>Includes:</p><ul><li>Labor&nbsp;1 hr</li><li>Parts &lt;$50&gt;</li></ul>"
            "<br/><span style='x'>Warranty&#8217;s 1 yr</span></div>")
    item = run_mapper(stream_of("services", st_pricebook_item(description=html))).one("items")
    assert item["description"] == "Includes:\n- Labor 1 hr\n- Parts <$50>\nWarranty\u2019s 1 yr"
    assert "<" not in item["description"].replace("<$50>", "")


def test_price_keeps_its_precision_and_inactive_items_are_inactive() -> None:
    item = run_mapper(stream_of("equipment", st_pricebook_item(price=1234.5678, active=False))).one("items")
    assert item["unit_cost"] == {"amount": "1234.5678", "code": "USD"}
    assert item["active"] is False
