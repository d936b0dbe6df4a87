"""`shared_rate_budget`: the target's limiter takes its slots from one budget per FreshBooks app in the ledger,
so runs of several companies together stay within the rate; off, each run paces itself alone (as before).
Times are logical: each limiter has its own injected clock, moved only by its sleeps."""

from __future__ import annotations

import itertools
import threading
from pathlib import Path

import pytest
from sqlalchemy import select
from target_freshbooks.ledger import rate_budget
from target_freshbooks.ledger.models import RateBudget
from target_freshbooks.ledger.store import Ledger
from target_freshbooks.limiter import RateLimiter
from target_freshbooks.settings import Settings

START = 1_800_000_000.0
BASE = {"client_id": "fb-app-client-id", "client_secret": "s", "redirect_uri": "https://x.example/cb"}


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def shared_limiter(ledger_url: str, per_second: float) -> tuple[RateLimiter, Clock]:
    """A limiter on the app's shared budget, as a run with `shared_rate_budget` on builds it (own engine)."""
    clock = Clock()
    budget = rate_budget.SharedBudget(Ledger(ledger_url).engine, rate_budget.budget_key("fb-app-client-id"),
                                      clock=clock)
    return RateLimiter(per_second, clock=clock, sleep=clock.sleep, shared=budget.wait_seconds), clock


def calls_at(limiter: RateLimiter, clock: Clock, calls: int) -> list[float]:
    taken = []
    for _ in range(calls):
        limiter.acquire()
        taken.append(clock())
    return taken


def test_two_runs_on_one_ledger_stay_within_the_rate_together(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    runs = [shared_limiter(url, 10), shared_limiter(url, 10)]
    results: list[list[float]] = [[], []]
    barrier = threading.Barrier(2)

    def work(index: int) -> None:
        barrier.wait()
        results[index] = calls_at(*runs[index], 25)

    threads = [threading.Thread(target=work, args=(index,)) for index in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    pace = runs[0][0].rate
    combined = sorted(results[0] + results[1])
    assert len(combined) == 50
    gaps = [later - earlier for earlier, later in itertools.pairwise(combined)]
    assert min(gaps) >= 1 / pace - 1e-6  # one timeline for both runs
    assert combined[-1] - combined[0] >= 49 / pace - 1e-6  # 50 calls took as long as 50 calls of one run


def test_a_429_makes_the_run_take_wider_slots_of_the_shared_budget(tmp_path: Path) -> None:
    limiter, clock = shared_limiter(f"sqlite:///{tmp_path / 'ledger.db'}", 8)
    pace = limiter.rate
    limiter.acquire()
    limiter.throttled()
    assert limiter.rate == pytest.approx(pace / 2)
    clock.sleep(10)  # past this run's batch: the next one is booked at the halved pace
    first, second = calls_at(limiter, clock, 2)
    assert second - first == pytest.approx(2 / pace)


def test_the_budget_row_names_the_app_by_a_hash(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    limiter, _ = shared_limiter(url, 10)
    limiter.acquire()
    with Ledger(url).session() as session:
        keys = session.execute(select(RateBudget.key)).scalars().all()
    assert keys == [rate_budget.budget_key("fb-app-client-id")]
    assert keys[0].startswith("freshbooks:") and "fb-app-client-id" not in keys[0]


def test_off_by_default_each_run_paces_itself(tmp_path: Path) -> None:
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.db'}")
    settings = Settings.from_config(BASE, environ={})
    assert settings.shared_rate_budget is False
    assert rate_budget.shared_slots(settings, ledger) is None
    clock = Clock()
    limiter = RateLimiter(10, clock=clock, sleep=clock.sleep, shared=rate_budget.shared_slots(settings, ledger))
    calls_at(limiter, clock, 3)
    with ledger.session() as session:
        assert session.execute(select(RateBudget)).first() is None  # the ledger is never asked


def test_on_the_run_takes_slots_from_the_ledger(tmp_path: Path) -> None:
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.db'}")
    settings = Settings.from_config({**BASE, "shared_rate_budget": "true"}, environ={})
    assert settings.shared_rate_budget is True
    shared = rate_budget.shared_slots(settings, ledger)
    assert shared is not None
    shared(10)
    with ledger.session() as session:
        assert session.execute(select(RateBudget.key)).scalars().all() == [rate_budget.budget_key("fb-app-client-id")]
