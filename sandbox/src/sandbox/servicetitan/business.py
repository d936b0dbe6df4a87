"""The simulated company at work: generators of customers, invoices, payments, credit memos and bills.

`Business` holds what the generators need (the reference data, the customers, a random generator, an
id source and a sink for documents). The seed calls it over two years of days; simulated activity can
call the same methods for one more day. Every amount follows the rules in `accounting.py`.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sandbox.servicetitan import company, records
from sandbox.servicetitan.accounting import (
    ZERO,
    cents,
    invoice_amounts,
    line_rate,
    line_total,
    unrounded_tax,
    zone_headline_rate,
)
from sandbox.servicetitan.db import allocate_ids
from sandbox.servicetitan.repository import BulkWriter, settled_on
from sandbox.servicetitan.times import api_date, api_time, parse_time
from sandbox.store import Store

ONE = Decimal("1")
SEED_PENDING = timedelta(days=14)
"""The seed's office has posted the documents dated more than this before `as_of`; younger ones are Pending."""


class IdSource:
    """Hands out ids from blocks reserved in the store's one id sequence."""

    def __init__(self, store: Store, block: int = 5000) -> None:
        self.store = store
        self.block = block
        self._ids: range = range(0)
        self._next = 0

    def __call__(self) -> int:
        if self._next >= len(self._ids):
            self._ids = allocate_ids(self.store, self.block)
            self._next = 0
        value = self._ids[self._next]
        self._next += 1
        return value


@dataclass
class Sku:
    spec: company.SkuSpec
    id: int
    active: bool
    item_type: str  # Service | Material | Equipment
    gl: dict[str, Any]
    inactive_since: datetime | None = None


@dataclass
class Place:
    id: int
    name: str
    addr: dict[str, Any]
    zone_key: str


@dataclass
class Customer:
    id: int
    name: str
    commercial: bool
    exempt: bool
    addr: dict[str, Any]
    created: datetime
    places: list[Place]
    term: str
    balance: Decimal = ZERO
    last_change: datetime | None = None
    emails: list[str] = field(default_factory=list)
    merged_to: int | None = None
    """Set on a duplicate merged into another customer: it is then inactive."""
    merged_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.merged_to is None

    @property
    def ref(self) -> dict[str, Any]:
        return records.named(self.id, self.name)

    def touch(self, when: datetime) -> None:
        if self.last_change is None or when > self.last_change:
            self.last_change = when


@dataclass
class CustomerTraits:
    kind: str = "residential"  # residential | commercial | exempt
    no_email: bool = False
    two_emails: bool = False
    email_changed: bool = False
    shared_name_with: Customer | None = None
    shared_email: str | None = None
    merge_into: Customer | None = None
    """A duplicate of this customer, merged into it (and so deactivated) some days after creation."""


@dataclass
class Line:
    type: str
    sku_id: int
    code: str
    name: str
    quantity: Decimal
    price: Decimal
    cost: Decimal
    taxable: bool
    chargeable: bool = True
    gl: dict[str, Any] | None = None
    hours: Decimal | None = None
    inventory: bool = False


@dataclass
class InvoiceDraft:
    id: int
    reference: str
    customer: Customer
    place: Place
    business_unit: dict[str, Any]
    job: dict[str, Any]
    created: datetime
    items: list[dict[str, Any]]
    sub_total: Decimal
    sales_tax: Decimal
    total: Decimal
    discount_total: Decimal
    zone: dict[str, Any]
    summary: str
    active: bool = True
    adjustment_to: int | None = None
    voided_at: datetime | None = None
    applications: list[tuple[datetime, Decimal]] = field(default_factory=list)

    @property
    def balance(self) -> Decimal:
        return self.total - sum((amount for _, amount in self.applications), ZERO)


