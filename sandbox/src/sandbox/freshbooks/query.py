"""List query strings: paging, `search[...]` filters, `include[]`, `sort`.

The query string is decoded as a form (`+` becomes a space, `%XX` is unescaped), so literal and
%-encoded brackets mean the same, and an unencoded `+` in `search[email]=a+b@x.com` searches for
`a b@x.com`, as the reference explains. Filters become SQL over the stored JSON documents.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qsl

from sandbox.freshbooks import errors

MAX_PER_PAGE = 100

SqlPart = tuple[str, list[Any]]
Filter = Callable[[str, list[str]], SqlPart]
"""Builds one WHERE clause from a filter's name and its values (several for `[]` filters)."""

SEARCH_KEY = re.compile(r"^search\[([^\[\]]+)\](\[\])?$")


@dataclass
class ListQuery:
    page: int = 1
    per_page: int | None = None
    search: dict[str, list[str]] = field(default_factory=dict)
    includes: list[str] = field(default_factory=list)
    sort: str | None = None
    flags: dict[str, str] = field(default_factory=dict)
    """Plain parameters outside `search[...]` (e.g. `active=false` from the SDK's boolean filter)."""


def _positive_int(raw: str, errno: int, name: str, allow_zero: bool) -> int:
    text = raw.strip()
    if re.fullmatch(r"\d+", text) and (allow_zero or int(text) > 0):
        return int(text)
    raise errors.ApiError(errno, f"'{name}' must be a positive integer.", field=name, value=raw)


def parse_query(query_string: str, *, for_list: bool = True) -> ListQuery:
    """Parse a raw (still encoded) query string."""
    query = ListQuery()
    for key, value in parse_qsl(query_string, keep_blank_values=True):
        match = SEARCH_KEY.match(key)
        if match:
            query.search.setdefault(match.group(1), []).append(value)
        elif key in ("include[]", "include"):
            query.includes.append(value)
        elif key == "page" and for_list:
            # page=0 behaves as page 1; anything else that is not a positive integer is refused.
            query.page = max(_positive_int(value, errors.INVALID_PAGE, "page", allow_zero=True), 1)
        elif key == "per_page" and for_list:
            query.per_page = min(_positive_int(value, errors.INVALID_PER_PAGE, "per_page", allow_zero=False),
                                 MAX_PER_PAGE)
        elif key == "sort":
            query.sort = value
        else:
            query.flags[key] = value
    return query


# --- filter builders ---------------------------------------------------------------------------------------


def j(path: str) -> str:
    """SQL for a key of the stored document."""
    return f"json_extract(data, '$.{path}')"


def _cast(name: str, raw: str, kind: str) -> Any:
    text = raw.strip()
    try:
        if kind == "int":
            if not re.fullmatch(r"-?\d+", text):
                raise ValueError
            return int(text)
        if kind == "number":
            return float(Decimal(text))
        if kind == "date":
            return date.fromisoformat(text[:10]).isoformat()
        return raw
    except (ValueError, InvalidOperation):
        raise errors.invalid(f"search[{name}]", None, raw,
                             f"Invalid value for search filter '{name}'.") from None


def equals(expr: str, kind: str = "str") -> Filter:
    def build(name: str, values: list[str]) -> SqlPart:
        return f"{expr} = ?", [_cast(name, values[-1], kind)]
    return build


def equals_folded(expr: str) -> Filter:
    """Equals, ignoring case (what a MySQL default collation does)."""
    def build(name: str, values: list[str]) -> SqlPart:
        return f"lower({expr}) = lower(?)", [values[-1]]
    return build


def one_of(expr: str, kind: str = "int") -> Filter:
    def build(name: str, values: list[str]) -> SqlPart:
        cast = [_cast(name, v, kind) for v in values if v != ""]
        if not cast:
            return "0", []
        return f"{expr} IN ({', '.join('?' * len(cast))})", cast
    return build


def like(*exprs: str) -> Filter:
    """Case-insensitive substring match on any of the expressions."""
    def build(name: str, values: list[str]) -> SqlPart:
        needle = values[-1].lower()
        parts = [f"instr(lower(COALESCE({e}, '')), ?) > 0" for e in exprs]
        return " OR ".join(parts), [needle] * len(exprs)
    return build


def at_least(expr: str, kind: str) -> Filter:
    def build(name: str, values: list[str]) -> SqlPart:
        lhs = f"substr({expr}, 1, 10)" if kind == "date" else f"CAST({expr} AS REAL)"
        return f"{lhs} >= ?", [_cast(name, values[-1], kind)]
    return build


def below(expr: str, kind: str) -> Filter:
    """FreshBooks' `_max` is exclusive ("<") on most resource pages."""
    def build(name: str, values: list[str]) -> SqlPart:
        lhs = f"substr({expr}, 1, 10)" if kind == "date" else f"CAST({expr} AS REAL)"
        return f"{lhs} < ?", [_cast(name, values[-1], kind)]
    return build


def boolean(expr: str) -> Filter:
    def build(name: str, values: list[str]) -> SqlPart:
        text = values[-1].strip().lower()
        if text not in {"true", "false", "1", "0"}:
            raise errors.invalid(f"search[{name}]", None, values[-1], f"Filter '{name}' must be true or false.",
                                 errors.MAPPING_ERROR_BOOLEAN)
        return f"COALESCE({expr}, 0) = ?", [1 if text in {"true", "1"} else 0]
    return build


def when_set(sql: str) -> Filter:
    """A filter that takes no value (`search[has_outstanding]=`): applies `sql` unless told false."""
    def build(name: str, values: list[str]) -> SqlPart:
        if values[-1].strip().lower() in {"false", "0"}:
            return f"NOT ({sql})", []
        return sql, []
    return build


def date_range(prefix: str, expr: str) -> dict[str, Filter]:
    return {f"{prefix}_min": at_least(expr, "date"), f"{prefix}_max": below(expr, "date")}


def number_range(prefix: str, expr: str) -> dict[str, Filter]:
    return {f"{prefix}_min": at_least(expr, "number"), f"{prefix}_max": below(expr, "number")}


def vis_state_clause(values: list[str] | None) -> SqlPart:
    """Lists show active and archived objects unless `search[vis_state]` picks one state."""
    if not values:
        return "vis_state IN (0, 2)", []
    raw = values[-1].strip()
    if raw not in {"0", "1", "2"}:
        raise errors.invalid("search[vis_state]", None, values[-1], "Filter 'vis_state' must be 0, 1 or 2.")
    return "vis_state = ?", [int(raw)]


SORT_RE = re.compile(r"^([a-z0-9_]+?)_(asc|desc)$")


def order_clause(sort: str | None, aliases: dict[str, str]) -> str:
    """`sort=<field>_asc|_desc`; unknown fields fall back to id order."""
    if sort:
        match = SORT_RE.match(sort.strip())
        if match:
            name, direction = match.groups()
            column = aliases.get(name)
            if column is None and re.fullmatch(r"[a-z0-9_]+", name):
                column = j(name)
            if column:
                return f"{column} {direction.upper()}, id {direction.upper()}"
    return "id ASC"
