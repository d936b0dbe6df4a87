"""What reconcile must know of the tap's and the mapper's settings (each must equal theirs), and small helpers
shared by both sides: money to the cent, business dates, months, source-key markers."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from target_freshbooks.errors import ConfigError

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
DEFAULT_PREFIX = "ST-"
DEFAULT_SYNC_STATUSES = ("Posted", "Exported")
DEFAULT_TIMEZONE = "America/New_York"
MODES = ("auto", "invoice", "journal_entry")

CUSTOMER_MARKER = re.compile(r"\[servicetitan:customer:(\d+)\]")
SOURCE_MARKER = re.compile(r"\[(servicetitan:[^\]=\s]+)\]")
"""A connector's `[source_key]` marker (a refund marker `[key=amount]` is not one)."""
REFUND_LINE = re.compile(
    r"Refunded\s+(-?[\d,]+\.\d{2})\s+on\s+(\d{4}-\d{2}-\d{2})\s*\[(servicetitan:[^\]=]+)=(-?[\d.]+)\]")
DATE_IN_TEXT = re.compile(r"\b(\d{4}-\d{2}-\d{2})\b")


@dataclass(frozen=True)
class Rules:
    """The mapping rules the connector synced with (reconcile's settings; each must equal the tap's/mapper's)."""

    start_date: str | None = None            # the tap's start_date (YYYY-MM-DD): defines scope
    invoice_number_prefix: str = DEFAULT_PREFIX
    sync_statuses: tuple[str, ...] = DEFAULT_SYNC_STATUSES
    timezone: str = DEFAULT_TIMEZONE
    refund_mode: str = "reduce_payment"
    mode: str = "auto"                       # auto | invoice | journal_entry
    journal_accounts: Mapping[str, str] = field(default_factory=dict)  # the mapper's journal_account_map

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def synced_status(self, status: Any) -> bool:
        wanted = {s.strip().lower() for s in self.sync_statuses}
        return str(status or "").strip().lower() in wanted

    @classmethod
    def from_config(cls, config: Mapping[str, Any], refund_mode: str = "reduce_payment") -> Rules:
        problems = []
        start = str(config.get("servicetitan_start_date") or "").strip() or None
        if start:
            try:
                start = date.fromisoformat(start[:10]).isoformat()
            except ValueError:
                problems.append(f"Setting servicetitan_start_date must be the tap's start_date as YYYY-MM-DD, "
                                f"got {start!r}.")
        statuses = config.get("invoice_sync_statuses") or DEFAULT_SYNC_STATUSES
        if isinstance(statuses, str):
            statuses = [s for s in re.split(r"[,\s]+", statuses.strip("[]").replace('"', "")) if s]
        zone = str(config.get("business_timezone") or DEFAULT_TIMEZONE)
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            problems.append(f"Setting business_timezone must be an IANA time zone (the mapper's, e.g. "
                            f"{DEFAULT_TIMEZONE}), got {zone!r}.")
        mode = str(config.get("reconcile_mode") or "auto")
        if mode not in MODES:
            problems.append(f"Setting reconcile_mode must be one of {', '.join(MODES)}, got {mode!r}.")
        if problems:
            raise ConfigError("\n".join(problems))
        prefix = config.get("invoice_number_prefix")
        accounts = config.get("journal_account_map") or {}
        if isinstance(accounts, str):
            import json

            accounts = json.loads(accounts or "{}")
        return cls(start_date=start, invoice_number_prefix=DEFAULT_PREFIX if prefix is None else str(prefix),
                   sync_statuses=tuple(str(s) for s in statuses), timezone=zone, refund_mode=refund_mode, mode=mode,
                   journal_accounts={str(k).lower(): str(v) for k, v in dict(accounts).items()})


def dec(value: Any) -> Decimal:
    """ServiceTitan money (a string or a number) or FreshBooks Money (`{"amount": ...}`), to the cent."""
    if isinstance(value, dict):
        value = value.get("amount")
    if value in (None, ""):
        return ZERO
    return Decimal(str(value).replace(",", "")).quantize(CENT)


def business_date(value: Any, zone: ZoneInfo) -> str:
    """The business's calendar date of a ServiceTitan date or date-time (midnight UTC keeps its own date)."""
    text = str(value or "")
    if len(text) <= 10:
        return text[:10]
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    offset = moment.utcoffset()
    if offset is None:
        return moment.date().isoformat()
    if not offset and moment.time() == datetime.min.time():
        return moment.date().isoformat()
    return moment.astimezone(zone).date().isoformat()


def month(day: str) -> str:
    return day[:7]


def key_id(source_key: str, kind: str) -> str | None:
    """`servicetitan:<kind>:<id>...` → id (None for another kind)."""
    parts = source_key.split(":")
    return parts[2] if len(parts) >= 3 and parts[0] == "servicetitan" and parts[1] == kind else None
