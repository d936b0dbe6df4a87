"""Seed the FreshBooks simulator's pre-existing data (placeholder)."""

from __future__ import annotations

from sandbox.context import SandboxContext


def seed_freshbooks(ctx: SandboxContext, *, seed: int) -> dict[str, int]:
    return {}
