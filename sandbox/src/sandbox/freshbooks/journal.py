"""Journal entries (create-only; debits must equal credits) and the chart of accounts they post to."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import orjson

from sandbox.freshbooks import errors, query
from sandbox.freshbooks.db import Table
from sandbox.freshbooks.resource import DEFAULT_CURRENCY, Resource
from sandbox.freshbooks.values import cents, dec, int_in, normalize_fields, plain

ZERO = Decimal("0")
DEBIT_NORMAL = {"asset", "expense", "cost_of_goods_sold", "cogs"}


class JournalEntryAccounts(Resource):
    plural = "journal_entry_accounts"
    single = "journal_entry_account"
    path = "journal_entry_accounts/journal_entry_accounts"
    label = "Account"
    id_field = "accountid"
    id_keys = ("id", "accountid")
    operations = frozenset({"list", "get"})
    updated_key = None
    shows_vis_state = False

    def defaults(self, record_id: int) -> dict[str, Any]:
        return {**super().defaults(record_id), "account_name": "", "account_number": None,
                "account_type": "expense", "currency_code": DEFAULT_CURRENCY, "balance": "0.00",
                "created_at": self.stamp(), "sub_accounts": []}

    def find_sub_account(self, sub_account_id: int) -> tuple[dict[str, Any], dict[str, Any]] | None:
        row = self.conn.execute(
            "SELECT a.data FROM fb_journal_entry_accounts a, json_each(a.data, '$.sub_accounts') s "
            "WHERE json_extract(s.value, '$.sub_accountid') = ?", (sub_account_id,)).fetchone()
        if row is None:
            return None
        account = orjson.loads(row[0])
        sub = next(s for s in account["sub_accounts"] if s["sub_accountid"] == sub_account_id)
        return account, sub

    def post(self, sub_account_id: int, debit: Decimal, credit: Decimal) -> None:
        """Move a sub-account's (and its account's) balance by one journal detail."""
        found = self.find_sub_account(sub_account_id)
        if found is None:
            return
        account, sub = found
        normal = 1 if account.get("account_type") in DEBIT_NORMAL else -1
        change = (debit - credit) * normal
        sub["balance"] = str(cents(Decimal(str(sub.get("balance") or "0")) + change))
        sub["transaction_posted"] = True
        account["balance"] = str(cents(sum((Decimal(str(s.get("balance") or "0")) for s in account["sub_accounts"]),
                                           ZERO)))
        self.table.save(account["id"], account)


class JournalEntries(Resource):
    plural = "journal_entries"
    single = "journal_entry"
    path = "journal_entries/journal_entries"
    label = "Journal entry"
    id_field = "entryid"
    id_keys = ("id", "entryid")
    operations = frozenset({"create"})
    updated_key = None
    shows_vis_state = False

    def defaults(self, record_id: int) -> dict[str, Any]:
        return {"name": "", "description": "", "currency_code": DEFAULT_CURRENCY,
                "user_entered_date": self.today(), "details": []}

    def normalize(self, payload: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
        changes = normalize_fields({"name": "str", "description": "text", "currency_code": "currency",
                                    "user_entered_date": "date"}, payload, self.single, DEFAULT_CURRENCY)
        raw = payload.get("details")
        if not isinstance(raw, list) or len(raw) < 2:
            raise errors.invalid("details", self.single, None,
                                 "A journal entry needs at least two details (a debit and a credit).")
        accounts = JournalEntryAccounts(self.ctx)
        details, debits, credits = [], ZERO, ZERO
        for index, detail in enumerate(raw):
            if not isinstance(detail, dict):
                raise errors.invalid(f"details[{index}]", self.single, detail, "Each detail must be an object.")
            if detail.get("sub_accountid") in (None, ""):
                raise errors.required("sub_accountid", self.single)
            sub_id = int_in(detail["sub_accountid"], "sub_accountid", self.single)
            found = accounts.find_sub_account(sub_id)
            if found is None:
                raise errors.ApiError(errors.UNKNOWN_RESOURCE, "Sub-account not found.", field="sub_accountid",
                                      object=self.single, value=detail["sub_accountid"])
            has_debit = detail.get("debit") not in (None, "")
            has_credit = detail.get("credit") not in (None, "")
            if has_debit == has_credit:
                raise errors.invalid(f"details[{index}]", self.single, None,
                                     "Each detail needs either a debit or a credit.")
            amount = dec(detail["debit"] if has_debit else detail["credit"],
                         "debit" if has_debit else "credit", self.single)
            if amount <= 0:
                raise errors.invalid("debit" if has_debit else "credit", self.single, str(amount),
                                     "Debit and credit amounts must be positive.")
            debits += amount if has_debit else ZERO
            credits += ZERO if has_debit else amount
            details.append({
                "sub_accountid": sub_id, "debit": plain(amount) if has_debit else None,
                "credit": None if has_debit else plain(amount), "description": detail.get("description") or "",
                "name": found[1].get("account_sub_name"), "categoryid": None,
            })
        if debits != credits:
            raise errors.invalid("details", self.single, f"{plain(debits)} != {plain(credits)}",
                                 f"Debits ({plain(debits)}) must equal credits ({plain(credits)}).")
        changes["details"] = details
        return changes

    def derive(self, data: dict[str, Any]) -> None:
        for number, detail in enumerate(data.get("details") or [], start=1):
            detail["detailid"] = detail["id"] = data.get("id", 0) * 100 + number
            detail["currency_code"] = data.get("currency_code") or DEFAULT_CURRENCY
            detail["user_entered_date"] = data.get("user_entered_date")

    def after_write(self, before: dict[str, Any] | None, after: dict[str, Any] | None) -> None:
        accounts = JournalEntryAccounts(self.ctx)
        for sign, entry in ((-1, before), (1, after)):
            for detail in (entry or {}).get("details") or []:
                debit = Decimal(str(detail.get("debit") or "0")) * sign
                credit = Decimal(str(detail.get("credit") or "0")) * sign
                accounts.post(int(detail["sub_accountid"]), debit, credit)


class JournalEntryDetails(Resource):
    """`journal_entries/journal_entry_details`: every detail of every journal entry, as a read-only ledger list.

    Computed from the stored entries (it has no table of its own). Each row: `id`/`detailid`, `account{..}`,
    `sub_account{..}`, `entry{id, entryid, clientid, invoiceid, ...}` (the `*id` links null for manual entries),
    `name` and `description` (the entry's name; the detail's own description, else the entry's),
    `detail_type`, `user_entered_date`, and `debit`/`credit`/`balance` as Money. Filters (as `search[..]` or
    plain parameters): `sub_accountid`, `start_date`, `end_date` (inclusive days), `entryid`. Which of these the
    live API honours, the exact shape and ordering are unconfirmed (FIDELITY.md).
    """

    plural = "journal_entry_details"
    single = "journal_entry_detail"
    path = "journal_entries/journal_entry_details"
    label = "Journal entry detail"
    id_field = "detailid"
    id_keys = ("id", "detailid")
    operations = frozenset({"list"})
    updated_key = None
    shows_vis_state = False
    FILTERS = ("sub_accountid", "start_date", "end_date", "entryid")

    @property
    def table(self) -> Table:  # the entries' table: the details live inside them
        return Table(self.conn, JournalEntries.plural)

    def rows(self) -> list[dict[str, Any]]:
        accounts = JournalEntryAccounts(self.ctx)
        charts: dict[int, tuple[dict[str, Any], dict[str, Any]] | None] = {}
        rows = []
        for entry in sorted(self.table.all(), key=lambda e: int(e["id"])):
            for detail in entry.get("details") or []:
                sub_id = int(detail["sub_accountid"])
                if sub_id not in charts:
                    charts[sub_id] = accounts.find_sub_account(sub_id)
                found = charts[sub_id]
                account, sub = found if found is not None else ({}, {})
                code = entry.get("currency_code") or DEFAULT_CURRENCY
                debit = Decimal(str(detail.get("debit") or "0"))
                credit = Decimal(str(detail.get("credit") or "0"))
                rows.append({
                    "id": detail["id"], "detailid": detail["detailid"],
                    "account": {"accountid": account.get("accountid"), "account_name": account.get("account_name"),
                                "account_number": account.get("account_number"),
                                "account_type": account.get("account_type")},
                    "sub_account": {"sub_accountid": sub_id, "account_sub_name": sub.get("account_sub_name"),
                                    "account_sub_number": sub.get("account_sub_number")},
                    "entry": {"id": entry["id"], "entryid": entry["entryid"], "clientid": None, "invoiceid": None,
                              "paymentid": None, "expenseid": None, "incomeid": None, "creditid": None,
                              "categoryid": None},
                    "name": entry.get("name") or "",
                    "description": detail.get("description") or entry.get("description") or "",
                    "detail_type": "journal_entry",
                    "user_entered_date": entry.get("user_entered_date"),
                    "debit": {"amount": str(cents(debit)), "code": code},
                    "credit": {"amount": str(cents(credit)), "code": code},
                    "balance": {"amount": str(cents(debit - credit)), "code": code},
                })
        return rows

    def api_list(self, q: query.ListQuery) -> dict[str, Any]:
        self.require("list")
        given = {**{k: v for k, v in q.flags.items() if k in self.FILTERS},
                 **{k: v[-1] for k, v in q.search.items()}}
        for name, value in given.items():
            if name not in self.FILTERS and self.ctx.fb.unknown_filters == "error":
                raise errors.invalid(f"search[{name}]", self.single, value, f"Unknown search filter '{name}'.")
        rows = self.rows()
        if given.get("sub_accountid"):
            sub_id = int_in(given["sub_accountid"], "sub_accountid", self.single)
            rows = [r for r in rows if r["sub_account"]["sub_accountid"] == sub_id]
        if given.get("entryid"):
            entry_id = int_in(given["entryid"], "entryid", self.single)
            rows = [r for r in rows if r["entry"]["entryid"] == entry_id]
        if given.get("start_date"):
            rows = [r for r in rows if str(r["user_entered_date"]) >= given["start_date"]]
        if given.get("end_date"):
            rows = [r for r in rows if str(r["user_entered_date"]) <= given["end_date"]]
        per_page = q.per_page or min(self.ctx.fb.default_per_page, query.MAX_PER_PAGE)
        start = (q.page - 1) * per_page
        return {self.plural: rows[start:start + per_page], "page": q.page, "pages": -(-len(rows) // per_page),
                "per_page": per_page, "total": len(rows)}
