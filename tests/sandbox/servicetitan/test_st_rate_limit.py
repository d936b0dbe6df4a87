"""The rate limit per (app key, tenant): 429 with Retry-After and ServiceTitan's body once over it."""

from __future__ import annotations

import time

import requests
from sandbox.testing import RunningSandbox
from st_harness import StClient, fetch_token


def burst(st: StClient, n: int) -> list[requests.Response]:
    return [st.get("pricebook", "/services", {"pageSize": 1}) for _ in range(n)]


def test_calls_over_the_limit_get_429_with_retry_after(sandbox: RunningSandbox, st: StClient) -> None:
    sandbox.ctx.st.rate_limit = 3
    answers = burst(st, 12)
    assert answers[0].status_code == 200
    limited = [a for a in answers if a.status_code == 429]
    assert limited, "a dozen calls in quick succession must exceed 3 per second"
    first = limited[0]
    wait = int(first.headers["Retry-After"])
    assert wait >= 1
    body = first.json()
    assert body["title"] == f"Rate limit is exceeded. Try again in {wait} seconds."
    assert body["status"] == 429
    assert body["traceId"] and body["type"]
    time.sleep(wait + 0.1)
    assert st.get("pricebook", "/services", {"pageSize": 1}).status_code == 200


def test_zero_turns_the_limit_off(sandbox: RunningSandbox, st: StClient) -> None:
    sandbox.ctx.st.rate_limit = 0
    assert {a.status_code for a in burst(st, 40)} == {200}


def test_token_requests_do_not_count(sandbox: RunningSandbox, st: StClient) -> None:
    sandbox.ctx.st.rate_limit = 2
    time.sleep(1.1)
    for _ in range(6):
        assert fetch_token(sandbox.st_url).status_code == 200
    assert [a.status_code for a in burst(st, 2)] == [200, 200]
