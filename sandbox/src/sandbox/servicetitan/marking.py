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


AP_MARKS = {
    # path: (record kind, the request's id field, the response's id field, body is an object with this list)
    "ap-bills": ("ap_bills", "billIds", "billId", True),
    "ap-credits": ("ap_credits", "apCreditId", "apCreditId", False),
    "ap-payments": ("ap_payments", "apPaymentId", "apPaymentId", False),
}

LABELS = {"ap_bills": "AP bill", "ap_credits": "AP credit", "ap_payments": "AP payment"}


def mark_ap_exported(store: Store, now: datetime, resource: str, body: Any, *, touch: bool) -> list[dict[str, Any]]:
    """`POST .../ap-bills|ap-credits|ap-payments/markasexported`: `syncStatus` becomes Exported.

    AP bills take `{"billIds": [...]}`; AP credits `[{"apCreditId"}]`; AP payments
    `[{"apPaymentId", "externalId"?, "externalMessage"?}]` (the external fields are accepted and not shown:
    the AP payment schema has no export id).
    """
    kind, request_field, response_field, object_body = AP_MARKS[resource]
    ids: list[Any] = []
    if object_body:
        values = body.get(request_field) if isinstance(body, dict) else None
        if not isinstance(values, list):
            raise BadRequest({request_field: [f"The {request_field} field is required and must be an array."]})
        ids = values
    else:
        if not isinstance(body, list):
            raise BadRequest({"body": [f"Expected a JSON array of {{{request_field}}}."]})
        ids = [entry.get(request_field) if isinstance(entry, dict) else None for entry in body]
    for n, value in enumerate(ids):
        if not isinstance(value, int) or isinstance(value, bool):
            raise BadRequest({f"[{n}].{request_field}": [f"The {request_field} field must be an integer."]})
    repository = Repository(store, now)
    results: list[dict[str, Any]] = []
    for record_id in ids:
        if repository.get(kind, record_id) is None:
            results.append({response_field: record_id, "success": False,
                            "errorMessage": f"{LABELS[kind]} {record_id} was not found."})
            continue
        repository.update(kind, record_id, {"syncStatus": "Exported"}, touch=touch)
        results.append({response_field: record_id, "success": True, "errorMessage": None})
    return results
