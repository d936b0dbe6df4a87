"""Call counting for `/_sandbox/stats`: what the plugins asked of each simulator."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

ADMIN_PREFIX = "/_sandbox"


class CallStats:
    """Counts of calls by method and path, and by status, since the last reset."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls: Counter[str] = Counter()
        self.statuses: Counter[int] = Counter()

    def record(self, method: str, path: str, status: int) -> None:
        with self._lock:
            self.calls[f"{method} {path}"] += 1
            self.statuses[status] += 1

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self.statuses.clear()

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

        async def send_and_count(message: Message) -> None:
            # Count before the answer leaves, so a client never sees its answer before its call is counted.
            nonlocal counted
            if message["type"] == "http.response.start" and not counted:
                counted = True
                self.stats.record(scope["method"], scope["path"], message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_and_count)
        finally:
            if not counted:  # the connection was dropped without an answer
                self.stats.record(scope["method"], scope["path"], 0)
