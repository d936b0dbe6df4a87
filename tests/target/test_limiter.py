"""Pacing FreshBooks calls: the target spaces its calls at the configured rate instead of meeting 429s."""

from __future__ import annotations

import pytest
import requests
from target_freshbooks.limiter import HEADROOM, RateLimiter
from target_harness import Messages, TargetEnv, usd


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def limiter(per_second: float) -> tuple[RateLimiter, FakeTime]:
    """A limiter whose pace is `per_second` (the configured rate is set above it by the headroom)."""
    fake = FakeTime()
    return RateLimiter(per_second / HEADROOM, clock=fake.clock, sleep=fake.sleep), fake


def test_calls_are_spaced_by_fractions_of_a_second() -> None:
    pace, fake = limiter(5)
    for _ in range(6):
        pace.acquire()
    assert fake.slept == pytest.approx([0.2] * 5)
    assert fake.now == pytest.approx(101.0)


def test_a_429_halves_the_pace_then_it_recovers() -> None:
    pace, fake = limiter(10)
    pace.acquire()
    pace.throttled()
    assert pace.rate == pytest.approx(5.0) and pace.ceiling == pytest.approx(9.0)
    pace.acquire()
    assert fake.slept == pytest.approx([0.1])  # the slot was booked at the old pace; the next ones are slower
    pace.acquire()
    assert fake.slept[-1] == pytest.approx(0.2)
    for _ in range(20):
        pace.acquire()
        pace.passed()
    assert 9.0 <= pace.rate < 9.5  # back to about 90% of the pace that met the 429 ...
    for _ in range(2000):
        pace.passed()
    assert pace.rate == pace.ceiling == pytest.approx(10.0)  # ... and, call after call, to the configured rate


def test_repeated_429s_never_stop_the_run() -> None:
    pace, _ = limiter(10)
    for _ in range(50):
        pace.throttled()
    assert pace.rate == pace.ceiling == pytest.approx(0.5)  # the floor: 5% of the configured rate


def many(n: int) -> Messages:
    messages = Messages()
    for i in range(n):
        messages.record("clients", {"source_key": f"pace:customer:{i}", "organization": f"Paced Co {i}",
                                    "email": f"paced{i}@example.com", "currency_code": "USD"})
    for i in range(n):
        messages.record("invoices", {
            "source_key": f"pace:invoice:{i}", "client_source_key": f"pace:customer:{i}",
            "invoice_number": f"PACE-{i}", "create_date": "2024-05-01", "currency_code": "USD",
            "lines": [{"name": "Service call", "qty": "1", "unit_cost": usd("90.00")}]})
    return messages


def test_a_run_at_freshbooks_rate_meets_almost_no_429_and_lands_everything(env: TargetEnv) -> None:
    env.sandbox.ctx.fb.rate_limit = 5
    env.fb.reset_stats()
    n = 10
    run = env.run(many(n), max_requests_per_second=5)

    assert run.exit_code == 0
    assert run.counts("clients") == {"created": n} and run.counts("invoices") == {"created": n}
    stats = requests.get(f"{env.sandbox.fb_url}/_sandbox/stats", timeout=5).json()
    assert stats["statuses"].get("429", 0) <= 3, stats["statuses"]
    env.sandbox.ctx.fb.rate_limit = 0
    assert {f"paced{i}@example.com" for i in range(n)} <= {row["email"] for row in env.fb.records("clients")}
    assert {f"PACE-{i}" for i in range(n)} <= {row["invoice_number"] for row in env.fb.records("invoices")}
