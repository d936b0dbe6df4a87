"""The FreshBooks simulator's ASGI app (placeholder until the simulator lands)."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.routing import BaseRoute

from sandbox.context import SandboxContext


def create_app(ctx: SandboxContext, admin_routes: list[BaseRoute]) -> Starlette:
    return Starlette(routes=[*admin_routes])
