"""Do the payables match? What FreshBooks should hold for vendors, bills and bill payments, computed from
ServiceTitan's own records only (the sandbox store, read with `iter_records`) by the documented rules
(docs/record-contract.md `bill_vendors`, `bills`, `bill_payments`; transform/README.md "Purchases";
target-freshbooks/README.md "Purchases"), never from the connector's code or its ledger. The FreshBooks side
comes from FreshBooks' own records (the simulator's side door) and `/_sandbox/accounts_payable`.

Scope: every bill, AP payment and AP credit. The tap reads `inventory_bills`, `ap_bills`, `ap_credits` and
`ap_payments` whatever their date (`start_date` bounds invoices, payments and credit memos only: the streams'
docstrings in tap_servicetitan/streams/accounting.py), and the mapper filters bills by nothing but
cancellation. So the "sync window" of payables is everything ServiceTitan holds.

Vendors: a ServiceTitan vendor is *known* when FreshBooks already holds a bill vendor matching it by the
documented rule: normalised name (case, punctuation and spaces ignored, one trailing Inc/LLC/Ltd/Co/Corp/
Company dropped), then contact email (case-insensitive), then account number; the lowest active vendor id
wins, the connector's lease vendor never. Other vendors wait in review (default `missing_vendor_policy:
review`) and so do their bills (parked on them).

A bill is *live* unless inactive (an inventory bill's export `active`), `status: Canceled` or with a
`dateCanceled` (an AP bill): a live bill is one FreshBooks bill, numbered `referenceNumber` (the default
`bill_number_source`), of its vendor. Its lines (zero amounts left out: they move no money): each item
`quantity` x `cost` to the cent, each expense item's `amount`, then `taxAmount`, `shippingAmount`,
`otherAmount`, and whatever still separates them from `billAmount` (the adjustment line). Categories: an item
or expense line's `expense_category_map` entry for its GL account number, then name (case-insensitive), else
`default_expense_category`; the tax, shipping, other and adjustment lines use the role keys `tax`,
`shipping`, `other`, `rounding`. A bill's month is its `billDate`'s, in the business time zone (a
midnight-UTC value keeps its date).

Payments and credits: an AP payment is in effect unless `active` is false or its status is Cancelled/
Canceled/Rejected; one whose status is Unpaid or ReadyForApproval has not been paid yet (a timing difference,
listed apart). An AP credit is in effect unless `active` is false, `status: Canceled` or `canceledOn` is set.
Their active splits (non-zero) apply to the bill named by `inventoryBillId`: FreshBooks bill payments of
type Credit for credits, cash types for payments.

ServiceTitan AP balance of a vendor = the sum over its live bills of max(`billAmount` - applied, 0).
An AP credit's unapplied part (`amount` - its active splits) stays in ServiceTitan: FreshBooks has no vendor
credit, so it is a known difference, listed per vendor and never compared.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import requests
from books_truth import business_date
from sandbox.freshbooks.testing import SideDoor
from sandbox.servicetitan.data import iter_records
from sandbox.store import Store

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
NAME_SUFFIXES = {"inc", "llc", "ltd", "co", "corp", "company"}
DEFAULT_CATEGORY = "Cost of Goods Sold"  # the mapper's default_expense_category
LEASE_PREFIX = "ServiceTitan connector lease"
VENDOR_MARKER = re.compile(r"\[servicetitan:vendor:(\d+)\]")
PAYMENT_OFF = {"cancelled", "canceled", "rejected"}
PAYMENT_NOT_YET = {"unpaid", "readyforapproval"}

Line = tuple[str, Decimal]  # (category, amount)


def dec(value: Any) -> Decimal:
    """ServiceTitan money (a string, or a JSON number in AP payments and credits) or FreshBooks Money."""
    if isinstance(value, dict):
        value = value.get("amount")
    if value in (None, ""):
        return ZERO
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def normalised_name(name: Any) -> str:
    """The documented vendor-name rule: case, punctuation and spaces ignored, one trailing suffix dropped."""
    words = re.findall(r"[0-9a-z]+", str(name or "").lower())
    if len(words) > 1 and words[-1] in NAME_SUFFIXES:
        words = words[:-1]
    return "".join(words)


def bill_key(bill_id: int) -> str:
    return f"servicetitan:inventorybill:{bill_id}"


def vendor_key(vendor_id: int) -> str:
    return f"servicetitan:vendor:{vendor_id}"


# ---------------------------------------------------------------------------------------------------- ServiceTitan


@dataclass
class StBill:
    id: int
    kind: str  # inventory_bills | ap_bills
    number: str
    vendor_id: int
    amount: Decimal
    month: str
    live: bool
    lines: Counter[Line]
    cash: Decimal = ZERO
    """What AP payments in effect apply to it."""
    credit: Decimal = ZERO
    """What AP credits in effect apply to it."""

    @property
    def owed(self) -> Decimal:
        return max(self.amount - self.cash - self.credit, ZERO) if self.live else ZERO


@dataclass
class Payables:
    vendors: dict[int, dict[str, Any]] = field(default_factory=dict)
    bills: dict[int, StBill] = field(default_factory=dict)
    unapplied_credit: dict[int, Decimal] = field(default_factory=lambda: defaultdict(lambda: ZERO))
    """Per vendor: the unapplied parts of its AP credits in effect (known differences)."""
    timing: list[str] = field(default_factory=list)
    """AP payments not paid yet (Unpaid, ReadyForApproval): what they would apply is not in `cash`."""
    notes: list[str] = field(default_factory=list)
    sanity: list[str] = field(default_factory=list)
    """ServiceTitan's own money rules that do not hold in the data (each is a finding)."""

    def owed(self, vendor_ids: set[int] | None = None) -> dict[int, Decimal]:
        result: dict[int, Decimal] = defaultdict(lambda: ZERO)
        for bill in self.bills.values():
            if vendor_ids is None or bill.vendor_id in vendor_ids:
                result[bill.vendor_id] += bill.owed
        return result

    def costs(self, vendor_ids: set[int] | None = None) -> dict[tuple[str, str], Decimal]:
        """(month, category) -> the live bills' line amounts."""
        result: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
        for bill in self.bills.values():
            if bill.live and (vendor_ids is None or bill.vendor_id in vendor_ids):
                for (category, amount), count in bill.lines.items():
                    result[(bill.month, category)] += amount * count
        return result


