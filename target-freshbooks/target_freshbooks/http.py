"""HTTP to FreshBooks: bearer auth with a bounded refresh-and-resend on 401, `Retry-After` on 429, bounded
backoff on 5xx, resets and timeouts, and FreshBooks' error envelopes turned into exceptions that name the
record.

Creates (POST) are never re-sent after an ambiguous failure (timeout, reset or 5xx once the request may
have been applied): `AmbiguousWriteError` goes back to the sink, which looks the object up by its natural
key before creating again. Updates and deletes are idempotent and retried like reads.

A write that timed out may still be applied by the server after the client gave up (a late write). Before
such a write is reported or retried, the client waits `late_write_settle` seconds (by default
`LATE_WRITE_SETTLE_FACTOR` times the request timeout), so the natural-key lookup that follows sees a late
create and a late update cannot land on top of a newer one.

Every retry is bounded: `TRANSIENT_TRIES` (and `TRANSIENT_MAX_TIME` seconds) for 5xx, resets and timeouts,
`RATE_LIMIT_TRIES` (and `RATE_LIMIT_MAX_TIME`) for 429 answers, `UNAUTHORIZED_TRIES` consecutive 401s.
Log lines and messages never carry the Authorization header, tokens or the client secret (`redact`).

Every call first waits for its slot from the process's `RateLimiter` (`limiter.py`), which paces calls at
`max_requests_per_second` and learns from 429s.

With `dry_run`, writes are not sent: they are logged and answered with a made-up object.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import itertools
import logging
import math
import re
import time
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

import backoff
import requests
from urllib3.exceptions import NewConnectionError

from target_freshbooks.errors import (
    AmbiguousWriteError,
    ApiErrorDetail,
    AuthError,
    FreshBooksHTTPError,
    RateLimitedError,
    RecordRef,
    RejectedError,
    TransientError,
    UnauthorizedError,
)
from target_freshbooks.lookups import Lookups
from target_freshbooks.state_lock import StateLock

if TYPE_CHECKING:
    from target_freshbooks.auth import TokenManager
    from target_freshbooks.limiter import RateLimiter

logger = logging.getLogger("target-freshbooks.http")

PER_PAGE = 100
TRANSIENT_TRIES = 25
"""Tries of one call meeting 5xx, resets and timeouts (backoff 0.5 s doubling up to 8 s, full jitter)."""
TRANSIENT_MAX_TIME = 300.0
RATE_LIMIT_TRIES = 30
"""429 answers one call may meet (each waited out as `Retry-After` says) before it gives up."""
RATE_LIMIT_MAX_TIME = 900.0
UNAUTHORIZED_TRIES = 4
"""Consecutive 401s one attempt may meet, each followed by a token refresh, before AuthError."""
LATE_WRITE_SETTLE_FACTOR = 2.0
MAX_RETRY_AFTER = 300.0
DEFAULT_RETRY_AFTER = 1.0
"""The wait when a 429's `Retry-After` is missing or unreadable."""
USER_AGENT = "target-freshbooks"
ME_PATH = "/auth/api/v1/users/me"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
REAUTHORIZE = ("run `target-freshbooks authorize` (in Meltano: `meltano invoke target-freshbooks:authorize`) "
               "again")
DRY_RUN_ID = "dry-run-"
"""Prefix of the ids a dry run makes up for the objects it would create."""

Params = Sequence[tuple[str, Any]]


def query_string(params: Params) -> str:
    """`search[email]=a%2Bb%40x.com` style: brackets literal, values fully encoded (`+` must become %2B)."""
    return "&".join(f"{quote(str(k), safe='[]')}={quote(str(v), safe='')}" for k, v in params)


