"""The ServiceTitan simulator's ASGI app: token endpoint, the API under `/<module>/v2/tenant/{tenant}`, admin.

Every API call passes the gate in order: `ST-App-Key` present and known (401), the rate limit per
(app key, tenant) (429), a valid unexpired token (401) for this tenant (403 by default). Unknown
paths and methods get 404/405 with the ProblemDetails body.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from sandbox.context import SandboxContext
from sandbox.servicetitan import db
from sandbox.servicetitan.activity import activity_routes
from sandbox.servicetitan.admin import admin_routes as servicetitan_admin_routes
from sandbox.servicetitan.auth import APP_KEYS, TokenStore, check_token, token_endpoint
from sandbox.servicetitan.data import get_record
from sandbox.servicetitan.endpoints import CONTACTS_OF_CUSTOMER, EXPORTS, GETS, LISTS, ExportRoute, GetRoute, ListRoute
from sandbox.servicetitan.listing import export_batch, list_page, paginated
from sandbox.servicetitan.marking import AP_MARKS, mark_ap_exported, mark_invoices_exported
from sandbox.servicetitan.problems import BadRequest, bad_request, json_response, problem
from sandbox.servicetitan.query import Errors, get, parse_when
from sandbox.servicetitan.ratelimit import RateLimiter

Handler = Callable[[Request, int], Awaitable[Response]]


class ServiceTitanApi:
    """Handlers sharing the context, the token store and the rate limiter."""

    def __init__(self, ctx: SandboxContext) -> None:
        self.ctx = ctx
        self.store = ctx.store
        self.settings = ctx.st
        db.ensure_schema(ctx.store)
        self.tokens = TokenStore(ctx.store)
        self.limiter = RateLimiter(lambda: int(self.settings.rate_limit))

    def rate_limited(self, key: Any) -> Response | None:
        wait = self.limiter.check(key)
        if wait is None:
            return None
        return problem(429, f"Rate limit is exceeded. Try again in {wait} seconds.",
                       headers={"Retry-After": str(wait)})

    def gate(self, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            tenant = int(request.path_params["tenant"])
            app_key = request.headers.get("st-app-key", "").strip()
            if not app_key:
                return problem(401, "Application key not present, check ST-App-Key header value.")
            if app_key not in APP_KEYS:
                return problem(401, "Application key is not valid, check ST-App-Key header value.")
            refused = self.rate_limited((app_key, tenant)) or check_token(request, tenant, self.settings, self.tokens)
            if refused is not None:
                return refused
            try:
                return await handler(request, tenant)
            except BadRequest as exc:
                return bad_request(exc)
        return endpoint

    async def token(self, request: Request) -> Response:
        if self.settings.rate_limit_counts_token:
            refused = self.rate_limited(("token", 0))
            if refused is not None:
                return refused
        return await token_endpoint(request, self.settings, self.tokens)

    # ----------------------------------------------------------- handlers

    def list_handler(self, route: ListRoute) -> Handler:
        async def handle(request: Request, tenant: int) -> Response:
            params = request.query_params
            if route.bare_array:
                _, docs, _, _ = list_page(self.store, self.settings, route.spec, params)
                return json_response(docs)
            if route.operation == "Customers_GetModifiedContactsList":
                self.require_contacts_bound(request)
            return json_response(paginated(self.store, self.settings, route.spec, params))
        return handle

    @staticmethod
    def require_contacts_bound(request: Request) -> None:
        params = request.query_params
        errors = Errors()
        bounds = [parse_when(params, name, errors) for name in ("modifiedBefore", "modifiedOnOrAfter")]
        errors.raise_if_any()
        if get(params, "customerIds") is None and all(b is None for b in bounds):
            raise BadRequest({"modifiedOnOrAfter": [
                "Either modifiedBefore or modifiedOnOrAfter parameter must be specified (or customerIds)."]})

    async def contacts_of_customer(self, request: Request, tenant: int) -> Response:
        customer_id = int(request.path_params["id"])
        if get_record(self.store, "customers", customer_id) is None:
            return problem(404, f"Customer with id {customer_id} not found.")
        body = paginated(self.store, self.settings, CONTACTS_OF_CUSTOMER, request.query_params,
                         where=[("parent_id = ?", [customer_id])])
        return json_response(body)

    def export_handler(self, route: ExportRoute) -> Handler:
        async def handle(request: Request, tenant: int) -> Response:
            now = self.ctx.clock.now()
            return json_response(export_batch(self.store, self.settings, route.kind, request.query_params, now))
        return handle

    def get_handler(self, route: GetRoute) -> Handler:
        async def handle(request: Request, tenant: int) -> Response:
            record_id = int(request.path_params["id"])
            doc = get_record(self.store, route.kind, record_id)
            if doc is None:
                label = "AP bill" if route.kind == "ap_bills" else route.kind.rstrip("s").replace("_", " ").capitalize()
                return problem(404, f"{label} with id {record_id} not found.")
            return json_response(doc)
        return handle

    async def mark_exported(self, request: Request, tenant: int) -> Response:
        try:
            body = orjson.loads(await request.body())
        except orjson.JSONDecodeError:
            raise BadRequest({"body": ["The request body is not valid JSON."]}) from None
        results = mark_invoices_exported(self.store, self.ctx.clock.now(), body,
                                         touch=self.settings.mark_exported_touches)
        return json_response(results)

    def mark_ap(self, resource: str) -> Handler:
        async def handle(request: Request, tenant: int) -> Response:
            try:
                body = orjson.loads(await request.body())
            except orjson.JSONDecodeError:
                raise BadRequest({"body": ["The request body is not valid JSON."]}) from None
            return json_response(mark_ap_exported(self.store, self.ctx.clock.now(), resource, body,
                                                  touch=self.settings.mark_exported_touches))
        return handle

    # ----------------------------------------------------------- routes

    def routes(self) -> list[BaseRoute]:
        def path(module: str, rest: str) -> str:
            return f"/{module}/v2/tenant/{{tenant:int}}{rest}"

        routes: list[BaseRoute] = [
            Route("/connect/token", self.token, methods=["POST"]),
            Route(path("crm", "/customers/{id:int}/contacts"), self.gate(self.contacts_of_customer), methods=["GET"]),
            Route(path("accounting", "/invoices/markasexported"), self.gate(self.mark_exported), methods=["POST"]),
        ]
        routes += [Route(path("accounting", f"/{resource}/markasexported"), self.gate(self.mark_ap(resource)),
                         methods=["POST"]) for resource in AP_MARKS]
        routes += [Route(path(r.module, r.path), self.gate(self.list_handler(r)), methods=["GET"]) for r in LISTS]
        routes += [Route(path(r.module, r.path), self.gate(self.export_handler(r)), methods=["GET"]) for r in EXPORTS]
        routes += [Route(path(r.module, r.path), self.gate(self.get_handler(r)), methods=["GET"]) for r in GETS]
        return routes


async def not_found(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    titles = {404: "The requested resource was not found.", 405: "The request method is not supported here."}
    return problem(status, titles.get(status, "The request failed."))


def create_app(ctx: SandboxContext, admin_routes: list[BaseRoute]) -> Starlette:
    api = ServiceTitanApi(ctx)
    routes = [*admin_routes, *servicetitan_admin_routes(ctx, api), *activity_routes(ctx), *api.routes()]
    return Starlette(routes=routes, exception_handlers={404: not_found, 405: not_found})
