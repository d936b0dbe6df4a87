"""Reading and changing the simulator's records for the window tests, and what a run sent and called.

Changes go through the simulator's own `Repository`, as ServiceTitan would make them; expectations are read
back with `iter_records`, never from the tap.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from itertools import count
from typing import Any

import requests
from sandbox.servicetitan.data import iter_records
from sandbox.servicetitan.repository import Repository
from sandbox.servicetitan.times import api_date, api_time
from sandbox.testing import RunningSandbox
from tap_harness import TapRun

WINDOWED = ("invoices", "payments", "credit_memos")
_NEW_IDS = count(9_000_001, 10)  # above every id the seed hands out


def source(sandbox: RunningSandbox, kind: str) -> dict[int, dict[str, Any]]:
    return {doc["id"]: doc for doc in iter_records(sandbox.ctx.store, kind)}


def ids(run: TapRun, stream: str) -> set[int]:
    return {record["id"] for record in run.records(stream)}


def list_calls(sandbox: RunningSandbox, resource: str) -> int:
    """Calls to the accounting list `resource` (`invoices`, `payments`, `credit-memos`) since the last reset."""
    stats = requests.get(f"{sandbox.st_url}/_sandbox/stats", timeout=10).json()
    return sum(n for key, n in stats["calls"].items()
               if key.startswith("GET /accounting/") and key.endswith(f"/{resource}") and "/export/" not in key)


def invoice_lookups(sandbox: RunningSandbox) -> int:
    """Calls to the invoice list (`Invoices_GetList`), which the tap only makes to look invoices up."""
    return list_calls(sandbox, "invoices")


def kept_earlier_in_state(run: TapRun) -> list[int]:
    return run.final_state["bookmarks"]["invoices"]["keptEarlierInvoiceIds"]  # type: ignore[no-any-return]


def add_payment(sandbox: RunningSandbox, paid: datetime, applications: list[tuple[int, Decimal]],
                memo: str, *, refund_of: int | None = None) -> dict[str, Any]:
    """A payment written through the simulator's repository, shaped like the seeded ones, dated `paid`
    (a refund when its amounts are negative); each invoice's balance and `paidOn` follow, as ServiceTitan
    keeps them."""
    store = sandbox.ctx.store
    repo = Repository(store, paid)
    template = next(iter_records(store, "payments"))
    invoices = source(sandbox, "invoices")
    payment_id = next(_NEW_IDS)
    first = invoices[applications[0][0]]
    applied_to = [
        {**template["appliedTo"][0], "appliedId": payment_id + n, "appliedTo": invoice_id,
         "appliedAmount": f"{amount:.2f}", "appliedOn": api_time(paid),
         "appliedToReferenceNumber": invoices[invoice_id]["referenceNumber"]}
        for n, (invoice_id, amount) in enumerate(applications, start=1)
    ]
    total = sum((amount for _, amount in applications), Decimal(0))
    doc = repo.create("payments", {
        **template, "id": payment_id, "date": api_date(paid.date()), "createdOn": api_time(paid),
        "modifiedOn": api_time(paid), "total": f"{total:.2f}", "unappliedAmount": "0.00", "appliedTo": applied_to,
        "customer": first["customer"], "memo": memo, "refundedPaymentId": refund_of,
    })
    repo.set_applications("payments", payment_id, [(i, f"{a:.2f}") for i, a in applications])
    for invoice_id, _ in applications:
        balance = Decimal(invoices[invoice_id]["total"]) - repo.applied_to_invoice(invoice_id)
        repo.update("invoices", invoice_id, {
            "balance": f"{balance:.2f}", "paidOn": api_date(paid.date()) if balance == 0 else None})
    return doc
