"""Running the mapper in-process on Singer messages, and building ServiceTitan-shaped input records.

The builders produce records in ServiceTitan's own field names and types (accounting money as strings,
pricebook and CRM numbers as numbers, rates as fractions), as tap-servicetitan emits them.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable
from contextlib import redirect_stdout
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from map_servicetitan_freshbooks.mapper import ServiceTitanToFreshBooksMapper

BASE_SETTINGS = {"business_timezone": "America/Los_Angeles"}
CENT = Decimal("0.01")


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class MapperOutput:
    messages: list[dict[str, Any]]

    def records(self, stream: str) -> list[dict[str, Any]]:
        return [m["record"] for m in self.messages if m["type"] == "RECORD" and m["stream"] == stream]

    def one(self, stream: str) -> dict[str, Any]:
        records = self.records(stream)
        assert len(records) == 1, f"expected one {stream} record, got {len(records)}"
        return records[0]

    @property
    def streams(self) -> set[str]:
        return {m["stream"] for m in self.messages if m["type"] == "RECORD"}


def schema(stream: str) -> dict[str, Any]:
    return {"type": "SCHEMA", "stream": stream, "schema": {"type": "object"}, "key_properties": ["id"]}


def record(stream: str, data: dict[str, Any]) -> dict[str, Any]:
    return {"type": "RECORD", "stream": stream, "record": data}


def stream_of(stream: str, *records: dict[str, Any]) -> list[dict[str, Any]]:
    """A SCHEMA message then one RECORD per record."""
    return [schema(stream), *(record(stream, data) for data in records)]


def run_mapper(messages: Iterable[dict[str, Any]], **settings: Any) -> MapperOutput:
    """Feed Singer messages (as JSON lines, so numbers arrive as the reader parses them) and collect the output."""
    mapper = ServiceTitanToFreshBooksMapper(config={**BASE_SETTINGS, **settings})
    lines = "".join(json.dumps(message) + "\n" for message in messages)
    out = io.StringIO()
    with redirect_stdout(out):
        mapper.listen(io.StringIO(lines))
    return MapperOutput([json.loads(line) for line in out.getvalue().splitlines() if line.strip()])


# ServiceTitan records


def st_customer(customer_id: int = 12, **fields: Any) -> dict[str, Any]:
    return {
        "id": customer_id,
        "name": "Maria Gonzalez",
        "type": "Residential",
        "active": True,
        "address": {"street": "12 Elm St", "unit": "Apt 4", "city": "Yonkers", "state": "NY", "zip": "10701",
                    "country": "USA", "latitude": 40.9, "longitude": -73.9},
        "balance": 0.0,
        "taxExempt": False,
        "email": "maria@example.com",
        "emails": ["maria@example.com"],
        "phone": "914-555-0100",
        "createdOn": "2024-01-01T00:00:00Z",
        "modifiedOn": "2024-01-01T00:00:00Z",
        **fields,
    }


def st_pricebook_item(item_id: int = 34, **fields: Any) -> dict[str, Any]:
    return {
        "id": item_id,
        "code": "HVAC-FILT-20",
        "displayName": "Pleated Filter 20x25x1",
        "description": "<p>MERV 11 <b>pleated</b> filter &amp; frame</p>",
        "price": 24.5,
        "cost": 8.25,
        "active": True,
        **fields,
    }


def st_zone(zone_id: int, name: str, rates: list[tuple[list[str], str]], *, separated: bool = False,
            active: bool = True) -> dict[str, Any]:
    """A tax zone; `rates` are (taxBaseType, fractional rate as text)."""
    return {
        "id": zone_id,
        "name": name,
        "isTaxRateSeparated": separated,
        "isMultipleTaxZone": len(rates) > 1,
        "rates": [
            {"id": zone_id * 10 + n, "taxName": f"rate {n}", "taxBaseType": bases, "taxRate": float(rate)}
            for n, (bases, rate) in enumerate(rates)
        ],
        "createdOn": "2024-01-01T00:00:00Z",
        "modifiedOn": "2024-01-01T00:00:00Z",
        "active": active,
    }


NYC = st_zone(5, "New York City", [(["Subtotal"], "0.04"), (["Subtotal"], "0.045"), (["Subtotal"], "0.00375")])
FAIRFIELD = st_zone(7, "Fairfield County CT", [(["Labor"], "0.045"), (["Material"], "0.0635")], separated=True)
NASSAU = st_zone(6, "Nassau County", [(["Subtotal"], "0.08625")])


def zone_rate(zone: dict[str, Any], item_type: str) -> Decimal:
    """ServiceTitan's rate for a line type: rates whose taxBaseType has Subtotal, or Labor (services) or Material."""
    base = "Labor" if item_type == "Service" else "Material"
    return sum(
        (Decimal(str(rate["taxRate"])) for rate in zone["rates"]
         if "Subtotal" in rate["taxBaseType"] or base in rate["taxBaseType"]),
        Decimal(0),
    )


