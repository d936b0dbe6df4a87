"""Journal entries (create-only; debits must equal credits) and the chart of accounts they post to."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import orjson

from sandbox.freshbooks import errors
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
