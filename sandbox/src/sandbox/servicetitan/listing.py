"""Running the two kinds of read the API offers over `st_record`: paged lists and export feeds.

A paged list filters (standard parameters plus the endpoint's own), orders (by `sort`, else by id) and
cuts one page. An export walks records in (modifiedOn, id) order from a continuation token or a date,
inactive ones included; the token encodes the last record's (modifiedOn, id).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from starlette.datastructures import QueryParams

from sandbox.servicetitan.data import shape_rows
from sandbox.servicetitan.problems import BadRequest
from sandbox.servicetitan.query import (
    Errors,
    ListParams,
    get,
    get_all,
    parse_bool,
    parse_ids,
    parse_int,
    parse_number,
    parse_when,
)
from sandbox.servicetitan.settings import ServiceTitanSettings
from sandbox.servicetitan.times import api_time, column_time, parse_time
from sandbox.store import Store

Clause = tuple[str, list[Any]]
Filter = Callable[[QueryParams, Errors], Clause | None]
Shape = Callable[[list[dict[str, Any]]], list[dict[str, Any]]]

STANDARD_SORTS = {"Id": "id", "ModifiedOn": "modified_on", "CreatedOn": "created_on"}


def json_path(path: str) -> str:
    return f"json_extract(doc, '$.{path}')"


# ---------------------------------------------------------------- filters an endpoint may add


def parent_filter(name: str) -> Filter:
    """`customerId=`-style filters on the record's parent (indexed)."""
    def build(params: QueryParams, errors: Errors) -> Clause | None:
        value = parse_int(params, name, errors)
        return None if value is None else ("parent_id = ?", [value])
    return build


def parents_filter(name: str) -> Filter:
    def build(params: QueryParams, errors: Errors) -> Clause | None:
        ids = parse_ids(params, name, errors)
        if not ids:
            return None
        return f"parent_id IN ({','.join('?' * len(ids))})", list(ids)
    return build


def json_int_filter(name: str, path: str) -> Filter:
    def build(params: QueryParams, errors: Errors) -> Clause | None:
        value = parse_int(params, name, errors)
        return None if value is None else (f"{json_path(path)} = ?", [value])
    return build


def json_text_filter(name: str, path: str) -> Filter:
    def build(params: QueryParams, errors: Errors) -> Clause | None:
        value = get(params, name)
        return None if value is None else (f"{json_path(path)} = ?", [value])
    return build


def json_in_filter(name: str, path: str) -> Filter:
    """A repeatable or comma-separated parameter matching any of its values."""
    def build(params: QueryParams, errors: Errors) -> Clause | None:
        values = get_all(params, name)
        if not values:
            return None
        return f"{json_path(path)} IN ({','.join('?' * len(values))})", list(values)
    return build


def contains_filter(name: str, *paths: str) -> Filter:
    """Case-insensitive partial match on any of the paths."""
    def build(params: QueryParams, errors: Errors) -> Clause | None:
        value = get(params, name)
        if value is None:
            return None
        pattern = f"%{value.lower()}%"
        return "(" + " OR ".join(f"lower({json_path(p)}) LIKE ?" for p in paths) + ")", [pattern] * len(paths)
    return build


def number_filter(name: str, path: str, op: str) -> Filter:
    def build(params: QueryParams, errors: Errors) -> Clause | None:
        value = parse_number(params, name, errors)
        return None if value is None else (f"CAST({json_path(path)} AS REAL) {op} ?", [value])
    return build


def date_filter(name: str, path: str, op: str) -> Filter:
    """Compare a date-time field written by the API (`...T00:00:00Z`, no fraction) with a parameter."""
    def build(params: QueryParams, errors: Errors) -> Clause | None:
        when = parse_when(params, name, errors)
        if when is None:
            return None
        return f"{json_path(path)} {op} ?", [api_time(when.replace(microsecond=0))]
    return build


def applied_to_filter(name: str, source_kind: str) -> Filter:
    """Payments or credit memos applied to any of the given invoice ids."""
    def build(params: QueryParams, errors: Errors) -> Clause | None:
        ids = parse_ids(params, name, errors)
        if not ids:
            return None
        marks = ",".join("?" * len(ids))
        return (f"id IN (SELECT source_id FROM st_application WHERE source_kind = ? AND invoice_id IN ({marks}))",
                [source_kind, *ids])
    return build


# ---------------------------------------------------------------- paged lists


@dataclass(frozen=True)
class ListSpec:
    kind: str
    active_param: str | None = "active"
    """"active" (True/Any/False), "activeState" (ActiveOnly/InactiveOnly/All) or None (every record)."""
    sort_fields: dict[str, str] = field(default_factory=lambda: dict(STANDARD_SORTS))
    filters: tuple[Filter, ...] = ()
    shape: Shape | None = None
    active_only: bool = False
    """Rows of this list never show inactive records (their schema has no `active`)."""