class Categories:
    """The mapper's documented GL -> expense category rule."""

    def __init__(self, mapping: dict[str, str], default: str = DEFAULT_CATEGORY) -> None:
        self.mapping = {str(k).strip().lower(): v for k, v in mapping.items()}
        self.default = default

    def of_gl(self, gl: dict[str, Any] | None) -> str:
        gl = gl or {}
        for key in (gl.get("number"), gl.get("name")):
            if key not in (None, "") and str(key).strip().lower() in self.mapping:
                return self.mapping[str(key).strip().lower()]
        return self.default

    def of_role(self, role: str) -> str:
        return self.mapping.get(role, self.default)


def expected_lines(doc: dict[str, Any], categories: Categories, sanity: list[str]) -> Counter[Line]:
    lines: list[Line] = []
    for item in doc.get("items") or []:
        amount = (Decimal(str(item.get("quantity") or 0)) * Decimal(str(item.get("cost") or 0))).quantize(
            CENT, rounding=ROUND_HALF_UP)
        lines.append((categories.of_gl(item.get("generalLedgerAccount")), amount))
    for item in doc.get("expenseItems") or []:
        lines.append((categories.of_gl(item.get("generalLedgerAccount")), dec(item.get("amount"))))
    for role, name in (("tax", "taxAmount"), ("shipping", "shippingAmount"), ("other", "otherAmount")):
        lines.append((categories.of_role(role), dec(doc.get(name))))
    rest = dec(doc["billAmount"]) - sum((a for _, a in lines), ZERO)
    if rest:
        sanity.append(f"bill {doc['id']} ({doc.get('referenceNumber')}): billAmount {doc['billAmount']} is not the "
                      f"sum of its parts (off by {rest}): FreshBooks gets an adjustment line")
        lines.append((categories.of_role("rounding"), rest))
    return Counter(line for line in lines if line[1] != 0)


