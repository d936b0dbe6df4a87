"""Timestamps as ServiceTitan writes them, and as the simulator sorts and filters them.

The API's date-times are UTC with a `Z` and a fraction of up to seven digits with trailing zeros
dropped (what .NET writes, e.g. `2026-05-04T14:03:27.52Z`); the simulator keeps microseconds. The
`st_record` columns hold a fixed-width form so that text order is time order.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time


def utc(when: datetime) -> datetime:
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def api_time(when: datetime) -> str:
    """`2026-05-04T14:03:27.52Z`: the API's own rendering of a date-time."""
    when = utc(when)
    text = when.strftime("%Y-%m-%dT%H:%M:%S")
    if when.microsecond:
        text += "." + f"{when.microsecond:06d}".rstrip("0")
    return text + "Z"


def api_date(day: date) -> str:
    """A calendar date typed `date-time` by the spec (invoice dates, due dates): midnight UTC."""
    return api_time(datetime.combine(day, time(0), tzinfo=UTC))


def column_time(when: datetime) -> str:
    """Fixed-width `YYYY-MM-DDTHH:MM:SS.ffffffZ`, so that text comparison is time comparison."""
    return utc(when).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(text: str) -> datetime:
    """A date or date-time from a query parameter or a document; naive values are UTC.

    Raises ValueError if the text is neither.
    """
    value = text.strip()
    if not value:
        raise ValueError("empty date-time")
    if len(value) == 10:
        return datetime.combine(date.fromisoformat(value), time(0), tzinfo=UTC)
    if value[-1] in "zZ":
        value = value[:-1] + "+00:00"
    if " " in value and "T" not in value:
        value = value.replace(" ", "T", 1)
    # Python keeps six fractional digits; ServiceTitan may send seven.
    head, dot, rest = value.partition(".")
    if dot:
        digits = len(rest) - len(rest.lstrip("0123456789"))
        if digits > 6:
            rest = rest[:6] + rest[digits:]
        value = head + dot + rest
    return utc(datetime.fromisoformat(value))
