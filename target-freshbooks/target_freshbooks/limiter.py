"""Pacing of FreshBooks calls: one limiter shared by every request of the process.

FreshBooks publishes no rate limit and answers 429 (with `Retry-After`) beyond the one it applies. Waiting
a fraction of a second on our side is cheaper than a 429, which costs a round trip and a wait of whole
seconds, so calls are spaced `1 / rate` apart (the tap paces ServiceTitan the same way, `throttle.py`), at
`HEADROOM` of the configured rate: calls spaced exactly at the limit reach FreshBooks a little bunched
(network jitter), and a window counted on its side then sees one call too many.

The limiter learns: a 429 halves the pace and lowers the ceiling it recovers to (to 90% of the pace that
met the 429); each call that goes through then raises the pace back towards that ceiling, and the ceiling
itself creeps back towards the configured rate, so one stray 429 does not cost the rest of the run. The
`Retry-After` wait itself is the retrying caller's (`http.py`); the slots after it come at the lower pace.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

DEFAULT_MAX_REQUESTS_PER_SECOND = 10.0
"""Conservative: FreshBooks publishes no limit; raise `max_requests_per_second` if yours allows more."""
BACKOFF_FACTOR = 0.5
"""The pace after a 429, as a share of the pace that met it."""
CEILING_AFTER_429 = 0.9
"""The ceiling the pace recovers to after a 429, as a share of the pace that met it."""
RECOVERY_CALLS = 10
"""Calls that bring the pace from halved back to the ceiling."""
CEILING_RECOVERY_CALLS = 1000
"""Calls that bring the ceiling from zero back to the configured rate (a slow probe upwards)."""
HEADROOM = 0.95
"""The share of the configured rate the pace aims at."""
MIN_SHARE = 0.05
"""The pace never drops below this share of the configured rate."""


class RateLimiter:
    """Spaces calls `1 / rate` seconds apart across threads; `throttled` and `passed` teach it the real limit."""

    def __init__(self, per_second: float, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep,
                 shared: Callable[[float], float] | None = None) -> None:
        """`shared`: given the pace, takes this call's slot from a budget shared with other runs and returns the
        seconds to wait for it (`ledger/rate_budget.py`, setting `shared_rate_budget`); None paces this run alone."""
        if per_second <= 0:
            raise ValueError("max_requests_per_second must be positive")
        self.configured = float(per_second) * HEADROOM
        self.rate = self.configured
        self.ceiling = self.configured
        self.clock = clock
        self.sleep = sleep
        self.throttled_count = 0
        self._next = 0.0
        self._lock = threading.Lock()
        self.shared = shared

    def acquire(self) -> float:
        """Wait for this call's slot; returns the seconds waited."""
        if self.shared is not None:
            wait = self.shared(self.rate)
            if wait > 0:
                self.sleep(wait)
            return wait
        with self._lock:
            now = self.clock()
            slot = max(now, self._next)
            self._next = slot + 1.0 / self.rate
        wait = slot - now
        if wait > 0:
            self.sleep(wait)
        return wait

    def throttled(self) -> None:
        """FreshBooks answered 429: slow down."""
        with self._lock:
            floor = self.configured * MIN_SHARE
            self.throttled_count += 1
            self.ceiling = max(floor, min(self.ceiling, self.rate * CEILING_AFTER_429))
            self.rate = max(floor, self.rate * BACKOFF_FACTOR)

    def passed(self) -> None:
        """A call went through: recover the pace towards the ceiling, and the ceiling towards the configured rate."""
        with self._lock:
            if self.ceiling < self.configured:
                self.ceiling = min(self.configured, self.ceiling + self.configured / CEILING_RECOVERY_CALLS)
            if self.rate < self.ceiling:
                self.rate = min(self.ceiling, self.rate + self.ceiling * (1 - BACKOFF_FACTOR) / RECOVERY_CALLS)
