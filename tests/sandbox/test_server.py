"""The sandbox process itself: both simulators answer on loopback, and the admin side door counts calls."""

from __future__ import annotations

import requests
from sandbox.testing import RunningSandbox


def test_both_simulators_answer_on_loopback(empty_sandbox: RunningSandbox) -> None:
    for url in (empty_sandbox.st_url, empty_sandbox.fb_url):
        assert url.startswith("http://127.0.0.1:")
        assert requests.get(f"{url}/_sandbox/stats", timeout=5).status_code == 200


def test_stats_count_calls_and_reset(empty_sandbox: RunningSandbox) -> None:
    url = empty_sandbox.st_url
    requests.get(f"{url}/no/such/path", timeout=5)
    requests.get(f"{url}/no/such/path", timeout=5)
    stats = requests.get(f"{url}/_sandbox/stats", timeout=5).json()
    assert stats["calls"] == {"GET /no/such/path": 2}
    assert stats["total"] == 2
    requests.post(f"{url}/_sandbox/stats/reset", timeout=5)
    assert requests.get(f"{url}/_sandbox/stats", timeout=5).json()["total"] == 0


def test_settings_change_at_run_time(empty_sandbox: RunningSandbox) -> None:
    url = empty_sandbox.st_url
    changed = requests.patch(f"{url}/_sandbox/config", json={"token_ttl": 5}, timeout=5)
    assert changed.status_code == 200
    assert empty_sandbox.ctx.st.token_ttl == 5
    refused = requests.patch(f"{url}/_sandbox/config", json={"no_such_setting": 1}, timeout=5)
    assert refused.status_code == 400
    assert "no_such_setting" in refused.json()["error"]