def list_page(store: Store, settings: ServiceTitanSettings, spec: ListSpec, params: QueryParams,
              where: Sequence[Clause] = ()) -> tuple[ListParams, list[dict[str, Any]], bool, int | None]:
    """(parameters, page of documents, hasMore, totalCount or None)."""
    options = ListParams.parse(params, settings, active_param=spec.active_param, sort_fields=spec.sort_fields)
    clauses: list[Clause] = [("kind = ?", [spec.kind]), *where]
    if options.ids:
        clauses.append((f"id IN ({','.join('?' * len(options.ids))})", list(options.ids)))
    for column, op, value in (("modified_on", ">=", options.modified_on_or_after),
                              ("modified_on", "<", options.modified_before),
                              ("created_on", ">=", options.created_on_or_after),
                              ("created_on", "<", options.created_before)):
        if value is not None:
            clauses.append((f"{column} {op} ?", [value]))
    if spec.active_only:
        clauses.append(("active = 1", []))
    elif options.active != "Any":
        clauses.append(("active = ?", [1 if options.active == "True" else 0]))
    for build in spec.filters:
        clause = build(params, options.errors)
        if clause is not None:
            clauses.append(clause)
    options.errors.raise_if_any()
    sql_where = " AND ".join(f"({c})" for c, _ in clauses)
    args = [a for _, values in clauses for a in values]
    order = "id"
    if options.sort is not None:
        name, descending = options.sort
        direction = "DESC" if descending else "ASC"
        order = f"{spec.sort_fields[name]} {direction}, id {direction}"
    offset = (options.page - 1) * options.page_size
    with store.lock:
        total = None
        if options.include_total:
            total = int(store.conn.execute(f"SELECT count(*) FROM st_record WHERE {sql_where}", args).fetchone()[0])
        rows = store.conn.execute(
            f"SELECT id, parent_id, active, doc FROM st_record WHERE {sql_where} ORDER BY {order} LIMIT ? OFFSET ?",
            [*args, options.page_size + 1, offset],
        ).fetchall()
        has_more = len(rows) > options.page_size
        docs = shape_rows(store, spec.kind, rows[:options.page_size], export=False)
    if spec.shape is not None:
        docs = spec.shape(docs)
    return options, docs, has_more, total


def paginated(store: Store, settings: ServiceTitanSettings, spec: ListSpec, params: QueryParams,
              where: Sequence[Clause] = ()) -> dict[str, Any]:
    """The `PaginatedResponse_Of_…` envelope."""
    options, docs, has_more, total = list_page(store, settings, spec, params, where)
    return {"page": options.page, "pageSize": options.page_size, "hasMore": has_more, "totalCount": total,
            "data": docs}


# ---------------------------------------------------------------- exports

TOKEN_PREFIX = "st1."


def encode_token(modified_on: str, record_id: int) -> str:
    return TOKEN_PREFIX + base64.urlsafe_b64encode(f"{modified_on}|{record_id}".encode()).decode().rstrip("=")


def decode_from(value: str) -> tuple[str, int]:
    """The position after which an export resumes: a token, or a date (records modified on or after it)."""
    if value.startswith(TOKEN_PREFIX):
        body = value[len(TOKEN_PREFIX):]
        try:
            text = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()
            modified_on, _, record_id = text.partition("|")
            parse_time(modified_on)
            return modified_on, int(record_id)
        except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
            raise BadRequest({"from": ["The continuation token is not valid."]}) from exc
    try:
        return column_time(parse_time(value)), -1
    except ValueError as exc:
        raise BadRequest({"from": [f"'{value}' is neither a continuation token nor a date."]}) from exc


def export_batch(store: Store, settings: ServiceTitanSettings, kind: str, params: QueryParams, now: datetime,
                 shape: Shape | None = None) -> dict[str, Any]:
    """The `ExportResponse_Of_…` envelope: one batch of the feed after `from`."""
    errors = Errors()
    recent = bool(parse_bool(params, "includeRecentChanges", errors))
    errors.raise_if_any()
    raw_from = get(params, "from")
    position = decode_from(raw_from) if raw_from else ("", -1)
    batch = max(1, int(settings.export_batch_size))
    clauses = ["kind = ?", "(modified_on, id) > (?, ?)"]
    args: list[Any] = [kind, position[0], position[1]]
    if not recent and settings.export_lag_seconds > 0:
        clauses.append("modified_on <= ?")
        args.append(column_time(now - timedelta(seconds=settings.export_lag_seconds)))
    with store.lock:
        rows = store.conn.execute(
            f"SELECT id, parent_id, active, doc, modified_on FROM st_record WHERE {' AND '.join(clauses)} "
            "ORDER BY modified_on, id LIMIT ?",
            [*args, batch + 1],
        ).fetchall()
        has_more = len(rows) > batch
        rows = rows[:batch]
        docs = shape_rows(store, kind, rows, export=True)
    if shape is not None:
        docs = shape(docs)
    resume = rows
    if recent and not has_more and settings.export_recent_overlap > 0:
        resume = rows[:max(0, len(rows) - settings.export_recent_overlap)]
    if resume:
        position = (resume[-1]["modified_on"], resume[-1]["id"])
    token = encode_token(*position) if position[0] else encode_token(column_time(datetime(1900, 1, 1)), 0)
    return {"hasMore": has_more, "continueFrom": token, "data": docs}
