"""Helpers for the ServiceTitan simulator's tests: an authenticated client and the official schemas."""

from __future__ import annotations

import json
import os
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from pathlib import Path
from typing import Any

import requests
from openapi_core import Config, OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse

from sandbox import credentials

SPEC_DIR = Path(os.environ.get("SERVICETITAN_OPENAPI_DIR", Path(__file__).parent / "specs"))
TENANT = credentials.ST_TENANT_ID


def fetch_token(base_url: str, client_id: str = credentials.ST_CLIENT_ID,
                client_secret: str = credentials.ST_CLIENT_SECRET) -> requests.Response:
    return requests.post(f"{base_url}/connect/token", timeout=10, data={
        "grant_type": "client_credentials", "client_id": client_id, "client_secret": client_secret})


class StClient:
    """Calls the simulator as a well-behaved client does: Bearer token plus app key."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.session = requests.Session()
        self.token = fetch_token(base_url).json()["access_token"]
        self.session.headers.update({"Authorization": f"Bearer {self.token}", "ST-App-Key": credentials.ST_APP_KEY})

    def url(self, module: str, path: str, tenant: int = TENANT) -> str:
        return f"{self.base_url}/{module}/v2/tenant/{tenant}{path}"

    def get(self, module: str, path: str, params: Any = None, **kwargs: Any) -> requests.Response:
        return self.session.get(self.url(module, path), params=params, timeout=30, **kwargs)

    def ok(self, module: str, path: str, params: Any = None) -> Any:
        answer = self.get(module, path, params)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def export_all(self, module: str, path: str, **params: Any) -> tuple[list[dict[str, Any]], list[str], int]:
        """Read an export feed to its end: (records, tokens returned, calls made)."""
        records: list[dict[str, Any]] = []
        tokens: list[str] = []
        position = params.pop("from", None)
        for calls in range(1, 10_000):
            query = dict(params)
            if position is not None:
                query["from"] = position
            body = self.ok(module, path, query)
            records.extend(body["data"])
            tokens.append(body["continueFrom"])
            position = body["continueFrom"]
            if not body["hasMore"]:
                return records, tokens, calls
        raise AssertionError("the export never ended")


@cache
def openapi(module: str) -> OpenAPI:
    """The official spec of a module, its server made to match any host (the schemas are untouched)."""
    spec = json.loads((SPEC_DIR / f"{module}-v2.json").read_text())
    spec["servers"] = [{"url": "http://{host}/" + f"{module}/v2", "variables": {"host": {"default": "localhost"}}}]
    return OpenAPI.from_dict(spec, config=Config(spec_validator_cls=None))


def validate(module: str, answer: requests.Response) -> None:
    """Raise if the response does not match the operation's declared response schema."""
    openapi(module).validate_response(RequestsOpenAPIRequest(answer.request), RequestsOpenAPIResponse(answer))


# ------------------------------------------------------------------ the money rules, re-implemented from
# FIDELITY.md independently of the simulator's own `accounting` module

CENT = Decimal("0.01")


