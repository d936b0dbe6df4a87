"""What each implemented ServiceTitan operation reads: its record kind, filters, sorts and row shape.

Paths are relative to `/<module>/v2/tenant/{tenant}`; operation ids are the specs'.
"""

from __future__ import annotations

from dataclasses import dataclass

from sandbox.servicetitan.data import contact_with_customer, contact_without_customer
from sandbox.servicetitan.listing import (
    STANDARD_SORTS,
    Filter,
    ListSpec,
    Shape,
    applied_to_filter,
    contains_filter,
    date_filter,
    json_in_filter,
    json_int_filter,
    json_text_filter,
    number_filter,
    parent_filter,
    parents_filter,
)


def json_sort(path: str) -> str:
    return f"json_extract(doc, '$.{path}')"


PRICEBOOK_SORTS = {**STANDARD_SORTS, "Code": json_sort("code"), "DisplayName": json_sort("displayName"),
                   "Price": json_sort("price"), "MemberPrice": json_sort("memberPrice"),
                   "AddOnPrice": json_sort("addOnPrice"), "AddOnMemberPrice": json_sort("addOnMemberPrice"),
                   "Cost": json_sort("cost")}
ADDRESS_FILTERS: tuple[Filter, ...] = (
    contains_filter("name", "name"),
    contains_filter("street", "address.street"),
    json_text_filter("unit", "address.unit"),
    contains_filter("city", "address.city"),
    json_text_filter("state", "address.state"),
    json_text_filter("zip", "address.zip"),
    json_text_filter("country", "address.country"),
)
PRICEBOOK_FILTERS: tuple[Filter, ...] = (contains_filter("searchText", "displayName", "code", "description"),)


def _shape_each(function: object) -> Shape:
    def shape(docs: list[dict]) -> list[dict]:  # type: ignore[type-arg]
        return [function(doc) for doc in docs]  # type: ignore[operator]
    return shape


@dataclass(frozen=True)
class ListRoute:
    module: str
    path: str
    operation: str
    spec: ListSpec
    bare_array: bool = False


@dataclass(frozen=True)
class ExportRoute:
    module: str
    path: str
    operation: str
    kind: str


@dataclass(frozen=True)
class GetRoute:
    module: str
    path: str  # with {id}
    operation: str
    kind: str


