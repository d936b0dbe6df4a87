"""Credit notes: a credit to a client, from lines like an invoice's, that reduces what the client owes.

The reference says little beyond the resource name and NodeSDK's mock; FIDELITY.md describes the
minimal model kept here: the note's `amount` counts as the client's credit while it is not deleted;
it is not applied to particular invoices (their `outstanding` does not move).
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, ClassVar

from sandbox.freshbooks import errors, query
from sandbox.freshbooks.db import public
from sandbox.freshbooks.lines import compute, normalize_lines, render_lines
from sandbox.freshbooks.query import j
from sandbox.freshbooks.resource import DEFAULT_CURRENCY, Resource
from sandbox.freshbooks.values import money, normalize_fields

HEADER_FIELDS = {
    "create_date": "date", "credit_number": "str", "credit_type": "str", "currency_code": "currency",
    "language": "str", "notes": "text", "terms": "text", "description": "text", "fname": "str", "lname": "str",
    "organization": "str", "street": "str", "street2": "str", "city": "str", "province": "str", "code": "str",
    "country": "str", "vat_name": "str", "vat_number": "str", "payment_type": "str", "template": "str",
}


class CreditNotes(Resource):
    plural = "credit_notes"
    single = "credit_note"
    path = "credit_notes/credit_notes"
    label = "Credit note"
    id_field = "creditid"
    id_keys = ("id", "creditid")
    filters: ClassVar[dict[str, query.Filter]] = {
        "creditid": query.equals("id", "int"),
        "creditids": query.one_of("id"),
        "clientid": query.equals(j("clientid"), "int"),
        "clientids": query.one_of(j("clientid")),
        "credit_number": query.equals(j("credit_number")),
        **query.date_range("date", j("create_date")),
    }

    def defaults(self, record_id: int) -> dict[str, Any]:
        zero = money(Decimal("0"), DEFAULT_CURRENCY)
        return {
            **super().defaults(record_id), "amount": zero, "city": "", "clientid": None, "code": "", "country": "",
            "create_date": self.today(), "credit_number": "", "credit_type": "goodwill",
            "currency_code": DEFAULT_CURRENCY, "current_organization": "", "description": "",
            "display_status": "created", "dispute_status": None, "ext_archive": 0, "fname": "", "language": "en",
            "last_order_status": None, "lname": "", "notes": "", "organization": "", "paid": zero,
            "payment_status": "unpaid", "payment_type": None, "province": "", "sentid": None, "status": "created",
            "street": "", "street2": "", "template": "clean-grouped", "terms": None, "vat_name": None,
            "vat_number": "", "_lines": [],
        }

    def normalize(self, payload: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
        changes: dict[str, Any] = {}
        if "clientid" in payload or current is None:
            if payload.get("clientid") in (None, ""):
                raise errors.required("clientid", self.single)
            client_id = normalize_fields({"clientid": "int"}, payload, self.single, "")["clientid"]
            client = self.other("clients").get(client_id)
            if client is None or client.get("vis_state") == 1:
                raise errors.ApiError(errors.UNKNOWN_RESOURCE, "Client not found.", field="clientid",
                                      object=self.single, value=payload["clientid"])
            changes["clientid"] = client_id
            changes["current_organization"] = client.get("organization") or ""
            if current is None:
                for key in ("fname", "lname", "organization", "currency_code", "language"):
                    if client.get(key) is not None:
                        changes[key] = client[key]
        code = payload.get("currency_code") or changes.get("currency_code") or (current or {}).get(
            "currency_code", DEFAULT_CURRENCY)
        changes.update(normalize_fields(HEADER_FIELDS, payload, self.single, str(code)))
        if "lines" in payload:
            changes["_lines"] = normalize_lines(payload["lines"], self.single, changes.get("currency_code") or code)
        return changes

    def check_new(self, data: dict[str, Any]) -> None:
        if not data.get("credit_number"):
            highest = 0
            for (number,) in self.conn.execute("SELECT json_extract(data, '$.credit_number') FROM fb_credit_notes"):
                if isinstance(number, str) and re.fullmatch(r"\d+", number):
                    highest = max(highest, int(number))
            data["credit_number"] = f"{highest + 1:07d}"

    def derive(self, data: dict[str, Any]) -> None:
        code = data.get("currency_code") or DEFAULT_CURRENCY
        totals = compute(data.setdefault("_lines", []), "0", self.ctx.fb.tax_rounding)
        data["amount"] = money(totals.total, code)

    def admin_fields(self, fields: dict[str, Any]) -> dict[str, Any]:
        fields = dict(fields)
        if "lines" in fields:
            fields["_lines"] = fields.pop("lines") or []
        return fields

    def render(self, data: dict[str, Any], includes: list[str]) -> dict[str, Any]:
        shown = public(data)
        if "lines" in includes:
            shown["lines"] = render_lines(data.get("_lines", []), "creditid", data["id"], data.get("updated", ""))
        return shown
