"""Payments: each pays one invoice and moves its `paid`, `outstanding` and status."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

from sandbox.freshbooks import errors, query
from sandbox.freshbooks.invoices import Invoices
from sandbox.freshbooks.query import j
from sandbox.freshbooks.resource import DEFAULT_CURRENCY, Resource
from sandbox.freshbooks.values import money, money_in, normalize_fields

PAYMENT_TYPES = ["Check", "Credit", "Cash", "Bank Transfer", "Credit Card", "Debit", "PayPal", "2Checkout", "VISA",
                 "MASTERCARD", "DISCOVER", "AMEX", "DINERS", "JCB", "ACH", "Other", "NOVA", "EUROCARD"]
WRITABLE = {"date": "date", "note": "text", "orderid": "int_or_null", "transactionid": "str"}
CLIENT_NAME = ("(SELECT json_extract(c.data, '$.organization') FROM fb_clients c "
               "WHERE c.id = json_extract(fb_payments.data, '$.clientid'))")
INVOICE_NUMBER = ("(SELECT json_extract(i.data, '$.invoice_number') FROM fb_invoices i "
                  "WHERE i.id = json_extract(fb_payments.data, '$.invoiceid'))")


class Payments(Resource):
    plural = "payments"
    single = "payment"
    path = "payments/payments"
    label = "Payment"
    id_field = "logid"
    id_keys = ("id", "logid")
    filters: ClassVar[dict[str, query.Filter]] = {
        "logid": query.equals("id", "int"),
        "logids": query.one_of("id"),
        "invoiceid": query.equals(j("invoiceid"), "int"),
        "clientid": query.equals(j("clientid"), "int"),
        "clientids": query.one_of(j("clientid")),
        "customerid": query.equals(j("clientid"), "int"),
        "customerids": query.one_of(j("clientid")),
        "type": query.equals(j("type")),
        "currency": query.equals(j("amount.code")),
        "notes": query.like(j("note")),
        "from_credit": query.boolean(j("from_credit")),
        "client_name": query.like(CLIENT_NAME),
        "number": query.like(INVOICE_NUMBER),
        **query.date_range("date", j("date")),
        **query.date_range("updated", j("updated")),
        **query.number_range("amount", j("amount.amount")),
    }

    def defaults(self, record_id: int) -> dict[str, Any]:
        return {**super().defaults(record_id), "amount": money(Decimal("0"), DEFAULT_CURRENCY), "clientid": None,
                "creditid": None, "date": self.today(), "from_credit": False, "gateway": None, "invoiceid": None,
                "note": "", "orderid": None, "overpaymentid": None, "send_client_notification": None,
                "transactionid": None, "type": "Check"}

    def normalize(self, payload: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
        changes = normalize_fields(WRITABLE, payload, self.single, DEFAULT_CURRENCY)
        invoice = None
        if current is None:
            if payload.get("invoiceid") in (None, ""):
                raise errors.required("invoiceid", self.single)
            invoice_id = normalize_fields({"invoiceid": "int"}, payload, self.single, "")["invoiceid"]
            invoice = self.other("invoices").get(invoice_id)
            if invoice is None or invoice.get("vis_state") == 1:
                raise errors.ApiError(errors.UNKNOWN_RESOURCE, "Invoice not found.", field="invoiceid",
                                      object=self.single, value=payload["invoiceid"])
            changes["invoiceid"] = invoice["id"]
            changes["clientid"] = invoice.get("customerid")
            if "amount" not in payload:
                raise errors.required("amount", self.single)
        elif "invoiceid" in payload and str(payload["invoiceid"]) != str(current.get("invoiceid")):
            raise errors.invalid("invoiceid", self.single, payload["invoiceid"],
                                 "A payment cannot be moved to another invoice; delete it and create a new one.")
        if "amount" in payload:
            code = (invoice or {}).get("currency_code") or (current or {}).get("amount", {}).get("code") or \
                DEFAULT_CURRENCY
            amount, given = money_in(payload["amount"], "amount", self.single, code)
            if given != code:
                raise errors.invalid("amount.code", self.single, given,
                                     f"The payment's currency must be the invoice's ({code}).")
            if amount <= 0:
                raise errors.invalid("amount", self.single, payload["amount"],
                                     "Payment amount must be greater than zero.")
            changes["amount"] = money(amount, code)
        if "type" in payload:
            canonical = {t.lower(): t for t in PAYMENT_TYPES}.get(str(payload["type"]).strip().lower())
            if canonical is None:
                raise errors.invalid("type", self.single, payload["type"],
                                     f"Unknown payment type; use one of: {', '.join(PAYMENT_TYPES)}.")
            changes["type"] = canonical
        return changes

    def after_write(self, before: dict[str, Any] | None, after: dict[str, Any] | None) -> None:
        invoices = Invoices(self.ctx)
        touched = {(before or {}).get("invoiceid"), (after or {}).get("invoiceid")}
        for invoice_id in sorted(int(i) for i in touched if i is not None):
            invoices.refresh(invoice_id)
