"""The target's exceptions. Messages name the record, the endpoint, the status and FreshBooks' message."""

from __future__ import annotations

from dataclasses import dataclass


class TargetError(Exception):
    """Base of every error this target raises on purpose."""


class ConfigError(TargetError):
    """A setting is missing or wrong; the message says which and how to fix it."""


class AuthError(TargetError):
    """No usable FreshBooks tokens (never authorized, refresh refused, 401 after a refresh)."""


class RunLockedError(TargetError):
    """Another run holds the lock for this tenant and FreshBooks account."""


class UnknownStreamError(TargetError, ValueError):
    """A stream this target does not accept."""


@dataclass(frozen=True)
class RecordRef:
    """Which record a call is made for: named in every error message."""

    stream: str
    source_key: str

    def __str__(self) -> str:
        return f"{self.stream} record {self.source_key!r}"


@dataclass(frozen=True)
class ApiErrorDetail:
    """One error FreshBooks reported (classic `response.errors[]` or its google.rpc variant)."""

    message: str
    errno: int | None = None
    field: str | None = None

    def __str__(self) -> str:
        parts = []
        if self.errno is not None:
            parts.append(f"errno {self.errno}")
        if self.field:
            parts.append(f"field {self.field!r}")
        prefix = f"{', '.join(parts)}: " if parts else ""
        return f"{prefix}{self.message}"


class FreshBooksHTTPError(TargetError):
    """A call FreshBooks answered with an error (or did not answer)."""

    def __init__(
        self,
        summary: str,
        *,
        method: str,
        endpoint: str,
        status: int | None = None,
        details: tuple[ApiErrorDetail, ...] = (),
        ref: RecordRef | None = None,
    ) -> None:
        self.summary = summary
        self.method = method
        self.endpoint = endpoint
        self.status = status
        self.details = details
        self.ref = ref
        super().__init__(self._message())

    def _message(self) -> str:
        who = f"{self.ref}: " if self.ref else ""
        status = f"HTTP {self.status}" if self.status is not None else "no answer"
        said = f": {'; '.join(str(d) for d in self.details)}" if self.details else ""
        return f"{who}{self.method} {self.endpoint} → {status} ({self.summary}){said}"

    @property
    def freshbooks_message(self) -> str:
        return "; ".join(str(d) for d in self.details) or self.summary

    @property
    def first(self) -> ApiErrorDetail | None:
        return self.details[0] if self.details else None


class RejectedError(FreshBooksHTTPError):
    """FreshBooks refused the request (4xx other than 401/429): the record is dead-lettered."""


class TransientError(FreshBooksHTTPError):
    """5xx, reset or timeout on a call that is safe to repeat; retried with backoff, then fatal for the run."""


class RateLimitedError(FreshBooksHTTPError):
    """HTTP 429; retried after `Retry-After`."""

    def __init__(self, *args: object, retry_after: float, **kwargs: object) -> None:
        self.retry_after = retry_after
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]


class AmbiguousWriteError(FreshBooksHTTPError):
    """A create whose outcome is unknown (timeout, reset or 5xx after sending).

    Never blindly re-sent: the sink first looks the object up by its natural key.
    """


class UnauthorizedError(FreshBooksHTTPError):
    """HTTP 401/403 even after refreshing the access token once."""


class RecordError(TargetError):
    """The record itself is malformed (missing or wrong fields); dead-lettered without any call."""

    def __init__(self, ref: RecordRef, problem: str) -> None:
        self.ref = ref
        self.problem = problem
        super().__init__(f"{ref}: {problem}")