LISTS = (
    ListRoute("crm", "/customers", "Customers_GetList", ListSpec("customers", filters=ADDRESS_FILTERS)),
    ListRoute("crm", "/customers/contacts", "Customers_GetModifiedContactsList",
              ListSpec("contacts", active_param=None, active_only=True, sort_fields={},
                       filters=(parents_filter("customerIds"),), shape=_shape_each(contact_with_customer))),
    ListRoute("crm", "/locations", "Locations_GetList",
              ListSpec("locations", filters=(parent_filter("customerId"), *ADDRESS_FILTERS))),
    ListRoute("pricebook", "/materials", "Materials_GetList",
              ListSpec("materials", sort_fields=PRICEBOOK_SORTS, filters=PRICEBOOK_FILTERS)),
    ListRoute("pricebook", "/services", "Services_GetList",
              ListSpec("services", sort_fields=PRICEBOOK_SORTS, filters=PRICEBOOK_FILTERS)),
    ListRoute("pricebook", "/equipment", "Equipment_GetList",
              ListSpec("equipment", sort_fields=PRICEBOOK_SORTS, filters=PRICEBOOK_FILTERS)),
    ListRoute("inventory", "/vendors", "Vendors_GetList", ListSpec("vendors")),
    ListRoute("accounting", "/invoices", "Invoices_GetList", ListSpec(
        "invoices", active_param="activeState",
        sort_fields={**STANDARD_SORTS, "InvoiceDate": json_sort("invoiceDate"), "Number": json_sort("referenceNumber"),
                     "Total": f"CAST({json_sort('total')} AS REAL)"},
        filters=(
            parent_filter("customerId"), json_text_filter("number", "referenceNumber"),
            json_in_filter("statuses", "syncStatus"), json_int_filter("adjustmentToId", "adjustmentToId"),
            json_int_filter("jobId", "job.id"), json_text_filter("jobNumber", "job.number"),
            json_int_filter("businessUnitId", "businessUnit.id"), json_int_filter("batchId", "batch.id"),
            date_filter("invoicedOnOrAfter", "invoiceDate", ">="), date_filter("invoicedOnBefore", "invoiceDate", "<"),
            date_filter("dueDateOnOrAfter", "dueDate", ">="), date_filter("dueDateBefore", "dueDate", "<"),
            number_filter("totalGreater", "total", ">="), number_filter("totalLess", "total", "<="),
            json_in_filter("invoiceConfigurations", "invoiceConfiguration"),
            json_in_filter("reviewStatuses", "reviewStatus"),
        ))),
    ListRoute("accounting", "/payments", "Payments_GetList", ListSpec(
        "payments", active_param="activeState",
        sort_fields={**STANDARD_SORTS, "Date": json_sort("date"), "Total": f"CAST({json_sort('total')} AS REAL)"},
        filters=(
            parent_filter("customerId"), applied_to_filter("appliedToInvoiceIds", "payments"),
            json_in_filter("statuses", "syncStatus"), date_filter("paidOnAfter", "date", ">="),
            date_filter("paidOnBefore", "date", "<"), number_filter("totalGreater", "total", ">="),
            number_filter("totalLess", "total", "<="), json_int_filter("batchId", "batch.id"),
        ))),
    ListRoute("accounting", "/credit-memos", "CreditMemos_GetCreditMemosList", ListSpec(
        "credit_memos",
        sort_fields={**STANDARD_SORTS, "Date": json_sort("date")},
        filters=(
            applied_to_filter("appliedToInvoiceIds", "credit_memos"),
            json_text_filter("batchNumber", "batch.number"),
        ))),
    ListRoute("accounting", "/inventory-bills", "InventoryBills_GetList", ListSpec(
        "inventory_bills", active_param=None, filters=(
            json_text_filter("billNumber", "referenceNumber"), json_in_filter("syncStatuses", "syncStatus"),
            date_filter("dateFrom", "billDate", ">="), date_filter("dateTo", "billDate", "<="),
            number_filter("minCost", "billAmount", ">="), number_filter("maxCost", "billAmount", "<="),
        )), bare_array=True),
    ListRoute("accounting", "/inventory-bills/paginated", "InventoryBills_GetListPaginated", ListSpec(
        "inventory_bills", active_param=None, filters=(
            json_text_filter("billNumber", "referenceNumber"), json_in_filter("syncStatuses", "syncStatus"),
            date_filter("dateFrom", "billDate", ">="), date_filter("dateTo", "billDate", "<="),
            number_filter("minCost", "billAmount", ">="), number_filter("maxCost", "billAmount", "<="),
        ))),
    ListRoute("accounting", "/payment-types", "PaymentTypes_GetList", ListSpec("payment_types", sort_fields={})),
    ListRoute("accounting", "/gl-accounts", "GlAccounts_GetList", ListSpec(
        "gl_accounts", sort_fields={**STANDARD_SORTS, "Name": json_sort("name"), "Number": json_sort("number")},
        filters=(json_in_filter("names", "name"), json_in_filter("numbers", "number"),
                 json_in_filter("types", "type"), json_in_filter("subtypes", "subtype")))),
    ListRoute("accounting", "/ap-bills", "ApBills_GetListPaginated", ListSpec(
        "ap_bills", active_param=None, sort_fields={}, filters=(
            json_text_filter("billNumber", "referenceNumber"), json_in_filter("syncStatuses", "syncStatus"),
            json_in_filter("statuses", "status"), json_in_filter("sources", "source"),
            json_text_filter("billType", "billType"), json_int_filter("batchId", "batch.id"),
            date_filter("dateFrom", "billDate", ">="), date_filter("dateTo", "billDate", "<="),
            number_filter("minCost", "billAmount", ">="), number_filter("maxCost", "billAmount", "<="),
        ))),
    ListRoute("accounting", "/ap-credits", "ApCredits_GetList", ListSpec(
        "ap_credits", active_param=None, filters=(json_in_filter("syncStatuses", "syncStatus"),))),
    ListRoute("accounting", "/ap-payments", "ApPayments_GetList", ListSpec(
        "ap_payments", active_param=None, filters=(json_in_filter("syncStatuses", "syncStatus"),))),
    ListRoute("accounting", "/tax-zones", "TaxZones_GetList", ListSpec(
        "tax_zones", sort_fields={"Id": "id", "Name": json_sort("name"), "CreatedOn": "created_on"})),
)

CONTACTS_OF_CUSTOMER = ListSpec("contacts", active_param=None, active_only=True, sort_fields={},
                                shape=_shape_each(contact_without_customer))
"""`Customers_GetContactList` at `/customers/{id}/contacts`."""

EXPORTS = (
    ExportRoute("crm", "/export/customers", "ExportCustomers_GetCustomers", "customers"),
    ExportRoute("crm", "/export/customers/contacts", "ExportContacts_CustomersContacts", "contacts"),
    ExportRoute("crm", "/export/locations", "ExportLocations_Locations", "locations"),
    ExportRoute("pricebook", "/export/materials", "Export_Materials", "materials"),
    ExportRoute("pricebook", "/export/services", "Export_Services", "services"),
    ExportRoute("pricebook", "/export/equipment", "Export_Equipment", "equipment"),
    ExportRoute("accounting", "/export/invoices", "Export_Invoices", "invoices"),
    ExportRoute("accounting", "/export/invoice-items", "Export_InvoiceItems", "invoice_items"),
    ExportRoute("accounting", "/export/payments", "Export_Payments", "payments"),
    ExportRoute("accounting", "/export/inventory-bills", "Export_InventoryBills", "inventory_bills"),
)

GETS = (
    GetRoute("crm", "/customers/{id:int}", "Customers_Get", "customers"),
    GetRoute("crm", "/locations/{id:int}", "Locations_Get", "locations"),
    GetRoute("pricebook", "/materials/{id:int}", "Materials_Get", "materials"),
    GetRoute("pricebook", "/services/{id:int}", "Services_Get", "services"),
    GetRoute("pricebook", "/equipment/{id:int}", "Equipment_Get", "equipment"),
    GetRoute("inventory", "/vendors/{id:int}", "Vendors_GetById", "vendors"),
    GetRoute("accounting", "/payment-types/{id:int}", "PaymentTypes_Get", "payment_types"),
    GetRoute("accounting", "/gl-accounts/{id:int}", "GlAccounts_GetAccount", "gl_accounts"),
    GetRoute("accounting", "/ap-bills/{id:int}", "ApBills_GetById", "ap_bills"),
)