def parse_errors(body: Any) -> tuple[ApiErrorDetail, ...]:
    """FreshBooks' error shapes: classic `response.errors`, google.rpc `details`, OAuth `error`."""
    if not isinstance(body, dict):
        return ()
    response = body.get("response")
    errors = response.get("errors") if isinstance(response, dict) else None
    if isinstance(errors, dict):
        errors = [errors]
    if isinstance(errors, list) and errors:
        return tuple(
            ApiErrorDetail(message=str(e.get("message") or "error"), errno=_int(e.get("errno")),
                           field=e.get("field"))
            for e in errors if isinstance(e, dict)
        )
    details = body.get("details")
    if isinstance(details, list) and details:
        found = []
        for detail in details:
            if isinstance(detail, dict):
                meta = detail.get("metadata") or {}
                found.append(ApiErrorDetail(message=str(meta.get("message") or body.get("message") or "error"),
                                            errno=_int(detail.get("reason")), field=meta.get("field")))
        if found:
            return tuple(found)
    if body.get("error") or body.get("error_description"):
        return (ApiErrorDetail(message=f"{body.get('error', '')}: {body.get('error_description', '')}".strip(": ")),)
    if body.get("message"):
        return (ApiErrorDetail(message=str(body["message"]), errno=_int(body.get("errno"))),)
    return ()


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def retry_after_seconds(header: str | bytes | None, default: float = DEFAULT_RETRY_AFTER,
                        now: float | None = None) -> float:
    """Seconds to wait as a `Retry-After` header says (delay-seconds or an HTTP-date); never raises.

    Missing, empty, unreadable, negative or not-a-number values give `default`; a date in the past gives 0
    (retry now); anything is capped at `MAX_RETRY_AFTER`.
    """
    try:
        text = (header.decode("latin-1") if isinstance(header, bytes) else str(header or "")).strip()
        if not text:
            return default
        seconds: float | None
        try:
            seconds = float(text)
        except ValueError:
            seconds = _seconds_until(text, time.time() if now is None else now)
        if seconds is None or math.isnan(seconds) or seconds < 0:
            return default
        return min(seconds, MAX_RETRY_AFTER)
    except Exception:
        return default


def _seconds_until(http_date: str, now: float) -> float | None:
    try:
        parsed = email.utils.parsedate_to_datetime(http_date)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed is None:
        return None
    if parsed.tzinfo is None:  # "-0000" or no zone: HTTP-dates are GMT
        parsed = parsed.replace(tzinfo=dt.UTC)
    return max(parsed.timestamp() - now, 0.0)


_SECRET_PATTERNS = (
    re.compile(r"(?i)(bearer|basic)\s+[A-Za-z0-9._~+/=-]+"),
    re.compile(r"(?i)\b((?:access_token|refresh_token|id_token|client_secret|code|token|password)[\"']?\s*[=:]\s*"
               r"[\"']?)[^\s&\"',;}]+"),
)


def redact(text: object, secrets: Sequence[str | None] = ()) -> str:
    """`text` with bearer/basic credentials, token-, secret- and code-valued fields, and the given secret
    strings replaced by `***` (for log lines and exception messages)."""
    out = str(text)
    for secret in secrets:
        if secret and len(secret) >= 4:
            out = out.replace(secret, "***")
    out = _SECRET_PATTERNS[0].sub(lambda m: f"{m.group(1)} ***", out)
    return _SECRET_PATTERNS[1].sub(lambda m: f"{m.group(1)}***", out)


