"""A proactive ceiling on API calls per second, shared by every stream of a run.

ServiceTitan allows 60 calls per second per (app key, tenant) and answers 429 beyond that. Staying
under the ceiling on our side costs a short sleep; a 429 costs a round trip and a `Retry-After` wait.
"""

from __future__ import annotations

from pyrate_limiter import Duration, Limiter, Rate

BUCKET = "servicetitan-api"


def rate_for(per_second: float) -> Rate:
    """`per_second` calls per second as a pyrate-limiter Rate (fractions become one call per interval)."""
    if per_second <= 0:
        raise ValueError("max_requests_per_second must be positive")
    if per_second >= 1:
        return Rate(int(per_second), Duration.SECOND)
    return Rate(1, int(1000 / per_second))  # interval in milliseconds


class RequestThrottle:
    """Blocks each caller until one more call fits in the window."""

    def __init__(self, per_second: float) -> None:
        self.per_second = per_second
        self._limiter = Limiter(rate_for(per_second))

    def wait(self) -> None:
        self._limiter.try_acquire(BUCKET)

    def close(self) -> None:
        self._limiter.close()
