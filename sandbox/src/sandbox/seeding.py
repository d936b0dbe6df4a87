"""Seed both simulators: ServiceTitan first, then FreshBooks' pre-existing data, which refers to it."""

from __future__ import annotations

from datetime import datetime

from sandbox.context import SandboxContext


def seed_all(
    ctx: SandboxContext,
    *,
    seed: int = 42,
    invoices: int = 2000,
    customers: int | None = None,
    as_of: datetime | None = None,
) -> dict[str, int]:
    """Seed both sides; returns counts of what was created, by kind."""
    from sandbox.freshbooks.seed import seed_freshbooks
    from sandbox.servicetitan.seed import seed_servicetitan

    summary: dict[str, int] = {}
    summary.update(seed_servicetitan(ctx, seed=seed, invoices=invoices, customers=customers, as_of=as_of))
    summary.update(seed_freshbooks(ctx, seed=seed))
    return summary
