"""What invoices and bills refer to: items, taxes and (read-only) expense categories."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

from sandbox.freshbooks import errors, query
from sandbox.freshbooks.query import j
from sandbox.freshbooks.resource import DEFAULT_CURRENCY, Resource
from sandbox.freshbooks.values import money, normalize_fields


class Items(Resource):
    plural = "items"
    single = "item"
    path = "items/items"
    label = "Item"
    id_field = "itemid"
    id_keys = ("id", "itemid")
    writable: ClassVar[dict[str, str]] = {
        "name": "str", "description": "text", "qty": "qty", "sku": "str", "inventory": "qty_or_null",
        "unit_cost": "money", "tax1": "int_or_null", "tax2": "int_or_null",
    }
    filters: ClassVar[dict[str, query.Filter]] = {
        "itemid": query.equals("id", "int"),
        "itemids": query.one_of("id"),
        "sku": query.equals(j("sku")),
        "description": query.like(j("description")),
        **query.number_range("unit_cost", j("unit_cost.amount")),
        **query.number_range("inventory", j("inventory")),
        **query.number_range("qty", j("qty")),
        **query.date_range("updated", j("updated")),
    }

    def defaults(self, record_id: int) -> dict[str, Any]:
        return {**super().defaults(record_id), "name": "", "description": "", "qty": "0", "sku": None,
                "inventory": None, "unit_cost": money(Decimal("0"), DEFAULT_CURRENCY), "tax1": 0, "tax2": 0}

    def normalize(self, payload: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
        code = ((current or {}).get("unit_cost") or {}).get("code", DEFAULT_CURRENCY)
        changes = normalize_fields(self.writable, payload, self.single, code)
        if "name" in changes and not (changes["name"] or "").strip():
            raise errors.required("name", self.single)
        for key in ("tax1", "tax2"):
            if changes.get(key) and self.other("taxes").get(changes[key]) is None:
                raise errors.invalid(key, self.single, changes[key], f"Tax {changes[key]} not found.")
            if key in changes and changes[key] is None:
                changes[key] = 0
        return changes

    def check_new(self, data: dict[str, Any]) -> None:
        if not (data.get("name") or "").strip():
            raise errors.required("name", self.single)


class Taxes(Resource):
    plural = "taxes"
    single = "tax"
    path = "taxes/taxes"
    label = "Tax"
    id_field = "taxid"
    id_keys = ("id", "taxid")
    http_delete = "hard"
    shows_vis_state = False
    writable: ClassVar[dict[str, str]] = {"name": "str", "amount": "percent", "number": "str", "compound": "bool"}
    filters: ClassVar[dict[str, query.Filter]] = {
        "taxid": query.equals("id", "int"),
        "taxids": query.one_of("id"),
        "name": query.like(j("name")),
        "number": query.like(j("number")),
        "compound": query.boolean(j("compound")),
        **query.date_range("updated", j("updated")),
    }

    def defaults(self, record_id: int) -> dict[str, Any]:
        return {**super().defaults(record_id), "name": "", "amount": "0", "number": None, "compound": False}

    def normalize(self, payload: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
        changes = normalize_fields(self.writable, payload, self.single, DEFAULT_CURRENCY)
        if "name" in changes and not (changes["name"] or "").strip():
            raise errors.required("name", self.single)
        return changes

    def check_new(self, data: dict[str, Any]) -> None:
        if not (data.get("name") or "").strip():
            raise errors.required("name", self.single)


class Categories(Resource):
    """Expense categories: read-only in the API (FreshBooks keeps the list; bills refer to it)."""

    plural = "categories"
    single = "category"
    path = "expenses/categories"
    label = "Category"
    id_field = "categoryid"
    id_keys = ("id", "categoryid")
    operations = frozenset({"list", "get"})
    updated_key = "updated_at"
    filters: ClassVar[dict[str, query.Filter]] = {
        "categoryids": query.one_of("id"),
        "name": query.like(j("category")),
        "is_cogs": query.boolean(j("is_cogs")),
        "is_editable": query.boolean(j("is_editable")),
        "parentid": query.equals(j("parentid"), "int"),
    }

    def defaults(self, record_id: int) -> dict[str, Any]:
        stamp = self.stamp()
        return {**super().defaults(record_id), "category": "", "parentid": None, "is_cogs": False,
                "is_editable": True, "transaction_posted": False, "created_at": stamp}
