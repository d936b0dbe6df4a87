"""Paged lists: pages, totals, the page-size cap, filters and their defaults, sorting.

Expected sets come from the simulator's own records (`iter_records`), never from the list code.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sandbox.servicetitan.data import iter_records
from sandbox.servicetitan.times import parse_time
from sandbox.testing import RunningSandbox
from st_harness import StClient


def records(sandbox: RunningSandbox, kind: str) -> list[dict[str, Any]]:
    return list(iter_records(sandbox.ctx.store, kind))


def walk(st: StClient, module: str, path: str, **params: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every row of a list, page by page: (rows, envelopes without data)."""
    rows: list[dict[str, Any]] = []
    pages: list[dict[str, Any]] = []
    for page in range(1, 1000):
        body = st.ok(module, path, {**params, "page": page})
        rows.extend(body.pop("data"))
        pages.append(body)
        if not body["hasMore"]:
            return rows, pages
    raise AssertionError("hasMore never became false")


def test_pages_cover_every_active_customer_once(sandbox: RunningSandbox, st: StClient) -> None:
    rows, pages = walk(st, "crm", "/customers", pageSize=7)
    ids = [row["id"] for row in rows]
    assert len(ids) == len(set(ids))
    assert set(ids) == {c["id"] for c in records(sandbox, "customers") if c["active"]}
    assert all(p["pageSize"] == 7 and p["totalCount"] is None for p in pages)
    assert [p["hasMore"] for p in pages] == [True] * (len(pages) - 1) + [False]
    assert len(pages) == -(-len(ids) // 7)


def test_total_count_only_when_asked(sandbox: RunningSandbox, st: StClient) -> None:
    expected = sum(1 for c in records(sandbox, "customers") if c["active"])
    assert st.ok("crm", "/customers", {"includeTotal": "true", "pageSize": 5})["totalCount"] == expected
    assert st.ok("crm", "/customers", {"includeTotal": "false"})["totalCount"] is None


def test_default_page_size_is_50(st: StClient) -> None:
    body = st.ok("accounting", "/invoices")
    assert body["pageSize"] == 50
    assert len(body["data"]) == 50
    assert body["hasMore"] is True


def test_page_size_is_clamped_to_the_maximum(sandbox: RunningSandbox, st: StClient) -> None:
    sandbox.ctx.st.max_page_size = 10
    body = st.ok("accounting", "/invoices", {"pageSize": 500})
    assert body["pageSize"] == 10
    assert len(body["data"]) == 10
    assert body["hasMore"] is True


def test_oversized_page_size_can_be_refused_instead(sandbox: RunningSandbox, st: StClient) -> None:
    sandbox.ctx.st.max_page_size = 10
    sandbox.ctx.st.oversized_page_size = "error"
    answer = st.get("accounting", "/invoices", {"pageSize": 11})
    assert answer.status_code == 400
    assert "pageSize" in answer.json()["errors"]
    assert st.get("accounting", "/invoices", {"pageSize": 10}).status_code == 200


def test_a_page_past_the_end_is_empty(st: StClient) -> None:
    body = st.ok("pricebook", "/services", {"page": 999})
    assert body["data"] == []
    assert body["hasMore"] is False


@pytest.mark.parametrize(("value", "wanted"), [(None, {True}), ("True", {True}), ("False", {False}),
                                               ("Any", {True, False}), ("any", {True, False})])
def test_active_filter_and_its_default(sandbox: RunningSandbox, st: StClient, value: str | None,
                                       wanted: set[bool]) -> None:
    params = {"pageSize": 1000} | ({"active": value} if value else {})
    got = {row["id"] for row in st.ok("pricebook", "/materials", params)["data"]}
    assert got == {m["id"] for m in records(sandbox, "materials") if m["active"] in wanted}


@pytest.mark.parametrize(("value", "wanted"), [(None, {True}), ("ActiveOnly", {True}), ("InactiveOnly", {False}),
                                               ("All", {True, False})])
def test_active_state_filter_on_invoices(sandbox: RunningSandbox, st: StClient, value: str | None,
                                         wanted: set[bool]) -> None:
    params = {"pageSize": 1000} | ({"activeState": value} if value else {})
    got = {row["id"] for row in st.ok("accounting", "/invoices", params)["data"]}
    expected = {i["id"] for i in records(sandbox, "invoices") if i["active"] in wanted}
    assert got == expected
    assert expected


def test_modified_bounds_are_inclusive_then_exclusive(sandbox: RunningSandbox, st: StClient) -> None:
    customers = records(sandbox, "customers")
    pivot = sorted(parse_time(c["modifiedOn"]) for c in customers)[len(customers) // 2]
    bound = pivot.isoformat().replace("+00:00", "Z")
    after = {r["id"] for r in st.ok("crm", "/customers", {"active": "Any", "pageSize": 1000,
                                                            "modifiedOnOrAfter": bound})["data"]}
    before = {r["id"] for r in st.ok("crm", "/customers", {"active": "Any", "pageSize": 1000,
                                                             "modifiedBefore": bound})["data"]}
    assert after == {c["id"] for c in customers if parse_time(c["modifiedOn"]) >= pivot}
    assert before == {c["id"] for c in customers if parse_time(c["modifiedOn"]) < pivot}
    assert any(parse_time(c["modifiedOn"]) == pivot for c in customers if c["id"] in after)


def test_created_bounds(sandbox: RunningSandbox, st: StClient) -> None:
    invoices = records(sandbox, "invoices")
    start = parse_time(invoices[0]["createdOn"]) - timedelta(days=60)
    end = start + timedelta(days=120)
    got = {r["id"] for r in st.ok("accounting", "/invoices", {
        "activeState": "All", "pageSize": 1000, "createdOnOrAfter": start.date().isoformat(),
        "createdBefore": end.isoformat()})["data"]}
    start_of_day = start.replace(hour=0, minute=0, second=0, microsecond=0)
    assert got == {i["id"] for i in invoices if start_of_day <= parse_time(i["createdOn"]) < end}


def test_ids_filter_comma_separated_or_repeated(sandbox: RunningSandbox, st: StClient) -> None:
    vendors = [v["id"] for v in records(sandbox, "vendors")][:3]
    comma = st.ok("inventory", "/vendors", {"ids": ",".join(map(str, vendors)), "active": "Any"})
    repeated = st.ok("inventory", "/vendors", [("ids", v) for v in vendors] + [("active", "Any")])
    assert {r["id"] for r in comma["data"]} == set(vendors) == {r["id"] for r in repeated["data"]}


def test_sort_by_modified_on_descending_and_by_code(st: StClient) -> None:
    rows = st.ok("crm", "/customers", {"sort": "-ModifiedOn", "pageSize": 1000})["data"]
    stamps = [parse_time(r["modifiedOn"]) for r in rows]
    assert stamps == sorted(stamps, reverse=True)
    codes = [r["code"] for r in st.ok("pricebook", "/materials", {"sort": "+Code", "pageSize": 1000})["data"]]
    assert codes == sorted(codes)
    raw_plus = st.session.get(st.url("pricebook", "/materials") + "?sort=+Code&pageSize=1000", timeout=10).json()
    assert [r["code"] for r in raw_plus["data"]] == codes


def test_unsupported_sort_and_bad_values_are_400(st: StClient) -> None:
    answer = st.get("crm", "/customers", {"sort": "+Name"})
    assert answer.status_code == 400
    assert "sort" in answer.json()["errors"]
    assert st.get("crm", "/customers", {"page": "zero"}).status_code == 400


def test_unknown_parameters_are_ignored(st: StClient) -> None:
    plain = st.ok("crm", "/customers", {"pageSize": 10})
    assert st.ok("crm", "/customers", {"pageSize": 10, "colour": "blue", "active_state": "x"}) == plain


def test_invoices_of_one_customer(sandbox: RunningSandbox, st: StClient) -> None:
    invoices = records(sandbox, "invoices")
    customer_id = invoices[0]["customer"]["id"]
    got = {r["id"] for r in st.ok("accounting", "/invoices", {"customerId": customer_id, "activeState": "All",
                                                             "pageSize": 1000})["data"]}
    assert got == {i["id"] for i in invoices if i["customer"]["id"] == customer_id}


def test_payments_applied_to_an_invoice(sandbox: RunningSandbox, st: StClient) -> None:
    payments = records(sandbox, "payments")
    target = next(p for p in payments if len(p["appliedTo"]) >= 2)["appliedTo"][1]["appliedTo"]
    got = {r["id"] for r in st.ok("accounting", "/payments", {"appliedToInvoiceIds": target,
                                                             "activeState": "All"})["data"]}
    assert got == {p["id"] for p in payments if any(a["appliedTo"] == target for a in p["appliedTo"])}


def test_contacts_of_one_customer(sandbox: RunningSandbox, st: StClient) -> None:
    contacts = records(sandbox, "contacts")
    customer_id = next(c["customerId"] for c in contacts if c["type"] == "Email")
    rows = st.ok("crm", f"/customers/{customer_id}/contacts")["data"]
    assert {r["id"] for r in rows} == {c["id"] for c in contacts if c["customerId"] == customer_id and c["active"]}
    assert all("customerId" not in r and "active" not in r for r in rows)


def test_bulk_contacts_need_customers_or_a_modified_bound(sandbox: RunningSandbox, st: StClient) -> None:
    answer = st.get("crm", "/customers/contacts")
    assert answer.status_code == 400
    contacts = records(sandbox, "contacts")
    some = sorted({c["customerId"] for c in contacts})[:4]
    rows = st.ok("crm", "/customers/contacts", {"customerIds": ",".join(map(str, some)), "pageSize": 1000})["data"]
    assert {r["id"] for r in rows} == {c["id"] for c in contacts if c["customerId"] in some and c["active"]}
    assert all("customerId" in r and "active" not in r for r in rows)


def test_inventory_bills_plain_list_is_a_bare_array(sandbox: RunningSandbox, st: StClient) -> None:
    bare = st.ok("accounting", "/inventory-bills", {"pageSize": 10})
    paginated = st.ok("accounting", "/inventory-bills/paginated", {"pageSize": 10})
    assert isinstance(bare, list)
    assert [b["id"] for b in bare] == [b["id"] for b in paginated["data"]]
    assert paginated["hasMore"] is True
