"""What every accounting resource shares: create, get, update in phases, delete, list, admin edits.

A resource subclass says how its fields are validated (`normalize`), what a new object looks like
(`defaults`), which amounts are derived (`derive`), what else a write changes (`after_write`) and how
the object is shown (`render`). The handlers in `accounting.py` call the `api_*` methods inside one
transaction; `/_sandbox/` calls the `admin_*` ones, which skip validation but still derive.
"""

from __future__ import annotations

import copy
import sqlite3
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar

from sandbox import credentials
from sandbox.context import SandboxContext
from sandbox.freshbooks import errors, query, receivables
from sandbox.freshbooks.db import Table, public
from sandbox.freshbooks.values import EASTERN, cents, eastern_stamp, utc_stamp, vis_state_in

ACCOUNT_ID = credentials.FB_ACCOUNT_ID
DEFAULT_CURRENCY = "USD"


class Resource:
    plural: ClassVar[str]
    single: ClassVar[str]
    path: ClassVar[str]
    label: ClassVar[str]
    """Name in messages: "Client not found."."""
    id_field: ClassVar[str]
    """The field named by a not-found error (`userid` for clients)."""
    id_keys: ClassVar[tuple[str, ...]] = ("id",)
    operations: ClassVar[frozenset[str]] = frozenset({"list", "get", "create", "update", "delete"})
    http_delete: ClassVar[str] = "soft"
    """What HTTP DELETE does: "soft" (vis_state 1) or "hard" (the row is removed)."""
    shows_vis_state: ClassVar[bool] = True
    updated_key: ClassVar[str | None] = "updated"
    updated_in_utc: ClassVar[bool] = False
    filters: ClassVar[dict[str, query.Filter]] = {}
    sort_aliases: ClassVar[dict[str, str]] = {}

    def __init__(self, ctx: SandboxContext) -> None:
        self.ctx = ctx

    # --- plumbing ------------------------------------------------------------------------------------------

    @property
    def conn(self) -> sqlite3.Connection:
        return self.ctx.store.conn

    @property
    def table(self) -> Table:
        return Table(self.conn, self.plural)

    def now(self) -> datetime:
        return self.ctx.clock.now()

    def today(self) -> str:
        return self.now().astimezone(EASTERN).date().isoformat()

    def stamp(self, utc: bool = False) -> str:
        return utc_stamp(self.now()) if utc else eastern_stamp(self.now())

    def other(self, plural: str) -> Table:
        return Table(self.conn, plural)

    # --- hooks for subclasses --------------------------------------------------------------------------------

    def defaults(self, record_id: int) -> dict[str, Any]:
        """Every key a new object shows, before the client's fields are applied."""
        return {"accounting_systemid": ACCOUNT_ID, "vis_state": 0}

    def normalize(self, payload: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
        """Validate the writable fields sent; return the changes to store. Unknown keys are ignored."""
        return {}

    def check_new(self, data: dict[str, Any]) -> None:
        """Refuse a new object missing what FreshBooks requires."""

    def derive(self, data: dict[str, Any]) -> None:
        """Recompute derived fields (amounts, statuses) in place."""

    def after_write(self, before: dict[str, Any] | None, after: dict[str, Any] | None) -> None:
        """Update other objects a write affects (an invoice when its payment changes)."""

    def credit_clients(self, data: dict[str, Any]) -> set[int]:
        """Clients whose credit pool a write of this object can lower (none by default)."""
        return set()

    def credit_refusal(self, before: dict[str, Any] | None, after: dict[str, Any] | None,
                       available: Decimal) -> errors.ApiError:
        """The error for an API write that would leave a client's available credit negative."""
        return errors.invalid("vis_state", self.single, None, f"The client's credit is applied to invoices "
                              f"(available credit would be {cents(available)}); delete the Credit payments first.")

    def check_written(self, before: dict[str, Any] | None, after: dict[str, Any] | None) -> None:
        """Refuse an API write once it is stored (raising rolls the transaction back)."""

    def render(self, data: dict[str, Any], includes: list[str]) -> dict[str, Any]:
        shown = public(data)
        if not self.shows_vis_state:
            shown.pop("vis_state", None)
        return shown

    def filter_for(self, name: str) -> query.Filter | None:
        """The `search[name]` filter, if this resource has one."""
        return self.filters.get(name)

    def apply_action(self, data: dict[str, Any], actions: dict[str, Any]) -> None:
        """Apply `action_*` keys of a PUT (resources without actions ignore them)."""

    # --- the client's credit pool ----------------------------------------------------------------------------

    def pool_before(self, *docs: dict[str, Any] | None) -> dict[int, Decimal]:
        """Available credit of the clients a write can touch, before it (see `guard_pool`)."""
        ids: set[int] = set()
        for doc in docs:
            if doc is not None:
                ids |= self.credit_clients(doc)
        return {cid: receivables.available_credit(self.conn, cid) for cid in sorted(ids)}

    def guard_pool(self, before_pool: dict[int, Decimal], before: dict[str, Any] | None,
                   after: dict[str, Any] | None) -> None:
        """Refuse a stored API write that left a client's available credit negative and lower than it was."""
        ids = set(before_pool) | (self.credit_clients(after) if after is not None else set())
        for cid in sorted(ids):
            available = receivables.available_credit(self.conn, cid)
            if available < 0 and available < before_pool.get(cid, Decimal("0")):
                raise self.credit_refusal(before, after, available)
        self.check_written(before, after)

    # --- the API's operations ---------------------------------------------------------------------------

    def require(self, operation: str) -> None:
        if operation not in self.operations:
            raise errors.ApiError(errors.ACCESS_DENIED, f"The '{operation}' operation is not supported for "
                                  f"{self.plural}.", object=self.single, status=405)

    def not_found(self, record_id: Any) -> errors.ApiError:
        return errors.not_found(self.single, self.label, self.id_field, record_id)

    def fetch(self, record_id: int) -> dict[str, Any]:
        data = self.table.get(record_id)
        if data is None:
            raise self.not_found(record_id)
        return data

    def payload_of(self, body: Any) -> dict[str, Any]:
        """The object inside `{"<single>": {...}}` (NodeSDK sends some under the plural)."""
        if not isinstance(body, dict):
            raise errors.ApiError(errors.PARSE_ERROR, "The request body must be a JSON object.", object=self.single)
        payload = body.get(self.single, body.get(self.plural))
        if not isinstance(payload, dict):
            raise errors.ApiError(errors.REQUIRED_FIELD, f"The request body must hold a '{self.single}' object.",
                                  field=self.single, object=self.single)
        return payload

    def api_get(self, record_id: int, includes: list[str]) -> dict[str, Any]:
        self.require("get")
        data = self.fetch(record_id)
        if data.get("vis_state") == 1 and self.ctx.fb.deleted_get == "404":
            raise self.not_found(record_id)
        return {self.single: self.render(data, includes)}

    def api_list(self, q: query.ListQuery) -> dict[str, Any]:
        self.require("list")
        clauses: list[str] = []
        params: list[Any] = []
        if self.shows_vis_state:
            sql, values = query.vis_state_clause(q.search.get("vis_state"))
            clauses.append(sql)
            params.extend(values)
        for name, raw_values in q.search.items():
            if name == "vis_state":
                continue
            build = self.filter_for(name)
            if build is None:
                if self.ctx.fb.unknown_filters == "error":
                    raise errors.invalid(f"search[{name}]", self.single, raw_values[-1],
                                         f"Unknown search filter '{name}'.")
                continue
            sql, values = build(name, raw_values)
            clauses.append(sql)
            params.extend(values)
        per_page = q.per_page or min(self.ctx.fb.default_per_page, query.MAX_PER_PAGE)
        table = self.table
        total = table.count(clauses, params)
        rows = table.select(clauses, params, query.order_clause(q.sort, self.sort_aliases),
                            limit=per_page, offset=(q.page - 1) * per_page)
        pages = -(-total // per_page)
        return {self.plural: [self.render(r, q.includes) for r in rows],
                "page": q.page, "pages": pages, "per_page": per_page, "total": total}

    def api_create(self, body: Any, includes: list[str]) -> dict[str, Any]:
        self.require("create")
        payload = self.payload_of(body)
        record_id = self.table.next_id()
        data = self.defaults(record_id)
        data.update(dict.fromkeys(self.id_keys, record_id))
        data.update(self.normalize(payload, None))
        self.check_new(data)
        self.touch(data)
        self.derive(data)
        pool = self.pool_before(data)
        self.table.insert(data, self.id_keys, record_id)
        self.after_write(None, data)
        self.guard_pool(pool, None, data)
        return {self.single: self.render(self.fetch(record_id), includes)}

    def api_update(self, record_id: int, body: Any, includes: list[str]) -> dict[str, Any]:
        self.require("update")
        payload = self.payload_of(body)
        before = self.fetch(record_id)
        data = copy.deepcopy(before)
        # One phase per PUT, by precedence: vis_state, then actions, then fields (reference §2).
        state_key = "ext_vis_state" if "ext_vis_state" in payload else "vis_state"
        actions = {k: v for k, v in payload.items() if k.startswith("action_")}
        if state_key in payload and self.shows_vis_state:
            data["vis_state"] = vis_state_in(payload[state_key], self.single)
        elif actions:
            self.check_editable(before)
            self.apply_action(data, actions)
        else:
            self.check_editable(before)
            data.update(self.normalize(payload, before))
        self.touch(data)
        self.derive(data)
        pool = self.pool_before(before, data)
        self.table.save(record_id, data)
        self.after_write(before, data)
        self.guard_pool(pool, before, data)
        return {self.single: self.render(self.fetch(record_id), includes)}

    def check_editable(self, data: dict[str, Any]) -> None:
        if data.get("vis_state") == 1 and self.ctx.fb.edit_deleted == "refuse":
            raise errors.ApiError(errors.DELETED_RESOURCE, f"This {self.label.lower()} is deleted; restore it "
                                  "(vis_state 0) before changing it.", field="vis_state", object=self.single,
                                  value=1)

    def api_delete(self, record_id: int) -> dict[str, Any]:
        """HTTP DELETE: answers `{"response": {}}` like the PySDK tests expect."""
        self.require("delete")
        before = self.fetch(record_id)
        pool = self.pool_before(before)
        if self.delete_mode() == "hard":
            self.table.remove(record_id)
            self.after_write(before, None)
            self.guard_pool(pool, before, None)
        else:
            data = copy.deepcopy(before)
            data["vis_state"] = 1
            self.touch(data)
            self.derive(data)
            self.table.save(record_id, data)
            self.after_write(before, data)
            self.guard_pool(pool, before, data)
        return {}

    def delete_mode(self) -> str:
        return self.http_delete

    def touch(self, data: dict[str, Any]) -> None:
        if self.updated_key:
            data[self.updated_key] = self.stamp(self.updated_in_utc)

    # --- the side door (/_sandbox/records) -------------------------------------------------------------------

    def admin_fields(self, fields: dict[str, Any]) -> dict[str, Any]:
        """Map a side-door edit's keys onto stored ones (e.g. an invoice's `lines`)."""
        return dict(fields)

    def admin_create(self, fields: dict[str, Any]) -> dict[str, Any]:
        fields = self.admin_fields(fields)
        given = str(fields.get(self.id_keys[0]) or "")
        record_id = int(given) if given.isdigit() else self.table.next_id()
        if self.table.get(record_id) is not None:
            raise errors.ApiError(errors.INVALID_VALUE, f"{self.label} {record_id} already exists.", field="id",
                                  object=self.single, value=record_id, status=409)
        data = self.defaults(record_id)
        data.update(dict.fromkeys(self.id_keys, record_id))
        data.update({k: v for k, v in fields.items() if k not in self.id_keys})
        self.touch(data)
        self.derive(data)
        self.table.insert(data, self.id_keys, record_id)
        self.after_write(None, data)
        return self.fetch(record_id)

    def admin_update(self, record_id: int, fields: dict[str, Any]) -> dict[str, Any]:
        fields = self.admin_fields(fields)
        before = self.fetch(record_id)
        data = copy.deepcopy(before)
        data.update({k: v for k, v in fields.items() if k not in self.id_keys})
        self.touch(data)
        self.derive(data)
        self.table.save(record_id, data)
        self.after_write(before, data)
        return self.fetch(record_id)

    def admin_delete(self, record_id: int) -> None:
        before = self.fetch(record_id)
        self.table.remove(record_id)
        self.after_write(before, None)