def st_line(line_id: int, item_type: str = "Material", *, sku_id: int | None = 34, quantity: str = "1",
            price: str = "10.00", taxable: bool = True, chargeable: bool = True, **fields: Any) -> dict[str, Any]:
    """An invoice item (`Accounting.V2.InvoiceItemResponse`); `total` is quantity x price to the cent."""
    return {
        "id": line_id,
        "order": line_id,
        "type": item_type,
        "skuId": sku_id,
        "skuName": f"SKU-{sku_id}",
        "displayName": f"{item_type} {sku_id}",
        "description": f"<p>{item_type} line {line_id}</p>",
        "quantity": quantity,
        "price": price,
        "total": str(cents(Decimal(quantity) * Decimal(price))),
        "cost": "1.00",
        "taxable": taxable,
        "isChargeable": chargeable,
        "inventory": False,
        "addOn": False,
        "soldHours": None,
        "createdOn": "2024-01-31T20:00:00Z",
        "modifiedOn": "2024-01-31T20:00:00Z",
        **fields,
    }


def st_invoice(invoice_id: int = 1234, items: list[dict[str, Any]] | None = None, *,
               zone: dict[str, Any] | None = NYC, exempt: bool = False, **fields: Any) -> dict[str, Any]:
    """An invoice whose subTotal, salesTax and total follow ServiceTitan's rules for its items and zone."""
    items = items if items is not None else [st_line(1)]
    sub_total = sum((Decimal(i["total"]) for i in items if i["isChargeable"]), Decimal(0))
    unrounded = Decimal(0)
    if zone is not None and not exempt:
        unrounded = sum(
            (Decimal(i["total"]) * zone_rate(zone, i["type"]) for i in items if i["isChargeable"] and i["taxable"]),
            Decimal(0),
        )
    sales_tax = cents(unrounded)
    data = {
        "id": invoice_id,
        "syncStatus": "Posted",
        "referenceNumber": str(invoice_id + 10000),
        "invoiceDate": "2024-01-31T20:00:00Z",
        "dueDate": "2024-03-01T20:00:00Z",
        "subTotal": str(cents(sub_total)),
        "salesTax": str(sales_tax),
        "salesTaxCode": (
            {"id": zone["id"], "name": zone["name"], "taxRate": float(zone_rate(zone, "Material"))} if zone else None
        ),
        "taxZoneId": zone["id"] if zone else None,
        "total": str(cents(sub_total + sales_tax)),
        "balance": str(cents(sub_total + sales_tax)),
        "customer": {"id": 12, "name": "Maria Gonzalez"},
        "customerAddress": {"street": "12 Elm St", "unit": None, "city": "Yonkers", "state": "NY", "zip": "10701",
                            "country": "USA"},
        "job": {"id": 99, "number": "J-4521", "type": "Service"},
        "termName": "Net 30",
        "summary": "<p>Replaced filter</p>",
        "active": True,
        "adjustmentToId": None,
        "createdOn": "2024-01-31T20:00:00Z",
        "modifiedOn": "2024-01-31T20:00:00Z",
        "items": items,
        **fields,
    }
    return data


