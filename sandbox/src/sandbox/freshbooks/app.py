"""The FreshBooks simulator's ASGI app: OAuth, identity, accounting resources and the `/_sandbox/` door.

Point the official SDKs at it with `FRESHBOOKS_API_URL` and `FRESHBOOKS_AUTH_URL`, both set to the
simulator's base URL: it serves the authorize page, the token endpoint and the API on one port.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from sandbox.context import SandboxContext
from sandbox.freshbooks import errors
from sandbox.freshbooks.accounting import AccountingApi, OrjsonResponse
from sandbox.freshbooks.admin import admin_routes as fb_admin_routes
from sandbox.freshbooks.db import ensure_schema
from sandbox.freshbooks.oauth import OAuthServer
from sandbox.freshbooks.ratelimit import RateLimiter
from sandbox.freshbooks.registry import Registry

ACCOUNTING = "/accounting/account/{account_id}/{area}/{resource}"


async def http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    message = "Not found." if status == 404 else ("Method not allowed." if status == 405 else "Request failed.")
    return OrjsonResponse(errors.ApiError(errors.UNKNOWN_RESOURCE if status == 404 else status, message,
                                          value=request.url.path).body(), status_code=status)


def create_app(ctx: SandboxContext, admin_routes: list[BaseRoute]) -> Starlette:
    ensure_schema(ctx.store)
    registry = Registry(ctx)
    oauth = OAuthServer(ctx)
    api = AccountingApi(ctx, registry, oauth, RateLimiter())
    routes: list[BaseRoute] = [
        *admin_routes,
        *fb_admin_routes(ctx, registry, oauth),
        Route("/oauth/authorize", oauth.authorize, methods=["GET"]),
        Route("/service/auth/oauth/authorize", oauth.authorize, methods=["GET"]),
        Route("/auth/oauth/token", oauth.token, methods=["POST"]),
        Route("/auth/oauth/revoke", oauth.revoke, methods=["POST"]),
        Route("/auth/api/v1/users/me", api.me, methods=["GET"]),
        Route(ACCOUNTING, api.collection, methods=["GET", "POST"]),
        Route(ACCOUNTING + "/{record_id}", api.member, methods=["GET", "PUT", "DELETE"]),
    ]
    return Starlette(routes=routes, exception_handlers={HTTPException: http_error})
