"""Clients: `users/clients`, the customers invoices are written to."""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from sandbox.freshbooks import errors, query, receivables
from sandbox.freshbooks.query import j
from sandbox.freshbooks.resource import DEFAULT_CURRENCY, Resource
from sandbox.freshbooks.values import normalize_fields

ADDRESS = ["street", "street2", "city", "province", "code", "country"]
WRITABLE = {
    "fname": "str", "lname": "str", "organization": "str", "email": "email", "note": "text",
    "currency_code": "currency", "language": "str", "vat_name": "str", "vat_number": "str",
    "bus_phone": "str", "home_phone": "str", "mob_phone": "str", "fax": "str",
    "pref_email": "bool", "pref_gmail": "bool", "allow_late_fees": "bool", "allow_late_notifications": "bool",
    "allow_email_include_pdf": "bool",
    **{f"p_{part}": "str" for part in ADDRESS},
    **{f"s_{part}": "str" for part in ADDRESS},
}
BALANCE_INCLUDES = {"outstanding_balance", "credit_balance", "draft_balance", "overdue_balance",
                    "grand_total_balance"}


def _sent_invoices_where(condition: str) -> str:
    return (
        "EXISTS (SELECT 1 FROM fb_invoices i WHERE json_extract(i.data, '$.customerid') = fb_clients.id "
        f"AND i.vis_state IN (0, 2) AND {condition})"
    )


OUTSTANDING = "json_extract(i.data, '$._sent') AND CAST(json_extract(i.data, '$.outstanding.amount') AS REAL) > 0"


class Clients(Resource):
    plural = "clients"
    single = "client"
    path = "users/clients"
    label = "Client"
    id_field = "userid"
    id_keys = ("id", "userid")
    filters: ClassVar[dict[str, query.Filter]] = {
        "userid": query.equals("id", "int"),
        "userids": query.one_of("id"),
        "fname_like": query.like(j("fname")),
        "lname_like": query.like(j("lname")),
        "organization_like": query.like(j("organization")),
        "note_like": query.like(j("note")),
        "address_like": query.like(*(j(f"p_{part}") for part in ADDRESS)),
        "phone_like": query.like(j("bus_phone"), j("home_phone"), j("mob_phone")),
        "user_like": query.like(j("fname"), j("lname"), j("organization"), j("email"), j("username")),
        "has_outstanding": query.when_set(_sent_invoices_where(OUTSTANDING)),
        "has_draft": query.when_set(_sent_invoices_where("NOT COALESCE(json_extract(i.data, '$._sent'), 0)")),
        **query.date_range("updated", j("updated")),
    }

    def filter_for(self, name: str) -> query.Filter | None:
        if name == "email":
            if self.ctx.fb.email_search_case_sensitive:
                return query.equals(j("email"))
            return query.equals_folded(j("email"))
        if name == "has_overdue":
            today = self.today().replace("'", "")
            overdue = f"{OUTSTANDING} AND json_extract(i.data, '$.due_date') < '{today}'"
            return query.when_set(_sent_invoices_where(overdue))
        if name == "has_credit":
            # Clients whose available credit (the pool: notes + overpayments - applied credit) is positive.
            with_credit = [cid for cid, pool in receivables.credits(self.conn).items() if pool.available > 0]
            return query.when_set(f"fb_clients.id IN ({', '.join(str(int(c)) for c in with_credit) or '-1'})")
        return super().filter_for(name)

    def defaults(self, record_id: int) -> dict[str, Any]:
        signup = self.stamp(utc=True)
        return {
            **super().defaults(record_id),
            "allow_email_include_pdf": False, "allow_late_fees": True, "allow_late_notifications": True,
            "bus_phone": "", "company_industry": None, "company_size": None, "currency_code": DEFAULT_CURRENCY,
            "direct_link_token": None, "email": "", "fax": "", "fname": "", "has_retainer": None,
            "home_phone": None, "language": "en", "last_activity": None, "last_login": None, "level": 0,
            "lname": "", "mob_phone": "", "note": None, "notified": False, "num_logins": 0, "organization": "",
            **{f"p_{part}": "" for part in ADDRESS}, "pref_email": True, "pref_gmail": False,
            "retainer_id": None, "role": "client", **{f"s_{part}": "" for part in ADDRESS},
            "signup_date": signup, "statement_token": None, "subdomain": None,
            "username": uuid.uuid5(uuid.NAMESPACE_OID, f"fb-client-user-{record_id}").hex[:10],
            "uuid": str(uuid.uuid5(uuid.NAMESPACE_OID, f"fb-client-{record_id}")),
            "vat_name": None, "vat_number": None,
        }

    def normalize(self, payload: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
        currency = (current or {}).get("currency_code", DEFAULT_CURRENCY)
        return normalize_fields(WRITABLE, payload, self.single, currency)

    def check_new(self, data: dict[str, Any]) -> None:
        if not any((data.get(k) or "").strip() for k in ("fname", "lname", "organization", "email")):
            raise errors.ApiError(errors.REQUIRED_FIELD, "A client needs an organization, a first or last name, "
                                  "or an email.", field="organization", object=self.single)
        if not (data.get("organization") or data.get("fname") or data.get("lname")):
            # As in the SDK fixture: a client created from an email alone is named after it.
            data["organization"] = data["email"]
        if self.ctx.fb.unique_client_emails and data.get("email"):
            taken = self.conn.execute(
                "SELECT id FROM fb_clients WHERE vis_state IN (0, 2) "
                "AND lower(json_extract(data, '$.email')) = lower(?) LIMIT 1", (data["email"],)).fetchone()
            if taken:
                raise errors.invalid("email", self.single, data["email"],
                                     f"A client with this email already exists (userid {taken[0]}).")

    def render(self, data: dict[str, Any], includes: list[str]) -> dict[str, Any]:
        shown = super().render(data, includes)
        wanted = BALANCE_INCLUDES.intersection(includes)
        if wanted:
            balance = receivables.balances(self.conn, self.today(), [data["id"]]).get(data["id"])
            lists = receivables.balance_lists(balance, data.get("currency_code") or DEFAULT_CURRENCY)
            shown.update({k: v for k, v in lists.items() if k in wanted})
        return shown