def st_payment(payment_id: int = 55, applied: list[tuple[int, str]] | None = None, **fields: Any) -> dict[str, Any]:
    """A payment (`Accounting.V2.DetailedPaymentResponse`); `applied` is (invoice id, amount) pairs."""
    applied = applied if applied is not None else [(1234, "100.00")]
    return {
        "id": payment_id,
        "active": True,
        "date": "2024-02-10T18:30:00Z",
        "type": "Check",
        "typeId": "3",
        "total": str(sum((Decimal(amount) for _, amount in applied), Decimal(0))),
        "unappliedAmount": "0.00",
        "referenceNumber": "PMT-889",
        "checkNumber": "1042",
        "authCode": None,
        "memo": None,
        "customer": {"id": 12, "name": "Maria Gonzalez"},
        "refundedPaymentId": None,
        "syncStatus": "Posted",
        "createdOn": "2024-02-10T18:30:00Z",
        "modifiedOn": "2024-02-10T18:30:00Z",
        "appliedTo": [
            {"appliedId": 900 + n, "appliedTo": invoice_id, "appliedAmount": amount, "appliedOn": "2024-02-10",
             "appliedBy": "office", "appliedToReferenceNumber": str(invoice_id + 10000)}
            for n, (invoice_id, amount) in enumerate(applied)
        ],
        **fields,
    }


def freshbooks_invoice_total(lines: list[dict[str, Any]], rounding: str = "per_line") -> Decimal:
    """What FreshBooks shows as the invoice total: it keeps each line's unit cost in cents; a line's amount is
    qty x unit_cost to the cent, its tax that amount times each tax percent; taxes rounded half-up per line,
    or summed and rounded once."""
    subtotal = Decimal(0)
    taxes = []
    for line in lines:
        amount = cents(Decimal(line["qty"]) * cents(Decimal(line["unit_cost"]["amount"])))
        subtotal += amount
        for percent in (line.get("taxAmount1"), line.get("taxAmount2")):
            if percent:
                taxes.append(amount * Decimal(percent) / 100)
    tax = sum((cents(t) for t in taxes), Decimal(0)) if rounding == "per_line" else cents(sum(taxes, Decimal(0)))
    return subtotal + tax


def st_refund(refund_id: int, refunded: int, applied: list[tuple[int, str]] | None = None, *,
              unapplied: str = "0.00", **fields: Any) -> dict[str, Any]:
    """A refund as ServiceTitan records it: a payment with a negative total naming `refundedPaymentId`; `applied`
    amounts are negative (money taken back from each invoice), or there are none and `unapplied` is negative."""
    applied = applied or []
    total = sum((Decimal(amount) for _, amount in applied), Decimal(0)) + Decimal(unapplied)
    return st_payment(refund_id, applied=applied, refundedPaymentId=refunded, total=str(total),
                      unappliedAmount=unapplied, memo="Payment refunded", **fields)


def st_credit_memo(memo_id: int = 7, applied: list[tuple[int, float]] | None = None, *, total: float = 50.0,
                   sales_tax: float = 0.0, **fields: Any) -> dict[str, Any]:
    """A credit memo (`CreditMemoPublicResponse`): money as numbers, `balance` the part not applied."""
    applied = applied if applied is not None else [(1234, total)]
    return {
        "id": memo_id,
        "date": "2024-02-12",
        "referenceNumber": f"CM-{memo_id}",
        "subTotal": float(Decimal(str(total)) - Decimal(str(sales_tax))),
        "salesTax": sales_tax,
        "salesTaxCode": None,
        "total": total,
        "balance": float(Decimal(str(total)) - sum((Decimal(str(a)) for _, a in applied), Decimal(0))),
        "appliedTo": [
            {"appliedId": 700 + n, "appliedTo": invoice_id, "appliedAmount": amount, "appliedOn": "2024-02-12",
             "appliedBy": "office", "appliedToReferenceNumber": str(invoice_id + 10000)}
            for n, (invoice_id, amount) in enumerate(applied)
        ],
        "customer": {"id": 12, "name": "Maria Gonzalez"},
        "syncStatus": "Posted",
        "createdOn": "2024-02-12T17:00:00Z",
        "modifiedOn": "2024-02-12T17:00:00Z",
        "description": "Service guarantee credit",
        "active": True,
        **fields,
    }


# Purchases (vendors, bills, AP payments and credits)


