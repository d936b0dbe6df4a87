"""Retries, rate limits, tokens and error messages, against a scripted local ServiceTitan."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import tap_servicetitan.client as client_module
from tap_fake_server import CREDENTIALS, FakeServiceTitan, export_page, list_page, problem
from tap_harness import parse_messages, run_tap

INVOICE = {
    "id": 41,
    "active": True,
    "invoiceDate": "2026-06-01T00:00:00Z",
    "modifiedOn": "2026-06-02T10:00:00Z",
    "total": "110.00",
    "balance": "110.00",
    "items": [],
}


@pytest.fixture
def fake() -> Iterator[FakeServiceTitan]:
    server = FakeServiceTitan().start()
    yield server
    server.stop()


def invoices_path(fake: FakeServiceTitan) -> str:
    return fake.path("accounting", "export/invoices")


def test_server_errors_and_resets_are_retried_until_the_page_arrives(fake: FakeServiceTitan) -> None:
    path = invoices_path(fake)
    fake.script(
        path,
        (503, {}, problem(503, "Service Unavailable")),
        "reset",
        (500, {}, problem(500, "Internal error")),
        (200, {}, export_page([INVOICE])),
    )
    run = run_tap(fake.config(), streams=["invoices"])
    assert run.records("invoices") == [INVOICE]
    assert len(fake.api_calls(path)) == 4


def test_retries_are_bounded_and_the_error_names_endpoint_status_title_and_trace(
    fake: FakeServiceTitan, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(client_module, "BACKOFF_FACTOR", 0.001)  # keep the test short; the count is what matters
    path = invoices_path(fake)
    fake.defaults[path] = (502, {}, problem(502, "Bad gateway upstream", trace_id="trace-502-xyz"))
    run = run_tap(fake.config(), streams=["invoices"], expect_error=True)
    assert len(fake.api_calls(path)) == client_module.MAX_TRIES
    message = str(run.error)
    assert f"GET {path}" in message
    assert "502" in message
    assert "Bad gateway upstream" in message
    assert "trace-502-xyz" in message


def test_429_waits_for_retry_after_then_succeeds(fake: FakeServiceTitan) -> None:
    path = invoices_path(fake)
    fake.script(
        path,
        (429, {"Retry-After": "1"}, problem(429, "Rate limit is exceeded. Try again in 1 seconds.")),
        (200, {}, export_page([INVOICE])),
    )
    run = run_tap(fake.config(), streams=["invoices"])
    assert run.records("invoices") == [INVOICE]
    first, second = fake.api_calls(path)
    assert second.at - first.at >= 1.0


def test_401_refreshes_the_token_once_and_retries(fake: FakeServiceTitan) -> None:
    path = invoices_path(fake)
    fake.script(path, (401, {}, problem(401, "Token expired")), (200, {}, export_page([INVOICE])))
    run = run_tap(fake.config(), streams=["invoices"])
    assert run.records("invoices") == [INVOICE]
    assert len(fake.token_calls()) == 2
    first, second = fake.api_calls(path)
    assert first.headers["Authorization"] == "Bearer tok-1"
    assert second.headers["Authorization"] == "Bearer tok-2"
    assert second.headers["ST-App-Key"] == CREDENTIALS["app_key"]


def test_401_with_a_fresh_token_is_fatal_and_says_what_to_check(fake: FakeServiceTitan) -> None:
    path = invoices_path(fake)
    title = "Application key not present, check ST-App-Key header value."
    fake.defaults[path] = (401, {}, problem(401, title, trace_id="trace-401"))
    run = run_tap(fake.config(), streams=["invoices"], expect_error=True)
    assert len(fake.token_calls()) == 2  # the cached token, then one fresh one; no loop
    assert len(fake.api_calls(path)) == 2
    message = str(run.error)
    assert "401" in message and title in message and "trace-401" in message and "app_key" in message
    for secret in (*CREDENTIALS.values(), "tok-1", "tok-2"):
        if secret != CREDENTIALS["client_id"]:
            assert secret not in message


def test_a_client_error_is_not_retried(fake: FakeServiceTitan) -> None:
    path = invoices_path(fake)
    fake.defaults[path] = (404, {}, problem(404, "Tenant not found", trace_id="trace-404"))
    run = run_tap(fake.config(), streams=["invoices"], expect_error=True)
    assert len(fake.api_calls(path)) == 1
    assert "Tenant not found" in str(run.error) and "trace-404" in str(run.error)


def test_refused_credentials_name_the_settings_to_check(fake: FakeServiceTitan) -> None:
    fake.script("/connect/token", (400, {}, {"error": "invalid_client"}))
    run = run_tap(fake.config(), streams=["invoices"], expect_error=True)
    message = str(run.error)
    assert "invalid_client" in message and "client_id" in message and "client_secret" in message
    assert CREDENTIALS["client_secret"] not in message
    assert fake.api_calls() == []


def test_one_token_serves_every_stream_and_page(fake: FakeServiceTitan) -> None:
    vendors = fake.path("inventory", "vendors")
    fake.script(
        vendors,
        (200, {}, list_page([{"id": 1, "modifiedOn": "2026-01-01T00:00:00Z"}], has_more=True)),
        (200, {}, list_page([{"id": 2, "modifiedOn": "2026-01-02T00:00:00Z"}])),
    )
    run = run_tap(fake.config())
    assert [r["id"] for r in run.records("vendors")] == [1, 2]
    assert len(fake.api_calls()) > 13
    assert len(fake.token_calls()) == 1


def test_calls_stay_under_max_requests_per_second(fake: FakeServiceTitan) -> None:
    path = fake.path("accounting", "tax-zones")
    pages = 7
    for page in range(1, pages + 1):
        fake.script(path, (200, {}, list_page([{"id": page}], page=page, has_more=page < pages)))
    run = run_tap(fake.config(max_requests_per_second=2), streams=["tax_zones"])
    assert [r["id"] for r in run.records("tax_zones")] == list(range(1, pages + 1))
    calls = fake.api_calls(path)
    # 2 per second: the 7th call cannot start before 3 seconds after the first.
    assert calls[-1].at - calls[0].at >= 3.0 - 0.1


def test_money_keeps_its_exact_decimal_text(fake: FakeServiceTitan, tmp_path: Path) -> None:
    """Accounting money arrives as strings and stays strings; numbers (CRM, pricebook, credit memos) are
    never rounded through float."""
    memos = fake.path("accounting", "credit-memos")
    fake.script(
        memos,
        (
            200,
            {},
            '{"page":1,"pageSize":5000,"hasMore":false,"data":[{"id":7,"modifiedOn":"2026-01-01T00:00:00Z",'
            '"total":12345678901234567.10,"balance":0.10,"subTotal":0.30,"salesTax":1E-2,"active":true}]}',
        ),
    )
    fake.script(invoices_path(fake), (200, {}, export_page([{**INVOICE, "total": "0.30", "balance": "0.1"}])))
    result = subprocess.run(
        [sys.executable, "-m", "tap_servicetitan.tap", "--config", _write_config(fake, tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    memo_line = next(line for line in result.stdout.splitlines() if '"RECORD","stream":"credit_memos"' in line)
    assert '"total":12345678901234567.10' in memo_line
    assert '"balance":0.10' in memo_line
    assert '"subTotal":0.30' in memo_line
    invoice = next(m for m in parse_messages(result.stdout) if m["type"] == "RECORD" and m["stream"] == "invoices")
    assert invoice["record"]["total"] == "0.30" and invoice["record"]["balance"] == "0.1"


def test_no_secret_or_token_reaches_the_output_or_logs(fake: FakeServiceTitan, tmp_path: Path) -> None:
    path = invoices_path(fake)
    fake.script(path, (401, {}, problem(401, "expired")), (503, {}, problem(503, "busy")))
    fake.defaults[path] = (400, {}, problem(400, "The from parameter is invalid", trace_id="trace-400"))
    result = subprocess.run(
        [sys.executable, "-m", "tap_servicetitan.tap", "--config", _write_config(fake, tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "trace-400" in result.stderr
    everything = result.stdout + result.stderr
    for secret in (CREDENTIALS["client_secret"], CREDENTIALS["app_key"], "tok-1", "tok-2"):
        assert secret not in everything


def _write_config(fake: FakeServiceTitan, directory: Path) -> str:
    path = directory / "config.json"
    path.write_text(json.dumps(fake.config()))
    return str(path)
