"""One call budget for every process that calls ServiceTitan as the same app and tenant, kept in a database.

ServiceTitan counts calls per app key and tenant (60 a second). The tap paces its own run (`throttle.py`), but
two processes of one company at once (an overlapping run, `reconcile` reading through the tap, a second host)
would each spend the whole budget. With `rate_budget_url` set, the tap takes its slots from a row of the
table `servicetitan_rate_budget` instead (created when missing), shared by every process, on any host, that uses
the same database (the target's ledger will do: the table is the tap's own, next to the ledger's); its key is
`servicetitan:<hash of the app key>:<tenant id>` (the vendor's count, no secret stored). Different tenants
never share a budget: ServiceTitan counts each (app, tenant) pair apart.

How a slot is reserved (GCRA, "next free slot"): the row holds `next_free`, the start of the first slot nobody
holds. A caller books a batch of `count` slots (a quarter second's worth at its pace) in one statement,
`UPDATE ... SET next_free = max(next_free, now) + count / rate RETURNING next_free`; the database serialises
those statements (PostgreSQL's row lock, SQLite's write lock), so batches never overlap and the calls of all
callers together are `1 / rate` apart on one timeline. A batch's slots the caller does not reach in time lapse
(half a slot late is still taken; later ones would bunch up with the next caller's batch).

Time is the callers' wall clock (`time.time`, seconds since the epoch), not the database's: hosts sharing a
budget must keep their clocks in step (NTP); two clocks d seconds apart may place calls up to d seconds closer
together than the budget says, and a next free slot more than `HORIZON_SECONDS` ahead (a clock far ahead
wrote it) is ignored, not waited for.

target-freshbooks has the same logic in `target_freshbooks/ledger/rate_budget.py`, for its FreshBooks app, on
the ledger's table `rate_budget` (created by the ledger's migrations). It is a copy on purpose: the plugins are separate
distributions, the tap must never import the target, and the target accepts records from any tap, so it must
not need this package installed. `tests/tap/test_rate_budget.py` runs the same cases against both.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import deque
from collections.abc import Callable

from sqlalchemy import Column, Engine, Float, MetaData, String, Table, case, create_engine, inspect, literal, update
from sqlalchemy.exc import DBAPIError, IntegrityError

BATCH_SECONDS = 0.25
"""How much of the budget (in seconds at the caller's pace) one visit to the database reserves."""
HORIZON_SECONDS = 300.0
"""A next free slot further ahead than this was set by a clock running fast: the budget restarts from now rather
than make every caller wait for it (an honest queue is one batch per caller: seconds)."""

METADATA = MetaData()
RATE_BUDGETS = Table(
    "servicetitan_rate_budget", METADATA,
    Column("key", String(200), primary_key=True),
    Column("next_free", Float, nullable=False),
)


def budget_key(vendor: str, *parts: str) -> str:
    """`vendor:<hash>`: the first part (an app's client id or key) hashed, so no secret is stored; the rest as is."""
    digest = hashlib.sha256(parts[0].encode()).hexdigest()[:16]
    return ":".join((vendor, digest, *parts[1:]))


def reserve(engine: Engine, table: Table, key: str, now: float, count: int, per_second: float) -> float:
    """Book `count` slots `1 / per_second` apart, starting no earlier than `now`; returns the first one's time."""
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
        return reserve(engine, table, key, now, count, per_second)
    return float(end) - span


class SharedBudget:
    """Slots for one process's calls, from the budget row `key`; one database visit per batch."""

    def __init__(self, engine: Engine, key: str, *, table: Table = RATE_BUDGETS,
                 clock: Callable[[], float] = time.time, batch_seconds: float = BATCH_SECONDS) -> None:
        self.engine = engine
        self.key = key
        self.table = table
        self.clock = clock
        self.batch_seconds = batch_seconds
        self._slots: deque[tuple[float, float]] = deque()  # (slot time, its pace)
        self._lock = threading.Lock()

    def slot(self, per_second: float) -> tuple[float, float]:
        """The next slot at pace `per_second` (reserving a batch when this process holds none), and the time now."""
        with self._lock:
            now = self.clock()
            while self._slots and self._slots[0][0] < now - 0.5 / self._slots[0][1]:
                self._slots.popleft()  # lapsed
            if not self._slots:
                count = max(1, int(per_second * self.batch_seconds))
                first = reserve(self.engine, self.table, self.key, now, count, per_second)
                self._slots.extend((first + index / per_second, per_second) for index in range(count))
            return self._slots.popleft()[0], now

    def wait_seconds(self, per_second: float) -> float:
        """Take the next slot; the seconds until it comes (0 when it has)."""
        slot, now = self.slot(per_second)
        return max(0.0, slot - now)


def open_budget(url: str, key: str, *, clock: Callable[[], float] = time.time) -> SharedBudget:
    """A budget in the database at `url`, creating the table there if it is missing."""
    engine = create_engine(url, pool_pre_ping=True)
    try:
        METADATA.create_all(engine, checkfirst=True)
    except DBAPIError:  # another process starting at the same moment created it first
        if not inspect(engine).has_table(RATE_BUDGETS.name):
            raise
    return SharedBudget(engine, key, clock=clock)


class SharedThrottle:
    """The tap's throttle when `rate_budget_url` is set: each call waits for its slot in the shared budget."""

    def __init__(self, budget: SharedBudget, per_second: float, *,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        if per_second <= 0:
            raise ValueError("max_requests_per_second must be positive")
        self.budget = budget
        self.per_second = per_second
        self.sleep = sleep

    def wait(self) -> None:
        wait = self.budget.wait_seconds(self.per_second)
        if wait > 0:
            self.sleep(wait)

    def close(self) -> None:
        self.budget.engine.dispose()