def st_vendor(vendor_id: int = 9, **fields: Any) -> dict[str, Any]:
    """A vendor (`Inventory.V2.VendorResponse`)."""
    return {
        "id": vendor_id,
        "name": "Ferguson Supply",
        "active": True,
        "memo": "Net 30 account",
        "defaultTaxRate": 0.08875,
        "contactInfo": {"firstName": "Dana", "lastName": "Reyes", "phone": "718-555-0199",
                        "email": "ar@ferguson.example", "fax": ""},
        "address": {"street": "1 Supply Way", "unit": "Dock 3", "city": "Queens", "state": "NY", "zip": "11101",
                    "country": "USA"},
        "createdOn": "2023-06-01T00:00:00Z",
        "modifiedOn": "2023-06-01T00:00:00Z",
        **fields,
    }


GL_INVENTORY = {"id": 301, "name": "Inventory Asset", "number": "1300", "type": "Asset", "detailType": "Inventory"}
GL_EQUIPMENT = {"id": 302, "name": "Equipment Purchases", "number": "5010", "type": "COGS", "detailType": None}
GL_FUEL = {"id": 610, "name": "Fuel", "number": "6110", "type": "Expense", "detailType": None}


def st_bill_item(item_id: int, sku_code: str, quantity: str, cost: str, *, gl: dict[str, Any] | None = GL_INVENTORY,
                 **fields: Any) -> dict[str, Any]:
    """An inventory bill item (`Accounting.V2.InventoryBillItemResponse`), money and quantities as strings."""
    return {
        "id": item_id, "order": item_id, "skuId": item_id + 1000, "skuCode": sku_code, "skuType": "Material",
        "name": f"Part {sku_code}", "description": f"<p>Part {sku_code}</p>", "quantity": quantity, "cost": cost,
        "allocatedTax": "0.00", "allocatedShipping": "0.00", "allocatedOtherCosts": "0.00",
        "fullyLandedUnitCost": cost, "inventoryLocation": "Main Warehouse", "serialNumber": None,
        "generalLedgerAccount": gl, "costOfSaleAccount": None, "assetAccount": None, "receiptItemId": None,
        "budgetCodeId": None, **fields,
    }


def st_inventory_bill(bill_id: int = 77, items: list[dict[str, Any]] | None = None, *, tax: str = "0.00",
                      shipping: str = "0.00", other: str = "0.00", **fields: Any) -> dict[str, Any]:
    """An inventory bill as the export gives it (with `active`); `billAmount` = items' quantity x cost to the
    cent + tax + shipping + other, as ServiceTitan totals it."""
    items = items if items is not None else [st_bill_item(1, "PVC-075", "10", "1.25")]
    total = sum((cents(Decimal(i["quantity"]) * Decimal(i["cost"])) for i in items), Decimal(0))
    total += Decimal(tax) + Decimal(shipping) + Decimal(other)
    return {
        "id": bill_id, "purchaseOrderId": None, "syncStatus": "Posted", "referenceNumber": str(bill_id + 1000),
        "vendorNumber": f"INV-{bill_id}55", "summary": "Stock order", "billDate": "2024-03-04T00:00:00Z",
        "billAmount": str(cents(total)), "taxAmount": tax, "shippingAmount": shipping, "otherAmount": other,
        "landedCostMethod": "ByValue", "createdBy": "office", "createdOn": "2024-03-04T21:10:00Z",
        "modifiedOn": "2024-03-04T21:10:00Z", "termName": "Net 30", "dueDate": "2024-04-03T00:00:00Z",
        "postDate": "2024-03-04T00:00:00Z", "batch": None, "businessUnit": {"id": 1, "name": "HVAC"},
        "taxZone": None, "vendor": {"id": 9, "name": "Ferguson Supply"}, "shipTo": None, "items": items,
        "active": True, **fields,
    }


