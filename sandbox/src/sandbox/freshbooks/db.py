"""The FreshBooks simulator's tables in the shared SQLite file.

Each accounting resource is one table `fb_<plural>` holding the object as FreshBooks answers it (a JSON
document, derived amounts included), plus `id` and `vis_state` columns. Keys FreshBooks does not show
start with `_` and are stripped on the way out. Searches run in SQL over `json_extract`, with expression
indexes on the natural keys clients look up one by one (email, SKU, invoice number, invoice id).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from typing import Any

import orjson

from sandbox.store import Store

# First id handed out per table: FreshBooks ids are large and differ between kinds, which catches a
# client that confuses one kind's id for another's.
ID_BASES: dict[str, int] = {
    "clients": 310000,
    "items": 520000,
    "taxes": 74000,
    "categories": 3290000,
    "bill_vendors": 8800,
    "bills": 15000,
    "bill_payments": 36000,
    "invoices": 940000,
    "payments": 610000,
    "credit_notes": 27000,
    "journal_entries": 4100,
    "journal_entry_accounts": 1270000,
}

INDEXES = {
    "clients": ["lower(json_extract(data, '$.email'))"],
    "items": ["json_extract(data, '$.sku')"],
    "invoices": ["json_extract(data, '$.invoice_number')", "json_extract(data, '$.customerid')"],
    "payments": ["json_extract(data, '$.invoiceid')"],
    "bills": ["json_extract(data, '$.vendorid')"],
    "bill_payments": ["json_extract(data, '$.billid')"],
    "credit_notes": ["json_extract(data, '$.clientid')"],
}

# Keys mirrored in stored columns, so that a substring search (which no index serves) reads a short column
# instead of parsing every document. Filters still say `json_extract(data, '$.key')`; `Table` rewrites
# that to the column where the table has it (a database made before a column existed simply lacks it).
MIRRORED: dict[str, list[str]] = {
    "invoices": ["invoice_number"],
    "clients": ["organization"],
}

AUTH_SCHEMA = """
CREATE TABLE IF NOT EXISTS fb_oauth_codes (
    code_hash TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    redirect_uri TEXT NOT NULL,
    scope TEXT NOT NULL,
    expires_at REAL NOT NULL,
    used_at REAL
);
CREATE TABLE IF NOT EXISTS fb_tokens (
    access_hash TEXT PRIMARY KEY,
    refresh_hash TEXT NOT NULL UNIQUE,
    client_id TEXT NOT NULL,
    scope TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at REAL NOT NULL,
    access_revoked_at REAL,
    refresh_used_at REAL
);
CREATE TABLE IF NOT EXISTS fb_preexisting (
    resource TEXT NOT NULL,
    id INTEGER NOT NULL,
    PRIMARY KEY (resource, id)
);
"""


def ensure_schema(store: Store) -> None:
    """Create the FreshBooks tables if they are missing (idempotent)."""
    statements = [AUTH_SCHEMA]
    for name in ID_BASES:
        mirrored = "".join(f", {key} GENERATED ALWAYS AS (json_extract(data, '$.{key}')) STORED"
                           for key in MIRRORED.get(name, []))
        statements.append(
            f"CREATE TABLE IF NOT EXISTS fb_{name} (id INTEGER PRIMARY KEY, vis_state INTEGER NOT NULL DEFAULT 0, "
            f"data TEXT NOT NULL{mirrored});"
        )
        for n, expr in enumerate(INDEXES.get(name, [])):
            statements.append(f"CREATE INDEX IF NOT EXISTS fb_{name}_x{n} ON fb_{name} ({expr});")
    store.executescript("\n".join(statements))


def public(data: dict[str, Any]) -> dict[str, Any]:
    """The object without the simulator's private keys."""
    return {k: v for k, v in data.items() if not k.startswith("_")}


class Table:
    """One resource's rows: JSON documents keyed by integer id."""

    def __init__(self, conn: sqlite3.Connection, name: str) -> None:
        if name not in ID_BASES:
            raise KeyError(name)
        self.conn = conn
        self.name = name
        self.sql_name = f"fb_{name}"

    def mirrored_columns(self) -> list[str]:
        if not MIRRORED.get(self.name):
            return []
        present = {row[1] for row in self.conn.execute(f"PRAGMA table_xinfo({self.sql_name})")}
        return [c for c in MIRRORED[self.name] if c in present]

    def next_id(self) -> int:
        row = self.conn.execute(f"SELECT MAX(id) FROM {self.sql_name}").fetchone()
        return max(row[0] or 0, ID_BASES[self.name]) + 1

    def insert(self, data: dict[str, Any], id_keys: Iterable[str] = ("id",), record_id: int | None = None) -> int:
        """Store a new object; its id (allocated unless given) is written under every key in `id_keys`."""
        record_id = record_id or self.next_id()
        for key in id_keys:
            data[key] = record_id
        data.setdefault("vis_state", 0)
        self.conn.execute(
            f"INSERT INTO {self.sql_name} (id, vis_state, data) VALUES (?, ?, ?)",
            (record_id, data["vis_state"], orjson.dumps(data).decode()),
        )
        return record_id

    def get(self, record_id: int) -> dict[str, Any] | None:
        row = self.conn.execute(f"SELECT data FROM {self.sql_name} WHERE id = ?", (record_id,)).fetchone()
        return None if row is None else orjson.loads(row[0])

    def save(self, record_id: int, data: dict[str, Any]) -> None:
        self.conn.execute(
            f"UPDATE {self.sql_name} SET vis_state = ?, data = ? WHERE id = ?",
            (data.get("vis_state", 0), orjson.dumps(data).decode(), record_id),
        )

    def remove(self, record_id: int) -> bool:
        return self.conn.execute(f"DELETE FROM {self.sql_name} WHERE id = ?", (record_id,)).rowcount > 0

    def where(self, clauses: list[str], params: list[Any]) -> str:
        if not clauses:
            return ""
        sql = " AND ".join(f"({c})" for c in clauses)
        for column in self.mirrored_columns():
            sql = sql.replace(f"json_extract(data, '$.{column}')", column)
        return " WHERE " + sql

    def count(self, clauses: list[str], params: list[Any]) -> int:
        sql = f"SELECT COUNT(*) FROM {self.sql_name}{self.where(clauses, params)}"
        return int(self.conn.execute(sql, params).fetchone()[0])

    def select(
        self, clauses: list[str], params: list[Any], order: str = "id ASC", limit: int = -1, offset: int = 0
    ) -> list[dict[str, Any]]:
        sql = f"SELECT data FROM {self.sql_name}{self.where(clauses, params)} ORDER BY {order} LIMIT ? OFFSET ?"
        return [orjson.loads(row[0]) for row in self.conn.execute(sql, [*params, limit, offset])]

    def all(self) -> Iterator[dict[str, Any]]:
        for row in self.conn.execute(f"SELECT data FROM {self.sql_name} ORDER BY id"):
            yield orjson.loads(row[0])


def mark_preexisting(conn: sqlite3.Connection, resource: str, record_id: int) -> None:
    conn.execute("INSERT OR IGNORE INTO fb_preexisting (resource, id) VALUES (?, ?)", (resource, record_id))


def preexisting(conn: sqlite3.Connection) -> dict[str, list[int]]:
    result: dict[str, list[int]] = {}
    for row in conn.execute("SELECT resource, id FROM fb_preexisting ORDER BY resource, id"):
        result.setdefault(row[0], []).append(row[1])
    return result
