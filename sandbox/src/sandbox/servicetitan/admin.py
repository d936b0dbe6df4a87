"""The ServiceTitan simulator's own `/_sandbox/servicetitan/` routes, for tests and people (never plugins)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from sandbox.context import SandboxContext
from sandbox.servicetitan import db
from sandbox.servicetitan.data import PUBLIC_KINDS, get_record
from sandbox.servicetitan.seed import SEED_META_KEY

if TYPE_CHECKING:
    from sandbox.servicetitan.app import ServiceTitanApi

PREFIX = "/_sandbox/servicetitan"


def admin_routes(ctx: SandboxContext, api: ServiceTitanApi) -> list[BaseRoute]:
    store = ctx.store

    async def summary(request: Request) -> Response:
        with store.lock:
            counts = dict(store.conn.execute("SELECT kind, count(*) FROM st_record GROUP BY kind").fetchall())
        return JSONResponse({"now": ctx.clock.now().isoformat(), "seed": store.get_meta(SEED_META_KEY),
                             "counts": counts})

    async def record(request: Request) -> Response:
        kind = request.path_params["kind"]
        if kind not in PUBLIC_KINDS:
            return JSONResponse({"error": f"unknown kind {kind!r}; known: {', '.join(PUBLIC_KINDS)}"}, 400)
        doc = get_record(store, kind, int(request.path_params["id"]))
        if doc is None:
            return JSONResponse({"error": "not found"}, 404)
        return JSONResponse(doc)

    async def expire_tokens(request: Request) -> Response:
        return JSONResponse({"expired": api.tokens.expire_all()})

    async def reset_rate_limit(request: Request) -> Response:
        api.limiter.reset()
        return JSONResponse({"reset": True})

    db.ensure_schema(store)
    return [
        Route(f"{PREFIX}/summary", summary, methods=["GET"]),
        Route(f"{PREFIX}/records/{{kind}}/{{id:int}}", record, methods=["GET"]),
        Route(f"{PREFIX}/tokens/expire", expire_tokens, methods=["POST"]),
        Route(f"{PREFIX}/rate-limit/reset", reset_rate_limit, methods=["POST"]),
    ]
