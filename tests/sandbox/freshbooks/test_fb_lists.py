"""List calls: paging rules, `search[...]` filters and their encodings, vis_state, envelopes, errors."""

from __future__ import annotations

from typing import Any

import pytest
from sandbox.freshbooks.testing import FreshBooksApi, SideDoor
from sandbox.testing import RunningSandbox

CLIENTS = "users/clients"


@pytest.fixture
def seven_clients(side: SideDoor) -> list[int]:
    return [side.create("clients", {"organization": f"Client {n}", "email": f"c{n}@example.com"})["id"]
            for n in range(7)]


def page(fb: FreshBooksApi, query: str) -> dict[str, Any]:
    return fb.result(fb.get(f"{CLIENTS}?{query}"))


def test_envelope_and_paging(fb: FreshBooksApi, seven_clients: list[int]) -> None:
    first = page(fb, "page=1&per_page=3")
    assert {k: first[k] for k in ("page", "pages", "per_page", "total")} == {"page": 1, "pages": 3, "per_page": 3,
                                                                              "total": 7}
    collected = [c["id"] for p in (1, 2, 3) for c in page(fb, f"page={p}&per_page=3")["clients"]]
    assert collected == seven_clients
    past_end = page(fb, "page=4&per_page=3")
    assert (past_end["clients"], past_end["total"]) == ([], 7)
    assert page(fb, "page=0&per_page=3")["clients"] == first["clients"]


def test_per_page_is_capped_at_100_and_defaults_to_15(fb: FreshBooksApi, seven_clients: list[int]) -> None:
    assert page(fb, "per_page=150")["per_page"] == 100
    assert page(fb, "")["per_page"] == 15


@pytest.mark.parametrize(("query", "errno", "field"), [
    ("per_page=0", 1013, "per_page"), ("per_page=abc", 1013, "per_page"), ("per_page=-5", 1013, "per_page"),
    ("page=-1", 1014, "page"), ("page=two", 1014, "page"),
])
def test_bad_paging_values_are_refused(fb: FreshBooksApi, query: str, errno: int, field: str) -> None:
    response = fb.get(f"{CLIENTS}?{query}")
    assert response.status_code == 422
    error = response.json()["response"]["errors"][0]
    assert (error["errno"], error["field"]) == (errno, field)


def test_empty_list(fb: FreshBooksApi) -> None:
    assert page(fb, "") == {"clients": [], "page": 1, "pages": 0, "per_page": 15, "total": 0}


def test_brackets_literal_or_encoded_and_plus_decoding(fb: FreshBooksApi, make_client: Any) -> None:
    plus = make_client(email="jo+billing@example.com")
    make_client(email="jo billing@example.com".replace(" ", "."))
    for query in ("search[email]=jo%2Bbilling@example.com", "search%5Bemail%5D=jo%2Bbilling%40example.com"):
        assert [c["id"] for c in page(fb, query)["clients"]] == [plus["id"]]
    # An unencoded "+" decodes to a space, as in any form-encoded query string: nothing matches.
    assert page(fb, "search[email]=jo+billing@example.com")["clients"] == []


def test_email_search_ignores_case_unless_configured(fb: FreshBooksApi, empty_sandbox: RunningSandbox,
                                                     make_client: Any) -> None:
    client = make_client(email="Mixed.Case@Example.com")
    assert [c["id"] for c in page(fb, "search[email]=mixed.case@example.com")["clients"]] == [client["id"]]
    empty_sandbox.ctx.fb.email_search_case_sensitive = True
    assert page(fb, "search[email]=mixed.case@example.com")["clients"] == []


def test_in_like_and_range_filters(fb: FreshBooksApi, side: SideDoor) -> None:
    items = [side.create("items", {"name": name, "sku": sku, "description": description,
                                   "unit_cost": {"amount": cost, "code": "USD"}})["id"]
             for name, sku, description, cost in [("Pipe", "P-1", "Copper pipe", "3.20"),
                                                  ("Valve", "V-1", "Brass valve", "14.00"),
                                                  ("Heater", "H-1", "Gas water heater", "1195.00")]]
    ids = lambda query: [i["id"] for i in fb.list("items/items", "items", query)]  # noqa: E731
    assert ids(f"search[itemids][]={items[0]}&search[itemids][]={items[2]}") == [items[0], items[2]]
    assert ids("search[description]=VALVE") == [items[1]]
    assert ids("search[unit_cost_min]=10&search[unit_cost_max]=1195") == [items[1]]  # _max is exclusive
    assert ids("search[sku]=H-1") == [items[2]]
    assert ids("search[name]=Pipe") == items  # items have no name filter: ignored, as FreshBooks does


def test_unknown_filters_can_be_refused(fb: FreshBooksApi, empty_sandbox: RunningSandbox) -> None:
    empty_sandbox.ctx.fb.unknown_filters = "error"
    response = fb.get("items/items?search[name]=Pipe")
    assert response.status_code == 422
    assert response.json()["response"]["errors"][0]["field"] == "search[name]"


def test_lists_hide_deleted_but_show_archived(fb: FreshBooksApi, seven_clients: list[int]) -> None:
    fb.update(CLIENTS, "client", seven_clients[0], {"vis_state": 1})
    fb.update(CLIENTS, "client", seven_clients[1], {"vis_state": 2})
    listed = [c["id"] for c in fb.list(CLIENTS, "clients", "per_page=100")]
    assert listed == seven_clients[1:]
    assert [c["id"] for c in fb.list(CLIENTS, "clients", "search[vis_state]=1")] == [seven_clients[0]]
    assert [c["id"] for c in fb.list(CLIENTS, "clients", "search[vis_state]=2")] == [seven_clients[1]]


def test_unknown_ids_accounts_and_resources(fb: FreshBooksApi, empty_sandbox: RunningSandbox) -> None:
    for path, field, message in [("users/clients/123", "userid", "Client not found."),
                                 ("invoices/invoices/123", "invoiceid", "Invoice not found."),
                                 ("items/items/abc", "itemid", "Item not found.")]:
        response = fb.get(path)
        assert response.status_code == 404
        error = response.json()["response"]["errors"][0]
        assert (error["errno"], error["field"], error["message"]) == (1012, field, message)
    other_account = FreshBooksApi(empty_sandbox.fb_url, "unused", account_id="NGS4Q1")
    other_account.session.headers.update(fb.session.headers)
    assert other_account.get("users/clients").status_code == 403
    assert fb.get("no_such/resource").status_code == 404


def test_bad_json_body_is_a_parse_error(fb: FreshBooksApi) -> None:
    response = fb.session.post(fb.url(CLIENTS), data=b"{not json", headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["response"]["errors"][0]["errno"] == 1005


def test_sort(fb: FreshBooksApi, side: SideDoor) -> None:
    for name in ("Bravo", "Alpha", "Charlie"):
        side.create("clients", {"organization": name})
    names = [c["organization"] for c in fb.list(CLIENTS, "clients", "sort=organization_desc")]
    assert names == ["Charlie", "Bravo", "Alpha"]
