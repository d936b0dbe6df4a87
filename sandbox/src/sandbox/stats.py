"""Call counting for `/_sandbox/stats`: what the plugins asked of each simulator; and the write journal for
`/_sandbox/writes`: each write call in the order it arrived, with when it was answered and what it carried,
so a test can see which writes were in flight at the same time (the tests of concurrent writers)."""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections import Counter, deque
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

ADMIN_PREFIX = "/_sandbox"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
JOURNAL_SIZE = 20_000
"""Write calls kept in the journal (the latest ones)."""


class CallStats:
    """Counts of calls by method and path, and by status, since the last reset."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls: Counter[str] = Counter()
        self.statuses: Counter[int] = Counter()
        self.writes: deque[dict[str, Any]] = deque(maxlen=JOURNAL_SIZE)
        self._events = itertools.count(1)

    def record(self, method: str, path: str, status: int) -> None:
        with self._lock:
            self.calls[f"{method} {path}"] += 1
            self.statuses[status] += 1

    def event(self) -> int:
        """The next number of one sequence of arrivals and answers (orders them exactly)."""
        with self._lock:
            return next(self._events)

    def journal(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self.writes.append(entry)

    def written(self, path_suffix: str = "") -> list[dict[str, Any]]:
        with self._lock:
            return sorted((dict(entry) for entry in self.writes if entry["path"].endswith(path_suffix)),
                          key=lambda entry: entry["arrived"])

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self.statuses.clear()
            self.writes.clear()

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "total": sum(self.calls.values()),
                "calls": dict(sorted(self.calls.items())),
                "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            }

    def count(self, method: str | None = None, path_prefix: str = "") -> int:
        """Calls whose method matches (any if None) and whose path starts with `path_prefix`."""
        with self._lock:
            total = 0
            for key, n in self.calls.items():
                m, _, p = key.partition(" ")
                if (method is None or m == method) and p.startswith(path_prefix):
                    total += n
            return total


class StatsMiddleware:
    """Counts every non-admin HTTP request with the status it was answered with (0 if none)."""

    def __init__(self, app: ASGIApp, stats: CallStats) -> None:
        self.app = app
        self.stats = stats

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(ADMIN_PREFIX):
            await self.app(scope, receive, send)
            return
        counted = False
        write = scope["method"] in WRITE_METHODS
        entry: dict[str, Any] = {"method": scope["method"], "path": scope["path"], "arrived": self.stats.event(),
                                 "answered": None, "status": 0}
        sent: list[bytes] = []
        received: list[bytes] = []
        if write:  # in the journal from its arrival: a write in flight shows with `answered` null
            self.stats.journal(entry)

        async def receive_and_keep() -> Message:
            message = await receive()
            if write and message["type"] == "http.request":
                received.append(message.get("body", b""))
            return message

        async def send_and_count(message: Message) -> None:
            # Count before the answer leaves, so a client never sees its answer before its call is counted.
            nonlocal counted
            if message["type"] == "http.response.start" and not counted:
                counted = True
                self.stats.record(scope["method"], scope["path"], message["status"])
                entry["answered"], entry["status"] = self.stats.event(), message["status"]
                entry["answered_at"] = time.time()
            if write and message["type"] == "http.response.body":
                sent.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive_and_keep, send_and_count)
        finally:
            if not counted:  # the connection was dropped without an answer
                self.stats.record(scope["method"], scope["path"], 0)
            if write:
                entry["body"], entry["answer"] = _json(b"".join(received)), _json(b"".join(sent))


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None
