"""Concurrent writes that keep dependency order: a bounded pool of writer threads over the records read.

The reader (singer-sdk's main thread) hands each record to `submit`, which gives it a ticket and the tickets
it must wait for: the last earlier record holding any of its keys (`lanes.py`) exclusively, and, for a key it
takes exclusive, the earlier records reading it. A ticket whose predecessors all have their outcome is
ready; a writer takes it and runs the loader on it, holding the run's `StateLock` except while waiting on
FreshBooks. So a client is written before its invoices, an invoice before its payments, one client's writes
one at a time, and records with nothing in common overlap on the network. Predecessors always arrived
earlier, so no two tickets wait for each other.

`drain` waits until every record submitted has its outcome in the ledger: the target calls it before it
emits a STATE, before it dead-letters a line itself, and at the end of input. The reader stops reading when
`window` records are in flight. A failure that must stop the run (FreshBooks down after its retries,
authorization lost) stops the pool: no ticket is started after it, the ones running finish, and `drain` (or
the next `submit`) raises it, so no STATE is emitted past a record without an outcome.
"""

from __future__ import annotations

import logging
import math
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from target_freshbooks.lanes import Lanes
from target_freshbooks.state_lock import StateLock

logger = logging.getLogger("target-freshbooks")

WINDOW_PER_WRITER = 50
"""Records read ahead of the writers, per writer (bounds memory; plenty to find independent work)."""
AUTO_WORKERS = (2, 8)
"""The range `auto_workers` picks from."""
CPU_PER_CALL = 0.01
"""Seconds of the target's own work per call, added to the latency when sizing the pool."""


def auto_workers(per_second: float, latency: float) -> int:
    """Writers enough for the pace to bind: a call occupies its writer for the round trip plus the target's
    own work, so `rate * that` calls must be in flight, and one more to cover the jitter."""
    low, high = AUTO_WORKERS
    return max(low, min(high, math.ceil(per_second * (max(latency, 0.0) + CPU_PER_CALL)) + 1))


@dataclass(eq=False)
class Ticket:
    stream: str
    record: dict[str, Any]
    lanes: Lanes
    waiting: int = 0
    followers: list[Ticket] = field(default_factory=list)
    done: bool = False


@dataclass
class KeyHolders:
    writer: Ticket | None = None
    readers: list[Ticket] = field(default_factory=list)


class WriterPool:
    """`workers` threads running `write(stream, record)` in dependency order (see the module docstring)."""

    def __init__(self, write: Callable[[str, dict[str, Any]], Any], lock: StateLock, workers: int, *,
                 window: int | None = None) -> None:
        if workers < 1:
            raise ValueError("write_workers must be at least 1")
        self.write = write
        self.lock = lock
        self.workers = workers
        self.window = window or workers * WINDOW_PER_WRITER
        self.failure: BaseException | None = None
        self._cond = threading.Condition()
        self._ready: deque[Ticket] = deque()
        self._keys: dict[str, KeyHolders] = {}
        self._open = 0  # submitted, not done
        self._running = 0
        self._closing = False
        self._threads = [threading.Thread(target=self._work, name=f"freshbooks-writer-{n + 1}", daemon=True)
                         for n in range(workers)]
        for thread in self._threads:
            thread.start()

    # The reader's side -------------------------------------------------------------------------------

    def submit(self, stream: str, record: dict[str, Any], lanes: Lanes) -> None:
        with self._cond:
            while self._open >= self.window and self.failure is None:
                self._cond.wait()
            self._raise_failure()
            ticket = Ticket(stream, record, lanes)
            for before in self._predecessors(ticket):
                if not before.done:
                    before.followers.append(ticket)
                    ticket.waiting += 1
            self._open += 1
            if ticket.waiting == 0:
                self._ready.append(ticket)
                self._cond.notify_all()

    def drain(self) -> None:
        """Wait until every submitted record has its outcome; raise the failure that stopped the pool, if any."""
        with self._cond:
            while (self._open and self.failure is None) or self._running:
                self._cond.wait()
            self._raise_failure()

    def close(self) -> None:
        """Stop the threads (after the ones running finish their record)."""
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        for thread in self._threads:
            if thread is not threading.current_thread():
                thread.join()

    # Scheduling -------------------------------------------------------------------------------------

    def _predecessors(self, ticket: Ticket) -> list[Ticket]:
        found: list[Ticket] = []
        for key in ticket.lanes.exclusive:
            holders = self._keys.setdefault(key, KeyHolders())
            found.extend(holders.readers or ([holders.writer] if holders.writer else []))
            holders.writer, holders.readers = ticket, []
        for key in ticket.lanes.shared - ticket.lanes.exclusive:
            holders = self._keys.setdefault(key, KeyHolders())
            if holders.writer is not None:
                found.append(holders.writer)
            holders.readers.append(ticket)
        return found

    def _settle(self, ticket: Ticket) -> None:
        ticket.done = True
        self._open -= 1
        for key in ticket.lanes.exclusive | ticket.lanes.shared:
            holders = self._keys.get(key)
            if holders is None:
                continue
            if holders.writer is ticket:
                holders.writer = None
            if ticket in holders.readers:
                holders.readers.remove(ticket)
            if holders.writer is None and not holders.readers:
                del self._keys[key]
        for follower in ticket.followers:
            follower.waiting -= 1
            if follower.waiting == 0:
                self._ready.append(follower)
        ticket.followers.clear()
        self._cond.notify_all()

    def _raise_failure(self) -> None:
        if self.failure is not None:
            raise self.failure

    # The writers' side ------------------------------------------------------------------------------

    def _work(self) -> None:
        while True:
            with self._cond:
                while not self._closing and (not self._ready or self.failure is not None):
                    self._cond.wait()
                if self._closing:
                    return
                ticket = self._ready.popleft()
                self._running += 1
            try:
                with self.lock.held():
                    self.write(ticket.stream, ticket.record)
            except BaseException as exc:  # handed to the reader, which stops the run
                with self._cond:
                    if self.failure is None:
                        self.failure = exc
                        logger.error("A writer stopped the run on %s %r: %s", ticket.stream,
                                     ticket.record.get("source_key"), exc)
            finally:
                with self._cond:
                    self._running -= 1
                    self._settle(ticket)
