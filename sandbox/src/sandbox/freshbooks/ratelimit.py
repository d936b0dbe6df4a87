"""A per-access-token limit on calls per second (`rate_limit`; 0 turns it off).

FreshBooks documents no limit; the simulator answers over-limit calls with 429 and `Retry-After`, which
both SDKs honour. Counts live in memory: a restart forgets them, as a real limiter's window would pass.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque

WINDOW = 1.0


class RateLimiter:
    def __init__(self) -> None:
        self._calls: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def check(self, key: str, limit: int) -> int | None:
        """Record a call; None if allowed, else the whole seconds to wait before retrying."""
        if limit <= 0:
            return None
        now = time.monotonic()
        with self._lock:
            calls = self._calls.setdefault(key, deque())
            while calls and calls[0] <= now - WINDOW:
                calls.popleft()
            if len(calls) >= limit:
                return max(1, math.ceil(calls[0] + WINDOW - now))
            calls.append(now)
            return None
