"""Purchase costs per month and account, and margin per job: ServiceTitan's side against FreshBooks'.

A report, never entries: the bills post the costs (payroll is not this connector's).

Pairing. A FreshBooks bill is ServiceTitan's bill when its vendor is that bill's vendor (the
`[servicetitan:vendor:<id>]` marker in the FreshBooks vendor's note, else the same normalised name, else the same
email) and its `bill_number` is the bill's `referenceNumber`, `vendorNumber` or id (whichever `bill_number_source`
the mapper used). The connector writes a bill's lines in ServiceTitan's order (items, expense items, then tax,
shipping and other charges, then any rounding adjustment), so line N of both bills is the same cost: its
ServiceTitan GL account and its FreshBooks expense category make the (account, category) pair. Costs add up per
(month, account, category), ServiceTitan's month from `billDate` in the business time zone, FreshBooks' from the
bill's `issue_date`.

Timing. A ServiceTitan bill with no FreshBooks bill whose vendor is not in FreshBooks at all waits in the review
queue (bills flow only for vendors registered in FreshBooks): its cost is `timing` on a line with category
`WAITING`, not drift. One whose vendor is in FreshBooks is missing: category `MISSING`, drift.

AP credits reduce cost: the parts applied to bills (`splits`), on their own account `CREDITS_ACCOUNT`; in FreshBooks
they are the bill payments of type Credit the connector writes on those bills. The part of a credit applied to no
bill is left out (FreshBooks has no vendor credit; the run summary counts it). FreshBooks bills paired with no
ServiceTitan bill (typed in FreshBooks, e.g. rent) are not ServiceTitan's purchases and are left out; an orphan of
the connector's shows among the reconciliation's differences instead.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, tzinfo
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from target_freshbooks.reconcile.model import ZERO, CostLine, JobMargin

SERVICETITAN_STREAMS: tuple[str, ...] = ("inventory_bills", "ap_bills", "ap_credits", "vendors", "invoices")
"""The tap streams `purchase_costs` and `job_margins` read (passed to them by name, as read live)."""
FRESHBOOKS_RESOURCES: tuple[str, ...] = ("bills", "bill_vendors", "bill_payments", "expense_categories", "invoices")
"""The FreshBooks resources they read (invoices with `include[]=lines`, for revenue before tax)."""

CENT = Decimal("0.01")
CHARGES = (("taxAmount", "Sales tax (bill header)"), ("shippingAmount", "Shipping (bill header)"),
           ("otherAmount", "Other charges (bill header)"))
ROUNDING_ACCOUNT = "Rounding to the bill total"
NO_ACCOUNT = "(no GL account)"
CREDITS_ACCOUNT = "Vendor credits (AP credits)"
CREDITS_CATEGORY = "Bill payments of type Credit"
MISSING = "(missing in FreshBooks)"
WAITING = "(waiting in review: vendor not in FreshBooks)"
EXTRA_LINE = "(line not in ServiceTitan)"
CANCELED = "(bill canceled in ServiceTitan)"
PARTS_TYPES = frozenset({"material", "equipment"})
"""Invoice item types that are parts (their `totalCost` is the job's parts cost)."""
LABOUR_NOTE = "labour cost: not available from the streams the tap reads"
"""ServiceTitan's payroll and timesheets are not among the tap's streams: every job's labour cost is 0."""
ROUNDING_LINE_NAME = "Sales tax rounding adjustment"
"""The mapper's default `rounding_line_name`: the invoice line that carries tax rounding, not a sale."""
NAME_SUFFIXES = frozenset({"inc", "llc", "ltd", "co", "corp", "company"})

Records = Mapping[str, list[dict[str, Any]]]
Line = tuple[str, Decimal]  # (account or category, amount)


def purchase_costs(servicetitan: Records, freshbooks: Records, *, zone: tzinfo = UTC) -> list[CostLine]:
    """Per (month, ServiceTitan account, FreshBooks category): ServiceTitan's purchase cost beside FreshBooks'."""
    sums: dict[tuple[str, str, str], list[Decimal]] = defaultdict(lambda: [ZERO, ZERO, ZERO])
    bills = _servicetitan_bills(servicetitan)
    vendors = _VendorMatch(servicetitan.get("vendors") or [], freshbooks.get("bill_vendors") or [], bills.values())
    paired = _pair_bills(bills, _live(freshbooks.get("bills")), vendors)
    categories = {str(c.get("id") or c.get("categoryid")): str(c.get("category") or "")
                  for c in freshbooks.get("expense_categories") or []}
    waiting: set[str] = set()
    for bill_id, bill in bills.items():
        fb_bill = paired.get(bill_id)
        st_lines = _servicetitan_lines(bill) if _standing(bill) else []
        st_month = _month(bill.get("billDate") or bill.get("createdOn"), zone)
        if fb_bill is None:
            vendor_known = vendors.known(bill.get("vendor"))
            if not vendor_known:
                waiting.add(bill_id)
            for account, amount in st_lines:
                cell = sums[(st_month, account, MISSING if vendor_known else WAITING)]
                cell[0] += amount
                if not vendor_known:
                    cell[2] += amount
            continue
        fb_lines = _freshbooks_lines(fb_bill, categories)
        fb_month = str(fb_bill.get("issue_date") or "")[:7]
        for index in range(max(len(st_lines), len(fb_lines))):
            account, st_amount = st_lines[index] if index < len(st_lines) else (EXTRA_LINE, None)
            category, fb_amount = fb_lines[index] if index < len(fb_lines) else (MISSING, None)
            if not st_lines and fb_lines:
                account = CANCELED
            if st_amount is not None:
                sums[(st_month, account, category)][0] += st_amount
            if fb_amount is not None:
                sums[(fb_month, account, category)][1] += fb_amount
    _add_credits(sums, servicetitan, freshbooks, paired, waiting, zone)
    return [CostLine(period, account, category, st, fb, timing)
            for (period, account, category), (st, fb, timing) in sorted(sums.items())]


def job_margins(servicetitan: Records, freshbooks: Records, *, invoice_number_prefix: str = "ST-",
                rounding_line_name: str = ROUNDING_LINE_NAME) -> list[JobMargin]:
    """Each job invoiced in FreshBooks: its revenue there (its invoices' lines before tax, less discounts) beside its
    parts cost in ServiceTitan: the cost of the parts on its invoices (Material and Equipment items' `totalCost`)
    plus AP-bill expense items charged to the job. Inventory bills carrying a `jobId` are not added: the parts they
    buy reach the job's invoice as materials, already counted. Labour cost is 0: see `LABOUR_NOTE`. Jobs with no
    FreshBooks invoice (outside the sync window, not posted yet, or missing: the differences say which) are left
    out: there is no revenue to set their cost beside. The mapper's tax rounding line (`rounding_line_name`, its
    setting) is tax, not revenue."""
    fb_invoices: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for invoice in _live(freshbooks.get("invoices")):
        fb_invoices[str(invoice.get("invoice_number") or "")].append(invoice)
    jobs: dict[str, dict[str, Any]] = {}
    for invoice in servicetitan.get("invoices") or []:
        job = invoice.get("job") or {}
        if invoice.get("active") is False or not isinstance(job, dict) or job.get("id") in (None, ""):
            continue
        entry = jobs.setdefault(str(job["id"]), {"numbers": [], "customer": "", "revenue": ZERO, "parts": ZERO})
        number = f"{invoice_number_prefix}{invoice.get('referenceNumber') or invoice.get('id')}"
        entry["customer"] = entry["customer"] or str((invoice.get("customer") or {}).get("id") or "")
        if number in fb_invoices:
            entry["numbers"].append(number)
            entry["revenue"] += sum((_revenue(fb, rounding_line_name) for fb in fb_invoices[number]), ZERO)
        entry["parts"] += sum((_item_cost(item) for item in invoice.get("items") or []
                               if item.get("active") is not False
                               and str(item.get("type") or "").lower() in PARTS_TYPES), ZERO)
    for job_id, amount in _job_expenses(_servicetitan_bills(servicetitan).values()):
        if job_id in jobs:
            jobs[job_id]["parts"] += amount
    return [JobMargin(job_id, ", ".join(entry["numbers"]), entry["customer"], entry["revenue"], entry["parts"], ZERO)
            for job_id, entry in sorted(jobs.items(), key=lambda item: _sort_id(item[0])) if entry["numbers"]]


# ServiceTitan's side ------------------------------------------------------------------------------------------

def _servicetitan_bills(servicetitan: Records) -> dict[str, dict[str, Any]]:
    """Inventory bills and AP bills by id (one id space: the same bill may come from both; the later version wins,
    the AP bill's on a tie, since it also carries the expense items)."""
    bills: dict[str, dict[str, Any]] = {}
    for stream in ("inventory_bills", "ap_bills"):
        for bill in servicetitan.get(stream) or []:
            key = str(bill.get("id"))
            known = bills.get(key)
            if known is None or str(bill.get("modifiedOn") or "") >= str(known.get("modifiedOn") or ""):
                bills[key] = bill
    return bills


def _standing(bill: Mapping[str, Any]) -> bool:
    return (bill.get("active") is not False and str(bill.get("status") or "").lower() != "canceled"
            and not bill.get("dateCanceled"))


def _servicetitan_lines(bill: Mapping[str, Any]) -> list[Line]:
    """The bill's costs in the connector's line order, each with its GL account; they add up to `billAmount`."""
    lines: list[Line] = []
    items = [item for item in bill.get("items") or [] if item.get("active") is not False]
    for item in sorted(items, key=lambda item: item.get("order") if isinstance(item.get("order"), int) else 1 << 30):
        amount = _cents(_decimal(item.get("quantity")) * _decimal(item.get("cost")))
        lines.append((_account(item.get("generalLedgerAccount")), amount))
    for item in bill.get("expenseItems") or []:
        if item.get("active") is not False:
            lines.append((_account(item.get("generalLedgerAccount")), _cents(_decimal(item.get("amount")))))
    for field, account in CHARGES:
        amount = _cents(_decimal(bill.get(field)))
        if amount:
            lines.append((account, amount))
    if bill.get("billAmount") not in (None, ""):
        left = _cents(_decimal(bill.get("billAmount"))) - sum((amount for _, amount in lines), ZERO)
        if left:
            lines.append((ROUNDING_ACCOUNT, left))
    return lines


def _account(gl: Any) -> str:
    """`number name` of a GL account reference."""
    if not isinstance(gl, dict):
        return NO_ACCOUNT
    text = " ".join(str(gl.get(field) or "").strip() for field in ("number", "name")).strip()
    return text or NO_ACCOUNT


def _job_expenses(bills: Iterable[Mapping[str, Any]]) -> Iterable[tuple[str, Decimal]]:
    """(job id, amount) of standing AP bills' expense items charged to a job (the item's job, else the bill's)."""
    for bill in bills:
        if not _standing(bill):
            continue
        for item in bill.get("expenseItems") or []:
            job = (item.get("job") or {}).get("id") if isinstance(item.get("job"), dict) else None
            job = job if job not in (None, "") else bill.get("jobId")
            if job not in (None, "") and item.get("active") is not False:
                yield str(job), _cents(_decimal(item.get("amount")))


def _item_cost(item: Mapping[str, Any]) -> Decimal:
    if item.get("totalCost") not in (None, ""):
        return _cents(_decimal(item.get("totalCost")))
    return _cents(_decimal(item.get("quantity")) * _decimal(item.get("cost")))


# FreshBooks' side ---------------------------------------------------------------------------------------------

def _live(rows: Iterable[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """Rows not deleted (`vis_state` 1); an archived one (2) still stands in the books."""
    return [row for row in rows or [] if int(row.get("vis_state") or 0) != 1]


def _freshbooks_lines(bill: Mapping[str, Any], categories: Mapping[str, str]) -> list[Line]:
    lines = sorted(bill.get("lines") or [], key=lambda line: int(line.get("list_index") or 0))
    result: list[Line] = []
    for line in lines:
        category = line.get("category")
        name = category.get("category") if isinstance(category, dict) else category
        if not name:
            category_id = line.get("categoryid") or (category.get("categoryid") if isinstance(category, dict) else None)
            name = categories.get(str(category_id), "")
        amount = line.get("amount")
        value = (_money(amount) if amount is not None
                 else _cents(_decimal(line.get("quantity") or 1) * _money(line.get("unit_cost"))))
        result.append((str(name or "(no category)"), value))
    return result


def _revenue(invoice: Mapping[str, Any], rounding_line_name: str) -> Decimal:
    """Before tax when the lines are there (their amounts less the discount, without the tax rounding line), else
    the invoice's `amount`."""
    lines = invoice.get("lines")
    if lines:
        sales = [line for line in lines if str(line.get("name") or "").strip() != rounding_line_name]
        return sum((_money(line.get("amount")) for line in sales), ZERO) - _money(invoice.get("discount_total"))
    return _money(invoice.get("amount"))


def _add_credits(sums: dict[tuple[str, str, str], list[Decimal]], servicetitan: Records, freshbooks: Records,
                 paired: Mapping[str, Mapping[str, Any]], waiting: set[str], zone: tzinfo) -> None:
    """AP credits' applied parts (negative cost) against the Credit bill payments on the paired bills."""
    for credit in servicetitan.get("ap_credits") or []:
        if (credit.get("active") is False or credit.get("canceledOn")
                or str(credit.get("status") or "").lower() in ("canceled", "cancelled")):
            continue
        period = _month(credit.get("date") or credit.get("createdOn"), zone)
        for split in credit.get("splits") or []:
            if split.get("active") is False:
                continue
            amount = -_cents(_decimal(split.get("amount")))
            parked = str(split.get("inventoryBillId")) in waiting
            cell = sums[(period, CREDITS_ACCOUNT, WAITING if parked else CREDITS_CATEGORY)]
            cell[0] += amount
            if parked:
                cell[2] += amount
    ours = {str(bill.get("id")) for bill in paired.values()}
    for payment in _live(freshbooks.get("bill_payments")):
        if str(payment.get("payment_type") or "").lower() == "credit" and str(payment.get("billid")) in ours:
            period = str(payment.get("paid_date") or "")[:7]
            sums[(period, CREDITS_ACCOUNT, CREDITS_CATEGORY)][1] -= _money(payment.get("amount"))


# Pairing -------------------------------------------------------------------------------------------------------

class _VendorMatch:
    """Which ServiceTitan vendors each FreshBooks bill vendor is: by marker, then normalised name, then email."""

    def __init__(self, st_vendors: list[dict[str, Any]], fb_vendors: list[dict[str, Any]],
                 bills: Iterable[Mapping[str, Any]]) -> None:
        names = {str(v.get("id")): str(v.get("name") or "") for v in st_vendors}
        for bill in bills:
            vendor = bill.get("vendor")
            if isinstance(vendor, dict) and vendor.get("id") not in (None, ""):
                names.setdefault(str(vendor["id"]), str(vendor.get("name") or ""))
        emails = {str(v.get("id")): _email((v.get("contactInfo") or {}).get("email")) for v in st_vendors}
        self.by_freshbooks = {str(v.get("vendorid") or v.get("id")): self._match(v, names, emails)
                              for v in _live(fb_vendors)}
        self.in_freshbooks = set().union(*self.by_freshbooks.values()) if self.by_freshbooks else set()

    @staticmethod
    def _match(fb_vendor: Mapping[str, Any], names: Mapping[str, str], emails: Mapping[str, str]) -> set[str]:
        marked = set(re.findall(r"\[servicetitan:vendor:([^\]\s]+)\]", str(fb_vendor.get("note") or "")))
        if marked:
            return marked
        name = _normalised(fb_vendor.get("vendor_name"))
        by_name = {vid for vid, vname in names.items() if name and _normalised(vname) == name}
        if by_name:
            return by_name
        email = _email(fb_vendor.get("primary_contact_email"))
        return {vid for vid, mail in emails.items() if email and mail == email}

    def known(self, vendor: Any) -> bool:
        """Whether a ServiceTitan bill's vendor `{id, name}` is in FreshBooks."""
        return isinstance(vendor, dict) and str(vendor.get("id")) in self.in_freshbooks


def _pair_bills(bills: Mapping[str, Mapping[str, Any]], fb_bills: list[dict[str, Any]],
                vendors: _VendorMatch) -> dict[str, dict[str, Any]]:
    """ServiceTitan bill id → its FreshBooks bill (the lowest id when several carry the same number)."""
    by_vendor_number: dict[tuple[str, str], str] = {}
    for bill_id, bill in bills.items():
        vendor = str((bill.get("vendor") or {}).get("id")) if isinstance(bill.get("vendor"), dict) else ""
        for number in (bill_id, bill.get("vendorNumber"), bill.get("referenceNumber")):  # referenceNumber wins
            if number not in (None, ""):
                by_vendor_number[(vendor, str(number).strip())] = bill_id
    paired: dict[str, dict[str, Any]] = {}
    for fb_bill in sorted(fb_bills, key=lambda b: _sort_id(str(b.get("id")))):
        number = str(fb_bill.get("bill_number") or "").strip()
        for vendor in sorted(vendors.by_freshbooks.get(str(fb_bill.get("vendorid")), set())):
            found = by_vendor_number.get((vendor, number))
            if found is not None and found not in paired:
                paired[found] = fb_bill
                break
    return paired


# Values -------------------------------------------------------------------------------------------------------

def _decimal(value: Any) -> Decimal:
    if value in (None, ""):
        return Decimal(0)
    return Decimal(str(value).replace(",", ""))


def _money(value: Any) -> Decimal:
    """FreshBooks Money (`{"amount": "12.30", "code": "USD"}`) or a plain amount, to the cent."""
    return _cents(_decimal(value.get("amount") if isinstance(value, dict) else value))


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _month(value: Any, zone: tzinfo) -> str:
    """The business month of a ServiceTitan date-time (exactly midnight UTC is a date and keeps its own)."""
    text = str(value or "").strip()
    if len(text) <= 10:
        return text[:7]
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC)
    if moment.time() == datetime.min.time():
        return moment.strftime("%Y-%m")
    return moment.astimezone(zone).strftime("%Y-%m")


def _normalised(name: Any) -> str:
    words = re.findall(r"[a-z0-9]+", str(name or "").lower())
    while len(words) > 1 and words[-1] in NAME_SUFFIXES:
        words.pop()
    return "".join(words)


def _email(value: Any) -> str:
    return str(value or "").strip().lower()


def _sort_id(value: str) -> tuple[int, str]:
    return (int(value), "") if value.isdigit() else (1 << 62, value)