def half_up(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def by_id(rows: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    return {row["id"]: row for row in rows}


def rate_for(item: dict[str, Any], zone: dict[str, Any]) -> Decimal:
    rate = Decimal(0)
    for entry in zone["rates"]:
        bases = entry["taxBaseType"]
        labour = item["type"] == "Service"
        if "Subtotal" in bases or ("Labor" in bases and labour) or ("Material" in bases and not labour):
            rate += Decimal(str(entry["taxRate"]))
    return rate


def unrounded_tax(invoice: dict[str, Any], zone: dict[str, Any]) -> Decimal:
    return sum((Decimal(i["total"]) * rate_for(i, zone) for i in invoice["items"]
                if i["isChargeable"] and i["taxable"]), Decimal(0))


def applied_amounts(data: dict[str, list[dict[str, Any]]]) -> dict[int, Decimal]:
    applied: dict[int, Decimal] = defaultdict(Decimal)
    for payment in data["payments"]:
        if payment["active"]:
            for a in payment["appliedTo"]:
                applied[a["appliedTo"]] += Decimal(a["appliedAmount"])
    for memo in data["credit_memos"]:
        if memo["active"]:
            for a in memo["appliedTo"]:
                applied[a["appliedTo"]] += Decimal(str(a["appliedAmount"]))
    return applied


def invoice_rule_violations(data: dict[str, list[dict[str, Any]]]) -> list[str]:
    """Every breach of the invoice and customer money rules in the data (records by kind)."""
    zones = by_id(data["tax_zones"])
    customers = by_id(data["customers"])
    applied = applied_amounts(data)
    owed: dict[int, Decimal] = defaultdict(Decimal)
    problems: list[str] = []
    for invoice in data["invoices"]:
        label = f"invoice {invoice['id']}"
        for item in invoice["items"]:
            if Decimal(item["total"]) != half_up(Decimal(item["quantity"]) * Decimal(item["price"])):
                problems.append(f"{label} item {item['id']}: total")
        sub_total = sum((Decimal(i["total"]) for i in invoice["items"] if i["isChargeable"]), Decimal(0))
        exempt = customers[invoice["customer"]["id"]]["taxExempt"]
        tax = Decimal("0.00") if exempt else half_up(unrounded_tax(invoice, zones[invoice["taxZoneId"]]))
        for field, expected in (("subTotal", sub_total), ("salesTax", tax), ("total", sub_total + tax),
                                ("balance", sub_total + tax - applied[invoice["id"]])):
            if Decimal(invoice[field]) != expected:
                problems.append(f"{label}: {field} {invoice[field]} != {expected}")
        if invoice["active"]:
            owed[invoice["customer"]["id"]] += Decimal(invoice["balance"])
    for customer in data["customers"]:
        if Decimal(str(customer["balance"])) != owed[customer["id"]]:
            problems.append(f"customer {customer['id']}: balance {customer['balance']} != {owed[customer['id']]}")
    return problems


def ap_rule_violations(data: dict[str, list[dict[str, Any]]]) -> list[str]:
    """Every breach of the accounts-payable money rules (FIDELITY.md) in the data (records by kind)."""
    bills = {b["id"]: b for kind in ("inventory_bills", "ap_bills") for b in data[kind]}
    applied: dict[int, Decimal] = defaultdict(Decimal)
    problems: list[str] = []
    for bill in data["ap_bills"]:
        lines = sum((Decimal(e["amount"]) for e in bill["expenseItems"]), Decimal(0))
        lines += sum((half_up(Decimal(i["quantity"]) * Decimal(i["cost"])) for i in bill["items"]), Decimal(0))
        if Decimal(bill["billAmount"]) != lines + Decimal(bill["taxAmount"]):
            problems.append(f"ap bill {bill['id']}: billAmount {bill['billAmount']} != lines + tax")
    for kind in ("ap_payments", "ap_credits"):
        for doc in data[kind]:
            active = [s for s in doc["splits"] if s["active"]]
            if doc["active"] is False and active:
                problems.append(f"{kind} {doc['id']}: inactive with active splits")
            for split in doc["splits"]:
                if split["inventoryBillId"] not in bills:
                    problems.append(f"{kind} {doc['id']}: split names no bill ({split['inventoryBillId']})")
                if split["active"] and doc["active"] is not False:
                    applied[split["inventoryBillId"]] += Decimal(str(split["amount"]))
            total = sum((Decimal(str(s["amount"])) for s in doc["splits"]), Decimal(0))
            if kind == "ap_payments" and Decimal(str(doc["amount"])) != total:
                problems.append(f"ap payment {doc['id']}: amount {doc['amount']} != splits {total}")
            if kind == "ap_credits":
                used = sum((Decimal(str(s["amount"])) for s in active), Decimal(0))
                if Decimal(str(doc["appliedAmount"])) != used or used > Decimal(str(doc["amount"])):
                    problems.append(f"ap credit {doc['id']}: appliedAmount {doc['appliedAmount']} vs splits {used}")
    for bill_id, amount in applied.items():
        bill = bills.get(bill_id)
        if bill is None:
            continue
        if amount > Decimal(bill["billAmount"]):
            problems.append(f"bill {bill_id}: {amount} applied to {bill['billAmount']}")
        if bill.get("status") == "Canceled" and amount:
            problems.append(f"canceled ap bill {bill_id} has {amount} applied")
    return problems
