"""Writing ServiceTitan records: in bulk for the seed, one at a time for handlers and simulated activity.

Every write goes through here so that the columns the API filters on always agree with the document,
`modifiedOn` is stamped from the simulated clock, and the accounting rules of `accounting.py` hold
after each change (invoice and customer balances follow their payments and credit memos).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sandbox.servicetitan import db
from sandbox.servicetitan.accounting import ZERO, money
from sandbox.servicetitan.times import api_date, api_time, column_time, parse_time
from sandbox.store import Store

PARENT_FIELD = {
    "contacts": "customerId",
    "locations": "customerId",
}


def parent_of(kind: str, doc: dict[str, Any]) -> int | None:
    """The id the `parent_id` column holds for a document (see `db.KINDS`)."""
    if kind in PARENT_FIELD:
        return int(doc[PARENT_FIELD[kind]])
    if kind in ("invoices", "payments", "credit_memos"):
        customer = doc.get("customer")
        return int(customer["id"]) if customer else None
    if kind in ("inventory_bills", "ap_bills", "ap_credits", "ap_payments"):
        vendor = doc.get("vendor")
        return int(vendor["id"]) if vendor else None
    return None


def settled_on(paid_on: str | None, total: Decimal, balance: Decimal, when: datetime) -> str | None:
    """An invoice's `paidOn` after a change at `when` that left it with `balance`.

    The day (midnight UTC, as the seed writes it) its balance reached zero, kept while it stays paid off;
    None while it owes, or if its total is zero (nothing was ever paid off).
    """
    if balance != 0 or total == 0:
        return None
    return paid_on or api_date(when.date())


def to_row(kind: str, doc: dict[str, Any], parent_id: int | None = None, active: bool | None = None) -> db.Row:
    """The `st_record` row of a document. Invoice items and bills keep `active` in the column only."""
    created = doc.get("createdOn")
    modified = doc.get("modifiedOn") or created
    if created is None or modified is None:
        raise ValueError(f"{kind} {doc.get('id')}: createdOn is required to store a record")
    if active is None:
        active = bool(doc.get("active", True))
    if parent_id is None:
        parent_id = parent_of(kind, doc)
    return (
        kind,
        int(doc["id"]),
        parent_id,
        int(active),
        column_time(parse_time(created)),
        column_time(parse_time(modified)),
        db.dumps(doc),
    )


class BulkWriter:
    """Buffers rows and writes them in large batches, each batch in one transaction (no per-row commits)."""

    def __init__(self, store: Store, batch_size: int = 20_000) -> None:
        self.store = store
        self.batch_size = batch_size
        self.rows: list[db.Row] = []
        self.applications: list[tuple[str, int, int, str]] = []
        self.counts: dict[str, int] = {}
        db.ensure_schema(store)

    def add(self, kind: str, doc: dict[str, Any], *, parent_id: int | None = None,
            active: bool | None = None) -> None:
        self.rows.append(to_row(kind, doc, parent_id, active))
        self.counts[kind] = self.counts.get(kind, 0) + 1
        if len(self.rows) >= self.batch_size:
            self.flush()

    def add_applications(self, source_kind: str, source_id: int, applications: Iterable[tuple[int, str]]) -> None:
        self.applications.extend((source_kind, source_id, inv, amount) for inv, amount in applications)

    def flush(self) -> None:
        if not self.rows and not self.applications:
            return
        with self.store.transaction() as conn:
            db.put_rows(conn, self.rows)
            conn.executemany(
                "INSERT OR REPLACE INTO st_application(source_kind, source_id, invoice_id, amount) "
                "VALUES (?, ?, ?, ?)",
                self.applications,
            )
        self.rows.clear()
        self.applications.clear()


class Repository:
    """Single-record changes, each stamped with the simulated clock's `now` and applied atomically."""

    def __init__(self, store: Store, now: datetime) -> None:
        self.store = store
        self.now = now
        db.ensure_schema(store)

    def stamp(self, kind: str) -> str:
        """`modifiedOn` for a write now: the clock's time, or a microsecond after the kind's latest change.

        The simulated clock stands still between `activity` runs; without this, a record changed at the
        same instant as the tail of an export feed, but with a lower id, would sort before the tail
        token and never be exported.
        """
        with self.store.lock:
            row = self.store.conn.execute("SELECT max(modified_on) FROM st_record WHERE kind = ?", (kind,)).fetchone()
        when = self.now
        if row[0] is not None:
            latest = parse_time(row[0])
            if latest >= when:
                when = latest + timedelta(microseconds=1)
        return api_time(when)

    def get(self, kind: str, record_id: int) -> dict[str, Any] | None:
        with self.store.lock:
            return db.get_doc(self.store.conn, kind, record_id)

    def create(self, kind: str, doc: dict[str, Any], *, parent_id: int | None = None,
               active: bool | None = None) -> dict[str, Any]:
        """Store a new record; `createdOn`/`modifiedOn` default to now."""
        doc.setdefault("createdOn", self.stamp(kind))
        doc.setdefault("modifiedOn", doc["createdOn"])
        with self.store.transaction() as conn:
            db.put_rows(conn, [to_row(kind, doc, parent_id, active)])
        return doc

    def update(self, kind: str, record_id: int, changes: dict[str, Any], *, touch: bool = True,
               active: bool | None = None) -> dict[str, Any]:
        """Merge `changes` into a record; `modifiedOn` moves to now unless `touch` is false."""
        stamp = self.stamp(kind) if touch else None
        with self.store.transaction() as conn:
            row = conn.execute(
                "SELECT parent_id, active, doc FROM st_record WHERE kind = ? AND id = ?", (kind, record_id)
            ).fetchone()
            if row is None:
                raise KeyError(f"no {kind} record {record_id}")
            doc = db.loads(row["doc"])
            doc.update(changes)
            if stamp is not None:
                doc["modifiedOn"] = stamp
            if active is None:
                active = bool(doc["active"]) if "active" in doc else bool(row["active"])
            db.put_rows(conn, [to_row(kind, doc, row["parent_id"], active)])
        return doc

    def set_applications(self, source_kind: str, source_id: int, applications: Sequence[tuple[int, str]]) -> None:
        with self.store.transaction() as conn:
            db.put_applications(conn, source_kind, source_id, applications)

    def applied_to_invoice(self, invoice_id: int) -> Decimal:
        """What active payments and credit memos apply to an invoice."""
        with self.store.lock:
            rows = self.store.conn.execute(
                "SELECT a.amount FROM st_application a JOIN st_record r "
                "ON r.kind = a.source_kind AND r.id = a.source_id "
                "WHERE a.invoice_id = ? AND r.active = 1",
                (invoice_id,),
            ).fetchall()
        return sum((Decimal(r[0]) for r in rows), ZERO)

    def refresh_invoice_balance(self, invoice_id: int) -> dict[str, Any]:
        """Recompute an invoice's balance from its applications, and its `paidOn` (`settled_on`) from that.

        `modifiedOn` moves if either changed.
        """
        doc = self.get("invoices", invoice_id)
        if doc is None:
            raise KeyError(f"no invoice {invoice_id}")
        total = Decimal(doc["total"] or "0")
        balance = money(total - self.applied_to_invoice(invoice_id))
        paid_on = settled_on(doc.get("paidOn"), total, Decimal(balance), self.now)
        changes = {key: value for key, value in (("balance", balance), ("paidOn", paid_on)) if doc.get(key) != value}
        if changes:
            doc = self.update("invoices", invoice_id, changes)
        return doc

    def refresh_customer_balance(self, customer_id: int) -> dict[str, Any]:
        """Recompute a customer's balance from their active invoices (modifiedOn moves if it changed)."""
        with self.store.lock:
            rows = self.store.conn.execute(  # `+active` keeps SQLite on the parent index
                "SELECT doc FROM st_record WHERE kind = 'invoices' AND parent_id = ? AND +active = 1",
                (customer_id,),
            ).fetchall()
        total = sum((Decimal(db.loads(r[0])["balance"] or "0") for r in rows), ZERO)
        doc = self.get("customers", customer_id)
        if doc is None:
            raise KeyError(f"no customer {customer_id}")
        if Decimal(str(doc["balance"])) != total:
            doc = self.update("customers", customer_id, {"balance": float(total)})
        return doc
