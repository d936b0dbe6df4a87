"""Invoices: drafts until sent, amounts from lines, and statuses that follow payments.

Lifecycle (numeric `status` / `v3_status` / `payment_status` / `display_status`):
draft 1/draft/unpaid/draft → sent 2/sent/unpaid/sent (`action_mark_as_sent`, `action_email`, or a payment)
→ partial 8/partial/partial/sent → paid 4/paid/paid/sent. Deleting a payment walks back; a sent invoice
never becomes a draft again.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, ClassVar

import orjson

from sandbox.freshbooks import errors, query
from sandbox.freshbooks.db import public
from sandbox.freshbooks.lines import compute, normalize_lines, render_lines
from sandbox.freshbooks.query import j
from sandbox.freshbooks.resource import ACCOUNT_ID, DEFAULT_CURRENCY, Resource
from sandbox.freshbooks.values import money, money_amount, normalize_fields

ZERO = Decimal("0")
HEADER_FIELDS = {
    "create_date": "date", "due_offset_days": "int", "invoice_number": "str", "currency_code": "currency",
    "language": "str", "po_number": "str", "terms": "text", "notes": "text", "description": "text",
    "discount_value": "percent", "discount_description": "str", "template": "str",
    "fname": "str", "lname": "str", "organization": "str", "address": "text",
    "street": "str", "street2": "str", "city": "str", "province": "str", "code": "str", "country": "str",
    "vat_name": "str", "vat_number": "str", "payment_details": "text", "deposit_amount": "qty_or_null",
    "deposit_percentage": "qty_or_null", "show_attachments": "bool", "estimateid": "int", "parent": "int",
    "ext_archive": "int",
}
# Client fields an invoice copies when it is created for the client (unless the request gives them).
FROM_CLIENT = {"fname": "fname", "lname": "lname", "organization": "organization", "street": "p_street",
               "street2": "p_street2", "city": "p_city", "province": "p_province", "code": "p_code",
               "country": "p_country", "vat_name": "vat_name", "vat_number": "vat_number",
               "currency_code": "currency_code", "language": "language"}
STATES = {  # name: (status, v3_status, payment_status, display_status)
    "draft": (1, "draft", "unpaid", "draft"),
    "sent": (2, "sent", "unpaid", "sent"),
    "partial": (8, "partial", "partial", "sent"),
    "paid": (4, "paid", "paid", "sent"),
}


def payments_of(conn: Any, invoice_id: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT data FROM fb_payments WHERE json_extract(data, '$.invoiceid') = ? AND vis_state = 0 ORDER BY id",
        (invoice_id,),
    )
    return [orjson.loads(r[0]) for r in rows]


class Invoices(Resource):
    plural = "invoices"
    single = "invoice"
    path = "invoices/invoices"
    label = "Invoice"
    id_field = "invoiceid"
    id_keys = ("id", "invoiceid")
    filters: ClassVar[dict[str, query.Filter]] = {
        "invoiceid": query.equals("id", "int"),
        "invoiceids": query.one_of("id"),
        "customerid": query.equals(j("customerid"), "int"),
        "customerids": query.one_of(j("customerid")),
        "status": query.equals(j("status"), "int"),
        "statuses": query.one_of(j("status")),
        "v3_status": query.equals(j("v3_status")),
        "display_status": query.equals(j("display_status")),
        "payment_status": query.equals(j("payment_status")),
        "currency_code": query.equals(j("currency_code")),
        **query.date_range("date", j("create_date")),
        **query.date_range("due_date", j("due_date")),
        **query.date_range("updated", j("updated")),
        **query.number_range("amount", j("amount.amount")),
        **query.number_range("outstanding", j("outstanding.amount")),
    }
    sort_aliases: ClassVar[dict[str, str]] = {"invoice_date": j("create_date"), "date": j("create_date")}

    def filter_for(self, name: str) -> query.Filter | None:
        if name == "invoice_number":
            if self.ctx.fb.invoice_number_search == "exact":
                return query.equals(j("invoice_number"))
            return query.like(j("invoice_number"))
        return super().filter_for(name)

    def delete_mode(self) -> str:
        return "hard" if self.ctx.fb.invoice_delete == "hard" else "soft"

    def defaults(self, record_id: int) -> dict[str, Any]:
        zero = money(ZERO, DEFAULT_CURRENCY)
        return {
            **super().defaults(record_id),
            "accountid": ACCOUNT_ID, "address": "", "amount": zero, "auto_bill": False,
            "autobill_status": None, "basecampid": 0, "city": "", "code": "", "country": "",
            "create_date": None, "created_at": self.stamp(), "currency_code": DEFAULT_CURRENCY,
            "current_organization": "", "customerid": None, "date_paid": None, "deposit_amount": None,
            "deposit_percentage": None, "deposit_status": "none", "description": "", "discount_description": None,
            "discount_total": zero, "discount_value": "0", "display_status": "draft", "dispute_status": None,
            "due_date": None, "due_offset_days": 0, "estimateid": 0, "ext_archive": 0, "fname": "",
            "generation_date": None, "gmail": False, "invoice_number": "", "language": "en",
            "last_order_status": None, "lname": "", "notes": "", "organization": "", "outstanding": zero,
            "ownerid": 1, "paid": zero, "parent": 0, "payment_details": "", "payment_status": "unpaid",
            "po_number": None, "province": "", "return_uri": None, "sentid": None, "show_attachments": False,
            "status": 1, "street": "", "street2": "", "template": "clean-grouped", "terms": None,
            "v3_status": "draft", "vat_name": None, "vat_number": "",
            "_lines": [], "_sent": False,
        }

    # --- validation ---------------------------------------------------------------------------------------

    def client_for(self, value: Any) -> dict[str, Any]:
        client_id = normalize_fields({"customerid": "int"}, {"customerid": value}, self.single, "")["customerid"]
        client = self.other("clients").get(client_id)
        if client is None or client.get("vis_state") == 1:
            raise errors.ApiError(errors.UNKNOWN_RESOURCE, "Client not found.", field="customerid",
                                  object=self.single, value=value)
        return client

    def normalize(self, payload: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
        changes: dict[str, Any] = {}
        if "customerid" in payload or current is None:
            if payload.get("customerid") in (None, ""):
                raise errors.required("customerid", self.single)
            client = self.client_for(payload["customerid"])
            changes["customerid"] = client["id"]
            changes["current_organization"] = client.get("organization") or ""
            if current is None:
                changes.update({mine: client.get(theirs) for mine, theirs in FROM_CLIENT.items()
                                if client.get(theirs) is not None})
        code = payload.get("currency_code") or changes.get("currency_code") or (current or {}).get(
            "currency_code", DEFAULT_CURRENCY)
        changes.update(normalize_fields(HEADER_FIELDS, payload, self.single, str(code)))
        if current is None and not changes.get("create_date"):
            raise errors.required("create_date", self.single)
        if changes.get("due_offset_days", 0) < 0:
            raise errors.invalid("due_offset_days", self.single, changes["due_offset_days"],
                                 "Field 'due_offset_days' must not be negative.")
        if "lines" in payload:
            changes["_lines"] = normalize_lines(payload["lines"], self.single, changes.get("currency_code") or code)
        if "invoice_number" in changes:
            if not (changes["invoice_number"] or "").strip():
                del changes["invoice_number"]
            else:
                self.check_number_free(changes["invoice_number"], (current or {}).get("id"))
        return changes

    def check_number_free(self, number: str, own_id: int | None) -> None:
        if not self.ctx.fb.unique_invoice_numbers:
            return
        taken = self.conn.execute(
            "SELECT id FROM fb_invoices WHERE vis_state IN (0, 2) AND json_extract(data, '$.invoice_number') = ? "
            "AND id != ? LIMIT 1", (number, own_id or 0)).fetchone()
        if taken:
            raise errors.invalid("invoice_number", self.single, number,
                                 f"Invoice number {number} is already used by invoice {taken[0]}.")

    def check_new(self, data: dict[str, Any]) -> None:
        if not data.get("invoice_number"):
            data["invoice_number"] = self.next_number()

    def next_number(self) -> str:
        highest = 0
        for (number,) in self.conn.execute("SELECT json_extract(data, '$.invoice_number') FROM fb_invoices"):
            if isinstance(number, str) and re.fullmatch(r"\d+", number):
                highest = max(highest, int(number))
        return f"{highest + 1:07d}"

    def apply_action(self, data: dict[str, Any], actions: dict[str, Any]) -> None:
        if actions.get("action_mark_as_sent") or actions.get("action_email"):
            data["_sent"] = True
            data["sentid"] = data.get("sentid") or 1

    # --- derived amounts ----------------------------------------------------------------------------------

    def derive(self, data: dict[str, Any]) -> None:
        code = data.get("currency_code") or DEFAULT_CURRENCY
        totals = compute(data.setdefault("_lines", []), data.get("discount_value"), self.ctx.fb.tax_rounding)
        payments = payments_of(self.conn, data["id"]) if data.get("id") else []
        paid = sum((money_amount(p.get("amount")) for p in payments), ZERO)
        total = totals.total
        outstanding = max(total - paid, ZERO)
        if payments:
            data["_sent"] = True
        if not data.get("_sent"):
            state = "draft"
        elif paid == ZERO and outstanding > 0:
            state = "sent"
        elif outstanding > 0:
            state = "partial"
        else:
            state = "paid"
        data["status"], data["v3_status"], data["payment_status"], data["display_status"] = STATES[state]
        data["amount"] = money(total, code)
        data["discount_total"] = money(totals.discount, code)
        data["paid"] = money(paid, code)
        data["outstanding"] = money(outstanding, code)
        data["date_paid"] = max((p.get("date") or "" for p in payments), default=None) if state == "paid" else None
        try:
            due = date.fromisoformat(str(data.get("create_date"))) + timedelta(days=int(data.get("due_offset_days")
                                                                                    or 0))
            data["due_date"] = due.isoformat()
        except ValueError:
            data["due_date"] = None

    def refresh(self, invoice_id: int) -> None:
        """Re-derive an invoice after one of its payments changed."""
        data = self.table.get(invoice_id)
        if data is None:
            return
        self.touch(data)
        self.derive(data)
        self.table.save(invoice_id, data)

    def admin_fields(self, fields: dict[str, Any]) -> dict[str, Any]:
        fields = dict(fields)
        if "lines" in fields:
            fields["_lines"] = fields.pop("lines") or []
        if "sent" in fields:
            fields["_sent"] = bool(fields.pop("sent"))
        return fields

    def render(self, data: dict[str, Any], includes: list[str]) -> dict[str, Any]:
        shown = public(data)
        if "lines" in includes:
            shown["lines"] = render_lines(data.get("_lines", []), "invoiceid", data["id"], data.get("updated", ""))
        if "allowed_gateways" in includes:
            shown["allowed_gateways"] = []
        return shown