def _never_sent(exc: requests.RequestException) -> bool:
    """True when the request cannot have reached the server (so re-sending even a create is safe)."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, NewConnectionError | ConnectionRefusedError):
            return True
        seen = seen.__cause__ or seen.__context__ or (seen.args[0] if seen.args and
                                                       isinstance(seen.args[0], BaseException) else None)
    return False


POOL_SIZE = 32
"""Connections kept to FreshBooks: one per writer at most (`write_workers` goes up to 32)."""


class FreshBooksSession(requests.Session):
    """A `requests.Session` that reads the environment's proxy and CA-bundle settings once per host and
    settings, not on every call (about a millisecond each); the environment does not change during a run."""

    def __init__(self) -> None:
        super().__init__()
        self._environment: dict[tuple[Any, ...], dict[str, Any]] = {}
        # Credentials never come from ~/.netrc (requests looks for it on every call otherwise): the bearer
        # token each call carries is the only one.
        self.auth = _bearer_only

    def merge_environment_settings(self, url: Any, proxies: Any, stream: Any, verify: Any,
                                   cert: Any) -> dict[str, Any]:
        parsed = urlsplit(str(url))
        key = (parsed.scheme, parsed.netloc, repr(proxies), stream, repr(verify), repr(cert), self.trust_env)
        if key not in self._environment:
            self._environment[key] = super().merge_environment_settings(url, proxies, stream, verify, cert)
        return dict(self._environment[key])


def _bearer_only(request: Any) -> Any:
    return request


def pooled_session() -> requests.Session:
    session = FreshBooksSession()
    adapter = requests.adapters.HTTPAdapter(pool_connections=1, pool_maxsize=POOL_SIZE)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


class FreshBooksClient:
    """Calls to one FreshBooks API host. Paths are relative to `api_url`."""

    transient_tries: int = TRANSIENT_TRIES
    transient_max_time: float = TRANSIENT_MAX_TIME
    rate_limit_tries: int = RATE_LIMIT_TRIES
    rate_limit_max_time: float = RATE_LIMIT_MAX_TIME
    unauthorized_tries: int = UNAUTHORIZED_TRIES
    backoff_factor: float = 0.5
    max_backoff: float = 8.0
    unauthorized_pause: float = 0.25
    """First pause before re-sending after a refresh that was answered 401 again (doubles each time)."""

    def __init__(self, api_url: str, tokens: TokenManager, *, timeout: float, dry_run: bool = False,
                 session: requests.Session | None = None,
                 on_call: Callable[[str, str, int | None], None] | None = None,
                 late_write_settle: float | None = None, sleep: Callable[[float], None] = time.sleep,
                 limiter: RateLimiter | None = None, state_lock: StateLock | None = None) -> None:
        self.api_url = api_url.rstrip("/")
        self.limiter = limiter
        self.state_lock = state_lock or StateLock()
        """Held while this client's callers run; let go of while a request waits (`state_lock.py`)."""
        self.tokens = tokens
        self.timeout = timeout
        self.dry_run = dry_run
        self.session = session or pooled_session()
        self.session.verify = True  # never turned off, whatever the environment says
        self.on_call = on_call
        self.late_write_settle = (LATE_WRITE_SETTLE_FACTOR * timeout if late_write_settle is None
                                  else late_write_settle)
        self.sleep = sleep
        self._fake_ids = itertools.count(1)
        self.lookups = Lookups(self._pages, self._first_page, eager=dry_run, hold=self.state_lock.pinned)
        retry_transient = backoff.on_exception(
            backoff.expo, TransientError, max_tries=self.transient_tries, max_time=self.transient_max_time,
            factor=self.backoff_factor, max_value=self.max_backoff,
            on_backoff=self._log_retry, on_giveup=self._log_giveup, logger=None)
        retry_rate_limited = backoff.on_exception(
            backoff.runtime, RateLimitedError, value=lambda exc: exc.retry_after, max_tries=self.rate_limit_tries,
            max_time=self.rate_limit_max_time, jitter=None, on_backoff=self._log_retry,
            on_giveup=self._log_giveup, logger=None)
        self._retrying = retry_rate_limited(retry_transient(self._attempt))

    def _request(self, method: str, path: str, params: Params, body: dict[str, Any] | None,
                 ref: RecordRef | None) -> dict[str, Any]:
        """One call, retried as the module docstring says; other writers run during its waits."""
        with self.state_lock.released():
            return self._retrying(method, path, params, body, ref)

    # Public calls ---------------------------------------------------------------------------------------

    def me(self) -> dict[str, Any]:
        body = self._request("GET", ME_PATH, (), None, None)
        return body.get("response") or {}

    def get(self, path: str, params: Params = (), ref: RecordRef | None = None) -> dict[str, Any]:
        if self._names_placeholder(path, params):
            return {}
        return _result(self._request("GET", path, params, None, ref))

    def list_all(self, path: str, plural: str, params: Params = (), ref: RecordRef | None = None,
                 limit_pages: int | None = None) -> Iterator[dict[str, Any]]:
        """Every row of a list endpoint, page by page (`per_page=100`)."""
        if self._names_placeholder(path, params):
            return
        yield from self._pages(path, plural, params, ref, 1, limit_pages)

    def search(self, path: str, plural: str, filters: Params, ref: RecordRef | None = None) -> list[dict[str, Any]]:
        """The rows a filtered list call returns: from the resource's listing once it is read (`lookups`)."""
        if self._names_placeholder(path, filters):
            return []
        rows = self.lookups.search(path, plural, list(filters), ref)
        return list(self.list_all(path, plural, filters, ref)) if rows is None else rows

    def _pages(self, path: str, plural: str, params: Params, ref: RecordRef | None, start: int = 1,
               limit_pages: int | None = None) -> Iterator[dict[str, Any]]:
        for page in itertools.count(start):
            rows, pages = self._page(path, plural, params, ref, page)
            yield from rows
            if not rows or page >= pages or (limit_pages and page >= limit_pages):
                return

    def _first_page(self, path: str, plural: str, params: Params, ref: RecordRef | None) -> tuple[list[Any], int]:
        return self._page(path, plural, params, ref, 1)

    def _page(self, path: str, plural: str, params: Params, ref: RecordRef | None,
              page: int) -> tuple[list[Any], int]:
        result = _result(self._request("GET", path, [*params, ("page", page), ("per_page", PER_PAGE)], None, ref))
        return list(result.get(plural) or []), int(result.get("pages") or 0)

    def create(self, path: str, single: str, body: dict[str, Any], ref: RecordRef | None) -> dict[str, Any]:
        if self.dry_run:
            fake = {"id": f"{DRY_RUN_ID}{next(self._fake_ids)}", **body}
            logger.info("[dry run] would POST %s for %s", path, ref)
            return fake
        obj = _result(self._request("POST", path, (), {single: body}, ref)).get(single) or {}
        self.lookups.written(path, obj)
        return obj

    def update(self, path: str, single: str, body: dict[str, Any], ref: RecordRef | None) -> dict[str, Any]:
        if self.dry_run:
            logger.info("[dry run] would PUT %s for %s", path, ref)
            return dict(body)
        obj = _result(self._request("PUT", path, (), {single: body}, ref)).get(single) or {}
        self.lookups.written(path, obj, object_id=path.rsplit("/", 1)[-1])
        return obj

    def delete(self, path: str, ref: RecordRef | None) -> None:
        if self.dry_run:
            logger.info("[dry run] would DELETE %s for %s", path, ref)
            return
        self._request("DELETE", path, (), None, ref)
        self.lookups.deleted(path)

    def _names_placeholder(self, path: str, params: Params) -> bool:
        """A dry run's made-up id: FreshBooks has nothing under it, so a read for it finds nothing."""
        return self.dry_run and (DRY_RUN_ID in path or any(DRY_RUN_ID in str(value) for _, value in params))

    # One attempt (wrapped by the retry decorators) ------------------------------------------------------

    def _attempt(self, method: str, path: str, params: Params, body: dict[str, Any] | None,
                 ref: RecordRef | None) -> dict[str, Any]:
        with self.state_lock.held():
            return self._attempt_held(method, path, params, body, ref)

    def _attempt_held(self, method: str, path: str, params: Params, body: dict[str, Any] | None,
                      ref: RecordRef | None) -> dict[str, Any]:
        url = f"{self.api_url}{path}"
        if params:
            url = f"{url}?{query_string(params)}"
        token = self.tokens.access_token()
        response = self._send(method, url, path, body, ref, token)
        unauthorized = 0
        while response.status_code == 401:
            # The token died (revoked, expired early, or rotated by another process): refresh and re-send,
            # a bounded number of times. A refresh that cannot be made raises AuthError itself.
            unauthorized += 1
            if unauthorized > self.unauthorized_tries:
                error = UnauthorizedError(
                    f"unauthorized {unauthorized} times in a row, each time after refreshing the access token",
                    method=method, endpoint=path, status=401, details=parse_errors(_json(response)), ref=ref)
                raise AuthError(f"{error} FreshBooks keeps refusing fresh access tokens: check that the "
                                f"FreshBooks app still has access to this account, or {REAUTHORIZE}.") from error
            if unauthorized > 1:
                self.sleep(self.unauthorized_pause * 2 ** (unauthorized - 2))
            logger.info("%s %s answered 401; refreshing the access token (%d of %d).", method, path, unauthorized,
                        self.unauthorized_tries)
            token = self.tokens.refresh_after_unauthorized(token)
            response = self._send(method, url, path, body, ref, token)
        return self._check(method, path, response, ref)

    def _send(self, method: str, url: str, path: str, body: dict[str, Any] | None, ref: RecordRef | None,
              token: str) -> requests.Response:
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json", "User-Agent": USER_AGENT}
        try:
            with self.state_lock.released():
                if self.limiter is not None:
                    self.limiter.acquire()
                response = self.session.request(method, url, json=body, headers=headers, timeout=self.timeout)
        except requests.RequestException as exc:
            self._count(method, path, None)
            kind = type(exc).__name__
            sent = not _never_sent(exc)
            if sent and method in WRITE_METHODS and isinstance(exc, requests.Timeout):
                self._settle_late_write(method, path, ref)
            # Raised without the requests exception as cause: its text carries the full URL (query values).
            if method == "POST" and sent:
                raise AmbiguousWriteError(f"{kind}; the create may or may not have been applied", method=method,
                                          endpoint=path, ref=ref) from None
            raise TransientError(kind, method=method, endpoint=path, ref=ref) from None
        self._count(method, path, response.status_code)
        return response

    def _check(self, method: str, path: str, response: requests.Response, ref: RecordRef | None) -> dict[str, Any]:
        status = response.status_code
        body = _json(response)
        details = parse_errors(body)
        if status == 429:
            retry_after = retry_after_seconds(response.headers.get("Retry-After"))
            if self.limiter is not None:
                self.limiter.throttled()
            raise RateLimitedError("rate limited", method=method, endpoint=path, status=status, details=details,
                                   ref=ref, retry_after=retry_after)
        if self.limiter is not None:
            self.limiter.passed()
        if status >= 500:
            if method == "POST":
                raise AmbiguousWriteError("server error; the create may or may not have been applied",
                                          method=method, endpoint=path, status=status, details=details, ref=ref)
            raise TransientError("server error", method=method, endpoint=path, status=status, details=details,
                                 ref=ref)
        if status in (401, 403):
            raise UnauthorizedError("not authorized", method=method, endpoint=path, status=status, details=details,
                                    ref=ref)
        if status >= 400:
            raise RejectedError("refused", method=method, endpoint=path, status=status, details=details, ref=ref)
        if body is None:
            if method == "DELETE" or not response.content:
                return {}
            raise TransientError("answer is not JSON", method=method, endpoint=path, status=status, ref=ref)
        if details and isinstance(body.get("response"), dict) and body["response"].get("errors"):
            raise RejectedError("refused (errors in a 2xx answer)", method=method, endpoint=path, status=status,
                                details=details, ref=ref)
        return body

    def _settle_late_write(self, method: str, path: str, ref: RecordRef | None) -> None:
        """A write timed out: FreshBooks may still apply it. Wait until it would have, so that what follows
        (the natural-key lookup of a create, the re-sent update) sees it."""
        if self.late_write_settle > 0:
            logger.warning("%s %s%s timed out; waiting %.1fs for a late write to land before going on.", method,
                           path, f" for {ref}" if ref else "", self.late_write_settle)
            with self.state_lock.released():
                self.sleep(self.late_write_settle)

    def _count(self, method: str, path: str, status: int | None) -> None:
        if self.on_call:
            self.on_call(method, path, status)

    @staticmethod
    def _log_retry(details: Any) -> None:
        exc = details.get("exception")
        logger.warning("Retrying in %.1fs (try %d): %s", details.get("wait") or 0, details.get("tries") or 0,
                       redact(exc))

    @staticmethod
    def _log_giveup(details: Any) -> None:
        logger.error("Giving up after %d tries in %.1fs: %s", details.get("tries") or 0,
                     details.get("elapsed") or 0.0, redact(details.get("exception")))


def _json(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _result(body: dict[str, Any]) -> dict[str, Any]:
    response = body.get("response")
    if isinstance(response, dict):
        result = response.get("result")
        return result if isinstance(result, dict) else response
    return body


__all__ = ["FreshBooksClient", "FreshBooksHTTPError", "query_string", "redact", "retry_after_seconds"]
