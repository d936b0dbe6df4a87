"""Every implemented operation answers in the shape of the official OpenAPI spec (validated with openapi-core).

Lists are read with a page size covering the whole seed and inactive rows included, so every seeded
case (voids, refunds, adjustments, $0 invoices, null modifiedOn on bills, ...) passes through the schemas.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests
from openapi_core.testing import MockRequest, MockResponse
from openapi_core.validation.response.exceptions import InvalidData
from st_harness import TENANT, StClient, openapi, validate

EVERYTHING = {"pageSize": 1000, "active": "Any", "activeState": "All"}

READS = [
    ("crm", "/customers", EVERYTHING),
    ("crm", "/customers/contacts", {"modifiedOnOrAfter": "2000-01-01", "pageSize": 1000}),
    ("crm", "/export/customers", {}),
    ("crm", "/export/customers/contacts", {}),
    ("crm", "/locations", EVERYTHING),
    ("crm", "/export/locations", {}),
    ("pricebook", "/materials", EVERYTHING),
    ("pricebook", "/export/materials", {}),
    ("pricebook", "/services", EVERYTHING),
    ("pricebook", "/export/services", {}),
    ("pricebook", "/equipment", EVERYTHING),
    ("pricebook", "/export/equipment", {}),
    ("inventory", "/vendors", EVERYTHING),
    ("accounting", "/invoices", EVERYTHING),
    ("accounting", "/export/invoices", {}),
    ("accounting", "/export/invoice-items", {}),
    ("accounting", "/payments", EVERYTHING),
    ("accounting", "/export/payments", {}),
    ("accounting", "/credit-memos", EVERYTHING),
    ("accounting", "/inventory-bills", EVERYTHING),
    ("accounting", "/inventory-bills/paginated", EVERYTHING),
    ("accounting", "/export/inventory-bills", {}),
    ("accounting", "/payment-types", EVERYTHING),
    ("accounting", "/gl-accounts", EVERYTHING),
    ("accounting", "/tax-zones", EVERYTHING),
    ("accounting", "/ap-bills", {"pageSize": 1000}),
    ("accounting", "/ap-credits", {"pageSize": 1000}),
    ("accounting", "/ap-payments", {"pageSize": 1000}),
]


@pytest.mark.parametrize(("module", "path", "params"), READS, ids=[f"{m}{p}" for m, p, _ in READS])
def test_read_matches_the_official_schema(st: StClient, module: str, path: str, params: dict) -> None:
    answer = st.get(module, path, params)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    rows = body if isinstance(body, list) else body["data"]
    assert rows, f"{path} returned no rows to validate"
    validate(module, answer)


SINGLE = [
    ("crm", "/customers", "/customers/{id}"),
    ("crm", "/customers", "/customers/{id}/contacts"),
    ("crm", "/locations", "/locations/{id}"),
    ("pricebook", "/materials", "/materials/{id}"),
    ("pricebook", "/services", "/services/{id}"),
    ("pricebook", "/equipment", "/equipment/{id}"),
    ("inventory", "/vendors", "/vendors/{id}"),
    ("accounting", "/payment-types", "/payment-types/{id}"),
    ("accounting", "/gl-accounts", "/gl-accounts/{id}"),
    ("accounting", "/ap-bills", "/ap-bills/{id}"),
]


@pytest.mark.parametrize(("module", "list_path", "path"), SINGLE, ids=[p for _, _, p in SINGLE])
def test_single_record_reads_match_the_schema(st: StClient, module: str, list_path: str, path: str) -> None:
    first = st.ok(module, list_path)["data"][0]
    answer = st.get(module, path.format(id=first["id"]))
    assert answer.status_code == 200, answer.text
    validate(module, answer)


def test_mark_as_exported_matches_the_schema(st: StClient) -> None:
    invoice = st.ok("accounting", "/invoices")["data"][0]
    answer = st.session.post(st.url("accounting", "/invoices/markasexported"), timeout=10,
                             json=[{"invoiceId": invoice["id"], "externalId": "QB-1"}, {"invoiceId": 1}])
    assert answer.status_code == 200, answer.text
    validate("accounting", answer)


AP_MARKS = [
    ("/ap-bills", lambda i: {"billIds": [i, 1]}),
    ("/ap-credits", lambda i: [{"apCreditId": i}, {"apCreditId": 1}]),
    ("/ap-payments", lambda i: [{"apPaymentId": i, "externalId": "QB-1", "externalMessage": "ok"}]),
]


@pytest.mark.parametrize(("path", "body"), AP_MARKS, ids=[p for p, _ in AP_MARKS])
def test_ap_mark_as_exported_matches_the_schema(st: StClient, path: str, body: Any) -> None:
    first = st.ok("accounting", path)["data"][0]
    answer = st.session.post(st.url("accounting", f"{path}/markasexported"), timeout=10, json=body(first["id"]))
    assert answer.status_code == 200, answer.text
    validate("accounting", answer)


def test_validation_errors_match_the_error_schema(st: StClient) -> None:
    answer = st.get("crm", "/customers", {"active": "Sometimes", "modifiedOnOrAfter": "yesterday"})
    assert answer.status_code == 400
    body = answer.json()
    assert set(body["errors"]) == {"active", "modifiedOnOrAfter"}
    validate("crm", answer)


def test_missing_record_is_a_404_problem(st: StClient) -> None:
    answer = st.get("crm", "/customers/1/contacts")
    assert answer.status_code == 404
    assert answer.json()["status"] == 404
    validate("crm", answer)


def test_the_validator_rejects_a_response_that_breaks_the_schema(st: StClient) -> None:
    """Guards the tests above: a customer whose balance is a string (as accounting money is) must fail."""
    body = st.ok("crm", "/customers", {"pageSize": 1})
    body["data"][0]["balance"] = "12.50"
    request = MockRequest("http://localhost", "get", f"/crm/v2/tenant/{TENANT}/customers")
    response = MockResponse(requests.models.complexjson.dumps(body).encode(), content_type="application/json")
    with pytest.raises(InvalidData) as caught:
        openapi("crm").validate_response(request, response)
    assert "'12.50' is not of type 'number'" in repr(caught.value.__cause__ or caught.value)
