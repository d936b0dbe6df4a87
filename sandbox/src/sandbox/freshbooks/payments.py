"""Payments: each pays one invoice and moves its `paid`, `outstanding` and status.

A payment of `type: "Credit"` applies the client's credit (the pool in `receivables.credits`) to its
invoice: it shows `from_credit: true` and may not exceed the client's available credit nor what the
invoice still owes. No write of a payment may leave the client's available credit negative (deleting or
reducing a cash payment whose overpayment credit is applied elsewhere).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

from sandbox.freshbooks import errors, query, receivables
from sandbox.freshbooks.invoices import Invoices
from sandbox.freshbooks.query import j
from sandbox.freshbooks.resource import DEFAULT_CURRENCY, Resource
from sandbox.freshbooks.values import cents, money, money_amount, money_in, normalize_fields

CREDIT = "Credit"

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
            asked = str(payload.get("type") or (current or {}).get("type"))
            if amount == 0 or (amount < 0 and (not self.ctx.fb.negative_payments or asked == "Credit")):
                raise errors.invalid("amount", self.single, payload["amount"],
                                     "Payment amount must be greater than zero.")
            changes["amount"] = money(amount, code)
        if "type" in payload:
            canonical = {t.lower(): t for t in PAYMENT_TYPES}.get(str(payload["type"]).strip().lower())
            if canonical is None:
                raise errors.invalid("type", self.single, payload["type"],
                                     f"Unknown payment type; use one of: {', '.join(PAYMENT_TYPES)}.")
            changes["type"] = canonical
        kind = changes.get("type", (current or {}).get("type"))
        was_credit = current is not None and current.get("type") == CREDIT
        if kind == CREDIT and ("amount" in changes or not was_credit):
            amount = money_amount(changes.get("amount", (current or {}).get("amount")))
            self.check_credit(amount, invoice or self.fetch_invoice(current), current)
        return changes

    def fetch_invoice(self, current: dict[str, Any] | None) -> dict[str, Any]:
        invoice = self.other("invoices").get(int((current or {}).get("invoiceid") or 0))
        if invoice is None:
            raise errors.ApiError(errors.UNKNOWN_RESOURCE, "Invoice not found.", field="invoiceid",
                                  object=self.single, value=(current or {}).get("invoiceid"))
        return invoice

    def check_credit(self, amount: Decimal, invoice: dict[str, Any], current: dict[str, Any] | None) -> None:
        """Refuse a Credit payment above the client's available credit or what its invoice owes.

        On an update the payment's own current amount counts as available (if it already applies credit)
        and as owed by the invoice (if it is active).
        """
        own = money_amount(current.get("amount")) if current is not None and current.get("vis_state") == 0 else \
            Decimal("0")
        own_credit = own if current is not None and current.get("type") == CREDIT else Decimal("0")
        client_id = int((current or {}).get("clientid") or invoice["customerid"])
        available = receivables.available_credit(self.conn, client_id) + own_credit
        if amount > available:
            raise errors.invalid("amount", self.single, str(cents(amount)),
                                 f"The amount ({cents(amount)}) exceeds the client's available credit "
                                 f"({cents(max(available, Decimal('0')))}).")
        owed = max(money_amount(invoice.get("amount")) - (money_amount(invoice.get("paid")) - own), Decimal("0"))
        if amount > owed:
            raise errors.invalid("amount", self.single, str(cents(amount)),
                                 f"The amount ({cents(amount)}) exceeds the invoice's outstanding amount "
                                 f"({cents(owed)}); credit cannot overpay an invoice.")

    def derive(self, data: dict[str, Any]) -> None:
        data["from_credit"] = data.get("type") == CREDIT

    def credit_clients(self, data: dict[str, Any]) -> set[int]:
        return {int(data["clientid"])} if data.get("clientid") is not None else set()

    def credit_refusal(self, before: dict[str, Any] | None, after: dict[str, Any] | None,
                       available: Decimal) -> errors.ApiError:
        field = "vis_state" if before is not None and (after is None or after.get("vis_state") !=
                                                       before.get("vis_state")) else "amount"
        if after is not None and after.get("type") == CREDIT and after.get("vis_state") == 0:
            return errors.invalid(field, self.single, None, f"The amount ({money_amount(after.get('amount'))}) "
                                  f"exceeds the client's available credit "
                                  f"({cents(available + money_amount(after.get('amount')))}).")
        return errors.invalid(field, self.single, None, "This payment's overpayment credit is applied to invoices "
                              f"(the client's available credit would be {cents(available)}); delete the Credit "
                              "payments first.")

    def check_written(self, before: dict[str, Any] | None, after: dict[str, Any] | None) -> None:
        """A restored Credit payment may not overpay its invoice either."""
        if after is None or after.get("type") != CREDIT or after.get("vis_state") != 0:
            return
        if before is None or before.get("vis_state") == 0:
            return  # create and edits were checked by `check_credit`
        invoice = self.other("invoices").get(int(after["invoiceid"]))
        if invoice is not None and money_amount(invoice.get("paid")) > money_amount(invoice.get("amount")):
            owed = money_amount(invoice.get("amount")) - money_amount(invoice.get("paid")) + \
                money_amount(after.get("amount"))
            raise errors.invalid("vis_state", self.single, None,
                                 f"The amount ({money_amount(after.get('amount'))}) exceeds the invoice's "
                                 f"outstanding amount ({cents(max(owed, Decimal('0')))}); credit cannot overpay "
                                 "an invoice.")

    def after_write(self, before: dict[str, Any] | None, after: dict[str, Any] | None) -> None:
        invoices = Invoices(self.ctx)
        touched = {(before or {}).get("invoiceid"), (after or {}).get("invoiceid")}
        for invoice_id in sorted(int(i) for i in touched if i is not None):
            invoices.refresh(invoice_id)
