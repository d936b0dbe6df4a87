"""Purchase costs per month and account, and margin per job, on small records in the shapes the tap emits
(ServiceTitan's accounting export and AP lists) and FreshBooks' API returns (bills with their lines' categories,
bill vendors, bill payments, invoices with lines). Expected figures are worked out by hand in each test."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from target_freshbooks.reconcile.costs import (
    FRESHBOOKS_RESOURCES,
    SERVICETITAN_STREAMS,
    job_margins,
    purchase_costs,
)
from target_freshbooks.reconcile.model import CostLine, JobMargin

NEW_YORK = ZoneInfo("America/New_York")
D = Decimal
MATERIALS = {"id": 41, "name": "Job Materials", "number": "5000", "type": "Expense", "detailType": "CostOfGoodsSold"}
INVENTORY = {"id": 42, "name": "Inventory Asset", "number": "1200", "type": "Asset", "detailType": "Inventory"}
FUEL = {"id": 43, "name": "Fuel", "number": "6100", "type": "Expense", "detailType": "Auto"}
PERMITS = {"id": 44, "name": "Permits", "number": "6200", "type": "Expense", "detailType": "OtherExpense"}


def st_bill(bill_id: int, reference: str, vendor: tuple[int, str], bill_date: str, amount: str,
            items: list[dict[str, Any]], *, tax: str = "0.00", shipping: str = "0.00", active: bool = True,
            expense_items: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """An inventory bill as the export emits it (an AP bill adds `expenseItems`, `status`)."""
    bill = {"id": bill_id, "purchaseOrderId": None, "syncStatus": "Posted", "referenceNumber": reference,
            "vendorNumber": f"INV-{bill_id}", "summary": "", "billDate": bill_date, "billAmount": amount,
            "taxAmount": tax, "shippingAmount": shipping, "landedCostMethod": "ByValue", "otherAmount": "0.00",
            "createdOn": bill_date, "modifiedOn": bill_date, "dueDate": bill_date, "postDate": bill_date,
            "vendor": {"id": vendor[0], "name": vendor[1]}, "items": items, "customFields": [], "jobId": None,
            "jobNumber": None, "active": active}
    if expense_items is not None:
        bill.update({"expenseItems": expense_items, "status": "Unreconciled", "billType": "ApBill"})
    return bill


def st_item(order: int, quantity: str, cost: str, gl: dict[str, Any]) -> dict[str, Any]:
    return {"order": order, "name": "Copper pipe", "description": "<p>Copper pipe</p>", "quantity": quantity,
            "cost": cost, "allocatedTax": "0.00", "allocatedShipping": "0.00", "allocatedOtherCosts": "0.00",
            "generalLedgerAccount": gl, "id": 100 + order, "skuId": 9, "skuType": "Material", "skuCode": "CP-1"}


def st_expense(item_id: int, amount: str, gl: dict[str, Any], job: int | None = None) -> dict[str, Any]:
    return {"id": item_id, "amount": amount, "description": "Expense", "generalLedgerAccount": gl,
            "job": {"id": job, "name": str(job)} if job else None, "businessUnit": None}


def fb_line(index: int, amount: str, category_id: int, name: str | None) -> dict[str, Any]:
    """A FreshBooks bill line as returned: the category as an object (`name` None: only `categoryid`)."""
    line = {"list_index": index, "description": "", "quantity": "1", "unit_cost": {"amount": amount, "code": "USD"},
            "amount": {"amount": amount, "code": "USD"}, "categoryid": category_id}
    if name is not None:
        line["category"] = {"categoryid": category_id, "category": name, "is_cogs": False, "parentid": None}
    return line


def fb_bill(bill_id: int, vendor_id: int, number: str, issue_date: str, lines: list[dict[str, Any]],
            vis_state: int = 0) -> dict[str, Any]:
    return {"id": bill_id, "vendorid": vendor_id, "bill_number": number, "issue_date": issue_date,
            "currency_code": "USD", "lines": lines, "vis_state": vis_state, "status": "unpaid"}


def purchases() -> tuple[dict[str, list[dict[str, Any]]], dict[str, list[dict[str, Any]]]]:
    ferguson, fuel, newcomer = (11, "Ferguson Supply, Inc."), (12, "Acme Fuel LLC"), (13, "Brand New Parts")
    servicetitan = {
        "vendors": [{"id": 11, "name": ferguson[1], "active": True, "contactInfo": {"email": "ap@ferguson.test"}},
                    {"id": 12, "name": fuel[1], "active": True, "contactInfo": {"email": "billing@acme.test"}},
                    {"id": 13, "name": newcomer[1], "active": True, "contactInfo": {"email": "new@parts.test"}}],
        "inventory_bills": [
            # 3 x 100.00 + 2 x 10.005 (20.01 to the cent) + tax 25.60 + shipping 15.00 = 360.61; billAmount 360.62
            st_bill(1001, "IB-1001", ferguson, "2026-03-05T00:00:00Z", "360.62",
                    [st_item(2, "2", "10.005", MATERIALS), st_item(1, "3", "100.00", INVENTORY)],
                    tax="25.60", shipping="15.00"),
            st_bill(1003, "IB-1003", newcomer, "2026-03-10T00:00:00Z", "80.00", [st_item(1, "1", "80.00", MATERIALS)]),
            st_bill(1004, "IB-1004", ferguson, "2026-03-12T00:00:00Z", "50.00", [st_item(1, "1", "50.00", MATERIALS)]),
            st_bill(1005, "IB-1005", ferguson, "2026-03-13T00:00:00Z", "70.00", [st_item(1, "1", "70.00", MATERIALS)],
                    active=False),
        ],
        "ap_bills": [
            # 02:00 UTC on April 1st is 22:00 on March 31st in New York: a March cost
            st_bill(1002, "AP-7", fuel, "2026-04-01T02:00:00Z", "165.50", [],
                    expense_items=[st_expense(201, "120.00", FUEL, job=88001), st_expense(202, "45.50", PERMITS)]),
        ],
        "ap_credits": [
            {"id": 3001, "active": True, "date": "2026-03-20T00:00:00Z", "createdOn": "2026-03-20T14:00:00Z",
             "number": "VC-1", "amount": 30.0, "appliedAmount": 30.0, "status": "Posted", "syncStatus": "Posted",
             "vendor": {"id": 11, "name": ferguson[1]},
             "splits": [{"id": 1, "active": True, "inventoryBillId": 1001, "vendorCreditId": 3001, "amount": 30.0}]},
        ],
    }
    freshbooks = {
        "bill_vendors": [
            {"vendorid": 501, "vendor_name": "Ferguson Supply", "note": None, "vis_state": 0},
            {"vendorid": 502, "vendor_name": "Fuel (ST)", "note": "[servicetitan:vendor:12]", "vis_state": 0},
        ],
        "expense_categories": [{"id": 1, "categoryid": 1, "category": "Cost of Goods Sold"},
                               {"id": 2, "categoryid": 2, "category": "Inventory"},
                               {"id": 3, "categoryid": 3, "category": "Car & Truck Expenses"},
                               {"id": 4, "categoryid": 4, "category": "Taxes"},
                               {"id": 5, "categoryid": 5, "category": "Shipping"},
                               {"id": 6, "categoryid": 6, "category": "Office Expenses"}],
        "bills": [
            fb_bill(9001, 501, "IB-1001", "2026-03-05", [
                fb_line(1, "300.00", 2, "Inventory"), fb_line(2, "20.01", 1, "Cost of Goods Sold"),
                fb_line(3, "25.60", 4, "Taxes"), fb_line(4, "12.00", 5, "Shipping"),  # a bookkeeper's 12.00
                fb_line(5, "0.01", 1, "Cost of Goods Sold")]),
            fb_bill(9002, 502, "AP-7", "2026-03-31", [fb_line(1, "120.00", 3, None), fb_line(2, "45.50", 6, None)],
                    vis_state=2),  # archived: still in the books
            fb_bill(9003, 501, "RENT-1", "2026-03-01", [fb_line(1, "2000.00", 6, "Office Expenses")]),
            fb_bill(9004, 501, "IB-1004", "2026-03-12", [fb_line(1, "50.00", 1, "Cost of Goods Sold")], vis_state=1),
        ],
        "bill_payments": [
            {"id": 1, "billid": 9001, "amount": {"amount": "30.00", "code": "USD"}, "paid_date": "2026-03-20",
             "payment_type": "Credit", "vis_state": 0},
            {"id": 2, "billid": 9001, "amount": {"amount": "100.00", "code": "USD"}, "paid_date": "2026-03-21",
             "payment_type": "Check", "vis_state": 0},
            {"id": 3, "billid": 9003, "amount": {"amount": "5.00", "code": "USD"}, "paid_date": "2026-03-22",
             "payment_type": "Credit", "vis_state": 0},
        ],
    }
    return servicetitan, freshbooks


def test_costs_per_month_account_and_category_pair_through_the_same_bill_lines() -> None:
    servicetitan, freshbooks = purchases()
    waiting = "(waiting in review: vendor not in FreshBooks)"
    assert purchase_costs(servicetitan, freshbooks, zone=NEW_YORK) == [
        CostLine("2026-03", "1200 Inventory Asset", "Inventory", D("300.00"), D("300.00")),
        CostLine("2026-03", "5000 Job Materials", "(missing in FreshBooks)", D("50.00"), D("0.00")),
        CostLine("2026-03", "5000 Job Materials", waiting, D("80.00"), D("0.00"), timing=D("80.00")),
        CostLine("2026-03", "5000 Job Materials", "Cost of Goods Sold", D("20.01"), D("20.01")),
        CostLine("2026-03", "6100 Fuel", "Car & Truck Expenses", D("120.00"), D("120.00")),
        CostLine("2026-03", "6200 Permits", "Office Expenses", D("45.50"), D("45.50")),
        CostLine("2026-03", "Rounding to the bill total", "Cost of Goods Sold", D("0.01"), D("0.01")),
        CostLine("2026-03", "Sales tax (bill header)", "Taxes", D("25.60"), D("25.60")),
        CostLine("2026-03", "Shipping (bill header)", "Shipping", D("15.00"), D("12.00")),
        CostLine("2026-03", "Vendor credits (AP credits)", "Bill payments of type Credit", D("-30.00"), D("-30.00")),
    ]


def test_servicetitan_months_are_business_months() -> None:
    servicetitan, freshbooks = purchases()
    fuel = [(c.period, c.servicetitan, c.freshbooks) for c in purchase_costs(servicetitan, freshbooks)
            if c.servicetitan_account == "6100 Fuel"]
    # read in UTC, the AP bill of 02:00 UTC on April 1st is April's; FreshBooks dated it March 31st
    assert fuel == [("2026-03", D("0.00"), D("120.00")), ("2026-04", D("120.00"), D("0.00"))]


def test_a_credit_on_a_bill_waiting_in_review_is_waiting_too() -> None:
    servicetitan, freshbooks = purchases()
    servicetitan["ap_credits"][0]["splits"][0]["inventoryBillId"] = 1003
    freshbooks["bill_payments"] = []
    credits = [c for c in purchase_costs(servicetitan, freshbooks, zone=NEW_YORK)
               if c.servicetitan_account == "Vendor credits (AP credits)"]
    assert credits == [CostLine("2026-03", "Vendor credits (AP credits)",
                                "(waiting in review: vendor not in FreshBooks)", D("-30.00"), D("0.00"),
                                timing=D("-30.00"))]


def test_job_margins_set_freshbooks_revenue_beside_servicetitan_parts_cost() -> None:
    servicetitan, _ = purchases()
    servicetitan["invoices"] = [
        {"id": 7001, "referenceNumber": "2001", "active": True,
         "job": {"id": 88001, "number": "2001", "type": "Repair"},
         "customer": {"id": 501, "name": "Harbor View Dental"}, "total": "1623.75",
         "items": [{"type": "Material", "quantity": "2", "cost": "35.00", "totalCost": "70.00", "active": True},
                   {"type": "Service", "quantity": "1", "cost": "0.00", "totalCost": "0.00", "soldHours": 2.0},
                   {"type": "Equipment", "quantity": "1", "cost": "400.00", "totalCost": "400.00"},
                   {"type": "Material", "quantity": "1", "cost": "999.00", "totalCost": "999.00", "active": False}]},
        {"id": 7002, "referenceNumber": "2002", "active": True,
         "job": {"id": 88002, "number": "2002", "type": "Repair"},
         "customer": {"id": 502, "name": "Maple"}, "items": [{"type": "Material", "quantity": "3", "cost": "5.00"}]},
        {"id": 7003, "referenceNumber": "2003", "active": True, "job": None, "customer": {"id": 503}, "items": []},
    ]
    freshbooks = {"invoices": [
        {"id": 1, "invoice_number": "ST-2001", "vis_state": 0, "amount": {"amount": "1623.75", "code": "USD"},
         "discount_total": {"amount": "25.00", "code": "USD"},
         "lines": [{"name": "Repair", "amount": {"amount": "1200.00", "code": "USD"}},
                   {"name": "Condenser pad", "amount": {"amount": "300.00", "code": "USD"}},
                   {"name": "Sales tax rounding adjustment", "amount": {"amount": "-0.01", "code": "USD"}}]},
        {"id": 2, "invoice_number": "ST-2002", "vis_state": 1, "amount": {"amount": "99.00", "code": "USD"}},
        {"id": 3, "invoice_number": "FB-2024-001", "vis_state": 0, "amount": {"amount": "80.00", "code": "USD"}},
    ]}
    # job 88001: revenue 1200 + 300 - 25 discount = 1475.00 (the tax rounding line is tax);
    # parts 70 + 400 on the invoice + 120 fuel charged to it
    # job 88002: its FreshBooks invoice is deleted: no revenue to compare, not listed
    assert job_margins(servicetitan, freshbooks) == [
        JobMargin("88001", "ST-2001", "501", D("1475.00"), D("590.00"), D("0.00"))]
    assert job_margins(servicetitan, freshbooks)[0].margin == D("885.00")


def test_the_streams_read_are_the_taps() -> None:
    schemas = Path(__file__).resolve().parents[2] / "tap-servicetitan" / "tap_servicetitan" / "schemas"
    assert [name for name in SERVICETITAN_STREAMS if not (schemas / f"{name}.json").is_file()] == []
    assert "bills" in FRESHBOOKS_RESOURCES and "invoices" in FRESHBOOKS_RESOURCES
