"""Latency and fault injection, observed by a plain HTTP client, deterministic under a seed."""

from __future__ import annotations

import time

import pytest
import requests
from sandbox.testing import RunningSandbox

PATH = "/_probe/ping"  # no such route: a 404 is the "healthy" answer


def set_faults(url: str, **settings: object) -> dict:
    answer = requests.patch(f"{url}/_sandbox/faults", json=settings, timeout=5)
    assert answer.status_code == 200, answer.text
    return answer.json()


def statuses(url: str, n: int, session: requests.Session | None = None) -> list[object]:
    """The status of n requests, or the name of the network error met."""
    http = session or requests
    seen: list[object] = []
    for _ in range(n):
        try:
            seen.append(http.get(f"{url}{PATH}", timeout=5).status_code)
        except requests.ConnectionError as exc:
            seen.append(type(exc).__name__)
    return seen


@pytest.mark.parametrize("sim", ["st_url", "fb_url"])
def test_each_server_error_kind_is_injected(empty_sandbox: RunningSandbox, sim: str) -> None:
    url = getattr(empty_sandbox, sim)
    for status in (500, 502, 503):
        set_faults(url, **{f"rate_{status}": 1.0})
        answer = requests.get(f"{url}{PATH}", timeout=5)
        assert answer.status_code == status
        assert answer.json()  # a JSON error body in the simulator's own shape
        set_faults(url, **{f"rate_{status}": 0.0})
    assert requests.get(f"{url}{PATH}", timeout=5).status_code == 404


def test_429_burst_carries_retry_after(empty_sandbox: RunningSandbox) -> None:
    url = empty_sandbox.st_url
    set_faults(url, rate_429=1.0, burst_429=3, retry_after=2)
    answer = requests.get(f"{url}{PATH}", timeout=5)
    assert answer.status_code == 429
    assert answer.headers["Retry-After"] == "2"
    assert "Try again in 2 seconds" in answer.json()["title"]
    set_faults(url, rate_429=0.0)
    # A burst, once started, keeps answering 429 for its length even after the rate drops.
    set_faults(url, rate_429=1.0, burst_429=3)
    requests.get(f"{url}{PATH}", timeout=5)
    empty_sandbox.ctx.st_faults.settings.rate_429 = 0.0
    assert statuses(url, 3) == [429, 429, 404]


def test_connection_reset_reaches_the_client(empty_sandbox: RunningSandbox) -> None:
    url = empty_sandbox.fb_url
    set_faults(url, rate_reset=1.0)
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{url}{PATH}", timeout=5)
    set_faults(url, rate_reset=0.0)
    assert requests.get(f"{url}{PATH}", timeout=5).status_code == 404


def test_slow_answer_outlasts_the_client_timeout(empty_sandbox: RunningSandbox) -> None:
    url = empty_sandbox.st_url
    set_faults(url, rate_slow=1.0, slow_seconds=3)
    with pytest.raises(requests.Timeout):
        requests.get(f"{url}{PATH}", timeout=0.5)


def test_token_expiring_ahead_of_time_stays_dead(empty_sandbox: RunningSandbox) -> None:
    url = empty_sandbox.fb_url
    headers = {"Authorization": "Bearer some-token"}
    set_faults(url, rate_token_expiry=1.0)
    assert requests.get(f"{url}{PATH}", headers=headers, timeout=5).status_code == 401
    empty_sandbox.ctx.fb_faults.settings.rate_token_expiry = 0.0
    assert requests.get(f"{url}{PATH}", headers=headers, timeout=5).status_code == 401
    other = {"Authorization": "Bearer another-token"}
    assert requests.get(f"{url}{PATH}", headers=other, timeout=5).status_code == 404


def test_latency_is_added(empty_sandbox: RunningSandbox) -> None:
    url = empty_sandbox.st_url
    set_faults(url, latency_ms=300)
    started = time.perf_counter()
    requests.get(f"{url}{PATH}", timeout=5)
    # A lower bound only: the answer cannot come sooner than the injected delay.
    assert time.perf_counter() - started >= 0.3


def test_same_seed_same_faults(empty_sandbox: RunningSandbox) -> None:
    url = empty_sandbox.st_url
    mix = {"rate_500": 0.2, "rate_503": 0.2, "rate_429": 0.1, "burst_429": 2}
    runs = []
    for _ in range(2):
        set_faults(url, seed=11, **mix)
        runs.append(statuses(url, 40))
    assert runs[0] == runs[1]
    assert {500, 503, 429, 404} <= set(runs[0])
    set_faults(url, seed=12, **mix)
    assert statuses(url, 40) != runs[0]


def test_admin_calls_are_never_faulted(empty_sandbox: RunningSandbox) -> None:
    url = empty_sandbox.st_url
    set_faults(url, rate_500=1.0)
    assert requests.get(f"{url}/_sandbox/stats", timeout=5).status_code == 200


@pytest.mark.parametrize("method", ["create", "update"])
def test_timeout_after_write_applies_the_write_once(empty_sandbox: RunningSandbox, method: str) -> None:
    """FreshBooks applies the write, then the answer is lost: the client sees an error, one record exists."""
    from sandbox.freshbooks.testing import FreshBooksApi, authorize

    url = empty_sandbox.fb_url
    api = FreshBooksApi(url, authorize(url)["access_token"])
    email = "lost.answer@example.com"
    if method == "update":
        created = api.result(api.post("users/clients", {"client": {"email": email, "organization": "Before"}}))
        client_id = created["client"]["id"]
    set_faults(url, rate_timeout_after_write=1.0)
    with pytest.raises(requests.ConnectionError):
        if method == "create":
            api.post("users/clients", {"client": {"email": email, "organization": "After"}})
        else:
            api.put(f"users/clients/{client_id}", {"client": {"organization": "After"}})
    set_faults(url, rate_timeout_after_write=0.0)
    found = api.result(api.get("users/clients", params={"search[email]": email}))["clients"]
    assert len(found) == 1
    assert found[0]["organization"] == "After"


def test_timeout_after_write_spares_reads(empty_sandbox: RunningSandbox) -> None:
    url = empty_sandbox.fb_url
    set_faults(url, rate_timeout_after_write=1.0)
    assert requests.get(f"{url}{PATH}", timeout=5).status_code == 404
