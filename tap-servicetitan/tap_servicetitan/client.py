"""The base of every ServiceTitan stream: one way to call the API, retry it, and report its failures.

Every call goes through `fetch`, which:
- waits for the tap's shared throttle (`max_requests_per_second`, all streams together);
- authenticates with the tap's shared token and the `ST-App-Key` header;
- is retried by singer-sdk's backoff machinery: 429 after `Retry-After`, 5xx, connection resets and
  timeouts with exponential backoff and jitter (a bounded number of tries), a 401 once with a new token;
- turns any other failure into an error naming the endpoint, the status, ServiceTitan's `title` and
  `traceId`, and never a secret.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Generator, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import backoff
import requests
from singer_sdk import RESTStream, SchemaDirectory, StreamSchema
from singer_sdk.exceptions import FatalAPIError
from singer_sdk.helpers.conform import TypeConformanceLevel
from singer_sdk.helpers.types import Context
from singer_sdk.pagination import BaseAPIPaginator
from singer_sdk.streams.rest import HTTPRequest

from tap_servicetitan.errors import (
    Problem,
    RateLimitedError,
    RetriableServiceTitanError,
    ServiceTitanAPIError,
    TokenRejectedError,
)
from tap_servicetitan.pagination import ListPaginator, response_body

if TYPE_CHECKING:
    from backoff.types import Details

    from tap_servicetitan.auth import ServiceTitanAuthenticator
    from tap_servicetitan.config import TapSettings
    from tap_servicetitan.tap import TapServiceTitan

SCHEMAS_DIR = Path(__file__).parent / "schemas"

MAX_TRIES = 8
"""Tries per call, the first included, before a retriable failure becomes fatal."""
BACKOFF_FACTOR = 0.5
BACKOFF_MAX_SECONDS = 60.0

RETRIABLE_STATUSES = frozenset({408, 500, 502, 503, 504})


class ServiceTitanStream(RESTStream[Any]):
    """A stream read from one ServiceTitan API module (`/<module>/v2/tenant/{tenant}/...`)."""

    module: ClassVar[str]
    """The API module: crm, pricebook, inventory or accounting."""
    resource: ClassVar[str]
    """The path under `/tenant/{tenant}/`, e.g. `export/invoices`."""
    max_page_size: ClassVar[int] = 5000
    """The largest `pageSize` this endpoint accepts."""

    primary_keys: ClassVar[tuple[str, ...]] = ("id",)
    schema = StreamSchema(SchemaDirectory(SCHEMAS_DIR))  # schemas/<stream name>.json
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.ROOT_ONLY
    """Top-level fields are checked against the schema (unknown ones dropped); nested objects and arrays
    (invoice items, `appliedTo`) pass as ServiceTitan sent them. Walking every nested value was half the
    tap's CPU time, and JSON-parsed values need no conversion (decimals stay Decimal either way)."""

    def __init__(self, tap: TapServiceTitan) -> None:
        super().__init__(
            tap=tap,
            path=f"/{self.module}/v2/tenant/{{tenant_id}}/{self.resource}",  # names the endpoint in metrics
        )
        self._st_tap = tap

    # Where and how to call

    @property
    def settings(self) -> TapSettings:
        return self._st_tap.settings

    @property
    def url_base(self) -> str:
        return self.settings.api_url

    def tenant_path(self, resource: str | None = None, module: str | None = None) -> str:
        return f"/{module or self.module}/v2/tenant/{self.settings.tenant_id}/{resource or self.resource}"

    @property
    def page_size(self) -> int:
        return min(self.settings.page_size, self.max_page_size)

    @property
    def authenticator(self) -> ServiceTitanAuthenticator:
        return self._st_tap.authenticator

    @property
    def http_headers(self) -> dict[str, str]:
        return {"ST-App-Key": self.settings.app_key, "Accept": "application/json"}

    @property
    def timeout(self) -> float:  # type: ignore[override]
        return self.settings.request_timeout

    # Calls

    @cached_property
    def _send_with_retries(self) -> Any:
        return self.request_decorator(self._request)

    def _request(self, prepared_request: requests.PreparedRequest, context: Any) -> requests.Response:
        self._st_tap.throttle.wait()
        return super()._request(prepared_request, context)

    def fetch(
        self,
        path: str,
        params: dict[str, Any],
        context: Context | None = None,
    ) -> tuple[requests.Response, dict[str, Any]]:
        """GET one page: the response and its parsed JSON object (fractional numbers as Decimal)."""
        request = HTTPRequest(url=f"{self.url_base}{path}", params=params, headers=self.http_headers)
        prepared = self.build_prepared_request(
            method="GET", url=request.url, params=request.encode_params(), headers=request.headers
        )
        response = self._send_with_retries(prepared, context)
        try:
            body = response_body(response)
        except ValueError:
            raise FatalAPIError(
                f"GET {path} answered HTTP {response.status_code} with a body that is not JSON "
                f"({response.headers.get('Content-Type', 'no content type')}); check api_url."
            ) from None
        if not isinstance(body, dict):
            raise FatalAPIError(f"GET {path} answered with a JSON {type(body).__name__}, expected an object.")
        return response, body

    def fetch_pages(
        self,
        path: str,
        params: dict[str, Any],
        paginator: BaseAPIPaginator[Any],
        page_params: Any,
        context: Context | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Every page of one feed: `page_params(paginator.current_value)` adds each page's own parameters.

        The next page is requested as soon as the current one has arrived, while the caller is still
        emitting its records (one call in flight at a time per feed), so that waiting for ServiceTitan
        overlaps with writing records. The caller's state still follows the pages it has emitted.
        """
        prefetcher = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"{self.name}-next-page")

        def request(value: Any) -> Future[tuple[requests.Response, dict[str, Any]]]:
            return prefetcher.submit(self.fetch, path, {**params, **page_params(value)}, context)

        pending: Future[tuple[requests.Response, dict[str, Any]]] | None = request(paginator.current_value)
        try:
            while pending is not None:
                response, body = pending.result()
                paginator.advance(response)
                pending = None if paginator.finished else request(paginator.current_value)
                yield body
        finally:
            # If the caller stopped early, a call may still be in flight: do not wait for it.
            prefetcher.shutdown(wait=False, cancel_futures=True)

    def list_pages(
        self, path: str, params: dict[str, Any], context: Context | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every page of a paged list (`page`, `pageSize`, `hasMore`)."""
        yield from self.fetch_pages(
            path, {**params, "pageSize": self.page_size}, ListPaginator(), lambda page: {"page": page}, context
        )

    # Responses

    def validate_response(self, response: requests.Response) -> None:
        status = response.status_code
        if status < 400:
            self.authenticator.accept()
            return
        problem = Problem.from_response(response)
        if status == 401:
            sent = response.request.headers.get("Authorization")
            if self.authenticator.reject(sent if isinstance(sent, str) else None):
                raise TokenRejectedError(problem, response)
            raise ServiceTitanAPIError(
                problem,
                "A newly issued token was refused too: check app_key (ST-App-Key), tenant_id, and that the app "
                "is installed for this tenant.",
            )
        if status == 403:
            raise ServiceTitanAPIError(
                problem, f"The app lacks the read scope for {self.module} or is not installed for this tenant."
            )
        if status == 429:
            raise RateLimitedError(problem, response)
        if status in RETRIABLE_STATUSES or status >= 500:
            raise RetriableServiceTitanError(problem, response)
        raise ServiceTitanAPIError(problem)

    def select(self, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The records of one page to emit (all of them, unless a stream says otherwise)."""
        return records

    def parse_response(self, response: requests.Response) -> Iterable[dict[str, Any]]:
        yield from response_body(response).get("data") or []

    def get_new_paginator(self) -> None:
        return None

    # Retries (singer-sdk's backoff decorator calls these)

    def backoff_wait_generator(self) -> Generator[float, Any, None]:  # type: ignore[override]
        """Seconds before the next try, chosen from the exception that failed the last one."""
        exponential = backoff.expo(factor=BACKOFF_FACTOR, max_value=BACKOFF_MAX_SECONDS)
        next(exponential)  # prime it
        failure = yield 0.0  # primed by backoff with None
        while True:
            if isinstance(failure, RateLimitedError):
                wait = failure.retry_after
            elif isinstance(failure, TokenRejectedError):
                wait = 0.0
            else:
                wait = float(next(exponential))
            failure = yield wait

    def backoff_jitter(self, value: float) -> float:
        """Up to 25% more than the wait, never less (a `Retry-After` is a minimum)."""
        return value * (1 + random.random() / 4)

    def backoff_max_tries(self) -> int:
        return MAX_TRIES

    def backoff_handler(self, details: Details) -> None:
        failure = details.get("exception")
        if isinstance(failure, RetriableServiceTitanError):
            reason = failure.problem.describe()
        else:
            reason = f"{type(failure).__name__}: {failure}"
        self.logger.log(
            logging.INFO if isinstance(failure, TokenRejectedError) else logging.WARNING,
            "[%s] try %d of %d failed: %s; retrying in %.1f s",
            self.name,
            details.get("tries", 0),
            MAX_TRIES,
            reason,
            details.get("wait", 0.0),
        )

    def response_error_message(self, response: requests.Response) -> str:
        return Problem.from_response(response).describe()

    # State

    def bookmark(self, key: str) -> Any:
        """A value this stream saved in state, or None when the stream is read in full this time."""
        if self.replication_method == "FULL_TABLE":
            return None
        return self.stream_state.get(key)

    def checkpoint(self, **values: Any) -> None:
        """Save `values` in the stream's state and write a STATE message now.

        Called after the records read so far have been emitted, so an interrupted run resumes from
        here and loses nothing (it may emit a page again: Singer is at least once).
        """
        self.stream_state.update(values)
        self.state_manager.is_flushed = False
        self._write_state_message()

    def _increment_stream_state(self, latest_record: dict[str, Any], *, context: Any = None) -> None:
        """State is a continuation token or bookmark written per page (see `checkpoint`), not per record."""

    def _write_starting_replication_value(self, context: Any) -> None:
        """No `starting_replication_value` either: `start_date` does not bound these streams' reads."""

    def get_replication_key_signpost(self, context: Context | None = None) -> None:
        return None
