"""What went wrong with a ServiceTitan call, said in one line that never carries a secret.

Every message names the endpoint (method and path, no query string, no headers), the HTTP status, and
ServiceTitan's own `title` and `traceId` from its RFC 7807 error body, so that a failed run can be
matched with ServiceTitan support's logs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlparse

import requests
from singer_sdk.exceptions import FatalAPIError, RetriableAPIError

MAX_RETRY_AFTER_SECONDS = 300.0
DEFAULT_RETRY_AFTER_SECONDS = 1.0
_TITLE_SECONDS = re.compile(r"(\d+(?:\.\d+)?)\s*seconds?", re.IGNORECASE)


@dataclass(frozen=True)
class Problem:
    """The parts of an error response worth reporting."""

    method: str
    path: str
    status: int
    reason: str
    title: str | None
    trace_id: str | None

    @classmethod
    def from_response(cls, response: requests.Response) -> Problem:
        title = trace_id = None
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict):
            title = _text(
                body.get("title") or body.get("message") or body.get("error_description") or body.get("error")
            )
            trace_id = _text(body.get("traceId"))
        request = response.request
        return cls(
            method=(request.method if request is not None else None) or "GET",
            path=urlparse(response.url or (request.url if request is not None else "") or "").path,
            status=response.status_code,
            reason=response.reason or "",
            title=title,
            trace_id=trace_id,
        )

    @property
    def endpoint(self) -> str:
        return f"{self.method} {self.path}"

    def describe(self) -> str:
        parts = [f"{self.endpoint} answered HTTP {self.status} {self.reason}".rstrip()]
        details = []
        if self.title:
            details.append(f"title: {self.title!r}")
        details.append(f"traceId: {self.trace_id or 'none given'}")
        return f"{parts[0]} ({', '.join(details)})"


def _text(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text[:500] or None


class ServiceTitanAPIError(FatalAPIError):
    """A call that cannot succeed by retrying it (bad request, missing scope, unknown tenant...)."""

    def __init__(self, problem: Problem, hint: str = "") -> None:
        self.problem = problem
        super().__init__(problem.describe() + (f". {hint}" if hint else ""))


class RetriableServiceTitanError(RetriableAPIError):
    """A call worth repeating: a 5xx, a timeout answered by ServiceTitan, a rejected (expired) token."""

    def __init__(self, problem: Problem, response: requests.Response) -> None:
        self.problem = problem
        super().__init__(problem.describe(), response)


class TokenRejectedError(RetriableServiceTitanError):
    """A 401 on a token the tap believed valid: fetch a new token and retry at once."""


class RateLimitedError(RetriableServiceTitanError):
    """A 429: wait as long as ServiceTitan asks (`Retry-After`), then retry."""

    def __init__(self, problem: Problem, response: requests.Response) -> None:
        super().__init__(problem, response)
        self.retry_after = retry_after_seconds(response, problem.title)


class TokenRequestError(FatalAPIError):
    """The identity server refused to issue a token."""


def retry_after_seconds(response: requests.Response, title: str | None = None) -> float:
    """Seconds to wait from `Retry-After` (seconds or an HTTP date), else from the title, else 1 s."""
    header = (response.headers.get("Retry-After") or "").strip()
    seconds: float | None = None
    if header:
        try:
            seconds = float(header)
        except ValueError:
            try:
                seconds = (parsedate_to_datetime(header) - datetime.now(UTC)).total_seconds()
            except (TypeError, ValueError):
                seconds = None
    if seconds is None and title and (match := _TITLE_SECONDS.search(title)):
        seconds = float(match.group(1))
    if seconds is None:
        seconds = DEFAULT_RETRY_AFTER_SECONDS
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_SECONDS)
