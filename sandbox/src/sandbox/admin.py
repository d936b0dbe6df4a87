"""The `/_sandbox/` side door shared by both simulators: call statistics, settings, the clock.

Plugins never call these; tests and benchmarks do. Each simulator adds its own admin routes
(seeding, activity, direct edits) in its own package.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from sandbox.faults import FaultInjector
from sandbox.settings import apply_overrides, as_dict
from sandbox.stats import CallStats


def common_admin_routes(stats: CallStats, settings: Any, faults: FaultInjector) -> list[BaseRoute]:
    async def get_stats(request: Request) -> Response:
        return JSONResponse(stats.snapshot())

    async def get_writes(request: Request) -> Response:
        return JSONResponse(stats.written(request.query_params.get("path_suffix", "")))

    async def reset_stats(request: Request) -> Response:
        stats.reset()
        return JSONResponse(stats.snapshot())

    async def get_config(request: Request) -> Response:
        return JSONResponse(as_dict(settings))

    async def patch_config(request: Request) -> Response:
        try:
            body = await request.json()
            if not isinstance(body, dict):
                raise ValueError("expected a JSON object of settings")
            apply_overrides(settings, body)
        except ValueError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        return JSONResponse(as_dict(settings))

    def faults_view() -> dict[str, Any]:
        return {"settings": as_dict(faults.settings), "injected": dict(faults.injected)}

    async def get_faults(request: Request) -> Response:
        return JSONResponse(faults_view())

    async def patch_faults(request: Request) -> Response:
        """Change fault settings; the generator restarts from the seed, so runs are repeatable."""
        try:
            body = await request.json()
            if not isinstance(body, dict):
                raise ValueError("expected a JSON object of fault settings")
            apply_overrides(faults.settings, body)
        except ValueError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        faults.reseed()
        return JSONResponse(faults_view())

    return [
        Route("/_sandbox/faults", get_faults, methods=["GET"]),
        Route("/_sandbox/faults", patch_faults, methods=["PATCH", "POST"]),
        Route("/_sandbox/stats", get_stats, methods=["GET"]),
        Route("/_sandbox/writes", get_writes, methods=["GET"]),
        Route("/_sandbox/stats", reset_stats, methods=["DELETE"]),
        Route("/_sandbox/stats/reset", reset_stats, methods=["POST"]),
        Route("/_sandbox/config", get_config, methods=["GET"]),
        Route("/_sandbox/config", patch_config, methods=["PATCH", "POST"]),
    ]
