"""The ServiceTitan simulator's tables in the shared SQLite file.

Every record lives in one table, `st_record`, as the JSON document the API returns (its list shape),
next to the few columns the API filters and orders on. The other tables index what the documents
hold (payment and credit-memo applications to invoices) or what the API must remember (tokens).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

import orjson

from sandbox.store import Store

SCHEMA = """
CREATE TABLE IF NOT EXISTS st_record (
    kind TEXT NOT NULL,
    id INTEGER NOT NULL,
    parent_id INTEGER,
    active INTEGER NOT NULL DEFAULT 1,
    created_on TEXT NOT NULL,
    modified_on TEXT NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (kind, id)
);
CREATE INDEX IF NOT EXISTS st_record_modified ON st_record(kind, modified_on, id);
CREATE INDEX IF NOT EXISTS st_record_created ON st_record(kind, created_on, id);
CREATE INDEX IF NOT EXISTS st_record_parent ON st_record(kind, parent_id, id);
CREATE INDEX IF NOT EXISTS st_record_active ON st_record(kind, active, id);

CREATE TABLE IF NOT EXISTS st_application (
    source_kind TEXT NOT NULL,
    source_id INTEGER NOT NULL,
    invoice_id INTEGER NOT NULL,
    amount TEXT NOT NULL,
    PRIMARY KEY (source_kind, source_id, invoice_id)
);
CREATE INDEX IF NOT EXISTS st_application_invoice ON st_application(invoice_id);

CREATE TABLE IF NOT EXISTS st_token (
    token_hash TEXT PRIMARY KEY,
    tenant_id INTEGER NOT NULL,
    client_id TEXT NOT NULL,
    expires_at REAL NOT NULL
);
"""

KINDS = (
    "customers",
    "contacts",
    "locations",
    "materials",
    "services",
    "equipment",
    "vendors",
    "invoices",
    "invoice_items",
    "payments",
    "credit_memos",
    "inventory_bills",
    "payment_types",
    "gl_accounts",
    "tax_zones",
    "ap_bills",
    "ap_credits",
    "ap_payments",
)
"""Record kinds kept in `st_record`. Parents: contacts, locations, invoices, payments and credit memos
name their customer; invoice items their invoice; inventory bills, AP bills, AP credits and AP payments
their vendor."""

NEXT_ID_KEY = "st_next_id"
FIRST_ID = 1_000_001

def ensure_schema(store: Store) -> None:
    """Create the tables (once per `Store` object)."""
    if getattr(store, "_servicetitan_schema", False):
        return
    store.executescript(SCHEMA)
    store._servicetitan_schema = True  # type: ignore[attr-defined]


def allocate_ids(store: Store, count: int) -> range:
    """Reserve `count` consecutive ids. One sequence serves every kind, so ids never collide."""
    with store.lock:
        first = int(str(store.get_meta(NEXT_ID_KEY, FIRST_ID)))
        store.set_meta(NEXT_ID_KEY, first + count)
    return range(first, first + count)


def dumps(doc: dict[str, Any]) -> str:
    return orjson.dumps(doc).decode()


def loads(text: str | bytes) -> dict[str, Any]:
    return orjson.loads(text)  # type: ignore[no-any-return]


Row = tuple[str, int, int | None, int, str, str, str]
"""(kind, id, parent_id, active, created_on, modified_on, doc): one `st_record` row."""


def put_rows(conn: sqlite3.Connection, rows: Iterable[Row]) -> None:
    """Insert or replace records (call inside a transaction for bulk loads)."""
    conn.executemany(
        "INSERT INTO st_record(kind, id, parent_id, active, created_on, modified_on, doc) "
        "VALUES (?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT(kind, id) DO UPDATE SET parent_id = excluded.parent_id, active = excluded.active, "
        "created_on = excluded.created_on, modified_on = excluded.modified_on, doc = excluded.doc",
        rows,
    )


def put_applications(conn: sqlite3.Connection, source_kind: str, source_id: int,
                     applications: Sequence[tuple[int, str]]) -> None:
    """Replace what one payment or credit memo applies to invoices: (invoice id, amount) pairs."""
    conn.execute("DELETE FROM st_application WHERE source_kind = ? AND source_id = ?", (source_kind, source_id))
    conn.executemany(
        "INSERT INTO st_application(source_kind, source_id, invoice_id, amount) VALUES (?, ?, ?, ?)",
        [(source_kind, source_id, invoice_id, amount) for invoice_id, amount in applications],
    )


def get_doc(conn: sqlite3.Connection, kind: str, record_id: int) -> dict[str, Any] | None:
    row = conn.execute("SELECT doc FROM st_record WHERE kind = ? AND id = ?", (kind, record_id)).fetchone()
    return None if row is None else loads(row[0])


def count(conn: sqlite3.Connection, kind: str) -> int:
    return int(conn.execute("SELECT count(*) FROM st_record WHERE kind = ?", (kind,)).fetchone()[0])
