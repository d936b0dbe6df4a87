"""Seed the ServiceTitan simulator (placeholder)."""

from __future__ import annotations

from datetime import datetime

from sandbox.context import SandboxContext


def seed_servicetitan(
    ctx: SandboxContext, *, seed: int, invoices: int, customers: int | None, as_of: datetime | None
) -> dict[str, int]:
    return {}
