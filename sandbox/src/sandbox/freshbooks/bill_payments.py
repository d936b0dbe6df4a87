"""Bill payments: each pays one bill and moves its `paid`, `outstanding`, `status` and `bill_payments[]`.

Fields (reference §3.6, NodeSDK): `id`, `billid`, `amount` (Money, in the bill's currency), `paid_date`,
`payment_type` (the payments' enumeration), `note`, `vis_state`. A bill payment may not pay more than its
bill still owes nor be zero or negative. `payment_type: "Credit"` records vendor credit applied to the bill:
it lowers what is owed like any bill payment but is no cash (the payables view shows it apart as
`credit_applied`); the simulator keeps no vendor credit pool, so nothing limits it but the bill's
outstanding amount.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

from sandbox.freshbooks import errors, query
from sandbox.freshbooks.bills import Bills
from sandbox.freshbooks.payments import PAYMENT_TYPES
from sandbox.freshbooks.query import j
from sandbox.freshbooks.resource import DEFAULT_CURRENCY, Resource
from sandbox.freshbooks.values import cents, money, money_amount, money_in, normalize_fields

ZERO = Decimal("0")
WRITABLE = {"paid_date": "date", "note": "text"}
VENDOR_OF_BILL = ("(SELECT json_extract(b.data, '$.vendorid') FROM fb_bills b "
                  "WHERE b.id = json_extract(fb_bill_payments.data, '$.billid'))")


class BillPayments(Resource):
    plural = "bill_payments"
    single = "bill_payment"
    path = "bill_payments/bill_payments"
    label = "Bill payment"
    id_field = "billpaymentid"
    updated_key = None
    filters: ClassVar[dict[str, query.Filter]] = {
        "billid": query.equals(j("billid"), "int"),
        "billids": query.one_of(j("billid")),
        "vendorid": query.equals(VENDOR_OF_BILL, "int"),
        "ids": query.one_of("id"),
        "payment_type": query.equals(j("payment_type")),
        **query.date_range("paid_date", j("paid_date")),
    }

    def defaults(self, record_id: int) -> dict[str, Any]:
        base = super().defaults(record_id)
        base.pop("accounting_systemid")
        return {**base, "billid": None, "amount": money(ZERO, DEFAULT_CURRENCY), "paid_date": self.today(),
                "payment_type": "Check", "note": ""}

    def normalize(self, payload: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
        changes = normalize_fields(WRITABLE, payload, self.single, DEFAULT_CURRENCY)
        bill = None
        if current is None:
            if payload.get("billid") in (None, ""):
                raise errors.required("billid", self.single)
            bill_id = normalize_fields({"billid": "int"}, payload, self.single, "")["billid"]
            bill = self.other("bills").get(bill_id)
            if bill is None or bill.get("vis_state") == 1:
                raise errors.ApiError(errors.UNKNOWN_RESOURCE, "Bill not found.", field="billid",
                                      object=self.single, value=payload["billid"])
            changes["billid"] = bill["id"]
            if "amount" not in payload:
                raise errors.required("amount", self.single)
        elif "billid" in payload and str(payload["billid"]) != str(current.get("billid")):
            raise errors.invalid("billid", self.single, payload["billid"],
                                 "A bill payment cannot be moved to another bill; delete it and create a new one.")
        if "amount" in payload:
            bill = bill or self.bill_of(current)
            code = bill.get("currency_code") or DEFAULT_CURRENCY
            raw_amount, given = money_in(payload["amount"], "amount", self.single, code)
            if given != code:
                raise errors.invalid("amount.code", self.single, given,
                                     f"The bill payment's currency must be the bill's ({code}).")
            amount = cents(raw_amount)
            if amount <= 0:
                raise errors.invalid("amount", self.single, payload["amount"],
                                     "Bill payment amount must be greater than zero.")
            self.check_outstanding(amount, bill, current)
            changes["amount"] = money(amount, code)
        if "payment_type" in payload:
            canonical = {t.lower(): t for t in PAYMENT_TYPES}.get(str(payload["payment_type"]).strip().lower())
            if canonical is None:
                raise errors.invalid("payment_type", self.single, payload["payment_type"],
                                     f"Unknown payment type; use one of: {', '.join(PAYMENT_TYPES)}.")
            changes["payment_type"] = canonical
        return changes

    def bill_of(self, current: dict[str, Any] | None) -> dict[str, Any]:
        bill = self.other("bills").get(int((current or {}).get("billid") or 0))
        if bill is None:
            raise errors.ApiError(errors.UNKNOWN_RESOURCE, "Bill not found.", field="billid", object=self.single,
                                  value=(current or {}).get("billid"))
        return bill

    @staticmethod
    def owed_without(bill: dict[str, Any], current: dict[str, Any] | None) -> Decimal:
        """What the bill owes without this bill payment (its own amount counts if it is active)."""
        own = money_amount(current.get("amount")) if current is not None and current.get("vis_state") == 0 else ZERO
        owed = money_amount(bill.get("total_amount")) - money_amount(bill.get("paid")) + own
        return max(owed, ZERO)

    def check_outstanding(self, amount: Decimal, bill: dict[str, Any], current: dict[str, Any] | None) -> None:
        owed = self.owed_without(bill, current)
        if amount > owed:
            raise errors.invalid("amount", self.single, str(amount),
                                 f"The amount ({amount}) exceeds the bill's outstanding amount ({cents(owed)}).")

    def check_written(self, before: dict[str, Any] | None, after: dict[str, Any] | None) -> None:
        """A restored (vis_state 0 again) bill payment needs a live bill that still owes its amount."""
        if after is None or after.get("vis_state") != 0 or before is None or before.get("vis_state") == 0:
            return  # creates and edits were checked by `normalize`
        bill = self.other("bills").get(int(after.get("billid") or 0))
        if bill is None or bill.get("vis_state") == 1:
            raise errors.invalid("vis_state", self.single, 0, "The bill of this bill payment is deleted; restore "
                                 "the bill first.")
        amount = money_amount(after.get("amount"))
        if money_amount(bill.get("paid")) > money_amount(bill.get("total_amount")):
            owed = money_amount(bill.get("total_amount")) - money_amount(bill.get("paid")) + amount
            raise errors.invalid("vis_state", self.single, 0, f"The amount ({cents(amount)}) exceeds the bill's "
                                 f"outstanding amount ({cents(max(owed, ZERO))}).")

    def after_write(self, before: dict[str, Any] | None, after: dict[str, Any] | None) -> None:
        bills = Bills(self.ctx)
        touched = {(before or {}).get("billid"), (after or {}).get("billid")}
        for bill_id in sorted(int(b) for b in touched if b is not None):
            bills.refresh(bill_id)
