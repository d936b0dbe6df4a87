"""Looking up in bulk: a first sync lists each resource once instead of one search per record, and a create
whose answer was lost is still checked against FreshBooks itself."""

from __future__ import annotations

from typing import Any

import requests
from target_freshbooks.lookups import PROBE_AFTER
from target_harness import Messages, TargetEnv, authorize_target, usd

LISTED_RESOURCES = 4  # clients, items, invoices, payments


def backfill(n: int, prefix: str = "bulk") -> Messages:
    messages = Messages()
    messages.record("items", {"source_key": f"{prefix}:item:1", "name": "Service call", "sku": f"{prefix}-SVC",
                              "unit_cost": usd("90.00")})
    for i in range(0, n, 2):
        messages.record("clients", {"source_key": f"{prefix}:customer:{i}", "organization": f"Bulk Co {i}",
                                    "email": f"{prefix}{i}@example.com", "currency_code": "USD"})
    for i in range(n):
        messages.record("invoices", {
            "source_key": f"{prefix}:invoice:{i}", "client_source_key": f"{prefix}:customer:{i - i % 2}",
            "invoice_number": f"{prefix.upper()}-{i}", "create_date": "2024-05-01", "currency_code": "USD",
            "lines": [{"name": "Service call", "qty": "1", "unit_cost": usd("90.00"),
                       "item_source_key": f"{prefix}:item:1"}]})
    for i in range(0, n, 2):
        messages.record("payments", {"source_key": f"{prefix}:payment:{i}", "date": "2024-05-10", "type": "Check",
                                     "applications": [{"source_key": f"{prefix}:payment:{i}:invoice:{i}",
                                                       "invoice_source_key": f"{prefix}:invoice:{i}",
                                                       "amount": usd("90.00")}]})
    return messages


def stats(env: TargetEnv) -> dict[str, Any]:
    return requests.get(f"{env.sandbox.fb_url}/_sandbox/stats", timeout=5).json()


def test_a_first_sync_makes_about_one_call_per_write(env: TargetEnv) -> None:
    n = 80
    env.fb.reset_stats()
    run = env.run(backfill(n))

    assert run.exit_code == 0
    assert run.counts("invoices") == {"created": n} and run.counts("payments") == {"created": n // 2}
    writes = env.fb.writes()
    assert writes >= 1 + n // 2 + 2 * n + n // 2  # item, clients, invoices (created, marked sent), payments
    calls = stats(env)["total"]
    # Searching record by record costs about one GET per write more; here only the first searches of each
    # resource, its listing (one page each) and a few calls of the run itself (user, lease) come on top.
    assert calls <= 1.05 * writes + LISTED_RESOURCES * (PROBE_AFTER + 2) + 10, (calls, writes, stats(env)["calls"])


def test_a_listing_still_finds_what_exists_and_adopts_it(env: TargetEnv) -> None:
    """Records whose objects FreshBooks already holds (a lost ledger) are adopted from the listing, not made
    again."""
    n = 40
    assert env.run(backfill(n, "again")).exit_code == 0
    lost = {**env.config, "ledger_url": f"sqlite:///{env.tmp_path / 'new-ledger.db'}"}
    authorize_target(lost, env.tmp_path)
    env.fb.reset_stats()
    run = env.run(backfill(n, "again"), ledger_url=lost["ledger_url"])

    assert run.exit_code == 0
    assert run.counts("clients") == {"adopted": n // 2} and run.counts("invoices") == {"adopted": n}
    assert run.counts("payments") == {"adopted": n // 2}
    assert env.fb.writes() == 0
    assert stats(env)["calls"].get(f"GET /accounting/account/{env.fb.api.account_id}/invoices/invoices", 0) <= \
        PROBE_AFTER + 2  # not one search per invoice
    assert len([c for c in env.fb.records("clients") if c["email"].startswith("again")]) == n // 2
    assert len([i for i in env.fb.records("invoices") if i["invoice_number"].startswith("AGAIN-")]) == n


def test_creates_whose_answer_is_lost_are_checked_in_freshbooks_not_in_the_listing(env: TargetEnv) -> None:
    """Once a resource is listed, a create whose answer never came is still looked for in FreshBooks itself:
    the listing was read before the create, so only FreshBooks can say whether it landed."""
    n = 40
    requests.patch(f"{env.sandbox.fb_url}/_sandbox/faults", json={"seed": 5, "rate_timeout_after_write": 0.15},
                   timeout=5).raise_for_status()
    run = env.run(backfill(n, "lost"), request_timeout=2)
    injected = requests.get(f"{env.sandbox.fb_url}/_sandbox/faults", timeout=5).json()["injected"]
    requests.patch(f"{env.sandbox.fb_url}/_sandbox/faults", json={"rate_timeout_after_write": 0.0},
                   timeout=5).raise_for_status()
    if run.exit_code != 0:  # only records failed (dead-lettered after repeated lost answers): replay them
        assert env.command("replay").exit_code == 0

    assert injected["rate_timeout_after_write"] >= 5
    clients = [c for c in env.fb.records("clients") if c["email"].startswith("lost")]
    invoices = [i for i in env.fb.records("invoices") if i["invoice_number"].startswith("LOST-")]
    payments = [p for p in env.fb.records("payments") if "[lost:payment:" in (p.get("note") or "")]
    assert (len(clients), len(invoices), len(payments)) == (n // 2, n, n // 2)  # each once, none twice


def test_a_dry_run_reads_each_resource_once_not_once_per_record(env: TargetEnv) -> None:
    n = 40
    assert env.run(backfill(n, "dry")).exit_code == 0
    lost = {**env.config, "ledger_url": f"sqlite:///{env.tmp_path / 'dry-ledger.db'}"}
    authorize_target(lost, env.tmp_path)
    env.fb.reset_stats()
    run = env.run(backfill(n, "dry"), ledger_url=lost["ledger_url"], dry_run=True)

    assert run.exit_code == 0
    assert run.counts("clients") == {"adopted": n // 2} and run.counts("invoices") == {"adopted": n}
    assert env.fb.writes() == 0
    reads = sum(count for key, count in stats(env)["calls"].items() if key.startswith("GET /accounting/"))
    assert reads <= 2 * LISTED_RESOURCES, stats(env)["calls"]  # a listing (one page here) of each resource
