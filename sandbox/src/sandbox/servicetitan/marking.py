"""`POST .../invoices/markasexported`: set invoices' `syncStatus` to Exported, answering per invoice."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sandbox.servicetitan.problems import BadRequest
from sandbox.servicetitan.repository import Repository
from sandbox.store import Store


def mark_invoices_exported(store: Store, now: datetime, body: Any, *, touch: bool) -> list[dict[str, Any]]:
    """Apply `Accounting.V2.MarkInvoiceAsExportedUpdateRequest[]`; returns the per-invoice results.

    `externalId` becomes the invoice's `exportId`. With `touch`, `modifiedOn` moves to now, so the
    invoice comes back in the export feed.
    """
    if not isinstance(body, list):
        raise BadRequest({"body": ["Expected a JSON array of {invoiceId, externalId?, externalMessage?}."]})
    requests: list[tuple[int, str | None]] = []
    for n, entry in enumerate(body):
        invoice_id = entry.get("invoiceId") if isinstance(entry, dict) else None
        if not isinstance(invoice_id, int) or isinstance(invoice_id, bool):
            raise BadRequest({f"[{n}].invoiceId": ["The invoiceId field is required and must be an integer."]})
        external = entry.get("externalId")
        requests.append((invoice_id, None if external is None else str(external)))
    repository = Repository(store, now)
    results: list[dict[str, Any]] = []
    for invoice_id, external in requests:
        doc = repository.get("invoices", invoice_id)
        if doc is None:
            results.append({"invoiceId": invoice_id, "success": False,
                            "errorMessage": f"Invoice {invoice_id} was not found."})
            continue
        changes: dict[str, Any] = {"syncStatus": "Exported"}
        if external is not None:
            changes["exportId"] = external
        repository.update("invoices", invoice_id, changes, touch=touch)
        results.append({"invoiceId": invoice_id, "success": True, "errorMessage": None})
    return results