def servicetitan_payables(store: Store, categories: Categories) -> Payables:
    books = Payables(vendors={v["id"]: v for v in iter_records(store, "vendors")})
    for kind in ("inventory_bills", "ap_bills"):
        for doc in iter_records(store, kind):
            live = (doc.get("active") is not False and str(doc.get("status") or "").lower() != "canceled"
                    and not doc.get("dateCanceled"))
            if doc["id"] in books.bills:
                books.notes.append(f"bill {doc['id']} in both inventory_bills and ap_bills: the later wins")
            books.bills[doc["id"]] = StBill(
                doc["id"], kind, str(doc["referenceNumber"]), int(doc["vendor"]["id"]), dec(doc["billAmount"]),
                business_date(str(doc["billDate"]))[:7], live, expected_lines(doc, categories, books.sanity))

    for kind in ("ap_payments", "ap_credits"):
        for doc in iter_records(store, kind):
            status = str(doc.get("status") or "").lower()
            if kind == "ap_payments":
                in_effect = doc.get("active") is not False and status not in PAYMENT_OFF
            else:
                in_effect = doc.get("active") is not False and status != "canceled" and not doc.get("canceledOn")
            splits = [s for s in doc.get("splits") or [] if s.get("active") is not False]
            applied = sum((dec(s.get("amount")) for s in splits), ZERO)
            if not in_effect:
                continue
            if kind == "ap_payments" and status in PAYMENT_NOT_YET:
                books.timing.append(f"AP payment {doc['id']} {doc.get('status')}: {applied} not paid yet")
                continue
            if kind == "ap_payments" and dec(doc.get("amount")) != applied:
                books.notes.append(f"AP payment {doc['id']}: amount {doc.get('amount')} != splits {applied} "
                                   "(the rest pays no bill)")
            if kind == "ap_credits":
                if dec(doc.get("appliedAmount")) != applied:
                    books.sanity.append(f"AP credit {doc['id']}: appliedAmount {doc.get('appliedAmount')} != "
                                        f"active splits {applied}")
                unapplied = dec(doc.get("amount")) - applied
                if unapplied:
                    books.unapplied_credit[int(doc["vendor"]["id"])] += unapplied
            for split in splits:
                bill = books.bills.get(int(split.get("inventoryBillId") or 0))
                if bill is None:
                    books.sanity.append(f"{kind} {doc['id']}: split names no known bill ({split})")
                    continue
                if bill.vendor_id != int(doc["vendor"]["id"]):
                    books.notes.append(f"{kind} {doc['id']} of vendor {doc['vendor']['id']} applies to bill "
                                       f"{bill.id} of vendor {bill.vendor_id}")
                if not bill.live:
                    books.sanity.append(f"{kind} {doc['id']}: active split on canceled bill {bill.id}")
                if kind == "ap_payments":
                    bill.cash += dec(split.get("amount"))
                else:
                    bill.credit += dec(split.get("amount"))
    for bill in books.bills.values():
        if bill.live and bill.cash + bill.credit > bill.amount:
            books.sanity.append(f"bill {bill.id}: applied {bill.cash + bill.credit} > billAmount {bill.amount}")
    return books


def known_vendors(vendors: dict[int, dict[str, Any]], fb_vendors: list[dict[str, Any]]) -> dict[int, int]:
    """ServiceTitan vendor id -> the FreshBooks vendor it matches by the documented rule (before any sync)."""
    candidates = sorted((v for v in fb_vendors if v.get("vis_state", 0) == 0
                         and not str(v.get("vendor_name") or "").startswith(LEASE_PREFIX)),
                        key=lambda v: int(v["vendorid"]))
    matches: dict[int, int] = {}
    for vendor_id, vendor in sorted(vendors.items()):
        contact = vendor.get("contactInfo") or {}
        rules = (
            (normalised_name(vendor.get("name")), lambda v: normalised_name(v.get("vendor_name"))),
            (str(contact.get("email") or "").lower(), lambda v: str(v.get("primary_contact_email") or "").lower()),
            (str(vendor.get("accountNumber") or ""), lambda v: str(v.get("account_number") or "")),
        )
        for wanted, value in rules:
            found = next((v for v in candidates if wanted and value(v) == wanted), None)
            if found is not None:
                matches[vendor_id] = int(found["vendorid"])
                break
    return matches


# ---------------------------------------------------------------------------------------------------- FreshBooks


@dataclass
class FbBill:
    id: int
    vendor_id: int
    number: str
    total: Decimal
    outstanding: Decimal
    month: str
    lines: Counter[Line]
    cash: Decimal = ZERO
    credit: Decimal = ZERO


@dataclass
class FreshBooksPayables:
    vendors: dict[int, dict[str, Any]]
    bills: dict[tuple[int, str], FbBill]
    """Live bills by (vendor id, bill number)."""
    duplicates: list[str]
    report: dict[int, Decimal]
    """`/_sandbox/accounts_payable`: outstanding per vendor."""
    records_owed: dict[int, Decimal]

    def costs(self) -> dict[tuple[str, str], Decimal]:
        result: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
        for bill in self.bills.values():
            for (category, amount), count in bill.lines.items():
                result[(bill.month, category)] += amount * count
        return result


