"""`bill_payments` → FreshBooks bill payments (`bill_payments/bill_payments`), one per application.

Like `payments`: a record's `applications` (`{source_key, bill_source_key, amount}`) are reconciled as a
set by `sinks.applications.ApplicationWriter`, each one FreshBooks bill payment on its bill, whose `note`
carries the application's `[source_key]` marker so that it is found again without the ledger
(`search[billid]`, then the marker). `paid_date`, `payment_type` and `note` are shared by every
application. A ServiceTitan AP credit comes with `payment_type: "Credit"`: it lowers what is owed on its
bills without cash. An application to a bill deleted since (voided in the source) is left out.
`active: false` deletes every bill payment of the record. With `books_closed_through`, a record that would
change or delete a bill payment dated in the closed period is held for review (`sinks.closed_bills`).
Values (`paid_date`, `payment_type`) are checked by `validation.check_record`.
"""

from __future__ import annotations

from typing import Any

from target_freshbooks.errors import RecordRef
from target_freshbooks.sinks.applications import BILL_PAYMENTS, BILL_PAYMENTS_ON_BILLS, ApplicationWriter
from target_freshbooks.sinks.bills import BILL_APPLICATIONS
from target_freshbooks.sinks.closed_bills import ClosedBillPayments
from target_freshbooks.sinks.payments import AppliedMoneySink

SHARED_FIELDS = ("paid_date", "payment_type")


class BillPaymentsSink(AppliedMoneySink):
    stream = "bill_payments"
    resource = BILL_PAYMENTS
    shared_fields = SHARED_FIELDS
    inactive_why = "bill payment inactive"

    def __init__(self, ctx: Any) -> None:
        super().__init__(ctx)
        self.writer = ApplicationWriter(ctx, self.stream, BILL_APPLICATIONS, BILL_PAYMENTS_ON_BILLS)
        self.closed_periods = ClosedBillPayments(self, self.writer)

    def guard(self, payloads: dict[str, dict[str, Any]] | None, ref: RecordRef) -> None:
        self.closed_periods.guard(payloads, ref)
