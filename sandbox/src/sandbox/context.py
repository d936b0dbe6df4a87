"""Everything a simulator's handlers need, built once per sandbox process."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sandbox.clock import SimClock
from sandbox.freshbooks.settings import FreshBooksSettings
from sandbox.servicetitan.settings import ServiceTitanSettings
from sandbox.settings import from_env
from sandbox.stats import CallStats
from sandbox.store import Store


@dataclass
class SandboxContext:
    store: Store
    st: ServiceTitanSettings = field(default_factory=ServiceTitanSettings)
    fb: FreshBooksSettings = field(default_factory=FreshBooksSettings)
    st_stats: CallStats = field(default_factory=CallStats)
    fb_stats: CallStats = field(default_factory=CallStats)

    @property
    def clock(self) -> SimClock:
        return SimClock(self.store)

    @classmethod
    def open(cls, db_path: str | Path, *, use_env: bool = True) -> SandboxContext:
        ctx = cls(store=Store(db_path))
        if use_env:
            from_env(ctx.st, "SANDBOX_ST_")
            from_env(ctx.fb, "SANDBOX_FB_")
        return ctx
