"""FreshBooks' official Python SDK, unchanged, works against the simulator.

The SDK reads FRESHBOOKS_API_URL (API and token endpoint) and FRESHBOOKS_AUTH_URL (authorize page) when
a `Client` is created; both point at the simulator.
"""

from __future__ import annotations

import pytest
import requests
from freshbooks import Client, FilterBuilder, FreshBooksError, IncludesBuilder, PaginateBuilder
from freshbooks.models import VisState
from sandbox.freshbooks.testing import code_from_redirect
from sandbox.testing import RunningSandbox

from sandbox import credentials


@pytest.fixture
def sdk(empty_sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch) -> Client:
    monkeypatch.setenv("FRESHBOOKS_API_URL", empty_sandbox.fb_url)
    monkeypatch.setenv("FRESHBOOKS_AUTH_URL", empty_sandbox.fb_url)
    client = Client(client_id=credentials.FB_CLIENT_ID, client_secret=credentials.FB_CLIENT_SECRET,
                    redirect_uri=credentials.FB_REDIRECT_URI)
    authorize_url = client.get_auth_request_url()
    assert authorize_url.startswith(f"{empty_sandbox.fb_url}/oauth/authorize?")
    redirect = requests.get(authorize_url, allow_redirects=False, timeout=10)
    assert redirect.status_code == 302
    assert redirect.headers["location"].startswith(credentials.FB_REDIRECT_URI + "?")
    client.get_access_token(code_from_redirect(redirect.headers["location"]))
    return client


def owned_account(client: Client) -> str:
    identity = client.current_user()
    memberships = identity.data["business_memberships"]
    return next(m["business"]["account_id"] for m in memberships if m["role"] == "owner")


def test_consent_flow_identity_and_refresh(sdk: Client) -> None:
    first_access, first_refresh = sdk.access_token, sdk.refresh_token
    assert first_access and first_refresh and sdk.access_token_expires_at is not None

    identity = sdk.current_user()
    assert identity.data["email"] == credentials.FB_USER_EMAIL
    memberships = identity.data["business_memberships"]
    assert memberships[0]["role"] == "client"  # taking the first membership would be wrong
    assert memberships[0]["business"]["account_id"] != credentials.FB_ACCOUNT_ID
    assert owned_account(sdk) == credentials.FB_ACCOUNT_ID

    refreshed = sdk.refresh_access_token()
    assert refreshed.refresh_token != first_refresh
    assert refreshed.access_token != first_access
    assert sdk.current_user().data["email"] == credentials.FB_USER_EMAIL

    with pytest.raises(FreshBooksError) as spent:
        sdk.refresh_access_token(first_refresh)
    assert spent.value.status_code == 400
    assert "authorization grant is invalid" in str(spent.value)


def test_clients_create_search_update_delete(sdk: Client) -> None:
    account = owned_account(sdk)
    created = sdk.clients.create(account, {"fname": "Ada", "lname": "Byron", "email": "ada+books@example.com",
                                           "organization": "Analytical Engines"})
    assert created.userid == created.id
    assert created.vis_state == VisState.ACTIVE

    found = sdk.clients.list(account, builders=[FilterBuilder().equals("email", "ada%2Bbooks@example.com")])
    assert [c.id for c in found] == [created.id]
    assert found.pages.total == 1

    updated = sdk.clients.update(account, created.id, {"organization": "Engines Ltd"})
    assert updated.organization == "Engines Ltd"
    assert updated.fname == "Ada"  # a PUT changes only the keys it sends

    sdk.clients.delete(account, created.id)  # the SDK deletes clients with PUT vis_state=1
    assert sdk.clients.get(account, created.id).vis_state == VisState.DELETED
    assert sdk.clients.list(account).pages.total == 0


def test_items_invoices_and_payments(sdk: Client) -> None:
    account = owned_account(sdk)
    client = sdk.clients.create(account, {"organization": "Harbor Cafe"})
    item = sdk.items.create(account, {"name": "Water heater flush", "sku": "WH-FLUSH",
                                      "unit_cost": {"amount": "120.00", "code": "USD"}})
    assert [i.id for i in sdk.items.list(account, builders=[FilterBuilder().equals("sku", "WH-FLUSH")])] == [item.id]
    sdk.items.update(account, item.id, {"description": "Flush and inspect"})
    assert sdk.items.get(account, item.id).description == "Flush and inspect"

    lines = IncludesBuilder().include("lines")
    invoice = sdk.invoices.create(account, {
        "customerid": client.id, "create_date": "2026-10-01", "invoice_number": "ST-1001",
        "lines": [{"name": item.name, "qty": "2", "unit_cost": {"amount": "120.00", "code": "USD"},
                   "taxName1": "Sales", "taxAmount1": "10"}],
    }, includes=lines)
    assert invoice.amount.amount == "264.00"
    assert invoice.v3_status == "draft"
    assert invoice.data["lines"][0]["amount"]["amount"] == "240.00"

    sent = sdk.invoices.update(account, invoice.id, {"action_mark_as_sent": True})
    assert sent.v3_status == "sent"
    found = sdk.invoices.list(account, builders=[FilterBuilder().equals("invoice_number", "ST-1001"),
                                                 PaginateBuilder(1, 100)])
    assert [i.id for i in found] == [invoice.id]

    payment = sdk.payments.create(account, {"invoiceid": invoice.id, "amount": {"amount": "64.00"},
                                            "date": "2026-10-05", "type": "Check"})
    assert payment.logid == payment.id
    partial = sdk.invoices.get(account, invoice.id)
    assert (partial.outstanding.amount, partial.v3_status) == ("200.00", "partial")
    assert [p.id for p in sdk.payments.list(account, builders=[FilterBuilder().equals("invoiceid", invoice.id)])] \
        == [payment.id]
    sdk.payments.update(account, payment.id, {"amount": {"amount": "264.00"}})
    assert sdk.invoices.get(account, invoice.id).v3_status == "paid"

    sdk.payments.delete(account, payment.id)
    restored = sdk.invoices.get(account, invoice.id)
    assert (restored.outstanding.amount, restored.v3_status) == ("264.00", "sent")

    sdk.invoices.delete(account, invoice.id)  # the SDK deletes invoices with HTTP DELETE
    assert sdk.invoices.list(account).pages.total == 0
    assert sdk.invoices.get(account, invoice.id).vis_state == VisState.DELETED

    sdk.items.delete(account, item.id)
    assert sdk.items.list(account, builders=[FilterBuilder().equals("sku", "WH-FLUSH")]).pages.total == 0


def test_errors_surface_as_freshbooks_errors(sdk: Client) -> None:
    account = owned_account(sdk)
    with pytest.raises(FreshBooksError) as missing:
        sdk.clients.get(account, 4242)
    assert (missing.value.status_code, missing.value.error_code, str(missing.value)) == (404, 1012,
                                                                                        "Client not found.")

    with pytest.raises(FreshBooksError) as invalid:
        sdk.invoices.create(account, {"create_date": "2026-10-01"})
    assert invalid.value.error_code == 1001
    assert invalid.value.status_code == 422
    assert str(invalid.value) == "Field 'customerid' is required."
    assert invalid.value.error_details[0]["field"] == "customerid"
