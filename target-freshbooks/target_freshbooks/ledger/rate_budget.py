"""One FreshBooks call budget for every run of one app, kept in the ledger (`shared_rate_budget`).

The limiter (`limiter.py`) paces one process. Companies run at once, each its own target process, and
FreshBooks counts (as far as it says) the calls of an app, whichever account they write to: N runs would
make N times the pace. With `shared_rate_budget` on, every run sharing the ledger database (any host) takes its
slots from one row of `rate_budget`, keyed `freshbooks:<hash of the client id>`; the limiter still learns from
429s: it books its slots at its learned pace, so a run that met a 429 takes wider slots of the common budget.
Off by default: one company needs no database visit per batch of calls.

How a slot is reserved (GCRA, "next free slot"): the row holds `next_free`, the start of the first slot nobody
holds. A run books a batch of slots (a quarter second's worth at its pace) in one statement,
`UPDATE ... SET next_free = max(next_free, now) + count / rate RETURNING next_free`; the database serialises
those statements (PostgreSQL's row lock, SQLite's write lock), so batches never overlap and all runs' calls
together are `1 / rate` apart on one timeline. Slots a run does not reach in time lapse (half a slot late is
still taken; later ones would bunch up with the next run's batch).

Time is the callers' wall clock (`time.time`), not the database's: hosts sharing a ledger must keep their clocks
in step (NTP); clocks d seconds apart may place calls up to d seconds closer together than the budget says, and
a next free slot more than `HORIZON_SECONDS` ahead (a clock far ahead wrote it) is ignored, not waited for.

The tap has the same logic for ServiceTitan in `tap_servicetitan/rate_budget.py` (on a table it creates itself).
This is a copy on purpose: the plugins are separate distributions, the tap must never import the target, and
the target accepts records from any tap, so it must not need tap-servicetitan installed.
`tests/tap/test_rate_budget.py` runs the same cases against both.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING

from sqlalchemy import Engine, Table, case, literal, update
from sqlalchemy.exc import IntegrityError

from target_freshbooks.ledger.models import RateBudget

if TYPE_CHECKING:
    from target_freshbooks.ledger.store import Ledger
    from target_freshbooks.settings import Settings

BATCH_SECONDS = 0.25
"""How much of the budget (in seconds at the run's pace) one visit to the database reserves."""
HORIZON_SECONDS = 300.0
"""A next free slot further ahead than this was set by a clock running fast: the budget restarts from now rather
than make every caller wait for it (an honest queue is one batch per caller: seconds)."""
RATE_BUDGETS: Table = RateBudget.__table__  # type: ignore[assignment]


def budget_key(client_id: str) -> str:
    """`freshbooks:<hash>`: the FreshBooks app, as FreshBooks counts it, without storing its client id."""
    return "freshbooks:" + hashlib.sha256(client_id.encode()).hexdigest()[:16]


def reserve(engine: Engine, key: str, now: float, count: int, per_second: float) -> float:
    """Book `count` slots `1 / per_second` apart, starting no earlier than `now`; returns the first one's time."""
    table = RATE_BUDGETS
    span = count / per_second
    queued = (table.c.next_free > literal(now)) & (table.c.next_free < literal(now + HORIZON_SECONDS))
    start = case((queued, table.c.next_free), else_=literal(now))
    booking = update(table).where(table.c.key == key).values(next_free=start + span).returning(table.c.next_free)
    with engine.begin() as connection:
        end = connection.execute(booking).scalar_one_or_none()
    if end is None:  # the key's first booking: create its row (another process may do it at the same moment)
        try:
            with engine.begin() as connection:
                connection.execute(table.insert().values(key=key, next_free=now))
        except IntegrityError:
            pass
        return reserve(engine, key, now, count, per_second)
    return float(end) - span


class SharedBudget:
    """Slots for one run's calls, from the budget row `key`; one database visit per batch."""

    def __init__(self, engine: Engine, key: str, *, clock: Callable[[], float] = time.time,
                 batch_seconds: float = BATCH_SECONDS) -> None:
        self.engine = engine
        self.key = key
        self.clock = clock
        self.batch_seconds = batch_seconds
        self._slots: deque[tuple[float, float]] = deque()  # (slot time, its pace)
        self._lock = threading.Lock()

    def slot(self, per_second: float) -> tuple[float, float]:
        """The next slot at pace `per_second` (reserving a batch when this run holds none), and the time now."""
        with self._lock:
            now = self.clock()
            while self._slots and self._slots[0][0] < now - 0.5 / self._slots[0][1]:
                self._slots.popleft()  # lapsed
            if not self._slots:
                count = max(1, int(per_second * self.batch_seconds))
                first = reserve(self.engine, self.key, now, count, per_second)
                self._slots.extend((first + index / per_second, per_second) for index in range(count))
            return self._slots.popleft()[0], now

    def wait_seconds(self, per_second: float) -> float:
        """Take the next slot; the seconds until it comes (0 when it has). The limiter's `shared` hook."""
        slot, now = self.slot(per_second)
        return max(0.0, slot - now)


def shared_slots(settings: Settings, ledger: Ledger) -> Callable[[float], float] | None:
    """The limiter's hook into the app's shared budget when `shared_rate_budget` is on; None keeps it per run."""
    if not settings.shared_rate_budget:
        return None
    return SharedBudget(ledger.engine, budget_key(settings.client_id)).wait_seconds
