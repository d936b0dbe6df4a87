"""Everything a simulator's handlers need, built once per sandbox process."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from sandbox.clock import SimClock
from sandbox.faults import FaultInjector, FaultSettings
from sandbox.freshbooks.settings import FreshBooksSettings
from sandbox.servicetitan.settings import ServiceTitanSettings
from sandbox.settings import apply_overrides, from_env, parse_pairs
from sandbox.stats import CallStats
from sandbox.store import Store


@dataclass
class SandboxContext:
    store: Store
    st: ServiceTitanSettings = field(default_factory=ServiceTitanSettings)
    fb: FreshBooksSettings = field(default_factory=FreshBooksSettings)
    st_stats: CallStats = field(default_factory=CallStats)
    fb_stats: CallStats = field(default_factory=CallStats)
    st_faults: FaultInjector = field(default_factory=lambda: FaultInjector(FaultSettings()))
    fb_faults: FaultInjector = field(default_factory=lambda: FaultInjector(FaultSettings()))

    @property
    def clock(self) -> SimClock:
        return SimClock(self.store)

    @classmethod
    def open(cls, db_path: str | Path, *, use_env: bool = True) -> SandboxContext:
        ctx = cls(store=Store(db_path))
        if use_env:
            from_env(ctx.st, "SANDBOX_ST_")
            from_env(ctx.fb, "SANDBOX_FB_")
            if os.environ.get("SANDBOX_FAULTS"):
                ctx.configure_faults(os.environ["SANDBOX_FAULTS"])
        return ctx

    def configure_faults(self, spec: str) -> None:
        """Apply a fault spec such as `seed=7,st.rate_500=0.1,fb.rate_timeout_after_write=0.05,latency_ms=80`.

        A field without `st.`/`fb.` applies to both simulators.
        """
        per_sim: dict[str, dict[str, str]] = {"st": {}, "fb": {}}
        for key, value in parse_pairs(p for p in spec.split(",") if p.strip()).items():
            sim, dot, name = key.strip().partition(".")
            if not dot:
                per_sim["st"][sim] = per_sim["fb"][sim] = value
            elif sim in per_sim:
                per_sim[sim][name] = value
            else:
                raise ValueError(f"fault {key!r}: prefix must be 'st.' or 'fb.'")
        for sim, injector in (("st", self.st_faults), ("fb", self.fb_faults)):
            apply_overrides(injector.settings, per_sim[sim])
            injector.reseed()
