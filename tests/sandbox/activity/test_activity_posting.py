"""Simulated activity posts invoices as a batch-posting office does, and `paidOn` follows every balance.

Expectations come from the database (what was Pending before, when each invoice was created, what
payments and credit memos apply) and from the feeds and lists read over HTTP.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from activity_harness import modified, post_activity
from sandbox.servicetitan.data import iter_records
from sandbox.servicetitan.times import api_time, parse_time
from sandbox.store import Store
from sandbox.testing import RunningSandbox
from st_harness import StClient

DELAY = 3
DAYS = 6
LAST_SECOND = timedelta(seconds=1)
"""The day's batch is posted in its last second."""


def created(doc: dict[str, Any]) -> datetime:
    return parse_time(doc["createdOn"])


def invoices_by_id(store: Store) -> dict[int, dict[str, Any]]:
    return {doc["id"]: doc for doc in iter_records(store, "invoices")}


def pending(store: Store) -> dict[int, dict[str, Any]]:
    return {i: doc for i, doc in invoices_by_id(store).items() if doc["syncStatus"] == "Pending"}


def listed_ids(st: StClient, module: str, path: str, **params: Any) -> set[int]:
    ids: set[int] = set()
    for page in range(1, 1000):
        body = st.ok(module, path, {**params, "page": page, "pageSize": 500})
        ids |= {doc["id"] for doc in body["data"]}
        if not body["hasMore"]:
            return ids
    raise AssertionError("the list never ended")


def test_invoices_older_than_the_delay_are_posted_and_come_back_in_exports(sandbox: RunningSandbox,
                                                                           st: StClient) -> None:
    store = sandbox.ctx.store
    before = sandbox.ctx.clock.now()
    pending_before = pending(store)
    assert pending_before  # the seed leaves its latest invoices Pending
    _, tokens, _ = st.export_all("accounting", "/export/invoices")

    summary = post_activity(sandbox.st_url, {"days": DAYS, "post_after_days": DELAY})

    now = sandbox.ctx.clock.now()
    invoices = invoices_by_id(store)
    due = now - timedelta(days=DELAY)
    assert [i for i, doc in invoices.items() if doc["syncStatus"] == "Pending" and created(doc) < due] == []
    assert [doc for doc in invoices.values() if doc["syncStatus"] == "Pending" and created(doc) > before]  # recent ones
    posted = {i: doc for i, doc in invoices.items()
              if doc["syncStatus"] == "Posted" and (i in pending_before or created(doc) > before)}
    assert posted.keys() & pending_before.keys() and posted.keys() - pending_before.keys()  # seeded and new ones
    for doc in posted.values():  # posted days after it was invoiced: that moved its modifiedOn
        assert created(doc) + timedelta(days=DELAY) - LAST_SECOND <= modified(doc) <= now, doc["id"]
    assert summary["changes"]["invoices_posted"] == len(posted)

    # The invoices export resumed from its token saved before the activity returns every posting.
    feed, _, _ = st.export_all("accounting", "/export/invoices", **{"from": tokens[-1]})
    exported = {doc["id"]: doc for doc in feed}
    assert posted.keys() <= exported.keys()
    assert {exported[i]["syncStatus"] for i in posted} == {"Posted"}
    # And so does a list of the invoices modified since then.
    listed = listed_ids(st, "accounting", "/invoices", modifiedOnOrAfter=api_time(before), statuses="Posted",
                        activeState="All")
    assert posted.keys() <= listed


@pytest.mark.parametrize("post_after_days", [None, 0])
def test_posting_can_be_off_or_the_same_day(sandbox: RunningSandbox, post_after_days: int | None) -> None:
    store = sandbox.ctx.store
    before = sandbox.ctx.clock.now()
    pending_before = pending(store)

    summary = post_activity(sandbox.st_url, {"days": 2, "post_after_days": post_after_days})

    new = {i for i, doc in invoices_by_id(store).items() if created(doc) > before}
    assert new
    if post_after_days is None:  # nothing is posted: what was Pending and every new invoice stay Pending
        assert pending(store).keys() == pending_before.keys() | new
        assert "invoices_posted" not in summary["changes"]
    else:  # everything invoiced by a day's close is posted at it
        assert pending(store) == {}
        assert summary["changes"]["invoices_posted"] == len(pending_before) + len(new)


def latest_application_days(store: Store) -> dict[int, str]:
    """Per invoice, the day (UTC) of the latest active payment, refund or credit memo applied to it."""
    latest: dict[int, str] = {}
    for kind in ("payments", "credit_memos"):
        for doc in iter_records(store, kind):
            if doc["active"]:
                for application in doc["appliedTo"]:
                    day = str(application["appliedOn"])[:10]
                    latest[application["appliedTo"]] = max(latest.get(application["appliedTo"], day), day)
    return latest


def test_paid_on_agrees_with_the_balance_of_every_invoice_after_activity(sandbox: RunningSandbox) -> None:
    before = sandbox.ctx.clock.now()
    post_activity(sandbox.st_url, {"days": 4, "seed": 11})

    store = sandbox.ctx.store
    latest = latest_application_days(store)
    settled_later = 0
    for doc in iter_records(store, "invoices"):
        paid_off = Decimal(doc["balance"]) == 0 and Decimal(doc["total"]) != 0
        assert (doc["paidOn"] is not None) == paid_off, doc["id"]
        if paid_off:  # the day the last payment or credit settled it, written as the seed writes dates
            assert doc["paidOn"] == f"{latest[doc['id']]}T00:00:00Z", doc["id"]
            settled_later += parse_time(doc["paidOn"]) > before
    assert settled_later  # the activity paid invoices off
