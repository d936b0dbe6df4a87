"""Fixtures for the FreshBooks simulator's tests: an authorized API client over an empty sandbox."""

from __future__ import annotations

from typing import Any

import pytest
from sandbox.freshbooks.testing import FreshBooksApi, SideDoor, authorize
from sandbox.testing import RunningSandbox


@pytest.fixture
def fb_tokens(empty_sandbox: RunningSandbox) -> dict[str, Any]:
    return authorize(empty_sandbox.fb_url)


@pytest.fixture
def fb(empty_sandbox: RunningSandbox, fb_tokens: dict[str, Any]) -> FreshBooksApi:
    """The accounting API of an empty FreshBooks simulator, with a valid access token."""
    return FreshBooksApi(empty_sandbox.fb_url, fb_tokens["access_token"])


@pytest.fixture
def side(empty_sandbox: RunningSandbox) -> SideDoor:
    return SideDoor(empty_sandbox.fb_url)


def usd(amount: str) -> dict[str, str]:
    return {"amount": amount, "code": "USD"}


@pytest.fixture
def make_client(fb: FreshBooksApi) -> Any:
    def make(**fields: Any) -> dict[str, Any]:
        fields.setdefault("organization", "Test Client")
        return fb.create("users/clients", "client", fields)
    return make


@pytest.fixture
def make_invoice(fb: FreshBooksApi, make_client: Any) -> Any:
    """An invoice (a draft unless `sent=True`) for a new client unless `customerid` is given."""
    def make(lines: list[dict[str, Any]] | None = None, sent: bool = False, **fields: Any) -> dict[str, Any]:
        if "customerid" not in fields:
            fields["customerid"] = make_client()["id"]
        fields.setdefault("create_date", "2026-10-01")
        fields["lines"] = lines if lines is not None else [{"name": "Labour", "qty": "1", "unit_cost": usd("100.00")}]
        invoice = fb.create("invoices/invoices", "invoice", fields)
        if sent:
            invoice = fb.update("invoices/invoices", "invoice", invoice["id"], {"action_mark_as_sent": True})
        return invoice
    return make
