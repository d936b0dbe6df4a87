"""Credit notes: a credit to a client, from lines like an invoice's, that reduces what the client owes.

The reference says little beyond the resource name and the docs' sample; FIDELITY.md describes the
model kept here: while a note is not deleted its `amount` is part of the client's credit pool
(`receivables.credits`), which payments of type `Credit` apply to invoices. A note is never applied by
itself (its `paid` stays 0). Lines may have a negative `unit_cost` (a refund line) but the total may not
be negative, and no write may leave the client's available credit negative: credit already applied must
be unapplied (its Credit payments deleted) first.
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
from sandbox.freshbooks.values import cents, money, normalize_fields

CREDIT_TYPES = ("goodwill", "prepayment")

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
        if "credit_type" in changes:
            kind = str(changes["credit_type"] or "").strip().lower()
            if kind not in CREDIT_TYPES and kind != (current or {}).get("credit_type"):
                raise errors.invalid("credit_type", self.single, changes["credit_type"],
                                     "Field 'credit_type' must be 'goodwill' or 'prepayment'.")
            changes["credit_type"] = kind
        if "lines" in payload:
            changes["_lines"] = normalize_lines(payload["lines"], self.single, changes.get("currency_code") or code)
            total = compute(changes["_lines"], "0", self.ctx.fb.tax_rounding).total
            if total < 0:
                raise errors.invalid("lines", self.single, str(cents(total)),
                                     f"A credit note's total cannot be negative ({cents(total)}).")
        return changes

    def credit_clients(self, data: dict[str, Any]) -> set[int]:
        return {int(data["clientid"])} if data.get("clientid") is not None else set()

    def credit_refusal(self, before: dict[str, Any] | None, after: dict[str, Any] | None,
                       available: Decimal) -> errors.ApiError:
        if before is None or after is None or after.get("vis_state") != before.get("vis_state"):
            field, what = "vis_state", "This credit note cannot be deleted"
        elif after.get("clientid") != before.get("clientid"):
            field, what = "clientid", "This credit note cannot move to another client"
        else:
            field, what = "lines", "This credit note's amount cannot be reduced"
        return errors.invalid(field, self.single, None,
                              f"{what}: the client's credit is applied to invoices (its available credit would "
                              f"be {cents(available)}); delete the Credit payments first.")

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
