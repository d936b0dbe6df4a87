"""Progress lines during a run: every `every` seconds, per stream, the records done, the rate and an ETA.

A Singer stream does not announce how many records it will send, so a sync's lines say the total is not
known; where it is (`replay` knows how many dead letters and released review items it re-sends) they give
the remaining time at the run's rate. A background thread logs at a steady pace, so a run stuck waiting
(a long `Retry-After`, FreshBooks down and being retried) still says so every interval.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable

logger = logging.getLogger("target-freshbooks")

DEFAULT_EVERY_SECONDS = 30.0
UNKNOWN_TOTAL = "total not known in advance (a Singer stream does not announce its size)"


def duration(seconds: float) -> str:
    """`45s`, `3m 05s`, `2h 01m`."""
    whole = max(round(seconds), 0)
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m {whole % 60:02d}s"
    return f"{whole // 3600}h {whole % 3600 // 60:02d}m"


class Progress:
    """Counts records as they get their outcome; `line`s describe them, `start` logs them periodically."""

    def __init__(self, every: float = DEFAULT_EVERY_SECONDS, *, clock: Callable[[], float] = time.monotonic,
                 log: Callable[[str], None] | None = None) -> None:
        self.every = every
        self.clock = clock
        self.log = log or (lambda text: logger.info("%s", text))
        self.started = clock()
        self.done: Counter[str] = Counter()
        self.totals: dict[str, int] = {}
        self._reported: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def expect(self, stream: str, total: int) -> None:
        """The number of records `stream` will have in this run, when it is known beforehand."""
        with self._lock:
            self.totals[stream] = self.totals.get(stream, 0) + total

    def advance(self, stream: str) -> None:
        with self._lock:
            self.done[stream] += 1

    def lines(self) -> list[str]:
        """One line per stream that moved since the last call; one line saying nothing moved otherwise."""
        with self._lock:
            done, totals = Counter(self.done), dict(self.totals)
        elapsed = max(self.clock() - self.started, 1e-9)
        moved = sorted(stream for stream in done if done[stream] != self._reported[stream])
        self._reported = done
        if not moved:
            return [f"Progress after {duration(elapsed)}: no record finished in the last {duration(self.every)} "
                    f"({sum(done.values())} so far); waiting on FreshBooks or on the input"]
        return [self._line(stream, done[stream], totals.get(stream), elapsed) for stream in moved]

    def _line(self, stream: str, done: int, total: int | None, elapsed: float) -> str:
        rate = done / elapsed
        head = f"Progress after {duration(elapsed)}: {stream}: {done:,}"
        if total is None:
            return f"{head} records done, {rate:.1f} records/s; {UNKNOWN_TOTAL}"
        left = max(total - done, 0)
        eta = f"ETA {duration(left / rate)}" if left and rate > 0 else "all done"
        return f"{head} of {total:,} records done, {rate:.1f} records/s; {eta}"

    def report(self) -> None:
        for text in self.lines():
            self.log(text)

    # The periodic logger ------------------------------------------------------------------------------

    def start(self) -> None:
        """Log every `every` seconds until `stop` (no thread when `every` is 0: progress lines are off)."""
        if self.every <= 0 or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._loop, name="target-freshbooks-progress", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _loop(self) -> None:
        while not self._stop.wait(self.every):
            try:
                self.report()
            except Exception as exc:  # a progress line must never stop the run
                logger.debug("Progress line failed: %s", exc)
