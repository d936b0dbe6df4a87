"""Simulated business time.

ServiceTitan's records are dated by a clock that only moves when the sandbox is told to (seeding sets
it; `sandbox activity --days N` advances it), so that the same seed always yields the same data.
Token lifetimes and rate limits use real time.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sandbox.store import Store

DEFAULT_AS_OF = datetime(2026, 10, 31, 17, 0, tzinfo=UTC)


class SimClock:
    KEY = "sim_now"

    def __init__(self, store: Store) -> None:
        self.store = store

    def now(self) -> datetime:
        value = self.store.get_meta(self.KEY)
        if value is None:
            return DEFAULT_AS_OF
        return datetime.fromisoformat(str(value))

    def set(self, when: datetime) -> None:
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        self.store.set_meta(self.KEY, when.astimezone(UTC).isoformat())

    def advance(self, delta: timedelta) -> datetime:
        when = self.now() + delta
        self.set(when)
        return when
