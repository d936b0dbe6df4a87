"""The call budget shared across processes (`tap_servicetitan/rate_budget.py`, and the target's copy in
`target_freshbooks/ledger/rate_budget.py`, run through the same cases): clients on one database, each with its
own engine and clock, get slots that together never exceed the rate. Times are logical (injected clocks)."""

from __future__ import annotations

import bisect
import itertools
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select
from tap_servicetitan import rate_budget as tap_budget
from tap_servicetitan.rate_budget import SharedThrottle
from tap_servicetitan.tap import TapServiceTitan
from tap_servicetitan.throttle import RequestThrottle
from target_freshbooks.ledger import rate_budget as target_budget
from target_freshbooks.ledger.store import Ledger

START = 1_800_000_000.0
"""Logical wall-clock time (seconds since the epoch) the clients start at."""


class Clock:
    """One client's clock: it moves only when the client sleeps until its slot (a call made right on time)."""

    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


Opener = Callable[[str, str, Clock], Any]


def tap_client(url: str, key: str, clock: Clock) -> tap_budget.SharedBudget:
    return tap_budget.open_budget(url, key, clock=clock)


def target_client(url: str, key: str, clock: Clock) -> target_budget.SharedBudget:
    ledger = Ledger(url)  # migrates: the table comes from migration 0003
    return target_budget.SharedBudget(ledger.engine, key, clock=clock)


IMPLEMENTATIONS = [pytest.param(tap_client, id="tap"), pytest.param(target_client, id="target")]


def most_in_any_second(slots: list[float]) -> int:
    """The most slots falling in any one-second window (a window starting at a slot is the worst case)."""
    ordered = sorted(slots)
    return max(bisect.bisect_left(ordered, start + 1 - 1e-6) - index for index, start in enumerate(ordered))


def take_slots(client: Any, clock: Clock, per_second: float, calls: int) -> list[float]:
    """`calls` calls made as soon as each slot comes: the slot times."""
    taken = []
    for _ in range(calls):
        clock.sleep(client.wait_seconds(per_second))
        taken.append(clock())
    return taken


