"""FreshBooks misbehaving: rate limits honoured, server errors and resets retried, and creates whose answer
was lost (timeout after write) never duplicated."""

from __future__ import annotations

from typing import Any

import backoff._sync
import pytest
import requests
from target_freshbooks.errors import AuthError
from target_freshbooks.http import (
    MAX_RETRY_AFTER,
    UNAUTHORIZED_TRIES,
    FreshBooksClient,
    redact,
    retry_after_seconds,
)
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



@pytest.mark.parametrize(("header", "expected"), [
    ("7", 7.0), ("2.5", 2.5), (" 3 ", 3.0), (b"4", 4.0), (None, 1.0), ("", 1.0), ("   ", 1.0),
    ("soon", 1.0), ("-5", 1.0), ("nan", 1.0), ("1e999", MAX_RETRY_AFTER), ("inf", MAX_RETRY_AFTER),
    ("86400", MAX_RETRY_AFTER), ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),
    ("Wed, 21 Oct 2999 07:28:00 GMT", MAX_RETRY_AFTER),
    ("Fri, 31 Dec 9999 23:59:59 -0000", MAX_RETRY_AFTER), ("Mon, 99 Foo 2024", 1.0), ("\u00e9\u00e9", 1.0),
])
def test_retry_after_never_raises(header: str | bytes | None, expected: float) -> None:
    assert retry_after_seconds(header) == expected


def test_retry_after_date_in_the_near_future() -> None:
    assert retry_after_seconds("Thu, 01 Jan 2026 00:00:30 GMT", now=1767225600.0) == 30.0
    assert retry_after_seconds("whenever", default=4.0) == 4.0


def test_redact_hides_credentials() -> None:
    text = redact('Authorization: Bearer abc.DEF-123 refresh_token=r1&client_secret=s3cr3t {"access_token": "tok9"} '
                  'currency_code=USD', secrets=["my-secret-value"])
    for secret in ("abc.DEF-123", "r1&", "s3cr3t", "tok9"):
        assert secret not in text
    assert "currency_code=USD" in text
    assert redact("the client secret is my-secret-value", ["my-secret-value"]) == "the client secret is ***"


def scripted_401s(monkeypatch: pytest.MonkeyPatch, how_many: int) -> list[str]:
    """The next `how_many` API calls (not the token endpoint) are answered 401, as a token dying early is."""
    seen: list[str] = []
    original = requests.Session.request

    def request(session: requests.Session, method: str, url: str, **kwargs: Any) -> requests.Response:
        seen.append(url)
        if "/auth/oauth/token" not in url and len([u for u in seen if "/oauth/token" not in u]) <= how_many:
            answer = requests.Response()
            answer.status_code = 401
            answer._content = b'{"error": "invalid_token", "error_description": "expired"}'
            return answer
        return original(session, method, url, **kwargs)

    monkeypatch.setattr(requests.Session, "request", request)
    monkeypatch.setattr(FreshBooksClient, "unauthorized_pause", 0.0)
    return seen


def test_a_401_right_after_a_refresh_refreshes_again(env: TargetEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    env.fb.reset_stats()
    scripted_401s(monkeypatch, 3)  # the first call, then the token just refreshed dies too, twice
    run = env.run(catalog({"clients": records()["clients"][:1]}))
    assert run.exit_code == 0
    assert run.counts("clients") == {"created": 1}
    assert env.sandbox.ctx.fb_stats.count("POST", "/auth/oauth/token") == 3


def test_401s_that_do_not_stop_end_in_auth_error(env: TargetEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    env.fb.reset_stats()
    scripted_401s(monkeypatch, 1000)
    with pytest.raises(AuthError, match="authorize") as error:
        env.run(catalog({"clients": records()["clients"][:1]}))
    assert "Bearer" not in str(error.value)
    assert env.sandbox.ctx.fb_stats.count("POST", "/auth/oauth/token") == UNAUTHORIZED_TRIES


def test_tls_verification_stays_on(env: TargetEnv) -> None:
    session = requests.Session()
    session.verify = False
    client = FreshBooksClient("https://api.freshbooks.com", tokens=None, timeout=5, session=session)  # type: ignore[arg-type]
    assert client.session.verify is True
