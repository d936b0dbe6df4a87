"""After `POST /_sandbox/activity`, export feeds resumed from their saved tokens and `modifiedOnOrAfter` lists
return exactly what changed, as the database records it."""

from __future__ import annotations

from datetime import timedelta

from activity_harness import changed_since, feed_tails, modified, post_activity, resumed_feeds
from sandbox.servicetitan.data import iter_records
from sandbox.servicetitan.endpoints import EXPORTS
from sandbox.servicetitan.times import api_time, parse_time
from sandbox.testing import RunningSandbox
from st_harness import StClient, ap_rule_violations, validate

KINDS_THAT_MUST_CHANGE = ("customers", "contacts", "locations", "invoices", "invoice_items", "payments",
                          "inventory_bills")


def test_resumed_exports_return_exactly_what_changed(sandbox: RunningSandbox, st: StClient) -> None:
    before = sandbox.ctx.clock.now()
    tails = feed_tails(st)

    summary = post_activity(sandbox.st_url, {"days": 3})

    assert sandbox.ctx.clock.now() == before + timedelta(days=3)
    feeds = resumed_feeds(st, tails)
    store = sandbox.ctx.store
    for route in EXPORTS:
        expected = sorted(changed_since(store, route.kind, before), key=lambda d: (modified(d), d["id"]))
        got = [doc["id"] for doc in feeds[route.kind]]
        assert got == [doc["id"] for doc in expected], route.kind
        assert summary["records"].get(route.kind, 0) == len(expected), route.kind
    for kind in KINDS_THAT_MUST_CHANGE:
        assert feeds[kind], kind
    assert feeds["materials"] + feeds["services"] + feeds["equipment"]
    # Edits and voids of older invoices come back too, not only new ones.
    assert any(modified(doc) > before >= parse_time(doc["createdOn"]) for doc in feeds["invoices"])


def test_resumed_exports_match_the_official_schemas(sandbox: RunningSandbox, st: StClient) -> None:
    tails = feed_tails(st)
    post_activity(sandbox.st_url, {"days": 2})
    for route in EXPORTS:
        answer = st.get(route.module, route.path, {"from": tails[route.kind]})
        assert answer.status_code == 200, answer.text
        validate(route.module, answer)


def paged_ids(st: StClient, module: str, path: str, **params: object) -> list[int]:
    ids: list[int] = []
    for page in range(1, 1000):
        body = st.ok(module, path, {**params, "page": page, "pageSize": 7})
        ids += [doc["id"] for doc in body["data"]]
        if not body["hasMore"]:
            return ids
    raise AssertionError("the list never ended")


def test_modified_on_or_after_lists_return_the_changed_records(sandbox: RunningSandbox, st: StClient) -> None:
    before = sandbox.ctx.clock.now()
    post_activity(sandbox.st_url, {"days": 3})
    store = sandbox.ctx.store
    for module, path, kind in (("inventory", "/vendors", "vendors"), ("crm", "/customers", "customers"),
                               ("crm", "/locations", "locations"), ("pricebook", "/materials", "materials")):
        expected = sorted(doc["id"] for doc in changed_since(store, kind, before))
        got = paged_ids(st, module, path, modifiedOnOrAfter=api_time(before), active="Any")
        assert got == expected, kind
    vendors = changed_since(store, "vendors", before)
    assert vendors and all(parse_time(v["createdOn"]) <= before for v in vendors)
    customers = changed_since(store, "customers", before)
    old = [c for c in customers if parse_time(c["createdOn"]) <= before]
    assert old and len(old) < len(customers)  # changed customers and new ones


def test_accounts_payable_changes_appear_in_modified_on_or_after_reads(sandbox: RunningSandbox, st: StClient) -> None:
    """New AP bills, payments and credits, edited and canceled bills, voided payments: each list read from
    the time before the run returns exactly what changed, and the money rules still hold."""
    before = sandbox.ctx.clock.now()
    summary = post_activity(sandbox.st_url, {"days": 4, "seed": 11, "per_day": {
        "ap_bills": 2, "ap_payments": 3, "ap_credits": 1, "ap_edits": 1, "ap_voids": 1}})
    changes = summary["changes"]
    for kind in ("ap_bills_created", "ap_payments_created", "ap_credits_created", "ap_bills_edited"):
        assert changes.get(kind, 0) >= 1, (kind, changes)
    assert changes.get("ap_bills_canceled", 0) + changes.get("ap_payments_voided", 0) >= 1, changes
    store = sandbox.ctx.store
    for path, kind in (("/ap-bills", "ap_bills"), ("/ap-credits", "ap_credits"), ("/ap-payments", "ap_payments")):
        expected = sorted(doc["id"] for doc in changed_since(store, kind, before))
        assert expected, kind
        got = paged_ids(st, "accounting", path, modifiedOnOrAfter=api_time(before))
        assert got == expected, kind
    edited = [b for b in changed_since(store, "ap_bills", before) if parse_time(b["createdOn"]) <= before]
    voided = [p for p in changed_since(store, "ap_payments", before) if p["active"] is False]
    canceled = [b for b in changed_since(store, "ap_bills", before) if b["status"] == "Canceled"]
    assert edited or voided or canceled
    data = {kind: list(iter_records(store, kind))
            for kind in ("inventory_bills", "ap_bills", "ap_credits", "ap_payments")}
    assert ap_rule_violations(data) == []
