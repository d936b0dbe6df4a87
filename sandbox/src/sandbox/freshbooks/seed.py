"""The FreshBooks account as the customer had it before connecting: not empty, and partly overlapping.

Built deterministically (under the seed) from ServiceTitan's records, read with
`sandbox.servicetitan.data.iter_records`:

- clients with the emails of some ServiceTitan customers, among them two clients sharing one email, a
  deleted client (vis_state 1) whose email is a customer's, one whose email differs from a customer's only
  in letter case, and one whose email contains `+` (a customer's own if ServiceTitan has such an email,
  otherwise a `+tag` variant of one that must *not* match it); and clients that match nothing. (A tiny
  ServiceTitan seed may lack customers for some of these cases; those are then left out of `cases`.);
- items whose SKU is a pricebook code, one matching a pricebook entry only by name, a deleted one;
- taxes (named after the tax zones' rates), expense categories, bill vendors named like some
  ServiceTitan vendors (one with a near-miss name), a chart of accounts for journal entries, and a few
  old invoices of the clients that match nothing.

Every object made here is listed in `fb_preexisting`, and the notable cases in the meta key
`fb_seed_cases`; `GET /_sandbox/preexisting` shows both.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from sandbox.context import SandboxContext
from sandbox.freshbooks.db import ensure_schema, mark_preexisting
from sandbox.freshbooks.registry import Registry
from sandbox.freshbooks.values import utc_stamp

CASES_KEY = "fb_seed_cases"
SEEDED_KEY = "fb_seeded"

CATEGORIES: list[tuple[str, str | None, bool]] = [  # name, parent name, is_cogs
    ("Cost of Goods Sold", None, True), ("Materials & Parts", "Cost of Goods Sold", True),
    ("Equipment Purchases", "Cost of Goods Sold", True), ("Subcontractors", "Cost of Goods Sold", True),
    ("Car & Truck Expenses", None, False), ("Fuel", "Car & Truck Expenses", False),
    ("Vehicle Maintenance", "Car & Truck Expenses", False), ("Tools & Small Equipment", None, False),
    ("Office Expenses", None, False), ("Advertising", None, False), ("Insurance", None, False),
    ("Utilities", None, False), ("Rent or Lease", None, False), ("Permits & Licenses", None, False),
]
CHART: list[tuple[str, str, str, list[tuple[str, str]]]] = [  # name, number, type, sub-accounts
    ("Cash & Bank", "1000", "asset", [("Business Checking", "1000-1"), ("Undeposited Funds", "1000-2")]),
    ("Accounts Receivable", "1200", "asset", [("Accounts Receivable", "1200-1")]),
    ("Inventory", "1300", "asset", [("Inventory Asset", "1300-1")]),
    ("Sales Taxes Payable", "2200", "liability", [("Sales Tax Payable", "2200-1")]),
    ("Owner's Equity", "3000", "equity", [("Owner Investment", "3000-1"), ("Owner Draws", "3000-2")]),
    ("Revenue", "4000", "income", [("Service Revenue", "4000-1"), ("Material Sales", "4000-2"),
                                   ("Equipment Sales", "4000-3")]),
    ("Cost of Goods Sold", "5000", "cost_of_goods_sold", [("Cost of Materials", "5000-1"),
                                                          ("Cost of Equipment", "5000-2")]),
    ("Operating Expenses", "6000", "expense", [("Vehicle Expense", "6000-1"), ("Rent", "6000-2"),
                                               ("Inventory Adjustments", "6000-3")]),
]
UNMATCHED_CLIENTS: list[dict[str, str]] = [
    {"organization": "Lakeside Property Management", "email": "ap@lakeside-pm.example"},
    {"fname": "Gloria", "lname": "Mendez", "email": "gloria.mendez@homemail.example"},
    {"organization": "St. Brendan's Parish Hall", "email": "office@stbrendans.example"},
    {"fname": "Victor", "lname": "Okafor", "email": "vokafor@fastmail.example"},
    {"organization": "Cedar Grove Condominiums", "email": "board@cedargrove-condos.example"},
    {"organization": "Walk-in cash customer", "email": ""},
]
UNMATCHED_ITEMS: list[dict[str, Any]] = [
    {"name": "Trip charge (legacy)", "sku": "LEGACY-TRIP", "unit_cost": "49.00"},
    {"name": "Shop supplies", "sku": None, "unit_cost": "12.50"},
    {"name": "After-hours surcharge", "sku": "AH-SURCH", "unit_cost": "95.00"},
]
UNMATCHED_VENDORS = ["City Water Department", "Verizon Wireless", "Pinnacle Fleet Leasing"]


def _records(ctx: SandboxContext, kind: str) -> Iterator[dict[str, Any]]:
    from sandbox.servicetitan.data import iter_records

    return iter_records(ctx.store, kind)


def _text(html: Any) -> str:
    return re.sub(r"<[^>]+>", "", str(html or "")).strip()


def _plus_variant(email: str, tag: str) -> str:
    local, _, domain = email.partition("@")
    return f"{local}+{tag}@{domain}"


class Seeder:
    def __init__(self, ctx: SandboxContext, seed: int) -> None:
        self.ctx = ctx
        self.rng = random.Random(f"freshbooks-{seed}")
        self.registry = Registry(ctx)
        self.counts: dict[str, int] = {}
        self.cases: dict[str, Any] = {}

    def add(self, resource: str, fields: dict[str, Any]) -> dict[str, Any]:
        record = self.registry[resource].admin_create(fields)
        record_id = record.get("id") or record["vendorid"]
        mark_preexisting(self.ctx.store.conn, resource, int(record_id))
        self.counts[f"freshbooks {resource}"] = self.counts.get(f"freshbooks {resource}", 0) + 1
        return record

    def past(self, days_back: int) -> str:
        return utc_stamp(self.ctx.clock.now() - timedelta(days=days_back, minutes=self.rng.randrange(1440)))

    # --- clients ------------------------------------------------------------------------------------------

    def client_fields(self, customer: dict[str, Any], email: str) -> dict[str, Any]:
        address = customer.get("address") or {}
        fields: dict[str, Any] = {
            "email": email, "p_street": address.get("street") or "", "p_city": address.get("city") or "",
            "p_province": address.get("state") or "", "p_code": address.get("zip") or "",
            "p_country": "United States" if address.get("country") in ("USA", "US") else address.get("country") or "",
            "signup_date": self.past(self.rng.randrange(200, 1500)),
        }
        name = str(customer.get("name") or "")
        if customer.get("type") == "Commercial":
            fields["organization"] = name
        else:
            first, _, last = name.partition(" ")
            fields.update({"fname": first, "lname": last})
        return fields

    def clients(self) -> None:
        customers = {c["id"]: c for c in _records(self.ctx, "customers") if c.get("active", True)}
        emails: list[tuple[int, str]] = sorted({
            (c["customerId"], c["value"]) for c in _records(self.ctx, "contacts")
            if c.get("type") == "Email" and c.get("active", True) and c.get("customerId") in customers
            and c.get("value")
        })
        # One email per customer, and no email two customers share (those are the mapper's problem).
        owners: dict[str, set[int]] = {}
        for customer_id, email in emails:
            owners.setdefault(email.lower(), set()).add(customer_id)
        by_customer: dict[int, str] = {}
        for customer_id, email in emails:
            if len(owners[email.lower()]) == 1:
                by_customer.setdefault(customer_id, email)
        candidates = sorted(by_customer.items())
        self.rng.shuffle(candidates)
        plus_owned = [c for c in candidates if "+" in c[1]]
        if plus_owned:  # a customer's own email with "+" makes the best case; keep it for last
            candidates.remove(plus_owned[0])
            candidates.insert(min(3, len(candidates)), plus_owned[0])
        special, rest = candidates[:4], candidates[4:]
        matched = rest[: max(3, len(rest) // 3)]
        for customer_id, email in matched:
            self.add("clients", self.client_fields(customers[customer_id], email))
        self.cases["matched_client_emails"] = sorted(email for _, email in matched)
        for case, (customer_id, email) in zip(("shared_email", "deleted_client", "case_variant_client",
                                               "plus_email_client"), special, strict=False):
            self.cases[case] = getattr(self, f"case_{case}")(customers[customer_id], email)
        for fields in UNMATCHED_CLIENTS:
            self.add("clients", {**fields, "signup_date": self.past(self.rng.randrange(200, 1500))})

    def case_shared_email(self, customer: dict[str, Any], email: str) -> dict[str, Any]:
        first = self.add("clients", self.client_fields(customer, email))
        duplicate = {**self.client_fields(customer, email), "organization": f"{customer['name']} (billing)",
                     "note": "Duplicate entered by the office"}
        second = self.add("clients", duplicate)
        return {"email": email, "st_customer_id": customer["id"], "client_ids": [first["id"], second["id"]]}

    def case_deleted_client(self, customer: dict[str, Any], email: str) -> dict[str, Any]:
        gone = self.add("clients", {**self.client_fields(customer, email), "vis_state": 1})
        return {"email": email, "st_customer_id": customer["id"], "client_id": gone["id"]}

    def case_case_variant_client(self, customer: dict[str, Any], email: str) -> dict[str, Any]:
        upper = self.add("clients", self.client_fields(customer, email.upper()))
        return {"email": upper["email"], "st_email": email, "st_customer_id": customer["id"],
                "client_id": upper["id"]}

    def case_plus_email_client(self, customer: dict[str, Any], email: str) -> dict[str, Any]:
        plus_email = email if "+" in email else _plus_variant(email, "invoices")
        client = self.add("clients", self.client_fields(customer, plus_email))
        return {"email": plus_email, "st_email": email, "st_customer_id": customer["id"],
                "matches_st_customer": plus_email == email, "client_id": client["id"]}

    # --- items, taxes, categories, vendors, accounts --------------------------------------------------------

    def items(self) -> None:
        pricebook = [r for kind in ("materials", "services", "equipment") for r in _records(self.ctx, kind)
                     if r.get("active", True) and r.get("code")]
        pricebook.sort(key=lambda r: r["code"])
        self.rng.shuffle(pricebook)
        special, rest = pricebook[:2], pricebook[2:]
        matched = rest[: max(2, len(rest) * 3 // 10)]
        for entry in matched:
            self.add("items", self.item_fields(entry, sku=entry["code"]))
        self.cases["matched_item_skus"] = sorted(e["code"] for e in matched)
        if special:
            by_name = self.add("items", self.item_fields(special[0], sku=None))
            self.cases["name_only_item"] = {"name": by_name["name"], "st_code": special[0]["code"],
                                            "item_id": by_name["id"]}
        if len(special) > 1:
            gone = self.add("items", {**self.item_fields(special[1], sku=special[1]["code"]), "vis_state": 1})
            self.cases["deleted_item"] = {"sku": special[1]["code"], "item_id": gone["id"]}
        for fields in UNMATCHED_ITEMS:
            self.add("items", {**fields, "unit_cost": {"amount": fields["unit_cost"], "code": "USD"},
                               "qty": "0", "description": ""})

    @staticmethod
    def item_fields(entry: dict[str, Any], sku: str | None) -> dict[str, Any]:
        return {"name": str(entry.get("displayName") or entry["code"])[:255], "sku": sku,
                "description": _text(entry.get("description")), "qty": "0", "inventory": None,
                "unit_cost": {"amount": f"{float(entry.get('price') or 0):.2f}", "code": "USD"}}

    def taxes(self) -> None:
        seen: set[str] = set()
        for zone in _records(self.ctx, "tax_zones"):
            for rate in zone.get("rates") or []:
                name = str(rate.get("taxName") or "").strip()
                if name and name not in seen and zone.get("active", True):
                    seen.add(name)
                    percent = f"{float(rate.get('taxRate') or 0) * 100:.4f}".rstrip("0").rstrip(".")
                    self.add("taxes", {"name": name, "amount": percent, "number": None, "compound": False})
        self.add("taxes", {"name": "Sales Tax", "amount": "8.875", "number": "ST-209-44871", "compound": False})

    def categories(self) -> None:
        ids: dict[str, int] = {}
        for name, parent, is_cogs in CATEGORIES:
            record = self.add("categories", {"category": name, "parentid": ids.get(parent or ""),
                                             "is_cogs": is_cogs, "is_editable": parent is not None})
            ids[name] = record["id"]

    def vendors(self) -> None:
        names = sorted(str(v["name"]) for v in _records(self.ctx, "vendors") if v.get("active", True)
                       and v.get("name"))
        self.rng.shuffle(names)
        matched = names[: max(2, len(names) * 4 // 10)]
        for name in matched:
            self.add("bill_vendors", {"vendor_name": name, "currency_code": "USD", "language": "en",
                                      "created_at": self.past(self.rng.randrange(200, 1500))})
        near_miss = None
        if len(names) > len(matched):
            near_miss = f"{names[len(matched)]} Inc."
            self.add("bill_vendors", {"vendor_name": near_miss, "currency_code": "USD", "language": "en"})
        for name in UNMATCHED_VENDORS:
            self.add("bill_vendors", {"vendor_name": name, "currency_code": "USD", "language": "en"})
        self.cases.update({"matched_vendor_names": sorted(matched), "near_miss_vendor_name": near_miss})

    def chart_of_accounts(self) -> None:
        sub_id = 2_260_000
        for name, number, account_type, subs in CHART:
            sub_accounts = []
            for sub_name, sub_number in subs:
                sub_id += 1
                sub_accounts.append({
                    "id": sub_id, "sub_accountid": sub_id, "parentid": None, "account_sub_name": sub_name,
                    "account_sub_number": sub_number, "account_type": account_type, "balance": "0.00",
                    "custom": False, "transaction_posted": False, "currency_code": "USD",
                    "created_at": "2021-03-02 11:20:00",
                })
            record = self.add("journal_entry_accounts", {"account_name": name, "account_number": number,
                                                         "account_type": account_type, "sub_accounts": sub_accounts,
                                                         "created_at": "2021-03-02 11:20:00"})
            for sub in record["sub_accounts"]:
                sub["parentid"] = record["id"]
            self.registry["journal_entry_accounts"].table.save(record["id"], record)

    def old_invoices(self) -> None:
        """A few invoices of the clients that match nothing, so receivables are not empty before a sync."""
        clients = [c for c in self.registry["clients"].table.all() if c.get("organization") in
                   {"Lakeside Property Management", "Cedar Grove Condominiums", "St. Brendan's Parish Hall"}]
        as_of = self.ctx.clock.now().date()
        for number, client in enumerate(clients, start=1):
            created = as_of - timedelta(days=self.rng.randrange(40, 400))
            amount = f"{self.rng.randrange(150, 2400)}.00"
            invoice = self.add("invoices", {
                "customerid": client["id"], "invoice_number": f"FB-2024-{number:03d}",
                "create_date": created.isoformat(), "due_offset_days": 30, "sent": True,
                "organization": client.get("organization") or "", "current_organization": client.get(
                    "organization") or "",
                "lines": [{"name": "Annual maintenance agreement", "qty": "1",
                           "unit_cost": {"amount": amount, "code": "USD"}}],
            })
            if number == 1:
                payment = self.add("payments", {"invoiceid": invoice["id"], "clientid": client["id"],
                                                "amount": {"amount": amount, "code": "USD"},
                                                "date": (created + timedelta(days=12)).isoformat(),
                                                "type": "Check"})
                self.cases["paid_old_invoice"] = {"invoice_id": invoice["id"], "payment_id": payment["id"]}


def seed_freshbooks(ctx: SandboxContext, *, seed: int) -> dict[str, int]:
    """Create the pre-existing FreshBooks data (once per database); returns counts by kind."""
    ensure_schema(ctx.store)
    if ctx.store.get_meta(SEEDED_KEY):
        return {}
    seeder = Seeder(ctx, seed)
    with ctx.store.transaction():
        seeder.clients()
        seeder.items()
        seeder.taxes()
        seeder.categories()
        seeder.vendors()
        seeder.chart_of_accounts()
        seeder.old_invoices()
    ctx.store.set_meta(CASES_KEY, seeder.cases)
    ctx.store.set_meta(SEEDED_KEY, {"seed": seed})
    return dict(sorted(seeder.counts.items()))
