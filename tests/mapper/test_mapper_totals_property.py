"""Property: over many random ServiceTitan invoices, FreshBooks' total of the mapped lines equals ServiceTitan's
total to the cent, and tax sits on the lines at the zone's rates (the rounding line only takes what is left)."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest
from mapper_harness import (
    FAIRFIELD,
    NASSAU,
    NYC,
    freshbooks_invoice_total,
    run_mapper,
    st_invoice,
    st_line,
    st_zone,
    stream_of,
    zone_rate,
)
from sandbox.freshbooks import lines as simulator

INVOICES = 400
SIMULATOR = {"per_line": "line", "per_invoice": "invoice"}
"""The FreshBooks simulator's name for each `freshbooks_tax_rounding` mode."""
ROUNDING_LINE = "Sales tax rounding adjustment"
QUANTITIES = ["1", "1", "1", "2", "3", "0.5", "1.25", "2.75", "10", "0.333", "12"]
TYPES = ["Service", "Material", "Equipment", "PriceModifier", "Unspecified"]


def random_zones(rng: random.Random) -> list[dict]:
    zones = [NYC, FAIRFIELD, NASSAU]
    for zone_id in range(100, 106):
        separated = zone_id % 2 == 0
        rates = ([(["Labor"], _rate(rng)), (["Material"], _rate(rng))] if separated
                 else [(["Subtotal"], _rate(rng)) for _ in range(rng.randint(1, 4))])
        if separated and rng.random() < 0.5:
            rates.append((["Subtotal"], _rate(rng)))  # a rate over both, on top of the separate ones
        zones.append(st_zone(zone_id, f"Random zone {zone_id}", rates, separated=separated))
    return zones


def _rate(rng: random.Random) -> str:
    return str(Decimal(rng.randint(0, 60000)) / Decimal(1_000_000))


def _price(rng: random.Random) -> str:
    cents = rng.choice([rng.randint(1, 999), rng.randint(1000, 99999), rng.randint(100000, 500000)])
    if rng.random() < 0.15:
        return str(Decimal(cents * 10 + rng.randint(1, 9)) / 1000)  # three decimals
    return str(Decimal(cents) / 100)


def random_invoice(rng: random.Random, invoice_id: int, zones: list[dict]) -> tuple[dict, dict | None, bool, bool]:
    """A ServiceTitan invoice, its zone, whether its customer is tax exempt, and whether its tax was overridden."""
    zone = rng.choice([*zones, None])
    items = []
    for n in range(rng.choice([0, 1, 1, 2, 3, 4, 6, 9])):
        item_type = rng.choices(TYPES, weights=[4, 5, 2, 1, 1])[0]
        price = _price(rng)
        if item_type == "PriceModifier":
            price = f"-{price}"
        items.append(st_line(n + 1, item_type, sku_id=rng.randint(1, 500), quantity=rng.choice(QUANTITIES),
                             price=price if rng.random() > 0.05 else "0.00", taxable=rng.random() < 0.7,
                             chargeable=rng.random() < 0.92))
    exempt = rng.random() < 0.15
    source = st_invoice(invoice_id, items, zone=zone, exempt=exempt)
    overridden = rng.random() < 0.1
    if overridden:  # ServiceTitan's salesTax is the truth even when it is not its zone's rates
        tax = Decimal(source["salesTax"]) + Decimal(rng.choice([-500, -3, -1, 1, 2, 250])) / 100
        source["salesTax"] = str(tax)
        source["total"] = str(Decimal(source["subTotal"]) + tax)
    return source, zone, exempt, overridden


@pytest.mark.parametrize("rounding", ["per_line", "per_invoice"])
def test_freshbooks_total_equals_servicetitan_total_to_the_cent(rounding: str) -> None:
    rng = random.Random(20240131)
    zones = random_zones(rng)
    generated = [random_invoice(rng, n, zones) for n in range(1, INVOICES + 1)]
    out = run_mapper([*stream_of("tax_zones", *zones), *stream_of("invoices", *(g[0] for g in generated))],
                     freshbooks_tax_rounding=rounding)
    mapped = {r["source_key"]: r for r in out.records("invoices")}
    assert len(mapped) == INVOICES
    kinds_seen = set()
    for source, zone, exempt, overridden in generated:
        lines = mapped[f"servicetitan:invoice:{source['id']}"]["lines"]
        assert freshbooks_invoice_total(lines, rounding) == Decimal(source["total"]), source["id"]
        simulated = simulator.compute(simulator.normalize_lines(lines, "invoice", "USD"), "0", SIMULATOR[rounding])
        assert simulated.total == Decimal(source["total"]), source["id"]  # the FreshBooks simulator agrees

        for line in lines:  # FreshBooks keeps a line's unit cost in cents
            unit_cost = Decimal(line["unit_cost"]["amount"])
            assert unit_cost == unit_cost.quantize(Decimal("0.01")), source["id"]
        rounding_lines = [line for line in lines if line["name"] == ROUNDING_LINE]
        assert len(rounding_lines) <= 1 and (not rounding_lines or lines[-1] is rounding_lines[0])
        for line in rounding_lines:
            assert line["taxName1"] is None and Decimal(line["unit_cost"]["amount"]) != 0
        item_lines = [line for line in lines if line["name"] != ROUNDING_LINE]
        charged = [item for item in source["items"] if item["isChargeable"]]
        taxes_apply = Decimal(source["salesTax"]) != 0 and zone is not None
        for item, line in zip(source["items"], item_lines, strict=True):
            rate = zone_rate(zone, item["type"]) if zone else Decimal(0)
            expected = (rate * 100).normalize() if taxes_apply and item["isChargeable"] and item["taxable"] else 0
            assert Decimal(line["taxAmount1"] or 0) == expected, (source["id"], item["id"])

        adjustment = Decimal(rounding_lines[0]["unit_cost"]["amount"]) if rounding_lines else Decimal(0)
        if not overridden and not exempt and zone is not None:
            taxed_lines = sum(1 for item in charged if item["taxable"])
            if rounding == "per_invoice":
                assert adjustment == 0, source["id"]
            else:
                assert abs(adjustment) <= Decimal("0.005") * (taxed_lines + 1), source["id"]
        kinds_seen.add(("separated" if zone and zone["isTaxRateSeparated"] else "combined" if zone else "none",
                        "exempt" if exempt else "taxed", bool(rounding_lines)))
        if Decimal(source["total"]) == 0:
            kinds_seen.add("zero")
    assert "zero" in kinds_seen
    assert {k[0] for k in kinds_seen if isinstance(k, tuple)} == {"separated", "combined", "none"}
    assert {k[1] for k in kinds_seen if isinstance(k, tuple)} == {"exempt", "taxed"}
    if rounding == "per_line":
        assert any(isinstance(k, tuple) and k[2] for k in kinds_seen)
