"""Reading the simulator's records in the API's own JSON shapes, without going through HTTP.

`iter_records` is the interface other parts of the sandbox use (the FreshBooks seed builds its
pre-existing clients, items and vendors from it); the HTTP handlers use the shape helpers.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sandbox.servicetitan import db
from sandbox.store import Store

PUBLIC_KINDS = {
    "customers": "customers",
    "contacts": "contacts",
    "locations": "locations",
    "materials": "materials",
    "services": "services",
    "equipment": "equipment",
    "vendors": "vendors",
    "invoices": "invoices",
    "invoice_items": "invoice_items",
    "payments": "payments",
    "credit_memos": "credit_memos",
    "inventory_bills": "inventory_bills",
    "payment_types": "payment_types",
    "gl_accounts": "gl_accounts",
    "tax_zones": "tax_zones",
    "ap_bills": "ap_bills",
    "ap_credits": "ap_credits",
    "ap_payments": "ap_payments",
}
BATCH = 500

SERVICE_LIST_ONLY = ("calculatedPrice", "useStaticPrices")


def iter_records(store: Store, kind: str) -> Iterator[dict[str, Any]]:
    """Every record of `kind`, active or not, in id order, shaped as the API returns it.

    Kinds: customers, contacts (the contacts-export row: with `customerId` and `active`; emails are
    rows with `type == "Email"`), locations, materials, services, equipment, vendors, invoices (with
    their `items`), invoice_items (the invoice-items export row), payments (with `appliedTo`),
    credit_memos, inventory_bills (with `items`), payment_types, gl_accounts, tax_zones, ap_bills (with
    `items` and `expenseItems`), ap_credits and ap_payments (with `splits`).
    """
    if kind not in PUBLIC_KINDS:
        raise ValueError(f"unknown ServiceTitan record kind {kind!r}; known: {', '.join(PUBLIC_KINDS)}")
    db.ensure_schema(store)
    last_id = 0
    while True:
        with store.lock:
            rows = store.conn.execute(
                "SELECT id, parent_id, active, doc FROM st_record WHERE kind = ? AND id > ? ORDER BY id LIMIT ?",
                (kind, last_id, BATCH),
            ).fetchall()
            docs = shape_rows(store, kind, rows, export=kind in ("invoice_items", "inventory_bills"))
        if not rows:
            return
        yield from docs
        last_id = rows[-1][0]


def shape_rows(store: Store, kind: str, rows: Sequence[Any], *, export: bool) -> list[dict[str, Any]]:
    """Documents of `rows` (id, parent_id, active, doc) as a list (or, if `export`, an export) returns them.

    Call with `store.lock` held.
    """
    docs = [db.loads(row[3]) for row in rows]
    if kind == "invoices":
        attach_invoice_items(store, docs)
    elif kind == "invoice_items" and export:
        for row, doc in zip(rows, docs, strict=True):
            doc["invoiceId"] = row[1]
            doc["active"] = bool(row[2])
    elif kind == "inventory_bills" and export:
        for row, doc in zip(rows, docs, strict=True):
            doc["active"] = bool(row[2])
    elif kind == "services" and export:
        for doc in docs:
            for key in SERVICE_LIST_ONLY:
                doc.pop(key, None)
    return docs


def attach_invoice_items(store: Store, invoices: list[dict[str, Any]]) -> None:
    """Fill each invoice's `items` from its item records, in line order. Call with `store.lock` held."""
    if not invoices:
        return
    by_invoice: dict[int, list[dict[str, Any]]] = {doc["id"]: [] for doc in invoices}
    ids = list(by_invoice)
    for start in range(0, len(ids), 900):
        chunk = ids[start:start + 900]
        marks = ",".join("?" * len(chunk))
        for parent_id, doc in store.conn.execute(
            f"SELECT parent_id, doc FROM st_record WHERE kind = 'invoice_items' AND parent_id IN ({marks})",
            chunk,
        ):
            by_invoice[parent_id].append(db.loads(doc))
    for doc in invoices:
        doc["items"] = sorted(by_invoice[doc["id"]], key=lambda item: (item["order"], item["id"]))


def get_record(store: Store, kind: str, record_id: int) -> dict[str, Any] | None:
    """One record in the shape `iter_records` yields, or None."""
    db.ensure_schema(store)
    with store.lock:
        rows = store.conn.execute(
            "SELECT id, parent_id, active, doc FROM st_record WHERE kind = ? AND id = ?", (kind, record_id)
        ).fetchall()
        docs = shape_rows(store, kind, rows, export=kind in ("invoice_items", "inventory_bills"))
    return docs[0] if docs else None


def contact_without_customer(doc: dict[str, Any]) -> dict[str, Any]:
    """The per-customer contacts list row: the export row less `customerId` and `active`."""
    return {k: v for k, v in doc.items() if k not in ("customerId", "active")}


def contact_with_customer(doc: dict[str, Any]) -> dict[str, Any]:
    """The bulk contacts list row: the export row less `active`."""
    return {k: v for k, v in doc.items() if k != "active"}
