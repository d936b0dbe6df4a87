"""Latency and fault injection, per simulator, deterministic under a seed.

Wraps a simulator's ASGI app. Each request outside `/_sandbox/` draws once from the simulator's own
random generator (seeded by `seed`), so a client that makes the same calls in the same order meets the
same faults. Kinds, each with its own rate (a probability per request):

- `rate_429`: starts a burst of `burst_429` answers 429 with `Retry-After: retry_after`;
- `rate_500`, `rate_502`, `rate_503`: a server error with the simulator's error body;
- `rate_reset`: the TCP connection is reset before any answer;
- `rate_slow`: the answer is held `slow_seconds` (longer than a client's timeout);
- `rate_token_expiry`: the caller's bearer token dies ahead of time (401 now and on every later use);
- `rate_timeout_after_write`: a create or update (POST/PUT/PATCH, token endpoints excepted) is applied,
  then its answer is dropped: the connection is reset, as a timeout would leave it.

`latency_ms` (with `jitter_ms` either side) delays every answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import struct
import uuid
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from sandbox.stats import ADMIN_PREFIX

TRANSPORT_KEY = "sandbox.transport"
TOKEN_PATHS = ("/connect/token", "/auth/oauth/token")
WRITE_METHODS = {"POST", "PUT", "PATCH"}


@dataclass
class FaultSettings:
    seed: int = 0
    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    rate_429: float = 0.0
    burst_429: int = 3
    retry_after: int = 1
    rate_500: float = 0.0
    rate_502: float = 0.0
    rate_503: float = 0.0
    rate_reset: float = 0.0
    rate_slow: float = 0.0
    slow_seconds: float = 65.0
    rate_token_expiry: float = 0.0
    rate_timeout_after_write: float = 0.0


RATE_FIELDS = [f.name for f in fields(FaultSettings) if f.name.startswith("rate_")]
ErrorBody = Callable[[int, str], dict[str, Any]]


def servicetitan_error(status: int, title: str) -> dict[str, Any]:
    """ServiceTitan's RFC 7807 problem body."""
    return {
        "type": f"https://httpstatuses.io/{status}",
        "title": title,
        "status": status,
        "traceId": uuid.uuid4().hex,
        "errors": {},
        "data": {},
    }


def freshbooks_error(status: int, message: str) -> dict[str, Any]:
    """FreshBooks' classic accounting error body."""
    return {"response": {"errors": [{"errno": status, "field": None, "message": message, "object": None,
                                     "value": None}]}}


class FaultInjector:
    """The per-simulator decision maker: holds the settings, the generator and the fault state."""

    def __init__(self, settings: FaultSettings) -> None:
        self.settings = settings
        self.reseed()

    def reseed(self) -> None:
        self.rng = random.Random(self.settings.seed)
        self.burst_left = 0
        self.dead_tokens: set[str] = set()
        self.injected: dict[str, int] = dict.fromkeys(RATE_FIELDS, 0)

    def latency(self) -> float:
        s = self.settings
        if s.latency_ms <= 0 and s.jitter_ms <= 0:
            return 0.0
        jitter = self.rng.uniform(-s.jitter_ms, s.jitter_ms) if s.jitter_ms > 0 else 0.0
        return max(0.0, s.latency_ms + jitter) / 1000.0

    def choose(self, method: str, path: str) -> str | None:
        """The fault for this request, if any (one draw per request)."""
        if self.burst_left > 0:
            self.burst_left -= 1
            return "rate_429"
        rates = [(name, float(getattr(self.settings, name))) for name in RATE_FIELDS]
        if not any(rate > 0 for _, rate in rates):
            return None
        draw = self.rng.random()
        for name, rate in rates:
            if rate <= 0:
                continue
            if name == "rate_timeout_after_write" and (method not in WRITE_METHODS or path.endswith(TOKEN_PATHS)):
                continue
            if name == "rate_token_expiry" and path.endswith(TOKEN_PATHS):
                continue
            if draw < rate:
                if name == "rate_429":
                    self.burst_left = max(0, self.settings.burst_429 - 1)
                return name
            draw -= rate
        return None


def bearer_token(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            text = value.decode("latin-1").strip()
            return text[7:].strip() if text.lower().startswith("bearer ") else text
    return None


def reset_connection(scope: Scope) -> None:
    """Abort the client's TCP connection with a RST (SO_LINGER 0), as a network fault would."""
    transport = scope.get("extensions", {}).get(TRANSPORT_KEY)
    if transport is None:
        raise ConnectionAbortedError("no transport to reset")
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


class FaultMiddleware:
    """Applies latency and the injector's faults to one simulator's requests."""

    def __init__(self, app: ASGIApp, injector: FaultInjector, error_body: ErrorBody) -> None:
        self.app = app
        self.injector = injector
        self.error_body = error_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(ADMIN_PREFIX):
            await self.app(scope, receive, send)
            return
        injector = self.injector
        delay = injector.latency()
        fault = injector.choose(scope["method"], scope["path"])
        token = bearer_token(scope)
        if delay:
            await asyncio.sleep(delay)
        if fault:
            injector.injected[fault] += 1
        if fault == "rate_token_expiry" and token:
            injector.dead_tokens.add(token)
        if token and token in injector.dead_tokens:
            await self.answer(send, 401, "The access token expired ahead of time.")
            return
        if fault == "rate_429":
            retry = str(injector.settings.retry_after)
            await self.answer(send, 429, f"Rate limit is exceeded. Try again in {retry} seconds.",
                              [(b"retry-after", retry.encode())])
        elif fault in {"rate_500", "rate_502", "rate_503"}:
            status = int(fault[-3:])
            await self.answer(send, status, f"Injected fault: HTTP {status}.")
        elif fault == "rate_reset":
            reset_connection(scope)
        elif fault == "rate_slow":
            await asyncio.sleep(injector.settings.slow_seconds)
            await self.app(scope, receive, send)
        elif fault == "rate_timeout_after_write":
            await self.app(scope, receive, self.discard)
            reset_connection(scope)
        else:
            await self.app(scope, receive, send)

    @staticmethod
    async def discard(message: Message) -> None:
        return None

    async def answer(self, send: Send, status: int, message: str,
                     extra_headers: list[tuple[bytes, bytes]] | None = None) -> None:
        body = orjson.dumps(self.error_body(status, message))
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers + (extra_headers or [])})
        await send({"type": "http.response.body", "body": body})


class TransportExposingProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, with TCP_NODELAY, handing each request's transport to the app (for resets).

    Without TCP_NODELAY a response written in two parts waits on the client's delayed ACK: ~40 ms a call.
    """

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.scope["extensions"] = {TRANSPORT_KEY: self.transport}  # type: ignore[dict-item]
