"""Objects already in FreshBooks are adopted (recorded, never overwritten or duplicated), and a lost ledger
is rebuilt from what the target wrote into FreshBooks (markers, SKUs, invoice numbers)."""

from __future__ import annotations

from typing import Any

from target_harness import Messages, TargetEnv, authorize_target, usd
from target_records import catalog, records


def emails(rows: list[dict[str, Any]], email: str) -> list[dict[str, Any]]:
    return [r for r in rows if (r.get("email") or "").lower() == email.lower()]


def test_existing_clients_items_and_taxes_are_adopted_not_duplicated(seeded_env: TargetEnv) -> None:
    fb = seeded_env.fb
    cases = fb.side.preexisting()["cases"]
    before_clients = fb.records("clients", active_only=False)
    before_items = fb.records("items", active_only=False)
    matched = cases["matched_client_emails"][:2]
    shared = cases["shared_email"]
    variant = cases["case_variant_client"]
    deleted = cases["deleted_client"]
    plus = cases["plus_email_client"]
    skus = cases["matched_item_skus"][:2]
    name_only = cases["name_only_item"]
    tax_name = fb.records("taxes")[0]["name"]

    messages = Messages()
    for n, email in enumerate(matched):
        messages.record("clients", {"source_key": f"st:customer:{n}", "organization": f"Renamed {n}", "email": email})
    messages.record("clients", {"source_key": "st:customer:shared", "organization": "Shared", "email": shared["email"]})
    messages.record("clients", {"source_key": "st:customer:variant", "fname": "Nancy", "email": variant["st_email"]})
    messages.record("clients", {"source_key": "st:customer:deleted", "fname": "Dan", "email": deleted["email"]})
    messages.record("clients", {"source_key": "st:customer:plus", "fname": "Steven", "email": plus["st_email"]})
    for n, sku in enumerate(skus):
        messages.record("items", {"source_key": f"st:material:{n}", "name": f"Renamed item {n}", "sku": sku,
                                  "unit_cost": usd("1.00")})
    messages.record("items", {"source_key": "st:material:name-only", "name": name_only["name"],
                              "sku": name_only["st_code"], "unit_cost": usd("1.00")})
    messages.record("items", {"source_key": "st:material:deleted", "name": "Blower motor",
                              "sku": cases["deleted_item"]["sku"], "unit_cost": usd("1.00")})
    messages.record("taxes", {"source_key": "st:taxzone:1", "name": tax_name, "amount": "1"})
    fb.reset_stats()

    run = seeded_env.run(messages)

    # The deleted client's email and the +tag near-miss match nothing active: those two are created.
    assert run.counts("clients") == {"adopted": 4, "created": 2}
    assert run.counts("items") == {"adopted": 3, "created": 1}
    assert run.counts("taxes") == {"adopted": 1}
    assert fb.writes("PUT") == 0  # adoption writes nothing
    assert fb.writes() == 3

    clients = fb.records("clients", active_only=False)
    for email in matched:
        adopted = emails(clients, email)
        assert len(adopted) == 1 and adopted[0] == next(c for c in before_clients if c["id"] == adopted[0]["id"])
    assert len(emails(clients, shared["email"])) == 2
    assert len(emails(clients, variant["st_email"])) == 1
    assert len([c for c in emails(clients, deleted["email"]) if c["vis_state"] == 0]) == 1
    assert len(emails(clients, plus["st_email"])) == 1
    assert len(clients) == len(before_clients) + 2
    items = fb.records("items", active_only=False)
    for sku in skus:
        assert len([i for i in items if i.get("sku") == sku]) == 1
    assert len(items) == len(before_items) + 1

    ledger_ids = audit_ids(seeded_env, "st:customer:shared")
    assert ledger_ids == [min(shared["client_ids"])]  # lowest id among the active clients sharing the email
    assert audit_ids(seeded_env, "st:customer:variant") == [variant["client_id"]]
    assert audit_ids(seeded_env, "st:material:name-only") == [name_only["item_id"]]

    fb.reset_stats()
    seeded_env.run(messages)
    assert fb.writes() == 0


def audit_ids(env: TargetEnv, source_key: str) -> list[int]:
    result = env.command("audit", "--source-key", source_key, "--json")
    import json

    return sorted({int(json.loads(line)["freshbooks_id"]) for line in result.output.splitlines()
                   if json.loads(line)["freshbooks_id"]})


def test_lost_ledger_is_rebuilt_without_duplicates(env: TargetEnv) -> None:
    data = records()
    data["clients"].append({"source_key": "test:customer:3", "organization": "Walk-in homeowner"})  # no email
    data["items"].append({"source_key": "test:service:30", "name": "Trip charge", "unit_cost": usd("59.00")})  # no SKU
    data["invoices"].append({"source_key": "test:invoice:102", "client_source_key": "test:customer:3",
                             "invoice_number": "ST-102", "create_date": "2024-05-04", "lines": [
                                 {"name": "Trip charge", "qty": "1", "unit_cost": usd("59.00"),
                                  "item_source_key": "test:service:30"}]})
    env.run(catalog(data))
    counts = {r: len(env.fb.records(r)) for r in ("clients", "items", "taxes", "invoices", "payments")}

    for path in env.tmp_path.glob("ledger.db*"):
        path.unlink()
    authorize_target(env.config, env.tmp_path)
    env.fb.reset_stats()
    run = env.run(catalog(data))

    assert {r: len(env.fb.records(r)) for r in counts} == counts
    assert env.fb.writes() == 0
    for stream, rows in data.items():
        assert run.counts(stream) == {"adopted": len(rows)}, stream

    env.fb.reset_stats()
    again = env.run(catalog(data))
    assert env.fb.writes() == 0
    assert again.counts("invoices") == {"unchanged": len(data["invoices"])}


def test_a_bookkeeper_client_whose_email_has_a_plus_is_found(env: TargetEnv) -> None:
    """`+` in `search[email]` must be sent encoded (`%2B`), or FreshBooks reads a space."""
    existing = env.fb.side.create("clients", {"organization": "Front Desk", "email": "front+desk@clinic.example"})
    run = env.run(Messages().record("clients", {"source_key": "st:customer:77", "organization": "Clinic",
                                                "email": "front+desk@clinic.example"}))
    assert run.counts("clients") == {"adopted": 1}
    assert audit_ids(env, "st:customer:77") == [existing["id"]]
    assert len(env.fb.records("clients")) == 1