def run_together(open_client: Opener, url: str, per_second: float, calls: int, clients: int = 2) -> list[list[float]]:
    """`clients` clients (own engine, own clock), each in its own thread, taking `calls` slots at once."""
    clocks = [Clock() for _ in range(clients)]
    budgets = [open_client(url, "freshbooks:app", clock) for clock in clocks]
    results: list[list[float]] = [[] for _ in range(clients)]
    barrier = threading.Barrier(clients)

    def work(index: int) -> None:
        barrier.wait()
        results[index] = take_slots(budgets[index], clocks[index], per_second, calls)

    threads = [threading.Thread(target=work, args=(index,)) for index in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def assert_within_rate(results: list[list[float]], per_second: float) -> None:
    combined = sorted(slot for taken in results for slot in taken)
    assert len(combined) == sum(len(taken) for taken in results)
    assert all(taken for taken in results)  # every client got its calls
    gaps = [later - earlier for earlier, later in itertools.pairwise(combined)]
    assert min(gaps) >= 1 / per_second - 1e-6  # never two calls closer than one slot, across clients
    assert most_in_any_second(combined) <= per_second
    assert combined[-1] - combined[0] >= (len(combined) - 1) / per_second - 1e-6  # together, not each, at the rate


@pytest.mark.parametrize("open_client", IMPLEMENTATIONS)
def test_two_clients_on_one_sqlite_file_share_the_rate(open_client: Opener, tmp_path: Path) -> None:
    results = run_together(open_client, f"sqlite:///{tmp_path / 'budget.db'}", per_second=10, calls=30)
    assert_within_rate(results, 10)


@pytest.mark.parametrize("open_client", IMPLEMENTATIONS)
def test_three_clients_on_postgres_share_the_rate(open_client: Opener, postgres_url: str) -> None:
    results = run_together(open_client, postgres_url, per_second=20, calls=40, clients=3)
    assert_within_rate(results, 20)


@pytest.mark.parametrize("open_client", IMPLEMENTATIONS)
def test_slots_come_in_batches_and_unused_ones_lapse(open_client: Opener, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'budget.db'}"
    clock, other_clock = Clock(), Clock()
    budget, other = open_client(url, "k", clock), open_client(url, "k", other_clock)
    assert budget.wait_seconds(10) == 0  # a batch of a quarter second's worth: slots at 0 and 0.1
    assert other.wait_seconds(10) == pytest.approx(0.2)  # the other client's batch starts after it
    clock.sleep(5)  # this client idles: its slot at 0.1 has lapsed
    assert budget.wait_seconds(10) == 0  # a new batch, starting now
    assert budget.slot(10)[0] == pytest.approx(START + 5.1)  # the rest of that batch, not the lapsed slot


@pytest.mark.parametrize("open_client", IMPLEMENTATIONS)
def test_a_host_whose_clock_ran_far_ahead_does_not_stall_the_others(open_client: Opener, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'budget.db'}"
    fast, honest, next_honest = Clock(START + 3600), Clock(), Clock()
    open_client(url, "k", fast).wait_seconds(10)  # books slots an hour ahead of everyone else
    assert open_client(url, "k", honest).wait_seconds(10) == 0  # ignored: the budget restarts from now
    assert open_client(url, "k", next_honest).wait_seconds(10) == pytest.approx(0.2)  # and queues from there


def test_the_tap_budget_lives_next_to_the_ledger(tmp_path: Path) -> None:
    """A tap pointed at the ledger's database keeps its own table there; the ledger still opens and migrates."""
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    tap_client(url, "servicetitan:app:1", Clock()).wait_seconds(60)
    target_client(url, "freshbooks:app", Clock()).wait_seconds(10)
    with create_engine(url).connect() as connection:
        assert connection.execute(select(tap_budget.RATE_BUDGETS.c.key)).scalars().all() == ["servicetitan:app:1"]
        assert connection.execute(select(target_budget.RATE_BUDGETS.c.key)).scalars().all() == ["freshbooks:app"]


def test_taps_starting_together_all_get_the_table(postgres_url: str) -> None:
    with ThreadPoolExecutor(4) as pool:
        budgets = list(pool.map(lambda _: tap_client(postgres_url, "k", Clock()), range(4)))
    assert len({budget.wait_seconds(60) for budget in budgets}) == 4  # four distinct slots


def tap_config(**extra: Any) -> dict[str, Any]:
    return {"client_id": "cid", "client_secret": "secret", "app_key": "ak1.app-key-secret", "tenant_id": "1000001",
            **extra}


def test_the_tap_paces_alone_without_a_rate_budget_url() -> None:
    tap = TapServiceTitan(config=tap_config(), parse_env_config=False, validate_config=True)
    assert isinstance(tap.throttle, RequestThrottle)


def test_the_tap_with_a_rate_budget_url_takes_slots_per_app_and_tenant(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'budget.db'}"
    tap = TapServiceTitan(config=tap_config(rate_budget_url=url), parse_env_config=False, validate_config=True)
    throttle = tap.throttle
    assert isinstance(throttle, SharedThrottle)
    throttle.wait()
    with create_engine(url).connect() as connection:
        (key,) = connection.execute(select(tap_budget.RATE_BUDGETS.c.key)).scalars().all()
    assert key.startswith("servicetitan:") and key.endswith(":1000001")  # ServiceTitan counts per app and tenant
    assert "ak1.app-key-secret" not in key  # the app key is hashed, never stored
    throttle.close()


def test_shared_throttle_sleeps_until_its_slot(tmp_path: Path) -> None:
    clock, other_clock = Clock(), Clock()
    url = f"sqlite:///{tmp_path / 'budget.db'}"
    tap_client(url, "k", other_clock).wait_seconds(4)  # another process holds the first quarter second
    throttle = SharedThrottle(tap_client(url, "k", clock), 4, sleep=clock.sleep)
    throttle.wait()
    assert clock() == pytest.approx(START + 0.25)