def freshbooks_payables(fb: SideDoor) -> FreshBooksPayables:
    vendors = {int(v["vendorid"]): v for v in fb.records("bill_vendors")}
    live_bills = [b for b in fb.records("bills") if b.get("vis_state", 0) in (0, 2)]
    by_bill: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for payment in fb.records("bill_payments"):
        if payment.get("vis_state", 0) == 0:
            by_bill[int(payment["billid"])].append(payment)
    bills: dict[tuple[int, str], FbBill] = {}
    seen: Counter[tuple[int, str]] = Counter()
    owed: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for raw in sorted(live_bills, key=lambda b: int(b["id"])):
        key = (int(raw["vendorid"]), str(raw.get("bill_number")))
        seen[key] += 1
        lines = Counter(((line.get("category") or {}).get("category") or f"categoryid {line.get('categoryid')}",
                         dec(line.get("amount"))) for line in raw.get("lines") or [])
        lines = Counter({k: n for k, n in lines.items() if k[1] != 0})
        bill = FbBill(int(raw["id"]), key[0], key[1], dec(raw.get("total_amount")), dec(raw.get("outstanding")),
                      str(raw.get("issue_date"))[:7], lines)
        for payment in by_bill.get(bill.id, []):
            if payment.get("payment_type") == "Credit":
                bill.credit += dec(payment.get("amount"))
            else:
                bill.cash += dec(payment.get("amount"))
        bills.setdefault(key, bill)
        owed[key[0]] += bill.outstanding
    response = requests.get(f"{fb.fb_url}/_sandbox/accounts_payable", timeout=30)
    response.raise_for_status()
    report = {int(k): dec(v.get("outstanding")) for k, v in response.json()["vendors"].items()}
    duplicates = [f"vendor {v} bill {n} x{c}" for (v, n), c in sorted(seen.items()) if c > 1]
    return FreshBooksPayables(vendors, bills, duplicates, report, dict(owed))


def vendor_pairs(st: Payables, fbp: FreshBooksPayables, known: dict[int, int]) -> dict[int, int]:
    """ServiceTitan vendor -> FreshBooks vendor: the known match, else the vendor carrying its marker in the note
    (what the connector creates), else a live vendor with its normalised name (added by a person)."""
    by_marker: dict[int, int] = {}
    for vendor_id in sorted(fbp.vendors):
        vendor = fbp.vendors[vendor_id]
        if vendor.get("vis_state", 0) == 0:
            for found in VENDOR_MARKER.findall(str(vendor.get("note") or "")):
                by_marker.setdefault(int(found), vendor_id)
    by_name: dict[str, int] = {}
    for vendor_id in sorted(fbp.vendors):
        vendor = fbp.vendors[vendor_id]
        if vendor.get("vis_state", 0) == 0 and not str(vendor.get("vendor_name") or "").startswith(LEASE_PREFIX):
            by_name.setdefault(normalised_name(vendor.get("vendor_name")), vendor_id)
    pairs = {}
    for st_id, vendor in st.vendors.items():
        fb_id = known.get(st_id) or by_marker.get(st_id) or by_name.get(normalised_name(vendor.get("name")))
        if fb_id is not None:
            pairs[st_id] = fb_id
    return pairs


# ---------------------------------------------------------------------------------------------------- comparison


@dataclass
class Comparison:
    bill_problems: list[str]
    """Per bill: missing, duplicated, total, lines, payments or credit differing; deleted bills still live."""
    vendor_rows: list[tuple[int, str, int | None, Decimal, Decimal, Decimal, Decimal]]
    """(ST vendor, name, FB vendor, ST owed, FB owed by records, FB owed by /_sandbox/accounts_payable,
    unapplied AP credit) for every compared vendor."""
    cost_rows: list[tuple[str, str, Decimal, Decimal]]
    """(month, category, ST, FB) for every month and category."""
    strays: list[str]
    """Live FreshBooks bills that match no ServiceTitan bill of a compared vendor."""
    matched_bills: int

    @property
    def vendor_drift(self) -> list[tuple[int, str, int | None, Decimal, Decimal, Decimal, Decimal]]:
        return [r for r in self.vendor_rows if not (r[3] == r[4] == r[5])]

    @property
    def cost_drift(self) -> list[tuple[str, str, Decimal, Decimal]]:
        return [r for r in self.cost_rows if r[2] != r[3]]

    def vendor_table(self, only_drift: bool = False) -> str:
        rows = [f"{'ST vendor':>10} {'name':<30} {'FB id':>6} {'ST owed':>11} {'FB records':>11} {'FB AP view':>11} "
                f"{'diff':>10} {'unapplied credit (known)':>24}"]
        for st_id, name, fb_id, st_owed, fb_owed, fb_view, unapplied in (
                self.vendor_drift if only_drift else self.vendor_rows):
            rows.append(f"{st_id:>10} {name[:30]:<30} {fb_id or '-':>6} {st_owed:>11} {fb_owed:>11} {fb_view:>11} "
                        f"{fb_owed - st_owed:>10} {unapplied:>24}")
        total = [sum((r[i] for r in self.vendor_rows), ZERO) for i in (3, 4, 5, 6)]
        rows.append(f"{'total':>10} {'':<30} {'':>6} {total[0]:>11} {total[1]:>11} {total[2]:>11} "
                    f"{total[1] - total[0]:>10} {total[3]:>24}")
        return "\n".join(rows)

    def cost_table(self, only_drift: bool = False) -> str:
        rows = [f"{'month':<8} {'category':<26} {'ServiceTitan':>13} {'FreshBooks':>13} {'diff':>10}"]
        for m, category, st, fb in (self.cost_drift if only_drift else self.cost_rows):
            rows.append(f"{m:<8} {category[:26]:<26} {st:>13} {fb:>13} {fb - st:>10}")
        return "\n".join(rows)


