"""The FreshBooks simulator's `/_sandbox/` routes, for tests: what a bookkeeper could do by hand.

- `GET /_sandbox/records/{resource}[/{id}]`: objects as stored, whatever their vis_state (lines included);
- `POST /_sandbox/records/{resource}`, `PATCH` and `DELETE /_sandbox/records/{resource}/{id}`: direct edits
  that skip the API's validation and update phases (derived amounts are still recomputed; DELETE removes
  the object outright). An invoice's `lines` and `sent` (true once it counts in receivables) are editable;
- `GET /_sandbox/accounts_receivable`: per-client and total balances from sent invoices and credits;
- `GET /_sandbox/accounts_payable`: per-vendor and total amounts owed on bills (see `bills.payables_report`);
- `GET /_sandbox/preexisting`: `records`, the ids of the objects the seed created by resource, and `cases`,
  the notable ones (shared email, deleted client, ...; see `seed.py`);
- `POST /_sandbox/tokens/expire`: expire every current access token.

`{resource}` is the list name: clients, items, taxes, categories, invoices, payments, credit_notes,
bill_vendors, bills, bill_payments, journal_entries, journal_entry_accounts.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from sandbox.context import SandboxContext
from sandbox.freshbooks import db, errors, receivables
from sandbox.freshbooks.accounting import OrjsonResponse
from sandbox.freshbooks.bills import payables_report
from sandbox.freshbooks.oauth import OAuthServer
from sandbox.freshbooks.registry import Registry
from sandbox.freshbooks.resource import Resource
from sandbox.freshbooks.seed import CASES_KEY

SHOW_ALL = ["lines", "vendor"]


def admin_routes(ctx: SandboxContext, registry: Registry, oauth: OAuthServer) -> list[BaseRoute]:
    def resource_of(request: Request) -> Resource:
        name = request.path_params["resource"]
        if name not in registry.by_plural:
            raise errors.ApiError(errors.UNKNOWN_RESOURCE, f"Unknown resource '{name}'; known: "
                                  f"{', '.join(registry.by_plural)}.", status=404)
        return registry.by_plural[name]

    def record_id(request: Request) -> int:
        raw = request.path_params["record_id"]
        if not raw.isdigit():
            raise errors.ApiError(errors.UNKNOWN_RESOURCE, f"Not an id: {raw!r}.", status=404)
        return int(raw)

    async def fields_of(request: Request) -> dict[str, Any]:
        try:
            body = orjson.loads(await request.body() or b"{}")
        except orjson.JSONDecodeError:
            raise errors.ApiError(errors.PARSE_ERROR, "The body is not valid JSON.", status=400) from None
        if not isinstance(body, dict):
            raise errors.ApiError(errors.PARSE_ERROR, "The body must be a JSON object of fields.", status=400)
        return body

    def answer(work: Any) -> Response:
        try:
            return OrjsonResponse(work())
        except errors.ApiError as exc:
            return exc.response(400)

    async def list_records(request: Request) -> Response:
        def work() -> Any:
            resource = resource_of(request)
            with ctx.store.lock:
                return [resource.render(r, SHOW_ALL) for r in resource.table.all()]
        return answer(work)

    async def get_record(request: Request) -> Response:
        def work() -> Any:
            resource = resource_of(request)
            with ctx.store.lock:
                return resource.render(resource.fetch(record_id(request)), SHOW_ALL)
        return answer(work)

    async def create_record(request: Request) -> Response:
        try:
            fields = await fields_of(request)
        except errors.ApiError as exc:
            return exc.response(400)

        def work() -> Any:
            resource = resource_of(request)
            with ctx.store.transaction():
                return resource.render(resource.admin_create(fields), SHOW_ALL)
        return answer(work)

    async def update_record(request: Request) -> Response:
        try:
            fields = await fields_of(request)
        except errors.ApiError as exc:
            return exc.response(400)

        def work() -> Any:
            resource = resource_of(request)
            with ctx.store.transaction():
                return resource.render(resource.admin_update(record_id(request), fields), SHOW_ALL)
        return answer(work)

    async def delete_record(request: Request) -> Response:
        def work() -> Any:
            resource = resource_of(request)
            with ctx.store.transaction():
                resource.admin_delete(record_id(request))
            return {"deleted": True}
        return answer(work)

    async def accounts_receivable(request: Request) -> Response:
        with ctx.store.lock:
            today = registry["invoices"].today()
            return OrjsonResponse(receivables.report(ctx.store.conn, today))

    async def accounts_payable(request: Request) -> Response:
        with ctx.store.lock:
            today = registry["bills"].today()
            return OrjsonResponse(payables_report(ctx.store.conn, today))

    async def preexisting(request: Request) -> Response:
        with ctx.store.lock:
            records = db.preexisting(ctx.store.conn)
        return OrjsonResponse({"records": records, "cases": ctx.store.get_meta(CASES_KEY, {})})

    async def expire_tokens(request: Request) -> Response:
        return OrjsonResponse({"expired": oauth.expire_access_tokens()})

    records = "/_sandbox/records/{resource}"
    return [
        Route(records, list_records, methods=["GET"]),
        Route(records, create_record, methods=["POST"]),
        Route(records + "/{record_id}", get_record, methods=["GET"]),
        Route(records + "/{record_id}", update_record, methods=["PATCH", "PUT"]),
        Route(records + "/{record_id}", delete_record, methods=["DELETE"]),
        Route("/_sandbox/accounts_receivable", accounts_receivable, methods=["GET"]),
        Route("/_sandbox/accounts_payable", accounts_payable, methods=["GET"]),
        Route("/_sandbox/preexisting", preexisting, methods=["GET"]),
        Route("/_sandbox/tokens/expire", expire_tokens, methods=["POST"]),
    ]
