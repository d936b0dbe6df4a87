"""Bill vendors (`vendorid` only, no `id`) and the bills they send; what is owed to vendors.

A bill's `paid`, `outstanding`, `status` and `bill_payments[]` follow its active (vis_state 0) bill
payments (`bill_payments.py`), as an invoice's follow its payments: unpaid (or overdue once past its due
date) → partial → paid, and back when a bill payment is deleted or lowered. A bill with active bill payments
cannot be deleted through the API (delete the payments first). A vendor's `outstanding_balance` and
`overdue_balance`, and the `/_sandbox/accounts_payable` view (`payables_report`), sum the outstanding
amounts of its bills with vis_state 0 or 2.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, ClassVar

import orjson

from sandbox.freshbooks import errors, query
from sandbox.freshbooks.db import Table, public
from sandbox.freshbooks.query import j
from sandbox.freshbooks.resource import DEFAULT_CURRENCY, Resource
from sandbox.freshbooks.values import cents, money, money_amount, normalize_fields, percent, plain

ZERO = Decimal("0")
HUNDRED = Decimal("100")

VENDOR_FIELDS = {
    "vendor_name": "str", "primary_contact_first_name": "str", "primary_contact_last_name": "str",
    "primary_contact_email": "email", "phone": "str", "website": "str", "account_number": "str",
    "street": "str", "street2": "str", "city": "str", "province": "str", "postal_code": "str", "country": "str",
    "currency_code": "currency", "language": "str", "note": "text", "is_1099": "bool",
}
BILL_FIELDS = {"issue_date": "date", "due_offset_days": "int", "bill_number": "str", "currency_code": "currency",
               "language": "str", "attachment": "text"}
LINE_FIELDS = {"categoryid": "int", "description": "text", "quantity": "qty", "unit_cost": "money",
               "tax_name1": "str", "tax_name2": "str", "tax_percent1": "percent", "tax_percent2": "percent",
               "tax_authorityid1": "int_or_null", "tax_authorityid2": "int_or_null"}


CREDIT = "Credit"


def bill_payments_of(conn: sqlite3.Connection, bill_id: int) -> list[dict[str, Any]]:
    """A bill's active (vis_state 0) bill payments, oldest first."""
    rows = conn.execute(
        "SELECT data FROM fb_bill_payments WHERE json_extract(data, '$.billid') = ? AND vis_state = 0 ORDER BY id",
        (bill_id,),
    )
    return [orjson.loads(r[0]) for r in rows]


@dataclass
class Payable:
    """What is owed to one vendor (or to all), from its bills with vis_state 0 or 2."""

    outstanding: Decimal = ZERO
    """Unpaid remainder of the bills."""
    overdue: Decimal = ZERO
    """Unpaid remainder of the bills past their due date."""
    billed: Decimal = ZERO
    """Total amount of the bills (tax included)."""
    paid: Decimal = ZERO
    """What active bill payments paid on the bills (credit applied included)."""
    credit_applied: Decimal = ZERO
    """The part of `paid` from bill payments of type Credit (vendor credit applied, no cash)."""
    open_bills: list[int] = field(default_factory=list)

    def add(self, bill: dict[str, Any], today: str) -> None:
        owed = money_amount(bill.get("outstanding"))
        self.outstanding += owed
        self.billed += money_amount(bill.get("total_amount"))
        self.paid += money_amount(bill.get("paid"))
        self.credit_applied += sum((money_amount(p.get("amount")) for p in bill.get("bill_payments") or []
                                    if p.get("payment_type") == CREDIT), ZERO)
        if owed > 0:
            self.open_bills.append(int(bill["id"]))
            if bill.get("due_date") and bill["due_date"] < today:
                self.overdue += owed

    def as_json(self) -> dict[str, Any]:
        return {"outstanding": str(cents(self.outstanding)), "overdue": str(cents(self.overdue)),
                "billed": str(cents(self.billed)), "paid": str(cents(self.paid)),
                "credit_applied": str(cents(self.credit_applied)), "open_bills": self.open_bills}


def payables(conn: sqlite3.Connection, today: str, vendor_ids: list[int] | None = None) -> dict[int, Payable]:
    """What each vendor with a bill (vis_state 0 or 2) is owed; only the given vendors unless None."""
    where, params = "", []
    if vendor_ids is not None:
        if not vendor_ids:
            return {}
        where = f" AND json_extract(data, '$.vendorid') IN ({', '.join('?' * len(vendor_ids))})"
        params = list(vendor_ids)
    result: dict[int, Payable] = {}
    for (raw,) in conn.execute(f"SELECT data FROM fb_bills WHERE vis_state IN (0, 2){where} ORDER BY id", params):
        bill = orjson.loads(raw)
        if bill.get("vendorid") is not None:
            result.setdefault(int(bill["vendorid"]), Payable()).add(bill, today)
    return result


