"""FreshBooks misbehaving: rate limits honoured, server errors and resets retried, and creates whose answer
was lost (timeout after write) never duplicated."""

from __future__ import annotations

import backoff._sync
import pytest
from target_freshbooks.http import FreshBooksClient, retry_after_seconds
from target_freshbooks.ledger.models import AuditEntry
from target_freshbooks.ledger.store import Ledger
from target_harness import TargetEnv
from target_records import catalog, records


def trail(env: TargetEnv) -> list[AuditEntry]:
    ledger = Ledger(env.config["ledger_url"])
    try:
        return ledger.trail("default")
    finally:
        ledger.close()


@pytest.fixture
def quick_backoff(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Retries without real waiting; returns the waits asked for."""
    waits: list[float] = []
    monkeypatch.setattr(backoff._sync.time, "sleep", waits.append)
    monkeypatch.setattr(FreshBooksClient, "backoff_factor", 0.01)
    return waits


def faults(env: TargetEnv, **settings: float) -> None:
    injector = env.sandbox.ctx.fb_faults
    for name, value in settings.items():
        setattr(injector.settings, name, value)
    injector.reseed()


def test_429_waits_as_retry_after_says(env: TargetEnv, quick_backoff: list[float]) -> None:
    faults(env, seed=1, rate_429=0.15, burst_429=2, retry_after=3)
    data = records()

    run = env.run(catalog(data))

    assert env.sandbox.ctx.fb_faults.injected["rate_429"] > 0
    assert 3.0 in quick_backoff
    for stream, rows in data.items():
        assert run.counts(stream) == {"created": len(rows)}, stream
    assert len(env.fb.records("invoices")) == len(data["invoices"])


def test_lost_answers_to_creates_do_not_duplicate(env: TargetEnv, quick_backoff: list[float]) -> None:
    faults(env, seed=7, rate_500=0.04, rate_503=0.04, rate_reset=0.04, rate_timeout_after_write=0.25)
    data = records()

    run = env.run(catalog(data))

    injected = env.sandbox.ctx.fb_faults.injected
    assert injected["rate_timeout_after_write"] > 0
    assert run.exit_code == 0
    confirmed = [e for e in trail(env) if (e.detail or "").startswith("confirmed after an unanswered create")]
    assert confirmed  # a create whose answer was lost was found by its natural key, not sent again
    faults(env, rate_500=0, rate_503=0, rate_reset=0, rate_timeout_after_write=0)
    for stream, rows in data.items():
        assert run.counts(stream) == {"created": len(rows)}, stream
    for resource in ("clients", "items", "taxes", "invoices"):
        assert len(env.fb.records(resource)) == len(data[resource]), resource
    assert len(env.fb.records("payments")) == len(data["payments"][0]["applications"])
    assert all(i["v3_status"] != "draft" for i in env.fb.records("invoices"))

    env.fb.reset_stats()
    env.run(catalog(data))
    assert env.fb.writes() == 0


def test_retry_after_header_forms() -> None:
    assert retry_after_seconds("7") == 7.0
    assert retry_after_seconds(None) == 1.0
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # a date in the past: retry now

