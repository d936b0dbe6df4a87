"""Customers with their contacts folded in (`email`, `emails`, `phone`), against a scripted server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tap_fake_server import FakeServiceTitan, export_page, list_page
from tap_harness import run_tap

T0 = "2026-01-01T00:00:00Z"
T1 = "2026-03-01T00:00:00Z"


def customer(cid: int, modified: str = T0, active: bool = True) -> dict:
    return {"id": cid, "name": f"Customer {cid}", "active": active, "balance": 12.5, "modifiedOn": modified}


def contact(contact_id: int, customer_id: int, kind: str, value: str, *, active: bool = True,
            modified: str = T0, listed: bool = False) -> dict:
    row = {"id": contact_id, "customerId": customer_id, "type": kind, "value": value, "memo": None,
           "modifiedOn": modified, "createdOn": T0}
    if not listed:  # export rows carry `active`; list rows do not
        row["active"] = active
    return row


@pytest.fixture
def fake() -> Iterator[FakeServiceTitan]:
    server = FakeServiceTitan().start()
    yield server
    server.stop()


def paths(fake: FakeServiceTitan) -> dict[str, str]:
    return {
        "customers": fake.path("crm", "export/customers"),
        "contacts": fake.path("crm", "export/customers/contacts"),
        "lookup": fake.path("crm", "customers"),
        "contacts_lookup": fake.path("crm", "customers/contacts"),
    }


def test_first_run_folds_every_contact_without_lookups(fake: FakeServiceTitan) -> None:
    p = paths(fake)
    fake.script(
        p["contacts"],
        (200, {}, export_page([
            contact(11, 1, "Email", "second@example.com"),
            contact(10, 1, "Email", "old@example.com", active=False),
            contact(12, 1, "Phone", "555-0101"),
            contact(8, 1, "Fax", "555-0199"),
            contact(9, 2, "MobilePhone", "555-0202"),
            contact(15, 2, "Email", "b2@example.com"),
            contact(13, 2, "Email", "b1@example.com"),
        ], token="k1", has_more=True)),
        (200, {}, export_page([contact(7, 1, "Email", "first@example.com", modified=T1)], token="k2")),
    )
    fake.script(p["customers"], (200, {}, export_page([customer(1), customer(2), customer(3, active=False)], "c1")))

    run = run_tap(fake.config(), streams=["customers"])

    fields = {r["id"]: (r["email"], r["emails"], r["phone"], r["active"]) for r in run.records("customers")}
    assert fields == {
        1: ("first@example.com", ["first@example.com", "second@example.com"], "555-0101", True),
        2: ("b1@example.com", ["b1@example.com", "b2@example.com"], "555-0202", True),
        3: (None, [], None, False),
    }
    assert fake.api_calls(p["lookup"]) == [] and fake.api_calls(p["contacts_lookup"]) == []
    assert run.final_state["bookmarks"]["customers"] == {"continueFrom": "c1", "contactsContinueFrom": "k2"}


def test_later_runs_re_emit_customers_whose_contacts_changed(fake: FakeServiceTitan) -> None:
    p = paths(fake)
    # Since the last run: customer 7 changed; a contact of customer 1 was deactivated; customer 5 got an email.
    fake.script(p["contacts"], (200, {}, export_page([
        contact(11, 1, "Email", "second@example.com", active=False, modified=T1),
        contact(40, 5, "Email", "new@example.com", modified=T1),
    ], token="k3")))
    fake.script(p["customers"], (200, {}, export_page([customer(7, modified=T1)], token="c2")))
    fake.script(
        p["contacts_lookup"],
        (200, {}, list_page([contact(70, 7, "Phone", "555-0707", listed=True)])),
        (200, {}, list_page([
            contact(11, 1, "Email", "second@example.com", listed=True),  # the list does not say it is inactive
            contact(12, 1, "Phone", "555-0101", listed=True),
            contact(40, 5, "Email", "new@example.com", modified=T1, listed=True),
            contact(41, 5, "Email", "z@example.com", listed=True),
        ])),
    )
    fake.script(p["lookup"], (200, {}, list_page([customer(1), customer(5, active=False)])))
    state = {"bookmarks": {"customers": {"continueFrom": "c1", "contactsContinueFrom": "k2"}}}

    run = run_tap(fake.config(), state=state, streams=["customers"])

    fields = {r["id"]: (r["email"], r["emails"], r["phone"], r["active"]) for r in run.records("customers")}
    assert fields == {
        7: (None, [], "555-0707", True),
        1: (None, [], "555-0101", True),
        5: ("new@example.com", ["new@example.com", "z@example.com"], None, False),
    }
    assert fake.api_calls(p["contacts"])[0].query["from"] == ["k2"]
    assert fake.api_calls(p["customers"])[0].query["from"] == ["c1"]
    assert [c.query["customerIds"] for c in fake.api_calls(p["contacts_lookup"])] == [["7"], ["1,5"]]
    assert fake.api_calls(p["lookup"])[0].query["ids"] == ["1,5"]
    assert fake.api_calls(p["lookup"])[0].query["active"] == ["Any"]
    assert run.final_state["bookmarks"]["customers"] == {"continueFrom": "c2", "contactsContinueFrom": "k3"}


def test_the_contacts_token_waits_until_re_emitted_customers_are_out(fake: FakeServiceTitan) -> None:
    """A run that dies before re-emitting contact-changed customers must read those changes again."""
    p = paths(fake)
    fake.script(p["contacts"], (200, {}, export_page([contact(40, 5, "Email", "new@example.com", modified=T1)], "k3")))
    fake.script(p["customers"], (200, {}, export_page([customer(7, modified=T1)], token="c2")))
    fake.defaults[p["lookup"]] = (400, {}, {"title": "bad ids", "traceId": "t", "status": 400})
    state = {"bookmarks": {"customers": {"continueFrom": "c1", "contactsContinueFrom": "k2"}}}

    run = run_tap(fake.config(), state=state, streams=["customers"], expect_error=True)

    assert run.states[-1]["bookmarks"]["customers"] == {"continueFrom": "c2", "contactsContinueFrom": "k2"}