def payables_report(conn: sqlite3.Connection, today: str) -> dict[str, Any]:
    """The `/_sandbox/accounts_payable` view: per vendor (every vendor with a bill) and in total."""
    names = {int(v["vendorid"]): v.get("vendor_name") for v in Table(conn, "bill_vendors").all()}
    per_vendor = payables(conn, today)
    total = Payable()
    vendors = {}
    for vendor_id, payable in sorted(per_vendor.items()):
        vendors[str(vendor_id)] = {"vendor_name": names.get(vendor_id), **payable.as_json()}
        total.outstanding += payable.outstanding
        total.overdue += payable.overdue
        total.billed += payable.billed
        total.paid += payable.paid
        total.credit_applied += payable.credit_applied
        total.open_bills.extend(payable.open_bills)
    totals = total.as_json()
    totals["open_bills"] = len(total.open_bills)
    return {"as_of": today, "vendors": vendors, "total": totals}


class BillVendors(Resource):
    plural = "bill_vendors"
    single = "bill_vendor"
    path = "bill_vendors/bill_vendors"
    label = "Bill vendor"
    id_field = "vendorid"
    id_keys = ("vendorid",)
    updated_key = "updated_at"
    updated_in_utc = True
    filters: ClassVar[dict[str, query.Filter]] = {}

    def defaults(self, record_id: int) -> dict[str, Any]:
        base = super().defaults(record_id)
        base.pop("accounting_systemid")
        return {
            **base, "vendor_name": "", "primary_contact_first_name": None, "primary_contact_last_name": None,
            "primary_contact_email": None, "phone": None, "website": None, "account_number": None, "street": None,
            "street2": None, "city": None, "province": None, "postal_code": None, "country": None,
            "currency_code": DEFAULT_CURRENCY, "language": "en", "note": None, "is_1099": False,
            "tax_defaults": [], "created_at": self.stamp(utc=True),
        }

    def normalize(self, payload: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
        changes = normalize_fields(VENDOR_FIELDS, payload, self.single, DEFAULT_CURRENCY)
        if "vendor_name" in changes and not (changes["vendor_name"] or "").strip():
            raise errors.required("vendor_name", self.single)
        return changes

    def check_new(self, data: dict[str, Any]) -> None:
        if not (data.get("vendor_name") or "").strip():
            raise errors.required("vendor_name", self.single)

    def render(self, data: dict[str, Any], includes: list[str]) -> dict[str, Any]:
        shown = super().render(data, includes)
        code = data.get("currency_code") or DEFAULT_CURRENCY
        vendor_id = int(data["vendorid"])
        payable = payables(self.conn, self.today(), [vendor_id]).get(vendor_id) or Payable()
        shown["outstanding_balance"] = [{"amount": money(payable.outstanding, code)}] if payable.outstanding else []
        shown["overdue_balance"] = [{"amount": money(payable.overdue, code)}] if payable.overdue else []
        return shown


class Bills(Resource):
    plural = "bills"
    single = "bill"
    path = "bills/bills"
    label = "Bill"
    id_field = "billid"
    updated_key = "updated_at"
    updated_in_utc = True
    filters: ClassVar[dict[str, query.Filter]] = {
        "vendorid": query.equals(j("vendorid"), "int"),
        "statuses": query.one_of(j("status"), "str"),
        "currency_code": query.equals(j("currency_code")),
        "ids": query.one_of("id"),
    }

    def defaults(self, record_id: int) -> dict[str, Any]:
        zero = money(ZERO, DEFAULT_CURRENCY)
        return {
            **super().defaults(record_id), "vendorid": None, "issue_date": self.today(), "due_offset_days": 0,
            "due_date": None, "bill_number": None, "currency_code": DEFAULT_CURRENCY, "language": "en",
            "attachment": None, "amount": zero, "tax_amount": zero, "total_amount": zero, "paid": zero,
            "outstanding": zero, "status": "unpaid", "overall_category": None, "overall_description": None,
            "bill_payments": [], "created_at": self.stamp(utc=True), "lines": [],
        }

    def normalize(self, payload: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
        changes: dict[str, Any] = {}
        if "vendorid" in payload or current is None:
            if payload.get("vendorid") in (None, ""):
                raise errors.required("vendorid", self.single)
            vendor_id = normalize_fields({"vendorid": "int"}, payload, self.single, "")["vendorid"]
            vendor = self.other("bill_vendors").get(vendor_id)
            if vendor is None or vendor.get("vis_state") == 1:
                raise errors.ApiError(errors.UNKNOWN_RESOURCE, "Bill vendor not found.", field="vendorid",
                                      object=self.single, value=payload["vendorid"])
            changes["vendorid"] = vendor_id
            if current is None and "currency_code" not in payload:
                changes["currency_code"] = vendor.get("currency_code") or DEFAULT_CURRENCY
        code = str(payload.get("currency_code") or changes.get("currency_code")
                   or (current or {}).get("currency_code", DEFAULT_CURRENCY))
        changes.update(normalize_fields(BILL_FIELDS, payload, self.single, code))
        if "lines" in payload:
            changes["lines"] = self.normalize_lines(payload["lines"], code)
        return changes

    def normalize_lines(self, raw: Any, code: str) -> list[dict[str, Any]]:
        if not isinstance(raw, list):
            raise errors.invalid("lines", self.single, raw, "Field 'lines' must be a list of lines.")
        result = []
        for index, line in enumerate(raw):
            if not isinstance(line, dict):
                raise errors.invalid(f"lines[{index}]", self.single, line, "Each line must be an object.")
            fields = normalize_fields(LINE_FIELDS, line, self.single, code)
            if not fields.get("categoryid"):
                raise errors.required("categoryid", self.single)
            if self.other("categories").get(fields["categoryid"]) is None:
                raise errors.ApiError(errors.UNKNOWN_RESOURCE, "Category not found.", field="categoryid",
                                      object=self.single, value=fields["categoryid"])
            result.append({"description": "", "quantity": "1", "unit_cost": money(ZERO, code), "tax_name1": None,
                           "tax_name2": None, "tax_percent1": None, "tax_percent2": None,
                           "tax_authorityid1": None, "tax_authorityid2": None, **fields})
        return result

    def derive(self, data: dict[str, Any]) -> None:
        code = data.get("currency_code") or DEFAULT_CURRENCY
        subtotal = tax = ZERO
        for index, line in enumerate(data.setdefault("lines", [])):
            amount = cents(Decimal(str(line.get("quantity") or "1")) * money_amount(line.get("unit_cost")))
            tax1 = cents(amount * percent(line.get("tax_percent1"), "tax_percent1", "bill") / HUNDRED)
            tax2 = cents(amount * percent(line.get("tax_percent2"), "tax_percent2", "bill") / HUNDRED)
            category = self.other("categories").get(int(line.get("categoryid") or 0)) or {}
            line.update({
                "list_index": index + 1, "quantity": plain(Decimal(str(line.get("quantity") or "1"))),
                "amount": money(amount, code), "tax_amount1": money(tax1, code) if line.get("tax_percent1") else None,
                "tax_amount2": money(tax2, code) if line.get("tax_percent2") else None,
                "total_amount": money(amount + tax1 + tax2, code),
                "category": {"categoryid": category.get("id"), "category": category.get("category"),
                             "is_cogs": category.get("is_cogs", False), "parentid": category.get("parentid")},
            })
            subtotal += amount
            tax += tax1 + tax2
        payments = bill_payments_of(self.conn, int(data["id"])) if data.get("id") else []
        data["bill_payments"] = [public(p) for p in payments]
        paid = sum((money_amount(p.get("amount")) for p in payments), ZERO)
        total = subtotal + tax
        outstanding = max(total - paid, ZERO)
        data.update({"amount": money(subtotal, code), "tax_amount": money(tax, code),
                     "total_amount": money(total, code), "paid": money(paid, code),
                     "outstanding": money(outstanding, code)})
        try:
            due = date.fromisoformat(str(data.get("issue_date"))) + timedelta(days=int(data.get("due_offset_days")
                                                                                    or 0))
            data["due_date"] = due.isoformat()
        except ValueError:
            data["due_date"] = None
        if outstanding == 0 and total > 0:
            data["status"] = "paid"
        elif paid > 0:
            data["status"] = "partial"
        elif data["due_date"] and data["due_date"] < self.today():
            data["status"] = "overdue"
        else:
            data["status"] = "unpaid"
        lines = data["lines"]
        data["overall_category"] = lines[0]["category"]["category"] if lines else None
        data["overall_description"] = lines[0].get("description") if lines else None

    def refresh(self, bill_id: int) -> None:
        """Re-derive a bill after one of its bill payments changed."""
        data = self.table.get(bill_id)
        if data is None:
            return
        self.touch(data)
        self.derive(data)
        self.table.save(bill_id, data)

    def check_written(self, before: dict[str, Any] | None, after: dict[str, Any] | None) -> None:
        """A bill with active bill payments cannot be deleted (PUT vis_state 1 or HTTP DELETE)."""
        if before is None or before.get("vis_state") == 1:
            return
        if after is not None and after.get("vis_state") != 1:
            return
        payments = bill_payments_of(self.conn, int(before["id"]))
        if payments:
            ids = ", ".join(str(p["id"]) for p in payments)
            raise errors.invalid("vis_state", self.single, 1, f"This bill has bill payments ({ids}); delete the "
                                 "bill payments first.")

    def render(self, data: dict[str, Any], includes: list[str]) -> dict[str, Any]:
        shown = public(data)
        if "vendor" in includes and data.get("vendorid"):
            vendor = self.other("bill_vendors").get(int(data["vendorid"]))
            shown["vendor"] = public(vendor) if vendor else None
        return shown
