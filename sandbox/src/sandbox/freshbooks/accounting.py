"""HTTP handlers: `/accounting/account/{account_id}/{area}/{resource}[/{id}]` and `/auth/api/v1/users/me`.

Every call is authenticated by bearer token and counted against the rate limit; accounting answers use
the `{"response": {"result": ...}}` envelope and the classic error body. Each handler reads the request
first, then does all its database work synchronously under the store's lock (writes in one
transaction), so handlers on the shared event loop never interleave inside a write.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sandbox.context import SandboxContext
from sandbox.freshbooks import errors, identity
from sandbox.freshbooks.oauth import OAuthServer, Unauthenticated
from sandbox.freshbooks.query import parse_query
from sandbox.freshbooks.ratelimit import RateLimiter
from sandbox.freshbooks.registry import Registry
from sandbox.freshbooks.resource import Resource

log = logging.getLogger(__name__)


class OrjsonResponse(JSONResponse):
    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def result(body: dict[str, Any]) -> Response:
    return OrjsonResponse({"response": {"result": body}})


class AccountingApi:
    def __init__(self, ctx: SandboxContext, registry: Registry, oauth: OAuthServer, limiter: RateLimiter) -> None:
        self.ctx = ctx
        self.registry = registry
        self.oauth = oauth
        self.limiter = limiter

    # --- shared checks -----------------------------------------------------------------------------------------

    def gate(self, request: Request, accounting: bool) -> Response | None:
        """Authenticate and rate-limit a call; a response if it must be refused."""
        try:
            token = self.oauth.authenticate(request)
        except Unauthenticated as exc:
            headers = {"WWW-Authenticate": f'Bearer error="{exc.error}"'}
            body: dict[str, Any] = {"error": exc.error, "error_description": exc.description}
            if accounting:
                body = {**errors.ApiError(errors.ACCESS_DENIED, errors.UNAUTHORIZED_MESSAGE).body(), **body}
            return OrjsonResponse(body, status_code=401, headers=headers)
        wait = self.limiter.check(token.key, int(self.ctx.fb.rate_limit))
        if wait is not None:
            message = f"Rate limit exceeded: more than {self.ctx.fb.rate_limit} calls per second. " \
                      f"Retry after {wait} s."
            body = {"error": "rate_limit_exceeded", "error_description": message,
                    **errors.ApiError(429, message).body()}
            return OrjsonResponse(body, status_code=429, headers={"Retry-After": str(wait)})
        return None

    def resource_for(self, request: Request) -> Resource:
        params = request.path_params
        if params["account_id"] != self.ctx.fb.account_id:
            raise errors.ApiError(errors.ACCESS_DENIED, f"You do not have access to account "
                                  f"'{params['account_id']}'.", field="account_id", value=params["account_id"],
                                  status=403)
        resource = self.registry.by_path.get(f"{params['area']}/{params['resource']}")
        if resource is None:
            raise errors.ApiError(errors.UNKNOWN_RESOURCE, "The requested resource does not exist.",
                                  value=f"{params['area']}/{params['resource']}", status=404)
        return resource

    async def run(self, request: Request, work: Callable[[Resource, Any], Response], write: bool) -> Response:
        refused = self.gate(request, accounting=True)
        if refused is not None:
            return refused
        try:
            resource = self.resource_for(request)
            body = await self.read_body(request) if request.method in ("POST", "PUT") else None
            if write:
                with self.ctx.store.transaction():
                    return work(resource, body)
            with self.ctx.store.lock:
                return work(resource, body)
        except errors.ApiError as exc:
            return exc.response(int(self.ctx.fb.validation_status))
        except Exception:
            log.exception("FreshBooks simulator failed on %s %s", request.method, request.url.path)
            error = errors.ApiError(500, "An unexpected error occurred.", status=500)
            return error.response(500)

    @staticmethod
    async def read_body(request: Request) -> Any:
        raw = await request.body()
        try:
            return orjson.loads(raw) if raw.strip() else {}
        except orjson.JSONDecodeError:
            raise errors.ApiError(errors.PARSE_ERROR, "The request body is not valid JSON.", status=400) from None

    @staticmethod
    def record_id(request: Request, resource: Resource) -> int:
        raw = request.path_params["record_id"]
        if not raw.isdigit():
            raise resource.not_found(raw)
        return int(raw)

    # --- routes ------------------------------------------------------------------------------------------------

    async def collection(self, request: Request) -> Response:
        query_string = request.url.query
        if request.method == "GET":
            return await self.run(request, lambda r, _: result(r.api_list(parse_query(query_string))), write=False)

        def create(resource: Resource, body: Any) -> Response:
            return result(resource.api_create(body, parse_query(query_string, for_list=False).includes))

        return await self.run(request, create, write=True)

    async def member(self, request: Request) -> Response:
        includes_of = lambda: parse_query(request.url.query, for_list=False).includes  # noqa: E731
        if request.method == "GET":
            return await self.run(
                request, lambda r, _: result(r.api_get(self.record_id(request, r), includes_of())), write=False)
        if request.method == "PUT":
            return await self.run(
                request, lambda r, body: result(r.api_update(self.record_id(request, r), body, includes_of())),
                write=True)
        return await self.run(
            request, lambda r, _: OrjsonResponse({"response": r.api_delete(self.record_id(request, r))}),
            write=True)

    async def me(self, request: Request) -> Response:
        refused = self.gate(request, accounting=False)
        if refused is not None:
            return refused
        return OrjsonResponse({"response": identity.me(self.ctx.fb.account_id)})
