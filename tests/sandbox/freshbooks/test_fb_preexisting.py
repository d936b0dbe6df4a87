"""The FreshBooks account is not empty when the customer connects it, and it overlaps ServiceTitan's data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sandbox.context import SandboxContext
from sandbox.freshbooks.db import Table
from sandbox.freshbooks.testing import FreshBooksApi, SideDoor, authorize
from sandbox.seeding import seed_all
from sandbox.servicetitan import db as st_db
from sandbox.servicetitan.data import iter_records
from sandbox.testing import RunningSandbox


@pytest.fixture
def seeded(sandbox: RunningSandbox) -> tuple[FreshBooksApi, SideDoor, dict[str, Any]]:
    side = SideDoor(sandbox.fb_url)
    return FreshBooksApi(sandbox.fb_url, authorize(sandbox.fb_url)["access_token"]), side, side.preexisting()


def st_emails(sandbox: RunningSandbox) -> dict[str, set[int]]:
    """ServiceTitan's customer emails (lower case) and the customers having each."""
    emails: dict[str, set[int]] = {}
    for contact in iter_records(sandbox.ctx.store, "contacts"):
        if contact["type"] == "Email":
            emails.setdefault(contact["value"].lower(), set()).add(contact["customerId"])
    return emails


def search_email(fb: FreshBooksApi, email: str, extra: str = "") -> list[dict[str, Any]]:
    return fb.list("users/clients", "clients", f"search[email]={email.replace('+', '%2B')}{extra}")


def test_clients_overlap_servicetitan_customers(sandbox: RunningSandbox, seeded: Any) -> None:
    _, side, _ = seeded
    emails = st_emails(sandbox)
    clients = side.records("clients")
    matching = [c for c in clients if c["email"] in emails]
    assert len(matching) >= 5
    assert any(c["email"] and c["email"].lower() not in emails for c in clients)  # clients ServiceTitan lacks


def test_two_clients_share_one_customer_email(sandbox: RunningSandbox, seeded: Any) -> None:
    fb, _, pre = seeded
    shared = pre["cases"]["shared_email"]
    assert shared["email"].lower() in st_emails(sandbox)
    assert sorted(c["id"] for c in search_email(fb, shared["email"])) == shared["client_ids"]


def test_a_deleted_client_has_a_customer_email(sandbox: RunningSandbox, seeded: Any) -> None:
    fb, side, pre = seeded
    deleted = pre["cases"]["deleted_client"]
    assert deleted["email"].lower() in st_emails(sandbox)
    assert search_email(fb, deleted["email"]) == []
    assert [c["id"] for c in search_email(fb, deleted["email"], "&search[vis_state]=1")] == [deleted["client_id"]]
    assert side.record("clients", deleted["client_id"])["vis_state"] == 1


def test_a_client_email_with_plus_and_one_differing_in_case(sandbox: RunningSandbox, seeded: Any) -> None:
    fb, _, pre = seeded
    plus = pre["cases"]["plus_email_client"]
    assert "+" in plus["email"]
    assert [c["id"] for c in search_email(fb, plus["email"])] == [plus["client_id"]]
    unencoded = fb.list("users/clients", "clients", f"search[email]={plus['email']}")
    assert plus["client_id"] not in [c["id"] for c in unencoded]
    assert (plus["email"].lower() in st_emails(sandbox)) == plus["matches_st_customer"]

    variant = pre["cases"]["case_variant_client"]
    assert variant["email"] != variant["st_email"] and variant["email"].lower() == variant["st_email"]
    assert variant["client_id"] in [c["id"] for c in search_email(fb, variant["st_email"])]


def test_items_match_pricebook_codes_and_one_only_by_name(sandbox: RunningSandbox, seeded: Any) -> None:
    fb, side, pre = seeded
    pricebook = {r["code"]: r for kind in ("materials", "services", "equipment")
                 for r in iter_records(sandbox.ctx.store, kind)}
    items = side.records("items")
    assert len([i for i in items if i["sku"] in pricebook]) >= 5
    assert any(i["sku"] not in pricebook for i in items)
    by_name = pre["cases"]["name_only_item"]
    assert by_name["name"] == pricebook[by_name["st_code"]]["displayName"]
    assert fb.list("items/items", "items", f"search[sku]={by_name['st_code']}") == []
    assert side.record("items", by_name["item_id"])["sku"] is None


def test_vendors_taxes_categories_and_accounts_exist(sandbox: RunningSandbox, seeded: Any) -> None:
    fb, side, _ = seeded
    st_vendor_names = {v["name"] for v in iter_records(sandbox.ctx.store, "vendors")}
    vendor_names = {v["vendor_name"] for v in side.records("bill_vendors")}
    assert len(vendor_names & st_vendor_names) >= 2
    assert vendor_names - st_vendor_names
    assert fb.list("taxes/taxes", "taxes")
    categories = fb.list("expenses/categories", "categories", "per_page=100")
    assert any(c["parentid"] for c in categories)
    accounts = fb.list("journal_entry_accounts/journal_entry_accounts", "journal_entry_accounts", "per_page=100")
    assert all(a["sub_accounts"] for a in accounts)


def test_preexisting_lists_every_seeded_object(seeded: Any) -> None:
    _, side, pre = seeded
    for resource, ids in pre["records"].items():
        assert sorted(r.get("id") or r.get("vendorid") for r in side.records(resource)) == ids


def test_the_seed_is_deterministic(tmp_path: Path) -> None:
    contexts = [SandboxContext.open(tmp_path / name, use_env=False) for name in ("a.db", "b.db")]
    try:
        snapshots = []
        for ctx in contexts:
            # servicetitan.db.ensure_schema remembers connections by id(), which a new connection can reuse.
            ctx.store.executescript(st_db.SCHEMA)
            seed_all(ctx, seed=7, invoices=60)
            snapshots.append({t: list(Table(ctx.store.conn, t).all()) for t in ("clients", "items", "bill_vendors")})
    finally:
        for ctx in contexts:
            ctx.store.close()
    assert snapshots[0] == snapshots[1]
