"""De-duplication of records that a feed hands out more than once.

Exports asked for `includeRecentChanges=true` may repeat a record on consecutive calls, and a record
modified during the run comes back later in the same feed. Within a run each record id is emitted
once per version: a repeat is emitted again only if its `modifiedOn` is newer than what was emitted.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

_NEVER = datetime.min.replace(tzinfo=UTC)


def parse_timestamp(value: Any) -> datetime | None:
    """An ISO 8601 date-time as an aware datetime (naive values are UTC); None if absent or unreadable."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def modified_on(record: dict[str, Any]) -> datetime:
    """The record's `modifiedOn` for ordering (records without one sort first)."""
    return parse_timestamp(record.get("modifiedOn")) or _NEVER


class LatestVersions:
    """Remembers the newest `modifiedOn` emitted for each id during one run."""

    def __init__(self) -> None:
        self._emitted: dict[Any, datetime] = {}

    def __len__(self) -> int:
        return len(self._emitted)

    def __contains__(self, record_id: object) -> bool:
        return record_id in self._emitted

    def fresh(self, records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        """The page's records to emit: one per id (its newest version), skipping versions already emitted."""
        newest: dict[Any, tuple[datetime, dict[str, Any]]] = {}
        for record in records:
            key = (stamp := modified_on(record), record)
            current = newest.get(record["id"])
            if current is None or stamp >= current[0]:
                newest[record["id"]] = key
        out: list[dict[str, Any]] = []
        for record_id, (stamp, record) in newest.items():
            emitted = self._emitted.get(record_id)
            if emitted is not None and stamp <= emitted:
                continue
            self._emitted[record_id] = stamp
            out.append(record)
        return out
