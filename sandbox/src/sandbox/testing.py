"""Helpers for tests and benchmarks: a seeded sandbox running on free loopback ports."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sandbox import credentials
from sandbox.context import SandboxContext
from sandbox.server import SandboxServer


@dataclass
class RunningSandbox:
    """A started sandbox: its URLs, its context (settings, stats, store) and its credentials."""

    server: SandboxServer
    ctx: SandboxContext
    db_path: Path

    @property
    def st_url(self) -> str:
        return self.server.st_url

    @property
    def fb_url(self) -> str:
        return self.server.fb_url

    def tap_config(self, **extra: Any) -> dict[str, Any]:
        """A tap-servicetitan config pointing at this sandbox."""
        return {
            "client_id": credentials.ST_CLIENT_ID,
            "client_secret": credentials.ST_CLIENT_SECRET,
            "app_key": credentials.ST_APP_KEY,
            "tenant_id": str(self.ctx.st.tenant_id),
            "api_url": self.st_url,
            "auth_url": self.st_url,
            **extra,
        }


def seed_database(db_path: Path, **seed_args: Any) -> dict[str, int]:
    from sandbox.seeding import seed_all

    ctx = SandboxContext.open(db_path, use_env=False)
    try:
        return seed_all(ctx, **seed_args)
    finally:
        ctx.store.close()


@contextmanager
def running_sandbox(
    db_path: Path,
    *,
    template: Path | None = None,
    st: dict[str, Any] | None = None,
    fb: dict[str, Any] | None = None,
) -> Iterator[RunningSandbox]:
    """Start both simulators on free ports over `db_path` (copied from `template` if given)."""
    from sandbox.settings import apply_overrides

    if template is not None:
        shutil.copyfile(template, db_path)
    ctx = SandboxContext.open(db_path, use_env=False)
    apply_overrides(ctx.st, st or {})
    apply_overrides(ctx.fb, fb or {})
    server = SandboxServer(ctx)
    server.start()
    try:
        yield RunningSandbox(server=server, ctx=ctx, db_path=db_path)
    finally:
        server.stop()
        ctx.store.close()
