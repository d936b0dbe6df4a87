"""Parsing the query parameters the lists and exports share, with ServiceTitan's defaults.

Invalid values raise `BadRequest` naming the parameter; unknown parameters are ignored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from starlette.datastructures import QueryParams

from sandbox.servicetitan.problems import BadRequest
from sandbox.servicetitan.settings import ServiceTitanSettings
from sandbox.servicetitan.times import column_time, parse_time

ACTIVE_VALUES = {"true": "True", "any": "Any", "false": "False"}
ACTIVE_STATE_VALUES = {"activeonly": "True", "inactiveonly": "False", "all": "Any"}
TRUE_FALSE = {"true": True, "false": False}


class Errors:
    """Collects validation errors, to report them all in one 400."""

    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def add(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)

    def raise_if_any(self) -> None:
        if self.errors:
            raise BadRequest(self.errors)


def get(params: QueryParams, name: str) -> str | None:
    """A parameter's value, matched case-insensitively as ASP.NET does; empty means absent."""
    for key, value in params.multi_items():
        if key.lower() == name.lower() and value.strip() != "":
            return value.strip()
    return None


def get_all(params: QueryParams, name: str) -> list[str]:
    """Every value of a repeatable or comma-separated parameter."""
    values: list[str] = []
    for key, value in params.multi_items():
        if key.lower() == name.lower():
            values.extend(part.strip() for part in value.split(",") if part.strip())
    return values


def parse_int(params: QueryParams, name: str, errors: Errors, *, minimum: int | None = None) -> int | None:
    raw = get(params, name)
    if raw is None:
        return None
    try:
        value = int(raw)
    except ValueError:
        errors.add(name, f"The value '{raw}' is not valid.")
        return None
    if minimum is not None and value < minimum:
        errors.add(name, f"The value must be at least {minimum}.")
        return None
    return value


def parse_number(params: QueryParams, name: str, errors: Errors) -> float | None:
    raw = get(params, name)
    if raw is None:
        return None
    try:
        return float(raw)
    except ValueError:
        errors.add(name, f"The value '{raw}' is not valid.")
        return None


def parse_bool(params: QueryParams, name: str, errors: Errors) -> bool | None:
    raw = get(params, name)
    if raw is None:
        return None
    if raw.lower() not in TRUE_FALSE:
        errors.add(name, f"The value '{raw}' is not valid.")
        return None
    return TRUE_FALSE[raw.lower()]


def parse_when(params: QueryParams, name: str, errors: Errors) -> datetime | None:
    raw = get(params, name)
    if raw is None:
        return None
    try:
        return parse_time(raw)
    except ValueError:
        errors.add(name, f"The value '{raw}' is not valid for {name}.")
        return None


def parse_ids(params: QueryParams, name: str, errors: Errors) -> list[int] | None:
    values = get_all(params, name)
    if not values:
        return None
    ids = []
    for value in values:
        try:
            ids.append(int(value))
        except ValueError:
            errors.add(name, f"The value '{value}' is not a valid id.")
    return ids


@dataclass
class ListParams:
    """The paging, date, id, active and sort parameters of a paged list."""

    page: int = 1
    page_size: int = 50
    include_total: bool = False
    ids: list[int] | None = None
    modified_on_or_after: str | None = None
    modified_before: str | None = None
    created_on_or_after: str | None = None
    created_before: str | None = None
    active: str = "True"  # True | False | Any
    sort: tuple[str, bool] | None = None  # (field name as the endpoint spells it, descending)
    errors: Errors = field(default_factory=Errors)

    @classmethod
    def parse(cls, params: QueryParams, settings: ServiceTitanSettings, *, active_param: str | None,
              sort_fields: dict[str, str]) -> ListParams:
        errors = Errors()
        result = cls(errors=errors)
        result.page = parse_int(params, "page", errors, minimum=1) or 1
        size = parse_int(params, "pageSize", errors, minimum=1)
        result.page_size = size if size is not None else settings.default_page_size
        if result.page_size > settings.max_page_size:
            if settings.oversized_page_size == "error":
                errors.add("pageSize", f"The page size must be between 1 and {settings.max_page_size}.")
            result.page_size = settings.max_page_size
        result.include_total = bool(parse_bool(params, "includeTotal", errors))
        result.ids = parse_ids(params, "ids", errors)
        for attr, name in (("modified_on_or_after", "modifiedOnOrAfter"), ("modified_before", "modifiedBefore"),
                           ("created_on_or_after", "createdOnOrAfter"), ("created_before", "createdBefore")):
            when = parse_when(params, name, errors)
            setattr(result, attr, None if when is None else column_time(when))
        if active_param == "active":
            raw = get(params, "active")
            if raw is not None:
                if raw.lower() not in ACTIVE_VALUES:
                    errors.add("active", f"The value '{raw}' is not valid. Values: True, Any, False.")
                else:
                    result.active = ACTIVE_VALUES[raw.lower()]
        elif active_param == "activeState":
            raw = get(params, "activeState")
            if raw is not None:
                if raw.lower() not in ACTIVE_STATE_VALUES:
                    errors.add("activeState", f"The value '{raw}' is not valid. Values: ActiveOnly, InactiveOnly, All.")
                else:
                    result.active = ACTIVE_STATE_VALUES[raw.lower()]
        else:
            result.active = "Any"
        result.sort = parse_sort(params, sort_fields, errors)
        return result


def parse_sort(params: QueryParams, sort_fields: dict[str, str], errors: Errors) -> tuple[str, bool] | None:
    """`sort=+Field` / `-Field` (a raw `+` arrives as a space), or `orderBy` with `orderByDirection`.

    Endpoints without sort fields take no sort parameter: it is ignored like any unknown parameter.
    """
    if not sort_fields:
        return None
    raw = None
    for key, value in params.multi_items():
        if key.lower() == "sort" and value != "":
            raw = value
    descending = False
    if raw is not None:
        text = raw.strip()
        if text.startswith(("+", "-")):
            descending = text[0] == "-"
            text = text[1:].strip()
        name = text
    else:
        order_by = get(params, "orderBy")
        if order_by is None:
            return None
        name = order_by
        descending = (get(params, "orderByDirection") or "").lower() in ("desc", "descending")
    for known in sort_fields:
        if known.lower() == name.lower():
            return known, descending
    errors.add("sort", f"Sorting by '{name}' is not supported. Available fields are: {', '.join(sort_fields)}.")
    return None