class Business:
    """The company's reference data, customers and generators of its business documents."""

    def __init__(self, store: Store, rng: random.Random, as_of: datetime, writer: BulkWriter) -> None:
        self.store = store
        self.rng = rng
        self.as_of = as_of
        self.writer = writer
        self.ids = IdSource(store)
        self.zones: dict[str, dict[str, Any]] = {}
        self.gl: dict[int, dict[str, Any]] = {}
        self.payment_types: dict[str, int] = {}
        self.vendors: list[dict[str, Any]] = []
        self.skus: dict[str, list[Sku]] = {"materials": [], "services": [], "equipment": []}
        self.retired: list[Sku] = []
        self.discounts: list[tuple[int, str, str, str, Decimal]] = []
        self.customers: list[Customer] = []
        self.next_job_number = 10001
        self.next_bill_number = 5001
        self.next_memo_number = 801
        self.email_serial = 0
        self.ap_numbers = {"ap_bill": 2001, "ap_credit": 301}
        self._offers: dict[int, tuple[list[Sku], list[Sku], list[Sku]]] = {}
        self._service_codes: dict[str, Sku] = {}

    # ----------------------------------------------------------------- reference data

    def setup_reference(self) -> None:
        """Tax zones, GL accounts, payment types, vendors and the pricebook, all older than the history."""
        founded = self.as_of - timedelta(days=5 * 365)
        stamp = api_time(founded)
        for n, spec in enumerate(company.TAX_ZONES):
            zone_id = 3001 + n
            rates = [records.tax_rate(id=3101 + 10 * n + k, name=name, base_types=list(bases), rate=Decimal(rate))
                     for k, (name, bases, rate) in enumerate(spec.rates)]
            modified = stamp if spec.active else api_time(self.as_of - timedelta(days=700))
            doc = records.tax_zone(id=zone_id, name=spec.name, separated=spec.separated, rates=rates,
                                   created_on=stamp, modified_on=modified, active=spec.active, color=0x3366CC + n)
            self.zones[spec.key] = doc
            self.writer.add("tax_zones", doc)
        for gl_id, number, name, type_, subtype, default, active in company.GL_ACCOUNTS:
            doc = records.gl_account(id=gl_id, number=number, name=name, type=type_, subtype=subtype,
                                     default_type=default, active=active, created_on=stamp, modified_on=stamp)
            self.gl[gl_id] = doc
            self.writer.add("gl_accounts", doc)
        for pt_id, name, active in company.PAYMENT_TYPES:
            self.payment_types[name] = pt_id
            self.writer.add("payment_types", records.payment_type(id=pt_id, name=name, created_on=stamp,
                                                                  modified_on=stamp), active=active)
        self._setup_vendors(founded)
        self._setup_pricebook(founded)

    def _setup_vendors(self, founded: datetime) -> None:
        rng = self.rng
        active_count = len(company.VENDORS) - company.INACTIVE_VENDORS
        for n, (name, city, state) in enumerate(company.VENDORS):
            created = founded + timedelta(days=rng.randint(0, 600))
            active = n < active_count
            modified = created if active else self.as_of - timedelta(days=rng.randint(200, 500))
            first, last = rng.choice(company.FIRST_NAMES), rng.choice(company.LAST_NAMES)
            slug = re.sub(r"[^a-z]", "", name.lower())[:14]
            rate = Decimal("0") if state == "NJ" else Decimal("0.08875") if state == "NY" else Decimal("0.0635")
            doc = records.vendor(
                id=self.ids(), name=name, active=active,
                addr=records.address(f"{rng.randint(10, 999)} {rng.choice(company.STREET_NAMES)} Industrial Pkwy",
                                     None, city, state, f"{rng.randint(10000, 99999)}"),
                contact_first=first, contact_last=last, phone=f"718555{rng.randint(1000, 9999)}",
                email=f"orders@{slug}.example.com", default_tax_rate=rate,
                created_on=api_time(created), modified_on=api_time(modified))
            self.vendors.append(doc)
            self.writer.add("vendors", doc)

    def _setup_pricebook(self, founded: datetime) -> None:
        rng = self.rng
        gl = self.gl
        role = company.GL_BY_ROLE
        service_categories = {
            5001: {"id": 8101, "name": "Plumbing Service", "active": True},
            5002: {"id": 8102, "name": "Plumbing Installation", "active": True},
            5003: {"id": 8103, "name": "HVAC Service", "active": True},
            5004: {"id": 8104, "name": "HVAC Installation", "active": True},
            5005: {"id": 8105, "name": "Drains & Sewer", "active": True},
        }
        active_vendors = [v for v in self.vendors if v["active"]]
        for spec in (*company.MATERIALS, *company.SERVICES, *company.EQUIPMENT):
            sku_id = self.ids()
            created = founded + timedelta(days=rng.randint(0, 700), minutes=rng.randint(0, 600))
            inactive = spec.code in company.INACTIVE_SKU_CODES
            modified = created
            inactive_since = None
            if inactive:
                inactive_since = self.as_of - timedelta(days=rng.randint(90, 200))
                modified = inactive_since
            elif rng.random() < 0.25:
                modified = self.as_of - timedelta(days=rng.randint(1, 600), minutes=rng.randint(0, 600))
            bu = spec.business_units[0] if spec.business_units else None
            if spec.kind == "services":
                gl_doc = gl[role["install"] if bu in (5002, 5004) else role["service"]]
                doc = records.service(
                    id=sku_id, code=spec.code, name=spec.name, price=spec.price, cost=spec.cost,
                    taxable=bool(spec.taxable), hours=spec.hours, active=not inactive, created_on=api_time(created),
                    modified_on=api_time(modified),
                    categories=[service_categories[b] for b in spec.business_units], gl=gl_doc, business_unit_id=bu,
                    is_labor=spec.code.endswith("-HR"))
                item_type = "Service"
            else:
                vendor = rng.choice(active_vendors)
                primary = records.sku_vendor(link_id=self.ids(), vendor_id=vendor["id"], vendor_name=vendor["name"],
                                             cost=spec.cost, part=f"{spec.code}-V")
                if spec.kind == "materials":
                    gl_doc = gl[role["material"]]
                    doc = records.material(
                        id=sku_id, code=spec.code, name=spec.name, price=spec.price, cost=spec.cost,
                        taxable=spec.taxable, unit=spec.unit, active=not inactive, created_on=api_time(created),
                        modified_on=api_time(modified), category_ids=[8200 + (bu or 0) % 100], gl=gl_doc,
                        primary_vendor=primary, business_unit_id=bu)
                    item_type = "Material"
                else:
                    gl_doc = gl[role["equipment"]]
                    doc = records.equipment(
                        id=sku_id, code=spec.code, name=spec.name, price=spec.price, cost=spec.cost,
                        taxable=bool(spec.taxable), unit=spec.unit, active=not inactive, created_on=api_time(created),
                        modified_on=api_time(modified), category_ids=[8300 + (bu or 0) % 100], gl=gl_doc,
                        primary_vendor=primary, manufacturer=spec.name.split()[0])
                    item_type = "Equipment"
            self.writer.add(spec.kind, doc)
            self.skus[spec.kind].append(Sku(spec, sku_id, not inactive, item_type, records.gl_ref(gl_doc),
                                            inactive_since))
        for spec in company.RETIRED_SKUS:
            item_type = {"materials": "Material", "services": "Service", "equipment": "Equipment"}[spec.kind]
            gl_id = {"Material": role["material"], "Service": role["service"], "Equipment": role["equipment"]}
            self.retired.append(Sku(spec, self.ids(), False, item_type, records.gl_ref(gl[gl_id[item_type]])))
        for code, name, mode, value in company.DISCOUNTS:
            self.discounts.append((self.ids(), code, name, mode, value))

    # ----------------------------------------------------------------- state kept between runs

    def state(self) -> dict[str, Any]:
        """What `load` needs besides the records: counters and the ids of SKUs the API does not serve."""
        return {
            "next_job_number": self.next_job_number, "next_bill_number": self.next_bill_number,
            "next_memo_number": self.next_memo_number, "email_serial": self.email_serial,
            "ap_numbers": dict(self.ap_numbers),
            "retired_sku_ids": {sku.spec.code: sku.id for sku in self.retired},
            "discount_ids": {code: sku_id for sku_id, code, _, _, _ in self.discounts},
        }

    @classmethod
    def load(cls, store: Store, rng: random.Random, now: datetime, writer: BulkWriter,
             state: dict[str, Any]) -> Business:
        """Rebuild the company from its stored records (for one more day of business after the seed)."""
        from sandbox.servicetitan.data import iter_records

        business = cls(store, rng, now, writer)
        for key in ("next_job_number", "next_bill_number", "next_memo_number", "email_serial"):
            setattr(business, key, int(state[key]))
        business.ap_numbers.update({k: int(v) for k, v in (state.get("ap_numbers") or {}).items()})
        zone_keys = {spec.name: spec.key for spec in company.TAX_ZONES}
        for doc in iter_records(store, "tax_zones"):
            business.zones[zone_keys.get(doc["name"], str(doc["id"]))] = doc
        business.gl = {doc["id"]: doc for doc in iter_records(store, "gl_accounts")}
        business.payment_types = {doc["name"]: doc["id"] for doc in iter_records(store, "payment_types")}
        business.vendors = list(iter_records(store, "vendors"))
        specs = {spec.code: spec for spec in (*company.MATERIALS, *company.SERVICES, *company.EQUIPMENT)}
        gl_by_name = {doc["name"]: doc for doc in business.gl.values()}
        item_types = {"materials": "Material", "services": "Service", "equipment": "Equipment"}
        for kind, item_type in item_types.items():
            for doc in iter_records(store, kind):
                spec = specs.get(doc["code"]) or company.SkuSpec(
                    kind, doc["code"], doc["displayName"] or doc["code"], Decimal(str(doc["price"])),
                    Decimal(str(doc["cost"])), doc["taxable"], doc.get("unitOfMeasure"), Decimal(str(doc["hours"])),
                    (doc["businessUnitId"],) if doc.get("businessUnitId") else ())
                gl_doc = business.gl.get(doc.get("generalLedgerAccountId") or 0) or gl_by_name[doc["account"]]
                business.skus[kind].append(Sku(spec, doc["id"], doc["active"], item_type, records.gl_ref(gl_doc)))
        role = company.GL_BY_ROLE
        for spec in company.RETIRED_SKUS:
            item_type = item_types[spec.kind]
            gl_id = {"Material": role["material"], "Service": role["service"], "Equipment": role["equipment"]}
            business.retired.append(Sku(spec, int(state["retired_sku_ids"][spec.code]), False, item_type,
                                        records.gl_ref(business.gl[gl_id[item_type]])))
        for code, name, mode, value in company.DISCOUNTS:
            business.discounts.append((int(state["discount_ids"][code]), code, name, mode, value))
        business._load_customers()
        return business

    def _load_customers(self) -> None:
        from sandbox.servicetitan.data import iter_records

        zone_keys = {doc["id"]: key for key, doc in self.zones.items()}
        places: dict[int, list[Place]] = {}
        for doc in iter_records(self.store, "locations"):
            if doc["active"]:
                places.setdefault(doc["customerId"], []).append(
                    Place(doc["id"], doc["name"], doc["address"], zone_keys[doc["taxZoneId"]]))
        emails: dict[int, list[str]] = {}
        for doc in iter_records(self.store, "contacts"):
            if doc["active"] and doc["type"] == "Email":
                emails.setdefault(doc["customerId"], []).append(doc["value"])
        for doc in iter_records(self.store, "customers"):
            customer = Customer(
                doc["id"], doc["name"], doc["type"] == "Commercial", doc["taxExempt"], doc["address"],
                parse_time(doc["createdOn"]), places.get(doc["id"], []),
                "Net 30" if doc["type"] == "Commercial" else "Due Upon Receipt",
                balance=Decimal(str(doc["balance"])), last_change=parse_time(doc["modifiedOn"]),
                emails=emails.get(doc["id"], []), merged_to=doc["mergedToId"])
            self.customers.append(customer)

    # ----------------------------------------------------------------- customers

    def new_customer(self, created: datetime, traits: CustomerTraits) -> Customer:
        """A customer with their locations and contacts (contacts and locations are written now)."""
        rng = self.rng
        city = rng.choices(company.CITIES, weights=[c.weight for c in company.CITIES])[0]
        addr = self._address(city)
        first, last = rng.choice(company.FIRST_NAMES), rng.choice(company.LAST_NAMES)
        commercial = traits.kind in ("commercial", "exempt")
        if traits.merge_into is not None:
            traits.shared_name_with = traits.merge_into
        if traits.shared_name_with is not None:
            name = traits.shared_name_with.name
        elif traits.kind == "exempt":
            name = rng.choice(company.EXEMPT_PATTERNS).format(first=first, last=last, city=city.name,
                                                               street=addr["street"].split(" ", 1)[1].split()[0])
        elif commercial:
            name = rng.choice(company.COMMERCIAL_PATTERNS).format(last=last, city=city.name,
                                                                   street=addr["street"].split(" ", 1)[1].split()[0])
        else:
            name = f"{first} {last}"
        customer_id = self.ids()
        places = [Place(self.ids(), name if not commercial else f"{name} - {addr['street']}", addr, city.zone)]
        extra_places = rng.choice((1, 1, 2, 3)) if commercial else (1 if rng.random() < 0.05 else 0)
        for _ in range(extra_places):
            other_city = rng.choices(company.CITIES, weights=[c.weight for c in company.CITIES])[0]
            other = self._address(other_city)
            label = f"{name} - {other['street']}" if commercial else f"{name} (rental) - {other['street']}"
            places.append(Place(self.ids(), label, other, other_city.zone))
        customer = Customer(customer_id, name, commercial, traits.kind == "exempt", addr, created, places,
                            "Net 30" if commercial else "Due Upon Receipt")
        created_s = api_time(created)
        closed_s = None
        if traits.merge_into is not None:
            customer.merged_to = traits.merge_into.id
            customer.merged_at = min(created + timedelta(days=rng.randint(1, 20), hours=rng.randint(0, 5)),
                                     self.as_of - timedelta(minutes=5))
            closed_s = api_time(customer.merged_at)
        for place in places:
            self.writer.add("locations", records.location(
                id=place.id, customer_id=customer_id, name=place.name, addr=place.addr,
                tax_zone_id=self.zones[place.zone_key]["id"], tax_exempt=customer.exempt,
                created_on=created_s, modified_on=closed_s or created_s, active=closed_s is None))
        self._contacts(customer, first, last, traits, created_s, closed_s)
        self.customers.append(customer)
        return customer

    def _address(self, city: company.City) -> dict[str, Any]:
        rng = self.rng
        street = f"{rng.randint(1, 2999)} {rng.choice(company.STREET_NAMES)} {rng.choice(company.STREET_SUFFIXES)}"
        unit = f"Apt {rng.randint(1, 12)}{rng.choice('ABCD')}" if rng.random() < 0.15 else None
        return records.address(street, unit, city.name, city.state, f"{city.zip_prefix}{rng.randint(1, 99):02d}")

    def _contacts(self, customer: Customer, first: str, last: str, traits: CustomerTraits, created_s: str,
                  closed_s: str | None = None) -> None:
        """Phones, emails; a merged duplicate's contacts are deactivated when it is merged."""
        rng = self.rng
        area = {"NY": "718", "CT": "203", "NJ": "201"}[customer.addr["state"]]
        if rng.random() < 0.92:
            kind = "MobilePhone" if rng.random() < 0.6 else "Phone"
            self._contact(customer, kind, f"{area}555{rng.randint(1000, 9999)}", None, created_s, created_s, closed_s)
        if rng.random() < 0.12:
            office = f"{area}555{rng.randint(1000, 9999)}"
            self._contact(customer, "Phone", office, "Office", created_s, created_s, closed_s)
        if traits.no_email:
            return
        email = traits.shared_email or self.make_email(customer, first, last)
        modified_s = created_s
        if traits.email_changed:
            changed = customer.created + timedelta(days=rng.randint(1, 300))
            if changed < self.as_of:
                modified_s = api_time(changed)
        memo = "Billing" if customer.commercial else None
        self._contact(customer, "Email", email, memo, created_s, modified_s, closed_s)
        customer.emails.append(email)
        if traits.two_emails:
            second = self.make_email(customer, first, last, second=True)
            self._contact(customer, "Email", second, "Secondary", created_s, created_s, closed_s)
            customer.emails.append(second)

    def make_email(self, customer: Customer, first: str, last: str, *, second: bool = False) -> str:
        self.email_serial += 1
        domain = self.rng.choice(company.EMAIL_DOMAINS)
        if customer.commercial:
            slug = re.sub(r"[^a-z0-9]+", "", customer.name.lower())[:20]
            local = f"{'office' if second else 'billing'}.{slug}{self.email_serial}"
        else:
            clean = re.sub(r"[^a-z]", "", last.lower())
            local = f"{clean}.family{self.email_serial}" if second else f"{first.lower()}.{clean}{self.email_serial}"
        return f"{local}@{domain}"

    def _contact(self, customer: Customer, kind: str, value: str, memo: str | None, created_s: str,
                 modified_s: str, closed_s: str | None) -> None:
        self.writer.add("contacts", records.contact(id=self.ids(), customer_id=customer.id, type=kind, value=value,
                                                    memo=memo, created_on=created_s,
                                                    modified_on=max(modified_s, closed_s) if closed_s else modified_s,
                                                    active=closed_s is None))

    def customer_doc(self, customer: Customer) -> dict[str, Any]:
        modified = max(customer.created, customer.last_change or customer.created,
                       customer.merged_at or customer.created)
        doc = records.customer(
            id=customer.id, name=customer.name, type="Commercial" if customer.commercial else "Residential",
            addr=customer.addr, tax_exempt=customer.exempt, created_on=api_time(customer.created),
            modified_on=api_time(modified), balance=customer.balance, active=customer.active,
            payment_term_id=9002 if customer.commercial else 9001)
        doc["mergedToId"] = customer.merged_to
        return doc

    # ----------------------------------------------------------------- invoices

    def choose_lines(self, business_unit: int, when: datetime) -> tuple[str, list[Line]]:
        """A job type and its lines, typical of the business unit."""
        rng = self.rng
        job_type = rng.choice(company.JOB_TYPES[business_unit])
        services, materials, equipment = self.offer(business_unit)
        by_code = self.services_by_code
        lines: list[Line] = []
        if business_unit in (5001, 5003, 5005):
            if rng.random() < 0.55:
                lines.append(self.line(by_code["SVC-DIAG"] if rng.random() < 0.8 else by_code["SVC-TRIP"]))
            repairs = [s for s in services if s.spec.code not in ("SVC-DIAG", "SVC-TRIP", "SVC-PERMIT",
                                                                     "SVC-HAULAWAY")]
            for sku in rng.sample(repairs, k=min(len(repairs), rng.choice((1, 1, 1, 2)))):
                quantity = Decimal(rng.choice(("1", "1", "1", "1.5", "2"))) if sku.spec.code.endswith("-HR") else ONE
                lines.append(self.line(sku, quantity))
            for sku in rng.sample(materials, k=min(len(materials), rng.choice((0, 1, 1, 2, 3)))):
                lines.append(self.line(sku, self.material_quantity(sku)))
        else:
            installs = [s for s in services if s.spec.code.endswith("-INST") or "REPIPE" in s.spec.code]
            lines.append(self.line(rng.choice(installs)))
            if equipment and rng.random() < 0.85:
                for sku in rng.sample(equipment, k=min(len(equipment), rng.choice((1, 1, 2)))):
                    lines.append(self.line(sku))
            for sku in rng.sample(materials, k=min(len(materials), rng.choice((1, 2, 3, 4)))):
                lines.append(self.line(sku, self.material_quantity(sku)))
            if rng.random() < 0.4:
                lines.append(self.line(by_code["SVC-PERMIT"]))
            if rng.random() < 0.3:
                lines.append(self.line(by_code["SVC-HAULAWAY"]))
        return job_type, lines

    def add_sku(self, kind: str, sku: Sku) -> None:
        """A pricebook item added after the seed (simulated activity): jobs may sell it from now on."""
        self.skus[kind].append(sku)
        self._offers.clear()

    def offer(self, business_unit: int) -> tuple[list[Sku], list[Sku], list[Sku]]:
        """The active services, materials and equipment a business unit sells."""
        if business_unit not in self._offers:
            def sold(kind: str) -> list[Sku]:
                return [s for s in self.skus[kind] if business_unit in s.spec.business_units and s.active
                        and s.spec.price > 0 and s.spec.code != "SVC-MEMBERSHIP"]
            self._offers[business_unit] = (sold("services"), sold("materials"), sold("equipment"))
        return self._offers[business_unit]

    @property
    def services_by_code(self) -> dict[str, Sku]:
        if len(self._service_codes) != len(self.skus["services"]):
            self._service_codes = {s.spec.code: s for s in self.skus["services"]}
        return self._service_codes

    def material_quantity(self, sku: Sku) -> Decimal:
        if sku.spec.unit == "Foot":
            return Decimal(self.rng.choice((3, 5, 8, 10, 12, 15, 20, 25, 40)))
        if "per lb" in sku.spec.name:
            return Decimal(self.rng.choice(("1", "1.5", "2", "2.5", "3")))
        return Decimal(self.rng.choice((1, 1, 1, 2, 2, 4)))

    @staticmethod
    def line(sku: Sku, quantity: Decimal = ONE, *, chargeable: bool = True) -> Line:
        spec = sku.spec
        taxable = True if spec.taxable is None else spec.taxable
        return Line(sku.item_type, sku.id, spec.code, spec.name, quantity, spec.price, spec.cost, taxable, chargeable,
                    sku.gl, hours=spec.hours * quantity if sku.item_type == "Service" else None,
                    inventory=sku.item_type != "Service")

    def discount_line(self, lines: list[Line]) -> Line:
        sku_id, code, name, mode, value = self.rng.choice(self.discounts)
        base = sum((line_total(x.quantity, x.price) for x in lines if x.chargeable), ZERO)
        amount = cents(base * value) if mode == "percent" else min(value, base)
        return Line("PriceModifier", sku_id, code, name, ONE, -amount, ZERO, True, True,
                    records.gl_ref(self.gl[company.GL_BY_ROLE["discount"]]))

    def find_half_cent(self, lines: list[Line], zone: dict[str, Any]) -> bool:
        """Nudge one single-quantity line's price so that the invoice's tax ends in exactly half a cent.

        The cent before the half is even, so rounding half-up and rounding half-to-even disagree.
        """
        candidates = [x for x in lines if x.quantity == ONE and x.chargeable and x.taxable and x.price > 0
                      and x.type != "PriceModifier"]
        if not candidates:
            return False
        target = candidates[0]
        base = unrounded_tax(self.item_stubs(lines), zone)
        step = line_rate(target.type, zone) / 100  # the tax one more cent on the target line adds
        for delta in range(0, 4000):
            scaled = (base + step * delta) * 1000
            if scaled == scaled.to_integral_value() and int(scaled) % 20 == 5:
                target.price += Decimal(delta) / 100
                return True
        return False

    @staticmethod
    def item_stubs(lines: list[Line]) -> list[dict[str, Any]]:
        return [{"type": x.type, "total": str(line_total(x.quantity, x.price)), "taxable": x.taxable,
                 "isChargeable": x.chargeable} for x in lines]

    def new_invoice(self, when: datetime, customer: Customer, place: Place, business_unit: int, job_type: str,
                    lines: list[Line], *, job: dict[str, Any] | None = None, reference: str | None = None,
                    adjustment_to: int | None = None) -> InvoiceDraft:
        """An invoice with its items (not yet written: payments may still apply to it)."""
        invoice_id = self.ids()
        if job is None:
            job = {"id": self.ids(), "number": str(self.next_job_number), "type": job_type}
            self.next_job_number += 1
        reference = reference or job["number"]
        bu_name = dict(company.BUSINESS_UNITS)[business_unit]
        bu_ref = records.named(business_unit, bu_name)
        stamp = api_time(when)
        service_date = api_date(when.date())
        items = []
        for order, x in enumerate(lines, start=1):
            items.append(records.invoice_item(
                id=self.ids(), order=order, type=x.type, sku_id=x.sku_id, sku_code=x.code, display_name=x.name,
                quantity=x.quantity, price=x.price, total=line_total(x.quantity, x.price), cost=x.cost,
                taxable=x.taxable, chargeable=x.chargeable, gl=x.gl, business_unit=bu_ref, service_date=service_date,
                created_on=stamp, modified_on=stamp, hours=x.hours, inventory=x.inventory))
        zone = self.zones[place.zone_key]
        sub_total, sales_tax, total = invoice_amounts(items, zone, customer.exempt)
        discount_total = -sum((Decimal(i["total"]) for i in items if i["type"] == "PriceModifier"), ZERO)
        summary = f"{job_type} at {place.addr['street']}, {place.addr['city']}"
        return InvoiceDraft(invoice_id, reference, customer, place, bu_ref, job, when, items, sub_total, sales_tax,
                            total, discount_total, zone, summary, adjustment_to=adjustment_to)

    def sync_status(self, when: datetime) -> str:
        """The seed's documents are Posted unless they are younger than `SEED_PENDING` at `as_of`."""
        return "Posted" if when < self.as_of - SEED_PENDING else "Pending"

    def write_invoice(self, draft: InvoiceDraft) -> None:
        """Write an invoice once its applications are known; the customer's balance follows."""
        balance = draft.balance
        changes = [draft.created] + [when for when, _ in draft.applications]
        if draft.voided_at is not None:
            changes.append(draft.voided_at)
        modified = max(changes)
        last_applied = max((when for when, _ in draft.applications), default=draft.created)
        paid_on = settled_on(None, draft.total, balance, last_applied)
        customer = draft.customer
        due = draft.created.date() + timedelta(days=30 if customer.term == "Net 30" else 0)
        doc = records.invoice(
            id=draft.id, reference_number=draft.reference, invoice_date=api_date(draft.created.date()),
            due_date=api_date(due), sub_total=draft.sub_total, sales_tax=draft.sales_tax, total=draft.total,
            balance=balance, zone=draft.zone, headline_rate=zone_headline_rate(draft.zone),
            customer_ref=customer.ref, customer_address=records.accounting_address(customer.addr),
            location_ref=records.named(draft.place.id, draft.place.name),
            location_address=records.accounting_address(draft.place.addr), business_unit=draft.business_unit,
            term_name=customer.term, job=draft.job, created_on=api_time(draft.created), modified_on=api_time(modified),
            sync_status=self.sync_status(draft.created), active=draft.active, adjustment_to_id=draft.adjustment_to,
            summary=draft.summary, discount_total=draft.discount_total, paid_on=paid_on)
        self.writer.add("invoices", doc)
        for item in draft.items:
            self.writer.add("invoice_items", item, parent_id=draft.id, active=draft.active)
        if draft.active:
            customer.balance += balance
        customer.touch(modified)

    # ----------------------------------------------------------------- payments and credits

    def payment_type_for(self, customer: Customer, amount: Decimal) -> str:
        rng = self.rng
        if amount >= 3000 and rng.random() < 0.3:
            return "Financing"
        if customer.commercial:
            return rng.choices(("Check", "ACH", "Credit Card"), weights=(5, 3, 2))[0]
        return rng.choices(("Credit Card", "Check", "Cash", "ACH"), weights=(6, 2, 1, 1))[0]

    def pay(self, when: datetime, customer: Customer, allocations: list[tuple[InvoiceDraft, Decimal]], *,
            total: Decimal | None = None, type_name: str | None = None, refund_of: int | None = None,
            memo: str | None = None) -> int:
        """Record a payment (negative for a refund) applied across invoices; returns its id."""
        rng = self.rng
        applied = sum((amount for _, amount in allocations), ZERO)
        total = applied if total is None else total
        type_name = type_name or self.payment_type_for(customer, abs(total))
        payment_id = self.ids()
        stamp = api_time(when)
        applied_to = []
        for draft, amount in allocations:
            applied_to.append(records.payment_application(
                applied_id=self.ids(), invoice_id=draft.id, amount=amount, applied_on=stamp,
                reference_number=draft.reference))
            draft.applications.append((when, amount))
        check = str(rng.randint(1001, 9999)) if type_name == "Check" else None
        auth = f"{rng.randint(0, 999999):06d}" if type_name == "Credit Card" else None
        doc = records.payment(
            id=payment_id, date=api_date(when.date()), total=total, unapplied=total - applied,
            type_id=self.payment_types[type_name], type_name=type_name, customer_ref=customer.ref,
            business_unit=allocations[0][0].business_unit if allocations else None,
            gl=records.gl_ref(self.gl[company.GL_BY_ROLE["undeposited"]]), applied_to=applied_to, created_on=stamp,
            modified_on=stamp, sync_status=self.sync_status(when), reference_number=check or auth,
            check_number=check, auth_code=auth, memo=memo, refunded_payment_id=refund_of)
        self.writer.add("payments", doc)
        self.writer.add_applications("payments", payment_id, [(d.id, str(a)) for d, a in allocations])
        customer.touch(when)
        return payment_id

    def credit(self, when: datetime, draft: InvoiceDraft, total: Decimal, applied: Decimal, description: str) -> int:
        """A credit memo of `total`, of which `applied` goes to the invoice."""
        memo_id = self.ids()
        customer = draft.customer
        reference = f"CM-{self.next_memo_number}"
        self.next_memo_number += 1
        applied_to = [records.credit_memo_application(
            applied_id=self.ids(), invoice_id=draft.id, amount=applied, applied_on=when.date().isoformat(),
            reference_number=draft.reference)]
        draft.applications.append((when, applied))
        doc = records.credit_memo(
            id=memo_id, date=when.date().isoformat(), reference_number=reference, total=total,
            balance=total - applied, applied_to=applied_to, customer_ref=customer.ref,
            customer_address=records.accounting_address(customer.addr),
            location_ref=records.named(draft.place.id, draft.place.name),
            location_address=records.accounting_address(draft.place.addr), business_unit=draft.business_unit,
            created_on=api_time(when), modified_on=api_time(when), description=description,
            sync_status=self.sync_status(when))
        self.writer.add("credit_memos", doc)
        self.writer.add_applications("credit_memos", memo_id, [(draft.id, str(applied))])
        customer.touch(when)
        return memo_id

    # ----------------------------------------------------------------- inventory bills

    def new_bill(self, when: datetime, *, no_modified_on: bool = False) -> dict[str, Any]:
        """A purchase bill from a supplier for stock (materials and equipment).

        `no_modified_on`: the bill carries `modifiedOn: null`, as the spec allows (older bills).
        """
        rng = self.rng
        vendor = rng.choice([v for v in self.vendors if v["active"]])
        stock = [s for s in (*self.skus["materials"], *self.skus["equipment"]) if s.active and s.spec.cost > 0]
        picks = rng.sample(stock, k=rng.randint(1, 6))
        quantities = [Decimal(rng.choice((1, 2, 5, 10, 20, 50))) if s.spec.unit == "Foot" else
                      Decimal(rng.choice((1, 2, 3, 4, 6, 10))) for s in picks]
        values = [cents(q * s.spec.cost) for q, s in zip(quantities, picks, strict=True)]
        sub_total = sum(values, ZERO)
        tax = cents(sub_total * Decimal(str(vendor["defaultTaxRate"])))
        shipping = Decimal(rng.choice(("0", "0", "15", "25", "45", "85"))).quantize(Decimal("0.01"))
        items = []
        tax_left, ship_left = tax, shipping
        for n, (sku, quantity, value) in enumerate(zip(picks, quantities, values, strict=True), start=1):
            last = n == len(picks)
            share_tax = tax_left if last else cents(tax * value / sub_total)
            share_ship = ship_left if last else cents(shipping * value / sub_total)
            tax_left -= share_tax
            ship_left -= share_ship
            gl_role = "inventory"
            items.append(records.bill_item(
                id=self.ids(), order=n, sku_id=sku.id, sku_code=sku.spec.code, sku_type=sku.item_type,
                name=sku.spec.name, quantity=quantity, cost=sku.spec.cost, allocated_tax=share_tax,
                allocated_shipping=share_ship, gl=records.gl_ref(self.gl[company.GL_BY_ROLE[gl_role]])))
        number = self.next_bill_number
        self.next_bill_number += 1
        modified: datetime | None = when
        if rng.random() < 0.25:
            modified = min(self.as_of, when + timedelta(days=rng.randint(1, 20)))
        if no_modified_on:
            modified = None
        bu = rng.choice(company.BUSINESS_UNITS)
        doc = records.inventory_bill(
            id=self.ids(), reference_number=f"{number}", vendor_number=f"INV-{rng.randint(100000, 999999)}",
            bill_date=api_date(when.date()), due_date=api_date(when.date() + timedelta(days=30)),
            bill_amount=sub_total + tax + shipping, tax_amount=tax, shipping_amount=shipping,
            vendor_ref=records.named(vendor["id"], vendor["name"]), business_unit=records.named(*bu),
            tax_zone=None, created_on=api_time(when), modified_on=None if modified is None else api_time(modified),
            sync_status=self.sync_status(when), items=items, summary=f"Stock order from {vendor['name']}",
            purchase_order_id=self.ids() if rng.random() < 0.6 else None,
            ship_to=records.accounting_address(records.address("450 Industrial Ave", None, "Brooklyn", "NY", "11222")))
        self.writer.add("inventory_bills", doc)
        return doc


def day_time(rng: random.Random, day: date, latest: datetime) -> datetime:
    """A business-hours moment of `day` (12:00 to 22:00 UTC, i.e. 8 am to 6 pm in New York), before `latest`."""
    start = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
    moment = start + timedelta(seconds=rng.randint(0, 10 * 3600), microseconds=rng.randint(0, 999_999))
    if moment >= latest:
        moment = latest - timedelta(minutes=rng.randint(30, 120))
    return moment
