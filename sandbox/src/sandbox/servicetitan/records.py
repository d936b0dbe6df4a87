"""Builders of ServiceTitan documents in the API's own shapes (field names and types as in the specs).

Each builder takes what varies and fills every other field the schema requires with what a real
tenant of this size would show. Schema names are given so that a reader can check against the spec.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sandbox.servicetitan.accounting import money, plain

CREATED_BY_ID = 40001
OFFICE_USER = "office.manager"


def address(street: str, unit: str | None, city: str, state: str, zip_code: str,
            lat: float | None = None, lon: float | None = None) -> dict[str, Any]:
    """Crm.V2.Customers.CustomerAddress"""
    return {"street": street, "unit": unit, "city": city, "state": state, "zip": zip_code, "country": "USA",
            "latitude": lat, "longitude": lon}


def accounting_address(addr: dict[str, Any]) -> dict[str, Any]:
    """Accounting.V2.AddressResponse (no coordinates)."""
    return {k: addr.get(k) for k in ("street", "unit", "city", "state", "zip", "country")}


def customer(*, id: int, name: str, type: str, addr: dict[str, Any], tax_exempt: bool, created_on: str,
             modified_on: str, balance: Decimal = Decimal("0"), active: bool = True,
             payment_term_id: int | None = None, do_not_mail: bool = False) -> dict[str, Any]:
    """Crm.V2.Customers.CustomerResponse (the export row has the same fields)."""
    return {
        "id": id, "active": active, "name": name, "type": type, "address": addr,
        "customFields": [], "balance": float(balance), "taxExempt": tax_exempt, "tagTypeIds": [],
        "doNotMail": do_not_mail, "doNotService": False, "nationalAccount": False,
        "createdOn": created_on, "createdById": CREATED_BY_ID, "modifiedOn": modified_on,
        "mergedToId": None, "paymentTermId": payment_term_id, "creditLimit": None, "creditLimitBalance": None,
        "externalData": [],
    }


def contact(*, id: int, customer_id: int, type: str, value: str, memo: str | None, created_on: str,
            modified_on: str, active: bool = True, do_not_text: bool = False) -> dict[str, Any]:
    """Crm.V2.ExportCustomerContactResponse (the list rows drop `customerId` and/or `active`)."""
    return {
        "id": id, "type": type, "value": value, "memo": memo,
        "phoneSettings": {"phoneNumber": value if type in ("Phone", "MobilePhone") else "",
                          "doNotText": do_not_text},
        "preferences": None if type != "Email" else {
            "jobRemindersEnabled": True, "marketingUpdatesEnabled": False, "invoiceStatementNotification": True,
            "invoiceNotification": True, "statementNotification": True,
        },
        "createdOn": created_on, "modifiedOn": modified_on, "customerId": customer_id, "active": active,
    }


def location(*, id: int, customer_id: int, name: str, addr: dict[str, Any], tax_zone_id: int | None,
             tax_exempt: bool, created_on: str, modified_on: str, active: bool = True) -> dict[str, Any]:
    """Crm.V2.Locations.LocationResponse (the export row has the same fields)."""
    return {
        "id": id, "customerId": customer_id, "active": active, "name": name, "address": addr,
        "customFields": [], "createdOn": created_on, "createdById": CREATED_BY_ID, "modifiedOn": modified_on,
        "mergedToId": None, "zoneId": None, "taxExempt": tax_exempt, "tagTypeIds": [], "externalData": [],
        "taxZoneId": tax_zone_id,
    }


def sku_vendor(*, link_id: int, vendor_id: int, vendor_name: str, cost: Decimal, part: str) -> dict[str, Any]:
    """Pricebook.V2.SkuVendorResponse"""
    return {"id": link_id, "vendorName": vendor_name, "vendorId": vendor_id, "memo": None, "vendorPart": part,
            "cost": float(cost), "active": True, "primarySubAccount": None, "otherSubAccounts": None}


def _sku_common(*, id: int, code: str, name: str, price: Decimal, cost: Decimal, active: bool,
                created_on: str, modified_on: str, hours: Decimal) -> dict[str, Any]:
    return {
        "id": id, "code": code, "displayName": name, "description": f"<p>{name}</p>", "active": active,
        "price": float(price), "memberPrice": float((price * Decimal("0.9")).quantize(Decimal("0.01"))),
        "addOnPrice": float(price), "addOnMemberPrice": float((price * Decimal("0.9")).quantize(Decimal("0.01"))),
        "cost": float(cost), "hours": float(hours), "bonus": 0.0, "commissionBonus": 0.0, "paysCommission": False,
        "assets": [], "modifiedOn": modified_on, "createdOn": created_on, "source": None, "externalId": None,
        "externalData": None, "defaultAssetUrl": None, "budgetCostCode": None, "budgetCostType": None,
        "isPriceLocked": None,
    }


def material(*, id: int, code: str, name: str, price: Decimal, cost: Decimal, taxable: bool | None, unit: str | None,
             active: bool, created_on: str, modified_on: str, category_ids: list[int], gl: dict[str, Any],
             primary_vendor: dict[str, Any] | None, business_unit_id: int | None) -> dict[str, Any]:
    """Pricebook.V2.MaterialResponse (export: Pricebook.V2.ExportMaterialResponse, same fields)."""
    doc = _sku_common(id=id, code=code, name=name, price=price, cost=cost, active=active, created_on=created_on,
                      modified_on=modified_on, hours=Decimal("0"))
    doc.update({
        "deductAsJobCost": False, "unitOfMeasure": unit, "isInventory": True,
        "account": gl["name"], "costOfSaleAccount": "Cost of Materials", "assetAccount": "Inventory Asset",
        "taxable": taxable, "primaryVendor": primary_vendor, "otherVendors": [], "categories": category_ids,
        "isConfigurableMaterial": False, "chargeableByDefault": True, "variationsOrConfigurableMaterials": None,
        "businessUnitId": business_unit_id, "createdById": CREATED_BY_ID, "displayInAmount": False,
        "generalLedgerAccountId": gl["id"], "isOtherDirectCost": False, "costTypeId": None, "isCostLocked": None,
        "isChemical": None, "epaNumber": None, "activeIngredients": None,
    })
    return doc


def service(*, id: int, code: str, name: str, price: Decimal, cost: Decimal, taxable: bool, hours: Decimal,
            active: bool, created_on: str, modified_on: str, categories: list[dict[str, Any]], gl: dict[str, Any],
            business_unit_id: int | None, is_labor: bool) -> dict[str, Any]:
    """Pricebook.V2.ServiceGetResponse (the export drops `calculatedPrice` and `useStaticPrices`)."""
    doc = _sku_common(id=id, code=code, name=name, price=price, cost=cost, active=active, created_on=created_on,
                      modified_on=modified_on, hours=hours)
    doc.update({
        "warranty": {"duration": 0, "description": None} if price else None,
        "categories": categories, "taxable": taxable, "account": gl["name"], "isLabor": is_labor,
        "recommendations": [], "upgrades": [], "serviceMaterials": [], "serviceEquipment": [],
        "crossSaleGroup": None, "businessUnitId": business_unit_id, "soldByCommission": 0.0,
        "calculatedPrice": None, "useStaticPrices": None,
    })
    return doc


def equipment(*, id: int, code: str, name: str, price: Decimal, cost: Decimal, taxable: bool, unit: str | None,
              active: bool, created_on: str, modified_on: str, category_ids: list[int], gl: dict[str, Any],
              primary_vendor: dict[str, Any] | None, manufacturer: str) -> dict[str, Any]:
    """Pricebook.V2.EquipmentResponse (export: Pricebook.V2.ExportEquipmentResponse, same fields)."""
    doc = _sku_common(id=id, code=code, name=name, price=price, cost=cost, active=active, created_on=created_on,
                      modified_on=modified_on, hours=Decimal("0"))
    doc.update({
        "manufacturer": manufacturer, "model": code.removeprefix("EQ-"),
        "manufacturerWarranty": {"duration": 60, "description": "5-year parts warranty"},
        "serviceProviderWarranty": {"duration": 12, "description": "1-year labor warranty"},
        "categories": category_ids, "recommendations": [], "upgrades": [], "equipmentMaterials": [],
        "primaryVendor": primary_vendor, "otherVendors": [], "account": gl["name"],
        "costOfSaleAccount": "Cost of Equipment", "assetAccount": "Inventory Asset", "crossSaleGroup": None,
        "taxable": taxable, "unitOfMeasure": unit, "isInventory": True, "isConfigurableEquipment": False,
        "variationsOrConfigurableEquipment": None, "typeId": None, "displayInAmount": False,
        "generalLedgerAccountId": gl["id"], "dimensions": None, "isCostLocked": None,
    })
    return doc


def vendor(*, id: int, name: str, active: bool, addr: dict[str, Any], contact_first: str, contact_last: str,
           phone: str, email: str, default_tax_rate: Decimal, created_on: str, modified_on: str) -> dict[str, Any]:
    """Inventory.V2.VendorResponse"""
    return {
        "id": id, "name": name, "active": active, "isTruckReplenishment": False, "isMobileCreationRestricted": False,
        "memo": "", "deliveryOption": "Pickup", "defaultTaxRate": float(default_tax_rate),
        "contactInfo": {"firstName": contact_first, "lastName": contact_last, "phone": phone, "email": email,
                        "fax": ""},
        "address": {k: addr.get(k) for k in ("street", "unit", "city", "state", "zip", "country")},
        "createdOn": created_on, "modifiedOn": modified_on, "externalData": [], "customFields": [],
    }


def gl_ref(gl: dict[str, Any]) -> dict[str, Any]:
    """Accounting.V2.GLAccountResponse: the account as embedded in accounting documents."""
    return {"id": gl["id"], "name": gl["name"], "number": gl["number"], "type": gl["type"],
            "detailType": gl["subtype"]}


def named(id: int, name: str | None) -> dict[str, Any]:
    """Accounting.V2.NamedFieldResponse"""
    return {"id": id, "name": name}


def invoice_item(*, id: int, order: int, type: str, sku_id: int, sku_code: str, display_name: str,
                 quantity: Decimal, price: Decimal, total: Decimal, cost: Decimal, taxable: bool, chargeable: bool,
                 gl: dict[str, Any] | None, business_unit: dict[str, Any], service_date: str, created_on: str,
                 modified_on: str, hours: Decimal | None = None, inventory: bool = False,
                 member_price: Decimal | None = None) -> dict[str, Any]:
    """Accounting.V2.InvoiceItemResponse (the invoice-items export adds `invoiceId` and `active`)."""
    return {
        "id": id, "description": f"<p>{display_name}</p>", "quantity": plain(quantity), "cost": money(cost),
        "totalCost": money(cost * quantity), "budgetCodeId": None, "inventoryLocationId": None,
        "inventoryLocation": "Main Warehouse" if inventory else None, "price": money(price), "type": type,
        "skuName": sku_code, "skuId": sku_id, "total": money(total), "inventory": inventory, "taxable": taxable,
        "isChargeable": chargeable, "generalLedgerAccount": gl, "costOfSaleAccount": None, "assetAccount": None,
        "membershipTypeId": 0, "itemGroup": None, "displayName": display_name,
        "soldHours": None if hours is None else float(hours), "createdOn": created_on, "modifiedOn": modified_on,
        "serviceDate": service_date, "order": order, "businessUnit": business_unit, "createdById": CREATED_BY_ID,
        "displayInAmount": None, "importId": None, "exportId": None, "inventoryStatus": None, "addOn": False,
        "memberPrice": money(member_price if member_price is not None else price), "technicianId": None,
        "installedEquipmentId": None, "estimateItemId": None,
    }


def invoice(*, id: int, reference_number: str, invoice_date: str, due_date: str, sub_total: Decimal,
            sales_tax: Decimal, total: Decimal, balance: Decimal, zone: dict[str, Any] | None, headline_rate: Decimal,
            customer_ref: dict[str, Any], customer_address: dict[str, Any], location_ref: dict[str, Any] | None,
            location_address: dict[str, Any] | None, business_unit: dict[str, Any], term_name: str,
            job: dict[str, Any] | None, created_on: str, modified_on: str, sync_status: str, active: bool,
            adjustment_to_id: int | None, summary: str, discount_total: Decimal, paid_on: str | None,
            invoice_configuration: str = "JobInvoice", sent_status: str = "Sent",
            review_status: str = "Reviewed") -> dict[str, Any]:
    """Accounting.V2.InvoiceResponse without `items` (the export row has the same fields)."""
    return {
        "id": id, "syncStatus": sync_status, "budgetCodeId": None, "referenceNumber": reference_number,
        "invoiceDate": invoice_date, "dueDate": due_date, "subTotal": money(sub_total), "salesTax": money(sales_tax),
        "salesTaxCode": None if zone is None else {"id": zone["id"], "name": zone["name"],
                                                   "taxRate": float(headline_rate)},
        "taxZoneId": None if zone is None else zone["id"], "total": money(total), "balance": money(balance),
        "invoiceType": None, "customer": customer_ref, "customerAddress": customer_address, "location": location_ref,
        "locationAddress": location_address, "businessUnit": business_unit, "termName": term_name,
        "createdBy": OFFICE_USER, "batch": None, "depositedOn": None, "createdOn": created_on,
        "modifiedOn": modified_on, "adjustmentToId": adjustment_to_id, "job": job, "projectId": None,
        "royalty": None, "employeeInfo": None, "commissionEligibilityDate": None, "sentStatus": sent_status,
        "reviewStatus": review_status, "assignedTo": None, "summary": summary, "customFields": [],
        "active": active, "discountTotal": money(discount_total), "importId": None, "exportId": None,
        "materialSkuId": None, "membershipId": None, "paidOn": paid_on,
        "invoiceConfiguration": invoice_configuration,
    }


def payment_application(*, applied_id: int, invoice_id: int, amount: Decimal, applied_on: str,
                        reference_number: str) -> dict[str, Any]:
    """Accounting.V2.PaymentAppliedResponse"""
    return {"appliedAmount": money(amount), "appliedBy": OFFICE_USER, "appliedId": applied_id,
            "appliedOn": applied_on, "appliedTo": invoice_id, "appliedToReferenceNumber": reference_number}


def payment(*, id: int, date: str, total: Decimal, unapplied: Decimal, type_id: int, type_name: str,
            customer_ref: dict[str, Any], business_unit: dict[str, Any] | None, gl: dict[str, Any],
            applied_to: list[dict[str, Any]], created_on: str, modified_on: str, sync_status: str,
            reference_number: str | None, check_number: str | None, auth_code: str | None, memo: str | None,
            refunded_payment_id: int | None = None, active: bool = True) -> dict[str, Any]:
    """Accounting.V2.DetailedPaymentResponse (the export row has the same fields). `typeId` is a string."""
    return {
        "active": active, "appliedTo": applied_to, "authCode": auth_code, "batch": None,
        "businessUnit": business_unit, "checkNumber": check_number, "createdBy": OFFICE_USER,
        "createdOn": created_on, "customer": customer_ref, "customFields": [], "date": date, "deposit": None,
        "generalLedgerAccount": gl, "id": id, "memo": memo, "modifiedOn": modified_on,
        "referenceNumber": reference_number, "refundedPaymentId": refunded_payment_id, "syncStatus": sync_status,
        "total": money(total), "type": type_name, "typeId": str(type_id), "unappliedAmount": money(unapplied),
    }


def credit_memo(*, id: int, date: str, reference_number: str, total: Decimal, balance: Decimal,
                applied_to: list[dict[str, Any]], customer_ref: dict[str, Any], customer_address: dict[str, Any],
                location_ref: dict[str, Any] | None, location_address: dict[str, Any] | None,
                business_unit: dict[str, Any], created_on: str, modified_on: str, description: str,
                sync_status: str = "Posted", active: bool = True) -> dict[str, Any]:
    """Accounting.V2.CreditMemos.CreditMemoPublicResponse: money here is numbers, dates are `date`."""
    return {
        "id": id, "date": date, "referenceNumber": reference_number, "subTotal": float(total), "salesTax": 0.0,
        "salesTaxCode": None, "total": float(total), "balance": float(balance), "appliedTo": applied_to,
        "customer": customer_ref, "customerAddress": customer_address, "location": location_ref,
        "locationAddress": location_address, "businessUnit": business_unit, "syncStatus": sync_status,
        "batch": None, "customFields": [], "createdOn": created_on, "createdBy": OFFICE_USER,
        "modifiedOn": modified_on, "modifiedBy": OFFICE_USER, "description": description, "active": active,
        "importId": None, "exportId": None,
    }


def credit_memo_application(*, applied_id: int, invoice_id: int, amount: Decimal, applied_on: str,
                            reference_number: str) -> dict[str, Any]:
    """Accounting.V2.CreditMemos.CreditMemoAppliedToCodeResponse (`appliedOn` is a date)."""
    return {"appliedId": applied_id, "appliedTo": invoice_id, "appliedAmount": float(amount),
            "appliedOn": applied_on, "appliedBy": OFFICE_USER, "appliedToReferenceNumber": reference_number}


def bill_item(*, id: int, order: int, sku_id: int, sku_code: str, sku_type: str, name: str, quantity: Decimal,
              cost: Decimal, allocated_tax: Decimal, allocated_shipping: Decimal,
              gl: dict[str, Any] | None) -> dict[str, Any]:
    """Accounting.V2.InventoryBillItemResponse"""
    landed = cost + (allocated_tax + allocated_shipping) / quantity if quantity else cost
    return {
        "order": order, "name": name, "description": f"<p>{name}</p>", "quantity": plain(quantity),
        "cost": money(cost), "allocatedTax": money(allocated_tax), "allocatedShipping": money(allocated_shipping),
        "allocatedOtherCosts": "0.00", "fullyLandedUnitCost": money(landed), "inventoryLocation": "Main Warehouse",
        "serialNumber": None, "generalLedgerAccount": gl, "costOfSaleAccount": None, "assetAccount": None, "id": id,
        "skuId": sku_id, "receiptItemId": None, "skuType": sku_type, "skuCode": sku_code, "budgetCodeId": None,
    }


def inventory_bill(*, id: int, reference_number: str, vendor_number: str, bill_date: str, due_date: str,
                   bill_amount: Decimal, tax_amount: Decimal, shipping_amount: Decimal, vendor_ref: dict[str, Any],
                   business_unit: dict[str, Any], tax_zone: dict[str, Any] | None, created_on: str,
                   modified_on: str | None, sync_status: str, items: list[dict[str, Any]], summary: str,
                   purchase_order_id: int | None, ship_to: dict[str, Any]) -> dict[str, Any]:
    """Accounting.V2.InventoryBillResponse (the export adds `active`, kept in the record's column)."""
    return {
        "id": id, "purchaseOrderId": purchase_order_id, "syncStatus": sync_status,
        "referenceNumber": reference_number, "vendorNumber": vendor_number, "summary": summary,
        "billDate": bill_date, "billAmount": money(bill_amount), "taxAmount": money(tax_amount),
        "shippingAmount": money(shipping_amount), "landedCostMethod": "ByValue", "otherAmount": "0.00",
        "createdBy": OFFICE_USER, "createdOn": created_on, "modifiedOn": modified_on, "termName": "Net 30",
        "dueDate": due_date, "shipToDescription": "Main Warehouse", "postDate": bill_date, "batch": None,
        "businessUnit": business_unit, "taxZone": tax_zone, "vendor": vendor_ref, "shipTo": ship_to,
        "budgetCodeId": None, "items": items, "customFields": [], "jobId": None, "jobNumber": None,
        "dateReconciled": None,
    }


def tax_zone(*, id: int, name: str, separated: bool, rates: list[dict[str, Any]], created_on: str,
             modified_on: str, active: bool, color: int) -> dict[str, Any]:
    """Accounting.V2.TaxZoneResponse"""
    return {"id": id, "name": name, "color": color, "isTaxRateSeparated": separated,
            "isMultipleTaxZone": len(rates) > 1 and not separated, "rates": rates, "createdOn": created_on,
            "modifiedOn": modified_on, "active": active}


def tax_rate(*, id: int, name: str, base_types: list[str], rate: Decimal) -> dict[str, Any]:
    """Accounting.V2.TaxRateResponse"""
    return {"id": id, "taxName": name, "taxBaseType": base_types, "taxRate": float(rate), "salesTaxItem": name}


def payment_type(*, id: int, name: str, created_on: str, modified_on: str) -> dict[str, Any]:
    """Accounting.V2.PaymentTypeResponse"""
    return {"id": id, "name": name, "modifiedOn": modified_on, "createdOn": created_on}


def gl_account(*, id: int, number: str, name: str, type: str, subtype: str, default_type: str | None, active: bool,
               created_on: str, modified_on: str) -> dict[str, Any]:
    """Accounting.V2.GlAccountExtendedResponse"""
    return {"id": id, "name": name, "number": number, "description": name, "type": type, "subtype": subtype,
            "active": active, "isIntacctGroup": False, "isIntacctBankAccount": False, "source": "AccountingSystem",
            "defaultAccountType": default_type, "createdOn": created_on, "modifiedOn": modified_on}


# ---------------------------------------------------------------- accounts payable (ap-bills, ap-credits, ap-payments)

WAREHOUSE = {"id": 9101, "name": "Main Warehouse", "type": "Warehouse"}


def ap_bill_expense_item(*, id: int, amount: Decimal, description: str, gl: dict[str, Any],
                         business_unit: dict[str, Any], job: dict[str, Any] | None = None) -> dict[str, Any]:
    """Accounting.V2.ApBillExpenseItemResponse: a non-inventory cost with its GL account."""
    return {"id": id, "amount": money(amount), "description": description, "generalLedgerAccount": gl, "job": job,
            "businessUnit": business_unit, "budgetCodeId": None, "projectLabelIds": []}


def ap_bill_item(*, id: int, order: int, sku_id: int, sku_code: str, sku_type: str, name: str, quantity: Decimal,
                 cost: Decimal, allocated_tax: Decimal, gl: dict[str, Any] | None) -> dict[str, Any]:
    """Accounting.V2.ApBillItemResponse (like the inventory-bill item; `inventoryLocation` is an object)."""
    landed = cost + allocated_tax / quantity if quantity else cost
    return {
        "order": order, "name": name, "description": f"<p>{name}</p>", "quantity": plain(quantity),
        "cost": money(cost), "allocatedTax": money(allocated_tax), "allocatedShipping": "0.00",
        "allocatedOtherCosts": "0.00", "fullyLandedUnitCost": money(landed), "inventoryLocation": dict(WAREHOUSE),
        "vendorPartNumber": f"{sku_code}-V", "serialNumber": None, "generalLedgerAccount": gl,
        "costOfSaleAccount": None, "assetAccount": None, "id": id, "skuId": sku_id, "receiptItemId": None,
        "skuType": sku_type, "skuCode": sku_code, "budgetCodeId": None,
    }


def ap_bill(*, id: int, reference_number: str, vendor_number: str, bill_date: str, due_date: str,
            bill_amount: Decimal, tax_amount: Decimal, vendor_ref: dict[str, Any], business_unit: dict[str, Any],
            created_on: str, modified_on: str, sync_status: str, items: list[dict[str, Any]],
            expense_items: list[dict[str, Any]], summary: str) -> dict[str, Any]:
    """Accounting.V2.ApBillResponse: a standalone AP bill (billType ApBill), money as strings.

    `billAmount` = the expense lines' amounts + the item lines' quantity x cost + `taxAmount`.
    """
    return {
        "id": id, "purchaseOrderId": None, "syncStatus": sync_status, "status": "Unreconciled",
        "source": "Standalone", "billType": "ApBill", "postDate": bill_date, "referenceNumber": reference_number,
        "vendorNumber": vendor_number, "summary": summary, "billDate": bill_date, "earlyDiscountDate": None,
        "billAmount": money(bill_amount), "vendorInvoiceTotal": money(bill_amount), "taxAmount": money(tax_amount),
        "shippingAmount": "0.00", "landedCostMethod": "None", "otherAmount": "0.00", "createdBy": OFFICE_USER,
        "createdOn": created_on, "modifiedOn": modified_on, "termName": "Net 30", "dueDate": due_date,
        "doNotPay": False, "dateCanceled": None, "canceledBy": None, "shipToDescription": None, "batch": None,
        "businessUnit": business_unit, "taxZone": None, "vendor": vendor_ref, "remittanceVendorInfo": None,
        "shipTo": None, "budgetCodeId": None, "items": items, "expenseItems": expense_items, "customFields": [],
        "jobId": None, "jobNumber": None, "dateReconciled": None,
    }


def ap_credit_split(*, id: int, credit_id: int, bill_id: int, amount: Decimal, created_on: str,
                    active: bool = True) -> dict[str, Any]:
    """Accounting.V2.ApCreditSplitModelResponse: part of a vendor credit applied to one bill."""
    return {"id": id, "active": active, "createdOn": created_on, "inventoryBillId": bill_id,
            "vendorCreditId": credit_id, "amount": float(amount)}


def ap_credit(*, id: int, number: str, reference_number: str, date: str, amount: Decimal,
              splits: list[dict[str, Any]], vendor_ref: dict[str, Any], business_unit: dict[str, Any] | None,
              created_on: str, modified_on: str, sync_status: str, memo: str) -> dict[str, Any]:
    """Accounting.V2.ApCreditResponse: money as numbers; `appliedAmount` = the active splits' sum."""
    applied = sum((Decimal(str(s["amount"])) for s in splits if s["active"]), Decimal("0"))
    return {
        "id": id, "inventoryReturnId": None, "jobId": None, "active": True, "createdOn": created_on,
        "modifiedOn": modified_on, "date": date, "canceledOn": None, "number": number,
        "referenceNumber": reference_number, "memo": memo, "amount": float(amount), "appliedAmount": float(applied),
        "status": "Unreconciled", "syncStatus": sync_status, "batch": None, "businessUnit": business_unit,
        "remittanceVendor": None, "vendor": vendor_ref,
        "paymentStatus": "Paid" if applied == amount else "Unpaid", "splits": splits, "budgetCodeId": None,
        "customFields": [],
    }


def ap_payment_split(*, id: int, bill_id: int, amount: Decimal, created_on: str, active: bool = True) -> dict[str, Any]:
    """Accounting.V2.ApPaymentSplitApiModel: the part of a payment that pays one bill (`inventoryBillId`)."""
    return {"id": id, "active": active, "createdOn": created_on, "documentId": None, "inventoryBillId": bill_id,
            "amount": float(amount)}


def ap_payment(*, id: int, date: str, method: str, name: str | None, print_check: bool,
               splits: list[dict[str, Any]], vendor_ref: dict[str, Any], business_unit: dict[str, Any] | None,
               gl: dict[str, Any], created_on: str, modified_on: str, sync_status: str) -> dict[str, Any]:
    """Accounting.V2.ApPaymentResponse: money as numbers; `amount` = the splits' sum."""
    amount = sum((Decimal(str(s["amount"])) for s in splits), Decimal("0"))
    return {
        "id": id, "active": True, "createdOn": created_on, "modifiedOn": modified_on, "date": date,
        "approvedDate": date, "method": method, "name": name, "printCheck": print_check, "amount": float(amount),
        "errorMessage": None, "status": "Paid", "syncStatus": sync_status, "batch": None, "glAccount": gl,
        "businessUnit": business_unit, "vendor": vendor_ref, "remittanceVendor": None, "splits": splits,
        "customFields": [],
    }