def compare(st: Payables, fbp: FreshBooksPayables, pairs: dict[int, int], vendor_ids: set[int]) -> Comparison:
    """Bills, balances and costs of the ServiceTitan vendors `vendor_ids` (paired by `pairs`)."""
    problems: list[str] = []
    expected_keys: set[tuple[int, str]] = set()
    matched = 0
    for bill in sorted(st.bills.values(), key=lambda b: b.id):
        if bill.vendor_id not in vendor_ids:
            continue
        fb_vendor = pairs.get(bill.vendor_id)
        label = f"bill {bill.id} #{bill.number} ({bill.kind}, vendor {bill.vendor_id})"
        found = fbp.bills.get((fb_vendor, bill.number)) if fb_vendor is not None else None
        if not bill.live:
            if found is not None:
                problems.append(f"{label}: canceled in ServiceTitan, still live in FreshBooks as bill {found.id}")
            continue
        expected_keys.add((fb_vendor or -1, bill.number))
        if found is None:
            problems.append(f"{label}: amount {bill.amount} not in FreshBooks (vendor {fb_vendor})")
            continue
        matched += 1
        if found.total != bill.amount:
            problems.append(f"{label}: FreshBooks bill {found.id} total {found.total} != billAmount {bill.amount}")
        if found.lines != bill.lines:
            problems.append(f"{label}: lines differ: ServiceTitan {sorted(bill.lines.elements())} FreshBooks "
                            f"{sorted(found.lines.elements())}")
        if found.month != bill.month:
            problems.append(f"{label}: FreshBooks month {found.month} != {bill.month}")
        if found.cash != bill.cash or found.credit != bill.credit:
            problems.append(f"{label}: FreshBooks bill {found.id} paid {found.cash} + credit {found.credit}, "
                            f"ServiceTitan applied {bill.cash} + credit {bill.credit}")
    fb_vendor_ids = {pairs[v] for v in vendor_ids if v in pairs}
    strays = [f"FreshBooks bill {b.id} #{b.number} of vendor {b.vendor_id} total {b.total}"
              for key, b in sorted(fbp.bills.items()) if b.vendor_id in fb_vendor_ids and key not in expected_keys]
    problems += [f"duplicated in FreshBooks: {d}" for d in fbp.duplicates]

    st_owed = st.owed(vendor_ids)
    rows = []
    for st_id in sorted(vendor_ids):
        fb_id = pairs.get(st_id)
        name = str(st.vendors.get(st_id, {}).get("name"))
        fb_owed = fbp.records_owed.get(fb_id, ZERO) if fb_id is not None else ZERO
        fb_view = fbp.report.get(fb_id, ZERO) if fb_id is not None else ZERO
        rows.append((st_id, name, fb_id, st_owed.get(st_id, ZERO), fb_owed, fb_view,
                     st.unapplied_credit.get(st_id, ZERO)))

    st_costs = st.costs(vendor_ids)
    fb_costs: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    for bill in fbp.bills.values():
        if bill.vendor_id in fb_vendor_ids:
            for (category, amount), count in bill.lines.items():
                fb_costs[(bill.month, category)] += amount * count
    cost_rows = [(m, c, st_costs.get((m, c), ZERO), fb_costs.get((m, c), ZERO))
                 for m, c in sorted(set(st_costs) | set(fb_costs))]
    return Comparison(problems, rows, cost_rows, strays, matched)
