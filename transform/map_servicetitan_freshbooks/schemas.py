"""JSON schemas of the output streams (the record contract in docs/record-contract.md); key: `source_key`."""

from __future__ import annotations

from typing import Any

from singer_sdk import typing as th

KEY_PROPERTIES = ["source_key"]

_MONEY = th.ObjectType(th.Property("amount", th.StringType), th.Property("code", th.StringType))


def _common() -> list[th.Property]:
    return [
        th.Property("source_key", th.StringType, required=True),
        th.Property("active", th.BooleanType),
        th.Property("review_reason", th.StringType),
        th.Property("skip_reason", th.StringType),
        th.Property("skip_category", th.StringType),
        th.Property("detail", th.StringType),
    ]


def _strings(*names: str) -> list[th.Property]:
    return [th.Property(name, th.StringType) for name in names]


_LINE_TAXES = _strings("taxName1", "taxAmount1", "taxName2", "taxAmount2")

CLIENTS = th.PropertiesList(
    *_common(),
    *_strings("email", "fname", "lname", "organization", "bus_phone", "mob_phone", "home_phone"),
    *_strings("p_street", "p_street2", "p_city", "p_province", "p_code", "p_country", "currency_code"),
)

TAXES = th.PropertiesList(
    *_common(),
    *_strings("name", "amount", "number"),
    th.Property("compound", th.BooleanType),
)

ITEMS = th.PropertiesList(
    *_common(),
    *_strings("name", "sku", "description"),
    th.Property("unit_cost", _MONEY),
)

_LINE = (*_strings("name", "description", "qty"), th.Property("unit_cost", _MONEY), *_LINE_TAXES)

INVOICE_LINE = th.ObjectType(
    *_LINE,
    th.Property("item_source_key", th.StringType),
    th.Property(
        "item",
        th.ObjectType(*_strings("name", "sku", "description"), th.Property("unit_cost", _MONEY)),
    ),
    th.Property("on_missing_item", th.StringType),
)

INVOICES = th.PropertiesList(
    *_common(),
    *_strings("client_source_key", "invoice_number", "currency_code", "po_number", "notes", "terms"),
    th.Property("create_date", th.DateType),
    th.Property("due_offset_days", th.IntegerType),
    *_strings("street", "street2", "city", "province", "code", "country"),
    th.Property("lines", th.ArrayType(INVOICE_LINE)),
)

PAYMENTS = th.PropertiesList(
    *_common(),
    th.Property("date", th.DateType),
    *_strings("type", "note", "client_source_key", "refund_of_source_key"),
    th.Property("unapplied", _MONEY),
    th.Property(
        "applications",
        th.ArrayType(
            th.ObjectType(
                *_strings("source_key", "invoice_source_key", "refunds_source_key"),
                th.Property("amount", _MONEY),
            )
        ),
    ),
)

CREDIT_NOTES = th.PropertiesList(
    *_common(),
    *_strings("client_source_key", "credit_number", "currency_code", "notes", "terms", "credit_type"),
    th.Property("create_date", th.DateType),
    th.Property("lines", th.ArrayType(th.ObjectType(*_LINE))),
    th.Property(
        "applications",
        th.ArrayType(
            th.ObjectType(*_strings("source_key", "invoice_source_key"), th.Property("amount", _MONEY))
        ),
    ),
)

JOURNAL_ENTRIES = th.PropertiesList(
    *_common(),
    *_strings("name", "description", "currency_code"),
    th.Property("user_entered_date", th.DateType),
    th.Property("details", th.ArrayType(th.ObjectType(*_strings("account", "debit", "credit", "description")))),
)

BILL_VENDORS = th.PropertiesList(
    *_common(),
    *_strings("vendor_name", "primary_contact_first_name", "primary_contact_last_name", "primary_contact_email",
              "phone", "website", "account_number", "street", "street2", "city", "province", "postal_code",
              "country", "currency_code", "language", "note", "on_missing"),
    th.Property("is_1099", th.BooleanType),
)

BILLS = th.PropertiesList(
    *_common(),
    *_strings("vendor_source_key", "bill_number", "currency_code", "language"),
    th.Property("issue_date", th.DateType),
    th.Property("due_offset_days", th.IntegerType),
    th.Property(
        "lines",
        th.ArrayType(th.ObjectType(
            *_strings("description", "quantity", "category", "tax_name1", "tax_percent1", "tax_name2",
                      "tax_percent2"),
            th.Property("unit_cost", _MONEY),
        )),
    ),
)

BILL_PAYMENTS = th.PropertiesList(
    *_common(),
    th.Property("paid_date", th.DateType),
    *_strings("payment_type", "note", "vendor_source_key"),
    th.Property(
        "applications",
        th.ArrayType(th.ObjectType(*_strings("source_key", "bill_source_key"), th.Property("amount", _MONEY))),
    ),
)

SKIPPED = th.PropertiesList(
    *_common(),
    th.Property("source_stream", th.StringType),
)
"""Records of source kinds with no FreshBooks stream: a source key, the source stream and the skip reason."""

OUTPUT_SCHEMAS: dict[str, dict[str, Any]] = {
    "clients": CLIENTS.to_dict(),
    "taxes": TAXES.to_dict(),
    "items": ITEMS.to_dict(),
    "invoices": INVOICES.to_dict(),
    "payments": PAYMENTS.to_dict(),
    "credit_notes": CREDIT_NOTES.to_dict(),
    "journal_entries": JOURNAL_ENTRIES.to_dict(),
    "bill_vendors": BILL_VENDORS.to_dict(),
    "bills": BILLS.to_dict(),
    "bill_payments": BILL_PAYMENTS.to_dict(),
    "skipped": SKIPPED.to_dict(),
}
