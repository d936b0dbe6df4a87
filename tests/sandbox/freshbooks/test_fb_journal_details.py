"""`journal_entries/journal_entry_details`: the simulator's read-only list of every journal entry detail."""

from __future__ import annotations

from typing import Any

import pytest
from sandbox.freshbooks.testing import FreshBooksApi, SideDoor

DETAILS = "journal_entries/journal_entry_details"


@pytest.fixture
def subs(side: SideDoor) -> dict[str, int]:
    def account(name: str, number: str, kind: str, sub_id: int) -> int:
        side.create("journal_entry_accounts", {"account_name": name, "account_number": number, "account_type": kind,
                                               "sub_accounts": [{"id": sub_id, "sub_accountid": sub_id,
                                                                 "account_sub_name": name,
                                                                 "account_sub_number": f"{number}-1",
                                                                 "balance": "0.00"}]})
        return sub_id
    return {"ar": account("Accounts Receivable", "1200", "asset", 2260101),
            "revenue": account("Service Revenue", "4000", "income", 2260102)}


def post(fb: FreshBooksApi, subs: dict[str, int], day: str, amount: str, marker: str) -> dict[str, Any]:
    return fb.create("journal_entries/journal_entries", "journal_entry", {
        "name": f"Invoice {marker}", "description": f"Invoice [{marker}]", "currency_code": "USD",
        "user_entered_date": day,
        "details": [{"sub_accountid": subs["ar"], "debit": amount, "description": f"AR [{marker}]"},
                    {"sub_accountid": subs["revenue"], "credit": amount}]})


def test_details_list_every_detail_with_its_entry(fb: FreshBooksApi, subs: dict[str, int]) -> None:
    first = post(fb, subs, "2026-03-01", "100.00", "k#1")
    second = post(fb, subs, "2026-04-15", "40.5", "k#2")
    rows = fb.list(DETAILS, "journal_entry_details")
    assert [(r["entry"]["entryid"], r["sub_account"]["sub_accountid"], r["debit"]["amount"], r["credit"]["amount"])
            for r in rows] == [(first["id"], subs["ar"], "100.00", "0.00"), (first["id"], subs["revenue"], "0.00",
                                                                              "100.00"),
                               (second["id"], subs["ar"], "40.50", "0.00"), (second["id"], subs["revenue"], "0.00",
                                                                             "40.50")]
    assert rows[0]["description"] == "AR [k#1]"  # the detail's own description
    assert rows[1]["description"] == "Invoice [k#1]"  # none of its own: the entry's
    assert rows[0]["name"] == "Invoice k#1"
    assert rows[0]["user_entered_date"] == "2026-03-01"
    assert rows[0]["account"]["account_number"] == "1200"
    assert rows[0]["sub_account"]["account_sub_number"] == "1200-1"
    assert rows[0]["debit"]["code"] == "USD" and rows[0]["balance"]["amount"] == "100.00"
    assert rows[0]["entry"]["clientid"] is None and rows[0]["detailid"] == rows[0]["id"]


def test_details_filters_and_paging(fb: FreshBooksApi, subs: dict[str, int]) -> None:
    first = post(fb, subs, "2026-03-01", "100.00", "k#1")
    post(fb, subs, "2026-04-15", "40.50", "k#2")
    by_sub = fb.list(DETAILS, "journal_entry_details", f"search[sub_accountid]={subs['revenue']}")
    assert [r["credit"]["amount"] for r in by_sub] == ["100.00", "40.50"]
    in_april = fb.list(DETAILS, "journal_entry_details", "search[start_date]=2026-04-01&search[end_date]=2026-04-30")
    assert {r["user_entered_date"] for r in in_april} == {"2026-04-15"}
    by_entry = fb.list(DETAILS, "journal_entry_details", f"entryid={first['id']}")
    assert {r["entry"]["entryid"] for r in by_entry} == {first["id"]}
    page = fb.get(DETAILS, params={"per_page": "3", "page": "2"}).json()["response"]["result"]
    assert (page["total"], page["pages"], len(page["journal_entry_details"])) == (4, 2, 1)


def test_details_are_read_only(fb: FreshBooksApi, subs: dict[str, int]) -> None:
    assert fb.post(DETAILS, {"journal_entry_detail": {}}).status_code == 405
