"""The lock over a run's in-process state, released only while a writer waits on FreshBooks.

Concurrent writers (`writers.py`) share the ledger and its in-memory copies, the listings of `lookups.py`,
the run summary and the sinks' caches. Rather than a lock per structure (and an order to take them in),
a writer holds this one lock whenever it runs the target's code, and lets go of it only around what takes
time and touches nothing shared: sending a request and waiting for its answer, the limiter's pacing, a
retry's backoff. Writers therefore overlap on the network, which is where a write's time goes, and the
state they share changes one writer at a time, as in a single-threaded run. That records touching the same
FreshBooks objects never interleave is the scheduler's job (`lanes.py`), not this lock's.

`pinned()` keeps the lock through a block even across requests: reading a whole listing, renewing the
account's lease (work that other writers must not see half done).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class StateLock:
    """Reentrant per thread; `released()` lets go of it (whatever the depth) and takes it back after."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._local = threading.local()

    def _depth(self) -> int:
        return getattr(self._local, "depth", 0)

    def _pins(self) -> int:
        return getattr(self._local, "pins", 0)

    @contextmanager
    def held(self) -> Iterator[None]:
        depth = self._depth()
        if depth == 0:
            self._lock.acquire()
        self._local.depth = depth + 1
        try:
            yield
        finally:
            self._local.depth = depth
            if depth == 0:
                self._lock.release()

    @contextmanager
    def released(self) -> Iterator[None]:
        """Let other writers run while this thread waits (a no-op when not held, or pinned)."""
        depth = self._depth()
        if depth == 0 or self._pins():
            yield
            return
        self._local.depth = 0
        self._lock.release()
        try:
            yield
        finally:
            self._lock.acquire()
            self._local.depth = depth

    @contextmanager
    def pinned(self) -> Iterator[None]:
        """Keep the lock (if held) through this block, requests included."""
        self._local.pins = self._pins() + 1
        try:
            yield
        finally:
            self._local.pins -= 1
