"""ServiceTitan's rate limit: N calls per second per (app key, tenant), over a sliding one-second window."""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable, Hashable

WINDOW = 1.0


class RateLimiter:
    def __init__(self, limit: Callable[[], int], clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.clock = clock
        self.calls: dict[Hashable, deque[float]] = {}

    def check(self, key: Hashable) -> int | None:
        """Count a call; None if allowed, else the whole seconds to wait (for `Retry-After`)."""
        limit = self.limit()
        if limit <= 0:
            return None
        now = self.clock()
        window = self.calls.setdefault(key, deque())
        while window and window[0] <= now - WINDOW:
            window.popleft()
        if len(window) >= limit:
            return max(1, math.ceil(window[0] + WINDOW - now))
        window.append(now)
        return None

    def reset(self) -> None:
        self.calls.clear()
