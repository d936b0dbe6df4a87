"""Parsing request values the way FreshBooks types them, and formatting what it answers.

Money is `{"amount": "<decimal string>", "code": "<ISO 4217>"}`; quantities and percents are decimal
strings; dates `YYYY-MM-DD`; accounting timestamps `YYYY-MM-DD HH:MM:SS` in US/Eastern, except the few
fields FreshBooks gives in UTC.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from sandbox.freshbooks import errors

EASTERN = ZoneInfo("US/Eastern")
CENT = Decimal("0.01")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def money(amount: Decimal, code: str) -> dict[str, str]:
    return {"amount": str(cents(amount)), "code": code}


def money_amount(value: Any) -> Decimal:
    """The amount of a stored Money (or zero)."""
    if isinstance(value, dict):
        return Decimal(str(value.get("amount") or "0"))
    return Decimal("0")


def plain(value: Decimal) -> str:
    """A decimal as FreshBooks writes quantities: no exponent, no trailing zeros."""
    text = format(value.normalize(), "f")
    return "0" if text in {"-0", ""} else text


def dec(value: Any, field: str, obj: str) -> Decimal:
    if isinstance(value, bool) or value is None or value == "":
        raise errors.invalid(field, obj, value, f"Field '{field}' must be a number.", errors.MAPPING_ERROR_NUMBER)
    try:
        result = Decimal(str(value).strip())
    except InvalidOperation:
        raise errors.invalid(field, obj, value, f"Field '{field}' must be a number.",
                             errors.MAPPING_ERROR_NUMBER) from None
    if not result.is_finite():
        raise errors.invalid(field, obj, value, f"Field '{field}' must be a number.", errors.MAPPING_ERROR_NUMBER)
    return result


def money_in(value: Any, field: str, obj: str, code: str) -> tuple[Decimal, str]:
    """A Money value sent by a client: `{"amount": .., "code": ..}` or a bare number."""
    if isinstance(value, dict):
        amount = dec(value.get("amount"), f"{field}.amount", obj)
        given = value.get("code") or code
        if not isinstance(given, str) or not re.fullmatch(r"[A-Z]{3}", given):
            raise errors.invalid(f"{field}.code", obj, given, "Invalid currency code.")
        return amount, given
    return dec(value, field, obj), code


def percent(value: Any, field: str, obj: str) -> Decimal:
    if value is None or value == "":
        return Decimal("0")
    try:
        result = Decimal(str(value).strip())
    except InvalidOperation:
        result = Decimal("NaN")
    if not result.is_finite() or result < 0 or result > 100:
        raise errors.invalid(field, obj, value, f"Field '{field}' must be a percentage between 0 and 100.",
                             errors.INVALID_PERCENT)
    return result


def date_in(value: Any, field: str, obj: str) -> str:
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        try:
            return date.fromisoformat(value.strip()).isoformat()
        except ValueError:
            pass
    raise errors.invalid(field, obj, value, f"Field '{field}' must be a date (YYYY-MM-DD).", errors.MAPPING_ERROR_DATE)


def int_in(value: Any, field: str, obj: str) -> int:
    if isinstance(value, bool):
        raise errors.invalid(field, obj, value, f"Field '{field}' must be an integer.", errors.MAPPING_ERROR_NUMBER)
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise errors.invalid(field, obj, value, f"Field '{field}' must be an integer.", errors.MAPPING_ERROR_NUMBER)


def bool_in(value: Any, field: str, obj: str) -> bool:
    if isinstance(value, bool):
        return value
    if value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in {"true", "false", "0", "1"}:
        return value.strip().lower() in {"true", "1"}
    raise errors.invalid(field, obj, value, f"Field '{field}' must be true or false.", errors.MAPPING_ERROR_BOOLEAN)


def str_in(value: Any, field: str, obj: str, max_length: int = 255) -> str | None:
    if value is None:
        return None
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise errors.invalid(field, obj, value, f"Field '{field}' must be a string.")
    if len(value) > max_length:
        raise errors.ApiError(1017, f"Field '{field}' is longer than {max_length} characters.", field=field,
                              object=obj, value=value[:50])
    return value


def email_in(value: Any, field: str, obj: str) -> str:
    text = str_in(value, field, obj) or ""
    if text and not EMAIL_RE.match(text):
        raise errors.invalid(field, obj, value, "Invalid email address.")
    return text


def vis_state_in(value: Any, obj: str) -> int:
    state = int_in(value, "vis_state", obj)
    if state not in (0, 1, 2):
        raise errors.invalid("vis_state", obj, value, "Field 'vis_state' must be 0, 1 or 2.")
    return state


def eastern_stamp(moment: datetime) -> str:
    """An accounting timestamp: US/Eastern wall time without a zone."""
    return moment.astimezone(EASTERN).strftime("%Y-%m-%d %H:%M:%S")


def utc_stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def currency_in(value: Any, field: str, obj: str) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z]{3}", value.strip()):
        raise errors.invalid(field, obj, value, "Invalid currency code.")
    return value.strip().upper()


def normalize_fields(spec: dict[str, str], payload: dict[str, Any], obj: str, currency: str) -> dict[str, Any]:
    """Validate the keys of `payload` that `spec` declares writable, by kind; other keys are ignored.

    Kinds: str, text (long), email, bool, int, int_or_null, qty, qty_or_null, percent, date, money (rounded
    half up to cents), currency.
    """
    out: dict[str, Any] = {}
    for key, kind in spec.items():
        if key not in payload:
            continue
        value = payload[key]
        nullable = kind.endswith("_or_null")
        base = kind.removesuffix("_or_null")
        if value is None and (nullable or base in {"str", "text"}):
            out[key] = None
        elif base == "str":
            out[key] = str_in(value, key, obj)
        elif base == "text":
            out[key] = str_in(value, key, obj, max_length=100_000)
        elif base == "email":
            out[key] = email_in(value, key, obj)
        elif base == "bool":
            out[key] = bool_in(value, key, obj)
        elif base == "int":
            out[key] = int_in(value, key, obj) if value != "" else (None if nullable else 0)
        elif base == "qty":
            out[key] = None if (nullable and value == "") else plain(dec(value, key, obj))
        elif base == "percent":
            out[key] = plain(percent(value, key, obj))
        elif base == "date":
            out[key] = date_in(value, key, obj)
        elif base == "money":
            out[key] = money(*money_in(value, key, obj, currency))
        elif base == "currency":
            out[key] = currency_in(value, key, obj)
        else:  # pragma: no cover - a typo in a spec
            raise KeyError(kind)
    return out