def st_ap_bill(bill_id: int = 78, expenses: list[tuple[str, str, dict[str, Any] | None]] | None = None, *,
               items: list[dict[str, Any]] | None = None, tax: str = "0.00", **fields: Any) -> dict[str, Any]:
    """An AP bill (`Accounting.V2.ApBillResponse`); `expenses` are (amount, description, GL account)."""
    expenses = expenses if expenses is not None else [("212.40", "Fleet fuel, March", GL_FUEL)]
    bill = st_inventory_bill(bill_id, items or [], tax=tax, referenceNumber=f"AP-{bill_id}", **fields)
    bill.pop("active")
    total = Decimal(bill["billAmount"]) + sum((Decimal(amount) for amount, _, _ in expenses), Decimal(0))
    bill.update({
        "billAmount": str(cents(total)), "status": "Unreconciled", "source": "Standalone", "billType": "ApBill",
        "doNotPay": False, "dateCanceled": None, "canceledBy": None, "vendorInvoiceTotal": str(cents(total)),
        "expenseItems": [{"id": 5000 + n, "amount": amount, "description": text, "generalLedgerAccount": gl,
                          "job": None, "businessUnit": None, "budgetCodeId": None, "projectLabelIds": []}
                         for n, (amount, text, gl) in enumerate(expenses)],
        **{key: value for key, value in fields.items() if key in ("status", "dateCanceled", "billAmount")},
    })
    return bill


def st_ap_payment(payment_id: int = 80, splits: list[tuple[int, float]] | None = None,
                  **fields: Any) -> dict[str, Any]:
    """An AP payment (`Accounting.V2.ApPaymentResponse`): money as numbers; `splits` are (bill id, amount)."""
    splits = splits if splits is not None else [(77, 100.0)]
    return {
        "id": payment_id, "active": True, "createdOn": "2024-03-20T15:00:00Z", "modifiedOn": "2024-03-20T15:00:00Z",
        "date": "2024-03-20T00:00:00Z", "approvedDate": "2024-03-20T00:00:00Z", "method": "AccountingSystem",
        "name": "Check 2210", "printCheck": False, "amount": float(sum(Decimal(str(a)) for _, a in splits)),
        "errorMessage": None, "status": "Paid", "syncStatus": "Posted", "batch": None, "glAccount": None,
        "businessUnit": None, "vendor": {"id": 9, "name": "Ferguson Supply"}, "remittanceVendor": None,
        "splits": [{"id": 8000 + n, "active": True, "createdOn": "2024-03-20T15:00:00Z", "documentId": None,
                    "inventoryBillId": bill_id, "amount": amount} for n, (bill_id, amount) in enumerate(splits)],
        "customFields": [], **fields,
    }


def st_ap_credit(credit_id: int = 81, splits: list[tuple[int, float]] | None = None, *, amount: float = 40.0,
                 **fields: Any) -> dict[str, Any]:
    """An AP credit (`Accounting.V2.ApCreditResponse`): `appliedAmount` is the active splits' sum."""
    splits = splits if splits is not None else [(77, amount)]
    return {
        "id": credit_id, "inventoryReturnId": None, "jobId": None, "active": True,
        "createdOn": "2024-03-15T16:00:00Z", "modifiedOn": "2024-03-15T16:00:00Z", "date": "2024-03-15T00:00:00Z",
        "canceledOn": None, "number": f"VC-{credit_id}", "referenceNumber": "CM55120", "memo": "Returned fittings",
        "amount": amount, "appliedAmount": float(sum(Decimal(str(a)) for _, a in splits)), "status": "Unreconciled",
        "syncStatus": "Posted", "batch": None, "businessUnit": None, "remittanceVendor": None,
        "vendor": {"id": 9, "name": "Ferguson Supply"}, "paymentStatus": "Unpaid",
        "splits": [{"id": 8100 + n, "active": True, "createdOn": "2024-03-15T16:00:00Z", "inventoryBillId": bill_id,
                    "vendorCreditId": credit_id, "amount": part} for n, (bill_id, part) in enumerate(splits)],
        "budgetCodeId": None, "customFields": [], **fields,
    }


def freshbooks_bill_total(lines: list[dict[str, Any]]) -> Decimal:
    """What FreshBooks shows as a bill's total (lines without taxes): each line's quantity x unit cost in cents,
    rounded to the cent, summed."""
    return sum((cents(Decimal(line["quantity"]) * cents(Decimal(line["unit_cost"]["amount"]))) for line in lines),
               Decimal(0))
