"""Reading ServiceTitan values (exact decimals, date-times, HTML) and writing FreshBooks ones.

Every reader takes a `SourceRecord`, so a malformed value fails with a message naming the stream,
the record id and the field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, tzinfo
from decimal import Decimal, InvalidOperation
from html.parser import HTMLParser
from typing import Any

CENT = Decimal("0.01")
SOURCE = "servicetitan"


def source_key(kind: str, record_id: Any, *parts: Any) -> str:
    """The contract's name of a ServiceTitan object: `source_key("payment", 55, "invoice", 1234)` is
    `servicetitan:payment:55:invoice:1234`."""
    return ":".join(str(part) for part in (SOURCE, kind, record_id, *parts))


def is_active(data: Mapping[str, Any]) -> bool:
    """ServiceTitan's `active` flag: only an explicit `false` makes a record (or invoice item) inactive."""
    return data.get("active", True) is not False


class MappingError(ValueError):
    """A ServiceTitan record the mapper cannot turn into a FreshBooks record."""


@dataclass(frozen=True)
class SourceRecord:
    """One input record with the names needed to report a problem in it."""

    stream: str
    data: dict[str, Any]
    kind: str = ""
    """The kind in this record's source key (from the registry)."""

    def key(self, *parts: Any) -> str:
        """This record's source key, or (with `parts`) the key of a part of it."""
        return source_key(self.kind, self.id, *parts)

    @property
    def active(self) -> bool:
        return is_active(self.data)

    @property
    def id(self) -> Any:
        """The record's ServiceTitan id; a record without one cannot be given a source key."""
        value = self.data.get("id")
        if value is None or value == "":
            raise MappingError(
                f"stream '{self.stream}': a record has no 'id' (field 'id' is missing or null), so it cannot be "
                f"given a source key; the record's fields: {', '.join(sorted(map(str, self.data)))[:300]}"
            )
        return value

    def error(self, field: str, problem: str) -> MappingError:
        """An error naming this record and one of its fields."""
        return MappingError(f"stream '{self.stream}', record id {self.data.get('id')!r}, field '{field}': {problem}")

    def decimal(self, field: str) -> Decimal | None:
        """This record's decimal field (ServiceTitan money is a string, pricebook numbers are numbers)."""
        return self.parse_decimal(self.data.get(field), field)

    def parse_decimal(self, raw: Any, path: str) -> Decimal | None:
        """Parse a decimal found at `path` in this record (e.g. `items[2].price`); null or blank is None."""
        if raw is None or (isinstance(raw, str) and raw.strip() == ""):
            return None
        if isinstance(raw, bool):
            raise self.error(path, f"expected a decimal number, got {raw!r}")
        if isinstance(raw, float):
            raw = repr(raw)
        try:
            parsed = Decimal(str(raw).strip().replace(",", "").replace("$", ""))
        except InvalidOperation:
            raise self.error(path, f"{raw!r} is not a decimal number") from None
        if not parsed.is_finite():
            raise self.error(path, f"{raw!r} is not a finite decimal number")
        return parsed

    def local_date(self, field: str, calendar: BusinessCalendar) -> date | None:
        """The business's calendar date of this record's date-time field."""
        raw = self.data.get(field)
        if raw is None or raw == "":
            return None
        try:
            return calendar.date_of(raw)
        except ValueError as exc:
            raise self.error(field, str(exc)) from None


@dataclass(frozen=True)
class BusinessCalendar:
    """Turns ServiceTitan date-times into the business's calendar dates.

    ServiceTitan's date-times are UTC (unzoned ones are taken as UTC); an instant is dated in `zone`. A value
    at exactly midnight UTC is, when `midnight_utc_is_date`, a calendar date that ServiceTitan types as a
    date-time (invoice, due and payment dates) and keeps its own date. A plain `YYYY-MM-DD` is a date already.
    """

    zone: tzinfo
    midnight_utc_is_date: bool = True

    def date_of(self, raw: Any) -> date:
        text = str(raw).strip()
        try:
            if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
                return date.fromisoformat(text)
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(f"{raw!r} is not an ISO 8601 date-time") from None
        moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
        if self.midnight_utc_is_date and moment.time() == time(0):
            return moment.date()
        return moment.astimezone(self.zone).date()


def money(amount: Decimal, currency_code: str) -> dict[str, str]:
    """FreshBooks Money: a decimal string with at least two places, and the currency."""
    return {"amount": decimal_text(amount, min_places=2), "code": currency_code}


def decimal_text(value: Decimal, *, min_places: int = 0) -> str:
    """A plain decimal string (no exponent, no trailing zeros beyond `min_places`)."""
    normalized = value.normalize()
    if normalized == 0:
        normalized = Decimal(0)
    places = max(min_places, -normalized.as_tuple().exponent)  # type: ignore[operator]
    return f"{normalized:.{places}f}"


class _TextExtractor(HTMLParser):
    BLOCK_TAGS = frozenset({"br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "table"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.BLOCK_TAGS:
            self.parts.append("\n")
        if tag == "li":
            self.parts.append("- ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_to_text(html: str | None) -> str:
    """Plain text of a ServiceTitan HTML description: tags removed, entities decoded, one line per block."""
    if not html:
        return ""
    extractor = _TextExtractor()
    extractor.feed(html)
    extractor.close()
    text = "".join(extractor.parts).replace("\xa0", " ")
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return "\n".join(line for line in lines if line)


def clean_text(value: Any) -> str | None:
    """A stripped string, or None for null/blank."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None
